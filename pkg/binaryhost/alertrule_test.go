package binaryhost_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/grafana/dataplane/sdata/numeric"
	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.yaml.in/yaml/v3"

	"github.com/spacetime/tickets/pkg/dashboards"
)

// This file evaluates the provisioned "Ticket spike" rule as Grafana's alerting would, on
// a data set made for it, against the plugin binary, and renders its notification text
// from what the plugin answered. Grafana cannot run here, so each step it takes is done
// after its source, cited where it is done:
//
//  1. the rule's data queries (A: the spike ratio, D: the culprit) go to the plugin in one
//     request, each over its relative time range, with the alert headers;
//  2. the answers are read as Grafana's expressions read data source frames, through the
//     dataplane library Grafana itself uses (time series for A, numbers for D);
//  3. B reduces A to its last point, C compares B with the threshold;
//  4. every single number of every query and expression becomes a capture with its
//     labels, and the captures whose labels hold the condition's (here none) are the
//     template's $values; the condition's labels are $labels;
//  5. the annotations are expanded with text/template as Grafana's template.Expand does.

// The data set: three tickets a minute for 100 hours, each of a random service, region,
// category and severity, and three moments to evaluate the rule at, each with a day of
// ordinary tickets before its window and no other moment's extra tickets in that day.
var (
	ruleStart = time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	// quietAt: an ordinary evaluation; localizedAt: 200 extra tickets of checkout in
	// us-east-1 in the 10 minutes before; spreadAt: 200 extra tickets of any service and
	// region in the 10 minutes before.
	quietAt     = ruleStart.Add(30 * time.Hour)
	localizedAt = ruleStart.Add(60 * time.Hour)
	spreadAt    = ruleStart.Add(90 * time.Hour)

	ruleServices   = []string{"checkout", "payments", "cart", "search", "catalog", "auth", "shipping", "profile"}
	ruleRegions    = []string{"us-east-1", "us-west-2", "eu-west-1", "ap-south-1"}
	ruleCategories = []string{"latency", "errors", "saturation", "availability", "capacity"}
)

type ruleTicket struct {
	service, region string
	created         time.Time
}

