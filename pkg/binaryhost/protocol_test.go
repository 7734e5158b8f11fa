package binaryhost_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// The protocol tests build the plugin binary and the command line, import a generated
// CSV file with `spacetime import`, start the plugin as Grafana does, and check every
// answer over gRPC against an independent computation over the same CSV file.

var (
	end  = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	span = 7 * 24 * time.Hour
)

// fixture is a store filled from a CSV file, the rows of that file, and a running plugin.
type fixture struct {
	host    *binaryhost.Host
	rows    []row
	store   string
	dataDir string
}

// row is one ticket of the CSV file, parsed by the test itself.
type row struct {
	id, service, region, status, title string
	severity                           float64
	created                            time.Time
	resolved                           *time.Time
}

// built holds the binaries and the imported data set, made once for all the tests.
var built struct {
	bin, cli, store, csv string
	rows                 []row
	err                  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spacetime-protocol-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 0
	if built.err = prepare(dir); built.err != nil {
		fmt.Fprintln(os.Stderr, "protocol tests:", built.err)
		code = 1
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// prepare builds the plugin and the command line, writes a generated CSV file and imports
// it with `spacetime import`, as a user would.
func prepare(dir string) error {
	ctx := context.Background()
	var err error
	if built.bin, err = binaryhost.Build(ctx, dir); err != nil {
		return err
	}
	cli := filepath.Join(dir, "spacetime")
	built.cli = cli
	build := exec.Command("go", "build", "-o", cli, "../cmd/spacetime")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the command line: %w\n%s", err, out)
	}
	built.csv = filepath.Join(dir, "tickets.csv")
	if err := writeCSV(built.csv); err != nil {
		return err
	}
	built.store = filepath.Join(dir, "store", "tickets.db")
	imp := exec.Command(cli, "import", "--store", built.store, built.csv)
	if out, err := imp.CombinedOutput(); err != nil {
		return fmt.Errorf("spacetime import: %w\n%s", err, out)
	}
	built.rows, err = readCSV(built.csv)
	return err
}

// setup starts a plugin process for one test. The store file can be open in one process
// only, so tests that read it run one after the other.
func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{rows: built.rows, store: built.store, dataDir: filepath.Join(t.TempDir(), "grafana-data")}
	var err error
	// Grafana starts plugins in its own working directory; use an unrelated one.
	f.host, err = binaryhost.Start(built.bin, t.TempDir(), []string{"GF_PATHS_DATA=" + f.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.host.Stop)
	return f
}

// writeCSV writes a generated data set the way a ticket system export looks: a header,
// RFC 3339 times, empty cells for nulls.
func writeCSV(path string) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	defer file.Close()
	w := csv.NewWriter(file)
	names := schema.Default().Names()
	if err := w.Write(names); err != nil {
		return err
	}
	rec := make([]string, len(names))
	err = gen.Generate(context.Background(), gen.Options{Tickets: 20000, End: end, Span: span, Seed: 7, Outages: 3}, func(r *ticket.Record) error {
		for i, v := range r.Values {
			switch v.Kind {
			case ticket.Str:
				rec[i] = v.S
			case ticket.Num:
				rec[i] = strconv.FormatFloat(v.F, 'f', -1, 64)
			case ticket.Time:
				rec[i] = v.Time().Format(time.RFC3339Nano)
			case ticket.Bool:
				rec[i] = strconv.FormatBool(v.Bool())
			default:
				rec[i] = ""
			}
		}
		return w.Write(rec)
	})
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	w.Flush()
	return w.Error()
}

func readCSV(path string) ([]row, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	recs, err := csv.NewReader(file).ReadAll()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, n := range recs[0] {
		col[n] = i
	}
	latest := map[string]row{}
	for _, r := range recs[1:] {
		created, err := time.Parse(time.RFC3339Nano, r[col["created"]])
		if err != nil {
			return nil, fmt.Errorf("created %q: %w", r[col["created"]], err)
		}
		sev, _ := strconv.ParseFloat(r[col["severity"]], 64)
		x := row{id: r[col["id"]], service: r[col["service"]], region: r[col["region"]], status: r[col["status"]],
			title: r[col["title"]], severity: sev, created: created}
		if s := r[col["resolved"]]; s != "" {
			rt, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, err
			}
			x.resolved = &rt
		}
		latest[x.id] = x // the generator writes one version per ticket
	}
	out := make([]row, 0, len(latest))
	for _, r := range latest {
		out = append(out, r)
	}
	return out, nil
}

