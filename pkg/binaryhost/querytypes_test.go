package binaryhost_test

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/plugin"
)

// These tests drive the query types of the dashboards' feed, stat panels and alert rules
// (logs, spike, movers, the stats' usual rate) through the plugin binary over gRPC, and
// check each answer against a computation of their own over the imported CSV file.

// csvTickets reads the CSV file into one map of column to cell per ticket, by id: the
// fields the row type of the other tests does not keep (description, category...).
func csvTickets(t *testing.T) map[string]map[string]string {
	t.Helper()
	file, err := os.Open(built.csv)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	recs, err := csv.NewReader(file).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]map[string]string, len(recs))
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, name := range recs[0] {
			m[name] = r[i]
		}
		out[m["id"]] = m
	}
	return out
}

// alertQuery sends q as a Grafana alert rule does: its own JSON alone, with the
// interval and data points that alerting fills in (defaultIntervalMS 1000 and
// defaultMaxDataPoints 43200 in grafana/grafana, pkg/services/ngalert/models/alert_query.go).
func (f *fixture) alertQuery(t *testing.T, pc backend.PluginContext, from, to time.Time, q map[string]any) backend.DataResponse {
	t.Helper()
	return f.send(t, pc, q, backend.DataQuery{TimeRange: backend.TimeRange{From: from, To: to}, Interval: time.Second, MaxDataPoints: 43200})
}

func oneFrame(t *testing.T, resp backend.DataResponse) *data.Frame {
	t.Helper()
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	if len(resp.Frames) != 1 {
		t.Fatalf("%d frames, want 1", len(resp.Frames))
	}
	return resp.Frames[0]
}

// severityLevel is the level a ticket's severity cell should map to, written out here
// independently of the plugin's table: sev 1 critical, 2 error, 3 warning, 4 info, 5+ debug.
func severityLevel(cell string) string {
	sev, err := strconv.ParseFloat(cell, 64)
	switch {
	case err != nil:
		return "unknown"
	case sev <= 1:
		return "critical"
	case sev <= 2:
		return "error"
	case sev <= 3:
		return "warning"
	case sev <= 4:
		return "info"
	}
	return "debug"
}

// points is the number of multiples of step in [from, to].
func points(from, to time.Time, step time.Duration) int {
	first := from.Truncate(step)
	if first.Before(from) {
		first = first.Add(step)
	}
	return int(to.Truncate(step).Sub(first)/step) + 1
}

// countIn counts the rows of service (any when "") created in [from, to).
func countIn(rows []row, service string, from, to time.Time) int64 {
	var n int64
	for _, r := range rows {
		if (service == "" || r.service == service) && !r.created.Before(from) && r.created.Before(to) {
			n++
		}
	}
	return n
}