// writeRuleData writes the data set as a CSV file and returns its tickets.
func writeRuleData(t *testing.T, path string) []ruleTicket {
	t.Helper()
	rng := rand.New(rand.NewPCG(14, 2026))
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	w := csv.NewWriter(file)
	if err := w.Write([]string{"id", "severity", "title", "status", "service", "region", "category", "created"}); err != nil {
		t.Fatal(err)
	}
	var out []ruleTicket
	add := func(service, region string, created time.Time) {
		id := fmt.Sprintf("T-%d", len(out)+1)
		rec := []string{id, fmt.Sprint(1 + rng.IntN(4)), "Alarm on " + service, "open", service, region,
			ruleCategories[rng.IntN(len(ruleCategories))], created.Format(time.RFC3339Nano)}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		out = append(out, ruleTicket{service, region, created})
	}
	anyService := func() string { return ruleServices[rng.IntN(len(ruleServices))] }
	anyRegion := func() string { return ruleRegions[rng.IntN(len(ruleRegions))] }
	inMinute := func(m time.Time) time.Time { return m.Add(time.Duration(rng.Int64N(int64(time.Minute)))) }
	for m := ruleStart; m.Before(ruleStart.Add(100 * time.Hour)); m = m.Add(time.Minute) {
		for range 3 {
			add(anyService(), anyRegion(), inMinute(m))
		}
	}
	for range 200 {
		add("checkout", "us-east-1", inMinute(localizedAt.Add(-time.Duration(1+rng.IntN(10))*time.Minute)))
		add(anyService(), anyRegion(), inMinute(spreadAt.Add(-time.Duration(1+rng.IntN(10))*time.Minute)))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// templateValue is what an alert template reads as $values.X: Value in
// pkg/services/ngalert/state/template/template.go (Labels and a float Value; a missing
// value is NaN).
type templateValue struct {
	Labels map[string]string
	Value  float64
}

// templateData is the data of the expansion (Data in the same file): $labels, $values
// and $value, the evaluation string, which these templates do not use.
type templateData struct {
	Labels map[string]string
	Values map[string]templateValue
	Value  string
}

// expand renders an annotation as Expand in template.go does: $labels, $values and $value
// defined first, missingkey=invalid, and "<no value>" written "[no value]". Grafana runs it
// through Prometheus' template expander, which adds functions (humanize...) to
// text/template's own; the rule's templates use none of them, and one that did would fail
// to parse here, naming it.
func expand(t *testing.T, name, text string, d templateData) string {
	t.Helper()
	tmpl, err := template.New("__alert_" + name).Option("missingkey=invalid").
		Parse("{{- $labels := .Labels -}}{{- $values := .Values -}}{{- $value := .Value -}}" + text)
	if err != nil {
		t.Fatalf("annotation %s does not parse: %v", name, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, d); err != nil {
		t.Fatalf("annotation %s: %v", name, err)
	}
	return strings.ReplaceAll(b.String(), "<no value>", "[no value]")
}

// evaluation is one evaluation of the rule: whether it fires, and its rendered annotations.
type evaluation struct {
	fires       bool
	values      map[string]templateValue
	annotations map[string]string
}

// evaluateRule evaluates rule at a time against the plugin, as Grafana's alerting does.
func evaluateRule(t *testing.T, f *fixture, pc backend.PluginContext, rule dashboards.AlertRule, at time.Time) evaluation {
	t.Helper()
	// 1. The data queries, in one request (executeDSNodesGrouped, pkg/expr/nodes.go), each
	// with its model as the JSON, its relative range ending at the evaluation, and the
	// model's intervalMs and maxDataPoints, or alerting's defaults of 1 s and 43200
	// (pkg/services/ngalert/models/alert_query.go); with the headers alerting adds
	// (buildDatasourceHeaders, pkg/services/ngalert/eval/eval.go).
	req := &backend.QueryDataRequest{PluginContext: pc, Headers: map[string]string{"FromAlert": "true", "X-Cache-Skip": "true"}}
	exprs := map[string]dashboards.AlertQuery{}
	for _, q := range rule.Data {
		if q.DatasourceUID == "__expr__" {
			exprs[q.RefID] = q
			continue
		}
		raw, err := json.Marshal(q.Model)
		if err != nil {
			t.Fatal(err)
		}
		interval, maxPoints := time.Second, int64(43200)
		if v, ok := q.Model["intervalMs"].(int); ok {
			interval = time.Duration(v) * time.Millisecond
		}
		if v, ok := q.Model["maxDataPoints"].(int); ok {
			maxPoints = int64(v)
		}
		req.Queries = append(req.Queries, backend.DataQuery{
			RefID: q.RefID, QueryType: q.QueryType, JSON: raw, Interval: interval, MaxDataPoints: maxPoints,
			TimeRange: backend.TimeRange{
				From: at.Add(-time.Duration(q.RelativeTimeRange.From) * time.Second),
				To:   at.Add(-time.Duration(q.RelativeTimeRange.To) * time.Second),
			},
		})
	}
	resp, err := f.host.QueryData(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}

	// 2. A query with no frame, or one frame without fields, or an error, is no data, and
	// one such query makes the whole rule NoData (IsNoData and evaluateExecutionResult,
	// eval.go): that must never happen to this rule.
	series := map[string][]float64{}
	values := map[string]templateValue{}
	for _, q := range req.Queries {
		r, ok := resp.Responses[q.RefID]
		if !ok || r.Error != nil || len(r.Frames) == 0 || (len(r.Frames) == 1 && len(r.Frames[0].Fields) == 0) {
			t.Fatalf("query %s at %s: %v, %d frames: the rule would be NoData", q.RefID, at, r.Error, len(r.Frames))
		}
		switch r.Frames[0].Meta.Type.Kind() {
		case data.KindTimeSeries: // handleDataplaneTimeseries, pkg/expr/dataplane.go
			rd, err := timeseries.CollectionReaderFromFrames(r.Frames)
			if err != nil {
				t.Fatal(err)
			}
			c, err := rd.GetCollection(false)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Refs) != 1 || len(c.Refs[0].GetLabels()) != 0 {
				t.Fatalf("query %s: %d series, want one without labels (one alert instance)", q.RefID, len(c.Refs))
			}
			v := c.Refs[0].ValueField
			for i := range v.Len() {
				x, err := v.FloatAt(i)
				if err != nil {
					t.Fatal(err)
				}
				series[q.RefID] = append(series[q.RefID], x)
			}
		case data.KindNumeric: // handleDataplaneNumeric, pkg/expr/dataplane.go
			rd, err := numeric.CollectionReaderFromFrames(r.Frames)
			if err != nil {
				t.Fatal(err)
			}
			c, err := rd.GetCollection(false)
			if err != nil {
				t.Fatal(err)
			}
			// Several numbers of one query all match an unlabelled condition, and the
			// template keeps one of them by the order of their labels (extractValues,
			// eval.go; compareCaptures, captures.go): the culprit must be one number.
			if len(c.Refs) != 1 {
				t.Fatalf("query %s: %d numbers, want 1", q.RefID, len(c.Refs))
			}
			v, _, err := c.Refs[0].NullableFloat64Value()
			if err != nil || v == nil {
				t.Fatalf("query %s: value %v, %v", q.RefID, v, err)
			}
			values[q.RefID] = templateValue{Labels: c.Refs[0].GetLabels(), Value: *v}
		default:
			t.Fatalf("query %s: a %s frame, which alerting does not read", q.RefID, r.Frames[0].Meta.Type)
		}
	}

	// 3. The expressions the rule uses: reduce "last" (ReduceLast, pkg/expr/mathexp/reduce.go)
	// and a threshold "gt" (value > param, pkg/expr/threshold.go), both keeping the labels
	// of their input, here none.
	var fires bool
	for _, ref := range []string{"B", "C"} {
		e, ok := exprs[ref]
		if !ok {
			t.Fatalf("the rule has no expression %s", ref)
		}
		switch e.Model["type"] {
		case "reduce":
			s := series[e.Model["expression"].(string)]
			if e.Model["reducer"] != "last" || len(s) == 0 {
				t.Fatalf("reduce %v of %d points", e.Model["reducer"], len(s))
			}
			values[ref] = templateValue{Labels: map[string]string{}, Value: s[len(s)-1]}
		case "threshold":
			conds := e.Model["conditions"].([]any)
			ev := conds[0].(map[string]any)["evaluator"].(map[string]any)
			if len(conds) != 1 || ev["type"] != "gt" || ref != rule.Condition {
				t.Fatalf("threshold %v", e.Model)
			}
			param := ev["params"].([]any)[0]
			limit, _ := param.(float64)
			if i, ok := param.(int); ok {
				limit = float64(i)
			}
			fires = values[e.Model["expression"].(string)].Value > limit
			values[ref] = templateValue{Labels: map[string]string{}, Value: map[bool]float64{true: 1, false: 0}[fires]}
		default:
			t.Fatalf("expression %s is a %v, which this test does not evaluate", ref, e.Model["type"])
		}
	}

	// 4 and 5. The condition has no labels, so every capture matches it
	// (attachCaptureValues, pkg/services/ngalert/eval/captures.go: "empty frame labels
	// match nonempty captures" in its test) and $labels is empty.
	d := templateData{Labels: map[string]string{}, Values: values}
	out := evaluation{fires: fires, values: values, annotations: map[string]string{}}
	for name, text := range rule.Annotations {
		out.annotations[name] = expand(t, name, text, d)
		// A label or value the template expects and the answer lacks.
		if strings.Contains(out.annotations[name], "[no value]") {
			t.Errorf("annotation %s at %s reads %q", name, at, out.annotations[name])
		}
	}
	return out
}

func TestSpikeRuleNamesTheCulprit(t *testing.T) {
	dir := t.TempDir()
	csvPath, store := filepath.Join(dir, "tickets.csv"), filepath.Join(dir, "store", "tickets.db")
	tickets := writeRuleData(t, csvPath)
	if out, err := exec.Command(built.cli, "import", "--store", store, csvPath).CombinedOutput(); err != nil {
		t.Fatalf("spacetime import: %v\n%s", err, out)
	}
	raw, err := os.ReadFile("../../provisioning/alerting/spacetime-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file dashboards.AlertFile
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	var rule dashboards.AlertRule
	for _, r := range file.Groups[0].Rules {
		if r.Title == "Ticket spike" {
			rule = r
		}
	}
	if rule.Title == "" {
		t.Fatal("no Ticket spike rule is provisioned")
	}
	f := setup(t)
	pc := f.context(t, dashboards.DatasourceUID, map[string]any{"storePath": store})

	// The truth, counted here: the window's tickets, its ratio to the day before, and the
	// share of checkout in us-east-1.
	count := func(from, to time.Time, keep func(ruleTicket) bool) int {
		n := 0
		for _, x := range tickets {
			if !x.created.Before(from) && x.created.Before(to) && keep(x) {
				n++
			}
		}
		return n
	}
	all := func(ruleTicket) bool { return true }
	truth := func(at time.Time) (n int, ratio float64) {
		n = count(at.Add(-10*time.Minute), at, all)
		before := count(at.Add(-10*time.Minute-24*time.Hour), at.Add(-10*time.Minute), all)
		return n, float64(n) / math.Max(float64(before)*10/1440, 1)
	}

	t.Run("a quiet period does not fire, and D still answers one number", func(t *testing.T) {
		e := evaluateRule(t, f, pc, rule, quietAt)
		n, ratio := truth(quietAt)
		if e.fires || math.Abs(e.values["B"].Value-ratio) > 1e-9 {
			t.Fatalf("fires %v with ratio %v, want no firing at %v", e.fires, e.values["B"].Value, ratio)
		}
		if got := e.values["D"].Labels["tickets"]; got != fmt.Sprint(n) {
			t.Errorf("D counts %s tickets in the window, the data %d", got, n)
		}
		if c := e.values["D"].Labels["cause"]; c != "" {
			t.Errorf("D names %q in an ordinary window", c)
		}
		t.Logf("quiet: %s", e.annotations["summary"])
	})

	t.Run("a spike in one service and region fires, and the notification names both", func(t *testing.T) {
		e := evaluateRule(t, f, pc, rule, localizedAt)
		n, ratio := truth(localizedAt)
		if !e.fires || math.Abs(e.values["B"].Value-ratio) > 1e-9 {
			t.Fatalf("fires %v with ratio %v (data: %v)", e.fires, e.values["B"].Value, ratio)
		}
		in := count(localizedAt.Add(-10*time.Minute), localizedAt, func(x ruleTicket) bool {
			return x.service == "checkout" && x.region == "us-east-1"
		})
		// The terms come in the order of the query's dimensions (service before region).
		want := fmt.Sprintf("Ticket spike: %d tickets in 10m (%.1f× usual), %.0f%% in service=checkout region=us-east-1",
			n, ratio, 100*float64(in)/float64(n))
		if got := e.annotations["summary"]; got != want {
			t.Errorf("summary\n got %q\nwant %q", got, want)
		}
		if d := e.annotations["description"]; !strings.HasPrefix(d, "Most likely cause: service=checkout region=us-east-1, ") {
			t.Errorf("description %q", d)
		}
		t.Logf("localized: %s\n%s", e.annotations["summary"], e.annotations["description"])
	})

	// A culprit query that cannot search (here a dimension the schema lacks, as after a
	// schema change) must not turn the spike into NoData or Error: it answers with a note.
	t.Run("a spike still fires when the cause cannot be searched, and says so", func(t *testing.T) {
		broken := rule
		broken.Data = nil
		for _, q := range rule.Data {
			if q.QueryType == "localize" {
				m := map[string]any{}
				for k, v := range q.Model {
					m[k] = v
				}
				m["dimensions"] = []any{"service", "nosuchfield"}
				q.Model = m
			}
			broken.Data = append(broken.Data, q)
		}
		e := evaluateRule(t, f, pc, broken, localizedAt)
		_, ratio := truth(localizedAt)
		// Without a search there is no count of the window's tickets, only A's ratio.
		want := fmt.Sprintf("Ticket spike: %.1f× the usual rate, cause unknown", ratio)
		if !e.fires || e.annotations["summary"] != want {
			t.Fatalf("fires %v, summary %q; want firing with %q", e.fires, e.annotations["summary"], want)
		}
		if d := e.annotations["description"]; !strings.HasPrefix(d, "The most likely cause is unknown (the cause was not searched: ") || !strings.Contains(d, "nosuchfield") {
			t.Errorf("description %q", d)
		}
	})

	t.Run("a spike spread over every service and region fires, and says no single place", func(t *testing.T) {
		e := evaluateRule(t, f, pc, rule, spreadAt)
		n, ratio := truth(spreadAt)
		if !e.fires || math.Abs(e.values["B"].Value-ratio) > 1e-9 {
			t.Fatalf("fires %v with ratio %v (data: %v)", e.fires, e.values["B"].Value, ratio)
		}
		want := fmt.Sprintf("Ticket spike: %d tickets in 10m (%.1f× usual), spread across the values, no single place", n, ratio)
		if got := e.annotations["summary"]; got != want {
			t.Errorf("summary\n got %q\nwant %q", got, want)
		}
		if d := e.annotations["description"]; !strings.HasPrefix(d, "No single place: the tickets rose across the values") {
			t.Errorf("description %q", d)
		}
		t.Logf("spread: %s\n%s", e.annotations["summary"], e.annotations["description"])
	})
}