func (f *fixture) context(t *testing.T, uid string, jsonData map[string]any) backend.PluginContext {
	t.Helper()
	pc, err := binaryhost.Context(uid, jsonData)
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// query sends q as a panel does: with the panel's interval and data points.
func (f *fixture) query(t *testing.T, pc backend.PluginContext, from, to time.Time, q map[string]any) backend.DataResponse {
	t.Helper()
	return f.send(t, pc, q, backend.DataQuery{TimeRange: backend.TimeRange{From: from, To: to},
		Interval: time.Minute, MaxDataPoints: 1000, QueryType: fmt.Sprint(q["queryType"])})
}

// send sends q as the one query of a request, in dq's frame (time range, interval, data
// points), and returns its response.
func (f *fixture) send(t *testing.T, pc backend.PluginContext, q map[string]any, dq backend.DataQuery) backend.DataResponse {
	t.Helper()
	raw, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	dq.RefID, dq.JSON = "A", raw
	resp, err := f.host.QueryData(context.Background(), &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{dq}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Responses["A"]
}

// countBy counts the rows that keep returns true for, by key.
func countBy(rows []row, keep func(row) bool, key func(row) string) map[string]int64 {
	out := map[string]int64{}
	for _, r := range rows {
		if keep(r) {
			out[key(r)]++
		}
	}
	return out
}

func inRange(from, to time.Time) func(row) bool {
	return func(r row) bool { return !r.created.Before(from) && r.created.Before(to) }
}

func TestPluginAnswersMatchTheFile(t *testing.T) {
	f := setup(t)
	pc := f.context(t, "proto", map[string]any{"storePath": f.store})
	from, to := end.Add(-48*time.Hour), end

	t.Run("health counts the tickets", func(t *testing.T) {
		res, err := f.host.CheckHealth(context.Background(), pc)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, fmt.Sprintf("%d tickets", len(f.rows))) {
			t.Fatalf("health = %v %q, want OK with %d tickets", res.Status, res.Message, len(f.rows))
		}
	})

	t.Run("breakdown by service", func(t *testing.T) {
		want := countBy(f.rows, inRange(from, to), func(r row) string { return r.service })
		resp := f.query(t, pc, from, to, map[string]any{"queryType": "breakdown", "field": "service", "top": 5})
		got := keyCounts(t, resp)
		checkTopN(t, got, want, 5)
	})

	t.Run("breakdown with a filter and an ad hoc regex", func(t *testing.T) {
		re := regexp.MustCompile(`^eu-`)
		want := countBy(f.rows, func(r row) bool {
			return inRange(from, to)(r) && r.severity <= 2 && re.MatchString(r.region) && r.status != "resolved"
		}, func(r row) string { return r.region })
		resp := f.query(t, pc, from, to, map[string]any{
			"queryType": "breakdown", "field": "region", "top": 100,
			"filter":       "severity <= 2",
			"adhocFilters": []map[string]any{{"key": "region", "operator": "=~", "value": "^eu-"}, {"key": "status", "operator": "!=", "value": "resolved"}},
		})
		got := keyCounts(t, resp)
		checkTopN(t, got, want, 100)
	})

	t.Run("a click on the (none) slice filters the tickets without a value", func(t *testing.T) {
		open := int64(0)
		for _, r := range f.rows {
			if inRange(from, to)(r) && r.resolved == nil {
				open++
			}
		}
		resp := f.query(t, pc, from, to, map[string]any{"queryType": "stats",
			"adhocFilters": []map[string]any{{"key": "resolved", "operator": "=", "value": "(none)"}}})
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
		if got := resp.Frames[0].Fields[0].At(0).(int64); got != open || open == 0 {
			t.Errorf("resolved = (none) counts %d tickets, want the %d unresolved ones", got, open)
		}
	})

	t.Run("counts per hour", func(t *testing.T) {
		resp := f.query(t, pc, from, to, map[string]any{"queryType": "counts", "bucket": "1h"})
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
		fr := resp.Frames[0]
		if fr.Meta == nil || fr.Meta.Type != data.FrameTypeTimeSeriesWide {
			t.Fatalf("counts frame type = %+v, want timeseries-wide", fr.Meta)
		}
		want := countBy(f.rows, inRange(from, to), func(r row) string { return r.created.Truncate(time.Hour).Format(time.RFC3339) })
		n, _ := fr.RowLen()
		if n != 48 {
			t.Fatalf("48 hourly buckets expected, got %d", n)
		}
		for i := 0; i < n; i++ {
			ts := fr.Fields[0].At(i).(time.Time).UTC().Format(time.RFC3339)
			if got := fr.Fields[1].At(i).(int64); got != want[ts] {
				t.Errorf("bucket %s: %d tickets, want %d", ts, got, want[ts])
			}
		}
	})

	t.Run("newest tickets", func(t *testing.T) {
		var in []row
		for _, r := range f.rows {
			if inRange(from, to)(r) {
				in = append(in, r)
			}
		}
		sort.Slice(in, func(i, j int) bool { return in[i].created.After(in[j].created) })
		resp := f.query(t, pc, from, to, map[string]any{"queryType": "tickets", "columns": []string{"id", "created", "severity"}, "limit": 10})
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
		fr := resp.Frames[0]
		for i := 0; i < 10; i++ {
			got := fr.Fields[1].At(i).(*time.Time)
			if !got.Equal(in[i].created) {
				t.Errorf("row %d created %v, want %v", i, got, in[i].created)
			}
		}
		if total := fr.Meta.Custom.(map[string]any)["total"]; fmt.Sprint(total) != strconv.Itoa(len(in)) {
			t.Errorf("total = %v, want %d", total, len(in))
		}
	})

	t.Run("stats", func(t *testing.T) {
		var total, open int64
		for _, r := range f.rows {
			if inRange(from, to)(r) {
				total++
				if r.resolved == nil {
					open++
				}
			}
		}
		resp := f.query(t, pc, from, to, map[string]any{"queryType": "stats"})
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
		fr := resp.Frames[0]
		if got := fr.Fields[0].At(0).(int64); got != total {
			t.Errorf("total = %d, want %d", got, total)
		}
		if got := fr.Fields[1].At(0).(int64); got != open {
			t.Errorf("open = %d, want %d", got, open)
		}
	})

	t.Run("a bad filter is the user's error with its position", func(t *testing.T) {
		resp := f.query(t, pc, from, to, map[string]any{"queryType": "stats", "filter": "severity <= "})
		if resp.Error == nil || resp.ErrorSource != backend.ErrorSourceDownstream || !strings.Contains(resp.Error.Error(), "position") {
			t.Fatalf("error = %v (source %q), want a downstream error naming the position", resp.Error, resp.ErrorSource)
		}
	})

	t.Run("an unknown field names the close match", func(t *testing.T) {
		resp := f.query(t, pc, from, to, map[string]any{"queryType": "breakdown", "field": "servce"})
		if resp.Error == nil || resp.ErrorSource != backend.ErrorSourceDownstream || !strings.Contains(resp.Error.Error(), `"service"`) {
			t.Fatalf("error = %v (source %q), want a downstream error suggesting service", resp.Error, resp.ErrorSource)
		}
	})

	t.Run("resources", func(t *testing.T) {
		ctx := context.Background()
		status, body, err := f.host.CallResource(ctx, pc, http.MethodGet, "schema", nil, nil)
		if err != nil || status != http.StatusOK || !strings.Contains(string(body), `"facets":["severity"`) {
			t.Fatalf("schema: %d %s %v", status, body, err)
		}
		status, body, err = f.host.CallResource(ctx, pc, http.MethodGet, "values",
			url.Values{"field": {"region"}, "prefix": {"EU"}, "limit": {"50"}}, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("values: %d %s %v", status, body, err)
		}
		var vals struct {
			Values []struct {
				Value string
				Count int64
			}
		}
		if err := json.Unmarshal(body, &vals); err != nil {
			t.Fatal(err)
		}
		want := countBy(f.rows, func(r row) bool { return strings.HasPrefix(r.region, "eu") }, func(r row) string { return r.region })
		if len(vals.Values) != len(want) {
			t.Fatalf("values: %d regions starting with eu, want %d", len(vals.Values), len(want))
		}
		for _, v := range vals.Values {
			if want[v.Value] != v.Count {
				t.Errorf("region %s: %d, want %d", v.Value, v.Count, want[v.Value])
			}
		}
		status, body, _ = f.host.CallResource(ctx, pc, http.MethodPost, "validate", nil, []byte(`{"filter":"service = \"a\" and (region"}`))
		if status != http.StatusOK || !strings.Contains(string(body), `"valid":false`) || !strings.Contains(string(body), `"position":`) {
			t.Fatalf("validate: %d %s", status, body)
		}
		_, body, _ = f.host.CallResource(ctx, pc, http.MethodPost, "validate-schema", nil, []byte(`{"schema":"key: id\ntime: at\ncolumns:\n  - {name: id, type: strin}\n"}`))
		if !strings.Contains(string(body), `"line":4`) || !strings.Contains(string(body), "columns[0].type") {
			t.Fatalf("validate-schema: %s", body)
		}
	})
}

func TestEmptySettingsWorkOutOfTheBox(t *testing.T) {
	f := setup(t)
	pc := f.context(t, "fresh-uid", map[string]any{})
	res, err := f.host.CheckHealth(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "0 tickets") {
		t.Fatalf("health = %v %q", res.Status, res.Message)
	}
	want := filepath.Join(f.dataDir, "spacetime", "fresh-uid.db")
	if _, err := os.Stat(want); err != nil {
		t.Fatalf("the default store should be at %s: %v", want, err)
	}
}

func TestBadSchemaIsReportedByHealth(t *testing.T) {
	f := setup(t)
	pc := f.context(t, "bad", map[string]any{"storePath": filepath.Join(t.TempDir(), "x.db"),
		"schema": "key: id\ntime: created\ncolumns:\n  - {name: id, type: string}\n  - {name: created, type: tim}\n"})
	res, err := f.host.CheckHealth(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "columns[1].type") {
		t.Fatalf("health = %v %q, want an error naming columns[1].type", res.Status, res.Message)
	}
	resp := f.query(t, pc, end.Add(-time.Hour), end, map[string]any{"queryType": "stats"})
	if resp.Error == nil || !strings.Contains(resp.Error.Error(), "columns[1].type") {
		t.Fatalf("a query on a bad schema should fail with the schema problem, got %v", resp.Error)
	}
}

// keyCounts reads a breakdown frame into value → count.
func keyCounts(t *testing.T, resp backend.DataResponse) map[string]int64 {
	t.Helper()
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	fr := resp.Frames[0]
	out := map[string]int64{}
	n, _ := fr.RowLen()
	for i := 0; i < n; i++ {
		out[fr.Fields[0].At(i).(string)] = fr.Fields[1].At(i).(int64)
	}
	return out
}

// checkTopN compares a top-N breakdown with the full counts: the N largest values are
// there with their counts, and "other" holds the rest.
func checkTopN(t *testing.T, got, want map[string]int64, n int) {
	t.Helper()
	type kv struct {
		k string
		v int64
	}
	var all []kv
	var total int64
	for k, v := range want {
		all = append(all, kv{k, v})
		total += v
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k < all[j].k
	})
	var kept int64
	for i := 0; i < len(all) && i < n; i++ {
		if got[all[i].k] != all[i].v {
			t.Errorf("%s: %d, want %d", all[i].k, got[all[i].k], all[i].v)
		}
		kept += all[i].v
	}
	if total-kept != got["other"] {
		t.Errorf("other = %d, want %d", got["other"], total-kept)
	}
	if len(all) == 0 {
		t.Fatalf("the test data has no tickets for this breakdown; the test would prove nothing")
	}
}