func TestNewQueryTypesOverGRPC(t *testing.T) {
	f := setup(t)
	pc := f.context(t, "querytypes", map[string]any{"storePath": f.store})
	opts := gen.Options{Tickets: 20000, End: end, Span: span, Seed: 7, Outages: 3}
	outages := gen.PlanOutages(opts)
	if len(outages) == 0 {
		t.Fatal("the data set has no outage; the spike and movers tests would prove nothing")
	}
	outage := outages[len(outages)-1]

	t.Run("every answer says how long the plugin worked on it", func(t *testing.T) {
		for _, q := range []map[string]any{
			{"queryType": "breakdown", "field": "service"},
			{"queryType": "logs", "limit": 10},
			{"queryType": "localize"},
		} {
			sent := time.Now()
			resp := f.query(t, pc, end.Add(-2*time.Hour), end, q)
			took := time.Since(sent)
			if resp.Error != nil || len(resp.Frames) == 0 {
				t.Fatalf("%v: %v, %d frames", q, resp.Error, len(resp.Frames))
			}
			var stats []data.QueryStat
			if m := resp.Frames[0].Meta; m != nil {
				stats = m.Stats
			}
			i := slices.IndexFunc(stats, func(s data.QueryStat) bool { return s.DisplayName == plugin.PluginTimeStat })
			if i < 0 {
				t.Fatalf("%v: the first frame's stats %+v have no %q", q, stats, plugin.PluginTimeStat)
			}
			st := stats[i]
			// The plugin's time is part of the round trip this test measured.
			if st.Unit != "ms" || st.Value <= 0 || st.Value > float64(took.Microseconds())/1000 {
				t.Errorf("%v: %q = %v %s, want more than 0 and at most the round trip's %s", q, st.DisplayName, st.Value, st.Unit, took)
			}
		}
	})

	t.Run("logs: newest tickets of a service, every field, search words", func(t *testing.T) {
		details := csvTickets(t)
		from, to := end.Add(-48*time.Hour), end
		service := outage.Service
		var want []row
		for _, r := range f.rows {
			if r.service == service && inRange(from, to)(r) {
				want = append(want, r)
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i].created.After(want[j].created) })
		const limit = 40
		fr := oneFrame(t, f.query(t, pc, from, to, map[string]any{
			"queryType": "logs", "limit": limit, "search": "Latency p99",
			"adhocFilters": []map[string]any{{"key": "service", "operator": "=", "value": service}},
		}))
		if fr.Meta == nil || fr.Meta.Type != data.FrameTypeLogLines || fr.Meta.PreferredVisualization != data.VisTypeLogs {
			t.Fatalf("meta = %+v, want log-lines for the logs panel", fr.Meta)
		}
		if fr.Rows() != min(limit, len(want)) || len(want) < limit {
			t.Fatalf("%d lines, want %d (of %d tickets of %s)", fr.Rows(), min(limit, len(want)), len(want), service)
		}
		byName := map[string]*data.Field{}
		for _, fl := range fr.Fields {
			byName[fl.Name] = fl
		}
		for i := range fr.Rows() {
			ts := byName["timestamp"].At(i).(time.Time)
			if !ts.Equal(want[i].created) {
				t.Fatalf("line %d at %s, want %s (newest first)", i, ts, want[i].created)
			}
			id := byName["id"].At(i).(string)
			d := details[id]
			if d == nil || d["service"] != service {
				t.Fatalf("line %d is ticket %q, not one of %s in the file", i, id, service)
			}
			if body := byName["body"].At(i).(string); !strings.HasPrefix(body, id+" "+d["title"]) {
				t.Errorf("%s: body %q does not start with its id and title %q", id, body, d["title"])
			}
			if got, want := byName["severity"].At(i), severityLevel(d["severity"]); got != want {
				t.Errorf("%s: level %v for severity %q, want %s", id, got, d["severity"], want)
			}
			var labels map[string]string
			if err := json.Unmarshal(byName["labels"].At(i).(json.RawMessage), &labels); err != nil {
				t.Fatal(err)
			}
			for _, dim := range []string{"service", "region", "category", "status"} {
				if labels[dim] != d[dim] {
					t.Errorf("%s: label %s = %q, want %q", id, dim, labels[dim], d[dim])
				}
			}
			desc := byName["description"].At(i).(*string)
			if desc == nil || *desc != d["description"] {
				t.Errorf("%s: description %v, want the file's %q", id, desc, d["description"])
			}
			if tk := byName["Ticket"].At(i).(*string); tk == nil || *tk != id {
				t.Errorf("%s: the Ticket field (with the link) holds %v", id, tk)
			}
		}
		if len(byName["Ticket"].Config.Links) == 0 {
			t.Errorf("the Ticket field has no link to the ticket system")
		}
		words := fr.Meta.Custom.(map[string]any)["searchWords"]
		if fmt.Sprint(words) != "[(?i)Latency (?i)p99]" {
			t.Errorf("searchWords = %v", words)
		}
	})

	t.Run("spike: per service, as an alert rule asks, against the file", func(t *testing.T) {
		from, to := outage.Start.Add(-time.Hour), outage.Start.Add(time.Hour)
		window, baseline := 10*time.Minute, 24*time.Hour
		fr := oneFrame(t, f.alertQuery(t, pc, from, to, map[string]any{
			"queryType": "spike", "splitBy": "service", "top": 200, "bucket": "5m",
			"window": "10m", "baseline": "1d", "series": []string{"rate", "ratio"},
		}))
		if fr.Meta == nil || fr.Meta.Type != data.FrameTypeTimeSeriesWide || fr.TimeSeriesSchema().Type != data.TimeSeriesTypeWide {
			t.Fatalf("meta %+v: alerting needs a wide time series", fr.Meta)
		}
		if want := points(from, to, 5*time.Minute); fr.Rows() != want {
			t.Fatalf("%d points, want %d (every 5 minutes over two hours, both ends)", fr.Rows(), want)
		}
		times := fr.Fields[0]
		// Each service's creation times, sorted, so that a window's count is two searches.
		created := map[string][]time.Time{}
		for _, r := range f.rows {
			created[r.service] = append(created[r.service], r.created)
		}
		for _, ts := range created {
			slices.SortFunc(ts, time.Time.Compare)
		}
		count := func(service string, from, to time.Time) int64 {
			ts := created[service]
			// BinarySearchFunc finds the first time at or after its target.
			lo, _ := slices.BinarySearchFunc(ts, from, time.Time.Compare)
			hi, _ := slices.BinarySearchFunc(ts, to, time.Time.Compare)
			return int64(hi - lo)
		}
		peak := map[string]float64{}
		for _, fl := range fr.Fields[1:] {
			service := fl.Labels["service"]
			for i := range fr.Rows() {
				p := times.At(i).(time.Time)
				recent := count(service, p.Add(-window), p)
				before := count(service, p.Add(-window-baseline), p.Add(-window))
				var want float64
				switch fl.Name {
				case "rate":
					want = float64(recent) / window.Minutes()
				case "ratio":
					want = float64(recent) / math.Max(float64(before)*float64(window)/float64(baseline), 1)
					peak[service] = max(peak[service], fl.At(i).(float64))
				default:
					t.Fatalf("field %q was not asked for", fl.Name)
				}
				if got := fl.At(i).(float64); math.Abs(got-want) > 1e-9*math.Max(1, want) {
					t.Fatalf("%s %s at %s = %v, want %v (%d tickets, %d in the baseline)", service, fl.Name, p, got, want, recent, before)
				}
			}
		}
		best := ""
		for s, v := range peak {
			if best == "" || v > peak[best] {
				best = s
			}
		}
		if best != outage.Service {
			t.Errorf("the highest ratio is %s's (%v), want the outage's service %s (%v)", best, peak[best], outage.Service, peak[outage.Service])
		}

		// One measure: one field, so one alert instance, per service.
		fr = oneFrame(t, f.alertQuery(t, pc, from, to, map[string]any{"queryType": "spike", "splitBy": "service", "top": 200, "series": []string{"ratio"}}))
		seen := map[string]bool{}
		for _, fl := range fr.Fields[1:] {
			if key := fl.Labels.String(); seen[key] {
				t.Fatalf("two fields labelled %s: Grafana alerting would fail on duplicate results", key)
			} else {
				seen[key] = true
			}
		}
		if n, want := fr.Rows(), points(from, to, time.Minute); n != want {
			t.Errorf("%d points over two hours with alerting's 1s interval, want %d (a minute apart at the finest)", n, want)
		}
	})

	t.Run("movers: the outage's service rose most, counts from the file", func(t *testing.T) {
		from, to := outage.Start, outage.Start.Add(time.Hour)
		fr := oneFrame(t, f.query(t, pc, from, to, map[string]any{"queryType": "movers", "field": "service", "top": 5}))
		if fr.Meta == nil || fr.Meta.Type != data.FrameTypeNumericLong {
			t.Fatalf("meta %+v, want numeric-long", fr.Meta)
		}
		if fr.Rows() == 0 || fr.Fields[0].At(0) != outage.Service {
			t.Fatalf("top mover %v, want the outage's service %s", fr.Fields[0].At(0), outage.Service)
		}
		var scores []float64
		for i := range fr.Rows() {
			service := fr.Fields[0].At(i).(string)
			current, before := countIn(f.rows, service, from, to), countIn(f.rows, service, from.Add(-time.Hour), from)
			if fr.Fields[1].At(i) != current || fr.Fields[2].At(i) != before {
				t.Errorf("%s: %v now, %v before; the file has %d and %d", service, fr.Fields[1].At(i), fr.Fields[2].At(i), current, before)
			}
			want := (float64(current) - float64(before)) / math.Sqrt(float64(before)+1)
			if got := fr.Fields[5].At(i).(float64); math.Abs(got-want) > 1e-9 {
				t.Errorf("%s: score %v, want %v", service, got, want)
			}
			scores = append(scores, fr.Fields[5].At(i).(float64))
		}
		if !slices.IsSortedFunc(scores, func(a, b float64) int { return cmp.Compare(b, a) }) {
			t.Errorf("movers not ranked by score: %v", scores)
		}
	})

	t.Run("localize: the outage's service and region, counts from the file", func(t *testing.T) {
		from, to := outage.Start, outage.Start.Add(time.Hour)
		fr := oneFrame(t, f.query(t, pc, from, to, map[string]any{"queryType": "localize",
			"dimensions": []string{"service", "region", "category"}, "baseline": "1d", "filterField": true}))
		if fr.Meta == nil || fr.Meta.PreferredVisualization != data.VisTypeTable || fr.Rows() == 0 {
			t.Fatalf("meta %+v, %d rows; want a table with the outage", fr.Meta, fr.Rows())
		}
		at := func(name string) any {
			fd, i := fr.FieldByName(name)
			if i < 0 {
				t.Fatalf("no field %q", name)
			}
			return fd.At(0)
		}
		want := fmt.Sprintf("service = %q and region = %q", outage.Service, outage.Region)
		if got := at("cause"); got != want {
			t.Fatalf("first cause %v, want %s", got, want)
		}
		var now int64
		for _, r := range f.rows {
			if r.service == outage.Service && r.region == outage.Region && !r.created.Before(from) && r.created.Before(to) {
				now++
			}
		}
		if got := at("current"); got != now {
			t.Errorf("the cause has %v tickets now; the file has %d", got, now)
		}
		if a, b := at("adhocFilter"), at("adhocFilter2"); a != "service|=|"+outage.Service || b != "region|=|"+outage.Region {
			t.Errorf("ad hoc filters %v and %v", a, b)
		}
	})

	t.Run("stats: the usual rate of the period before", func(t *testing.T) {
		from, to := outage.Start, outage.Start.Add(time.Hour)
		fr := oneFrame(t, f.query(t, pc, from, to, map[string]any{"queryType": "stats", "baseline": "6h"}))
		rate, _ := fr.FieldByName("rate")
		usual, _ := fr.FieldByName("baseline")
		wantRate := float64(countIn(f.rows, "", from, to)) / 60
		wantUsual := float64(countIn(f.rows, "", from.Add(-6*time.Hour), from)) / 360
		if got := rate.At(0).(float64); math.Abs(got-wantRate) > 1e-9 {
			t.Errorf("rate %v, want %v", got, wantRate)
		}
		if got := usual.At(0).(float64); math.Abs(got-wantUsual) > 1e-9 {
			t.Errorf("usual rate %v, want %v", got, wantUsual)
		}
		if wantRate <= wantUsual {
			t.Errorf("during an outage the rate (%v) should exceed the usual rate (%v); the test data lacks its spike", wantRate, wantUsual)
		}
	})
}