// fieldByName finds a field by its name or its display name, as Grafana's byName matcher
// does (nameMatcher.ts in packages/grafana-data/src/transformations/matchers).
func fieldByName(fr *data.Frame, name string) *data.Field {
	for _, fd := range fr.Fields {
		if fd.Name == name || (fd.Config != nil && (fd.Config.DisplayName == name || fd.Config.DisplayNameFromDS == name)) {
			return fd
		}
	}
	return nil
}

func fieldList(fr *data.Frame) string {
	var parts []string
	for _, fd := range fr.Fields {
		parts = append(parts, fd.Name+":"+fd.Type().String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestStartsABinaryGivenRelatively: a path such as bin/gpx_tickets, typed from the
// repository (spacetime bench --plugin), names the binary from where it was typed, not
// from the plugin's working directory.
func TestStartsABinaryGivenRelatively(t *testing.T) {
	if built.err != nil {
		t.Skip(built.err)
	}
	here := t.TempDir()
	if err := os.Mkdir(filepath.Join(here, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(built.bin, filepath.Join(here, "bin", "gpx_tickets")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(here)
	host, err := binaryhost.Start(filepath.Join("bin", "gpx_tickets"), t.TempDir(), nil)
	if err != nil {
		t.Fatalf("Start(bin/gpx_tickets) from %s: %v", here, err)
	}
	defer host.Stop()
	pc, err := binaryhost.Context("relative", map[string]any{"storePath": filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := host.CheckHealth(context.Background(), pc); err != nil || res.Status != backend.HealthStatusOk {
		t.Fatalf("health: %v %v", res, err)
	}
}
