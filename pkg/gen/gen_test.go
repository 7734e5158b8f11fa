package gen_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

var end = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func collect(t testing.TB, opts gen.Options) []ticket.Record {
	t.Helper()
	var out []ticket.Record
	if err := gen.Generate(context.Background(), opts, func(r *ticket.Record) error {
		out = append(out, r.Clone())
		return nil
	}); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return out
}

// dataset is one generated set shared by the distribution tests.
type dataset struct {
	opts    gen.Options
	recs    []ticket.Record
	outages []gen.Outage
}

func newDataset(t testing.TB) dataset {
	opts := gen.Options{Tickets: 200_000, End: end, Span: 30 * 24 * time.Hour, Seed: 42, Outages: 4}
	return dataset{opts: opts, recs: collect(t, opts), outages: gen.PlanOutages(opts)}
}

func str(r *ticket.Record, col string) string { return r.Get(col).S }
func ms(r *ticket.Record, col string) int64   { return r.Get(col).I }

// Batches hands over the same records as Generate, in order, in slices of the size asked
// (the last one shorter) that the caller may keep.
func TestBatches(t *testing.T) {
	opts := gen.Options{Tickets: 1000, End: end, Seed: 9}
	want := collect(t, opts)
	var got []ticket.Record
	var sizes []int
	var kept [][]ticket.Record
	err := gen.Batches(context.Background(), opts, 300, func(b []ticket.Record) error {
		sizes = append(sizes, len(b))
		kept = append(kept, b)
		got = append(got, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(sizes) != 4 || sizes[0] != 300 || sizes[3] != len(want)-900 {
		t.Fatalf("%d records in batches %v, want %d in batches of 300", len(got), sizes, len(want))
	}
	for i := range want {
		if got[i].Key != want[i].Key || got[i].Version != want[i].Version {
			t.Fatalf("record %d is %s v%d, want %s v%d", i, got[i].Key, got[i].Version, want[i].Key, want[i].Version)
		}
	}
	if kept[0][0].Key != want[0].Key {
		t.Errorf("the first batch was overwritten: it starts with %s, want %s", kept[0][0].Key, want[0].Key)
	}
	if err := gen.Batches(context.Background(), opts, 0, func([]ticket.Record) error { return nil }); err == nil {
		t.Error("a batch size of 0 was accepted")
	}
}

func TestDeterministic(t *testing.T) {
	opts := gen.Options{Tickets: 5000, End: end, Span: 72 * time.Hour, Seed: 7, Outages: 2, Updates: true}
	a, b := collect(t, opts), collect(t, opts)
	if len(a) != len(b) {
		t.Fatalf("two runs gave %d and %d records", len(a), len(b))
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Version != b[i].Version || !a[i].SameValues(&b[i]) {
			t.Fatalf("record %d differs between two runs with one seed", i)
		}
	}
	opts.Seed = 8
	c := collect(t, opts)
	same := 0
	for i := 0; i < min(len(a), len(c)); i++ {
		if a[i].SameValues(&c[i]) {
			same++
		}
	}
	if same > len(a)/100 {
		t.Errorf("%d of %d records are the same with another seed", same, len(a))
	}
}

func TestRecordShape(t *testing.T) {
	ds := newDataset(t)
	names := schema.Default().Names()
	startMS := end.Add(-ds.opts.Span).UnixMilli()
	endMS := end.UnixMilli()
	idPattern := regexp.MustCompile(`^INC\d{8}$`)
	seen := make(map[string]bool, len(ds.recs))
	var prev int64
	for i := range ds.recs {
		r := &ds.recs[i]
		if !slices.Equal(r.Layout.Names(), names) {
			t.Fatalf("layout %q, want the default schema's %q", r.Layout.Names(), names)
		}
		created, updated := ms(r, "created"), ms(r, "updated")
		if created < prev {
			t.Fatalf("record %d created %d before the previous %d: not in created order", i, created, prev)
		}
		prev = created
		if created < startMS || created >= endMS {
			t.Fatalf("%s created %v outside the span", r.Key, r.Get("created").Time())
		}
		if updated < created || updated > endMS {
			t.Fatalf("%s updated %v not between created %v and the end", r.Key, r.Get("updated").Time(), r.Get("created").Time())
		}
		if r.Version != updated {
			t.Fatalf("%s version %d, want its updated time %d", r.Key, r.Version, updated)
		}
		status := str(r, "status")
		res := r.Get("resolved")
		switch {
		case status == "resolved" && (res.IsNull() || res.I < created || res.I > endMS || res.I != updated):
			t.Fatalf("%s resolved at %v, created %v, updated %v", r.Key, res.Time(), r.Get("created").Time(), r.Get("updated").Time())
		case status != "resolved" && !res.IsNull():
			t.Fatalf("%s is %s but has a resolved time", r.Key, status)
		case status != "open" && status != "acknowledged" && status != "resolved":
			t.Fatalf("%s has status %q", r.Key, status)
		}
		if !idPattern.MatchString(r.Key) || str(r, "id") != r.Key || seen[r.Key] {
			t.Fatalf("bad or repeated id %q (id column %q)", r.Key, str(r, "id"))
		}
		seen[r.Key] = true
		svc, region := str(r, "service"), str(r, "region")
		title := str(r, "title")
		// The title ends with the region or one of its zones (us-east-1a).
		zone := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(title, "a"), "b"), "c")
		if !strings.HasPrefix(title, "["+svc+"] ") || !(strings.HasSuffix(title, " "+region) || strings.HasSuffix(zone, " "+region)) {
			t.Fatalf("title %q does not name the service %q and the region %q", title, svc, region)
		}
		if d := len(str(r, "description")); d < 100 || d > 300 {
			t.Fatalf("description of %d bytes: %q", d, str(r, "description"))
		}
		if sev := r.Get("severity"); sev.Kind != ticket.Num || sev.F < 1 || sev.F > 5 || sev.F != math.Trunc(sev.F) {
			t.Fatalf("severity %+v", sev)
		}
		for _, col := range []string{"category", "type", "item", "assignee_group"} {
			if str(r, col) == "" {
				t.Fatalf("%s has no %s", r.Key, col)
			}
		}
	}
}

// counts counts records by the value of a column.
func counts(recs []ticket.Record, col string) map[string]int {
	out := map[string]int{}
	for i := range recs {
		out[str(&recs[i], col)]++
	}
	return out
}

func sortedCounts(m map[string]int) []int {
	out := make([]int, 0, len(m))
	for _, n := range m {
		out = append(out, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

func TestDistribution(t *testing.T) {
	ds := newDataset(t)
	n := len(ds.recs)

	t.Run("services are many and Zipf-skewed", func(t *testing.T) {
		c := sortedCounts(counts(ds.recs, "service"))
		if len(c) < 180 || len(c) > 220 {
			t.Errorf("%d services, want about 200", len(c))
		}
		if median := c[len(c)/2]; c[0] < 20*median {
			t.Errorf("top service %d tickets, median %d: want the top far larger", c[0], median)
		}
	})
	t.Run("regions are about 20 and skewed", func(t *testing.T) {
		c := sortedCounts(counts(ds.recs, "region"))
		if len(c) < 15 || len(c) > 25 {
			t.Errorf("%d regions, want about 20", len(c))
		}
		if median := c[len(c)/2]; c[0] < 5*median {
			t.Errorf("top region %d tickets, median %d: want the top far larger", c[0], median)
		}
	})
	t.Run("sev1 is rare", func(t *testing.T) {
		c := map[float64]int{}
		for i := range ds.recs {
			c[ds.recs[i].Get("severity").F]++
		}
		if c[1] == 0 || c[1] > n*3/100 {
			t.Errorf("%d sev1 of %d tickets, want a few but under 3%%", c[1], n)
		}
		if c[1] >= c[3] || c[1] >= c[2] {
			t.Errorf("sev1 (%d) should be rarer than sev2 (%d) and sev3 (%d)", c[1], c[2], c[3])
		}
	})
	t.Run("types belong to one category", func(t *testing.T) {
		cat := map[string]string{}
		for i := range ds.recs {
			r := &ds.recs[i]
			k, c := str(r, "type"), str(r, "category")
			if prev, ok := cat[k]; ok && prev != c {
				t.Fatalf("type %q is under %q and %q", k, prev, c)
			}
			cat[k] = c
		}
		if len(cat) < 8 {
			t.Errorf("%d types, want a real hierarchy", len(cat))
		}
	})
	t.Run("groups are tied to services", func(t *testing.T) {
		bySvc := map[string]map[string]int{}
		for i := range ds.recs {
			r := &ds.recs[i]
			s := str(r, "service")
			if bySvc[s] == nil {
				bySvc[s] = map[string]int{}
			}
			bySvc[s][str(r, "assignee_group")]++
		}
		for s, groups := range bySvc {
			total := 0
			for _, c := range groups {
				total += c
			}
			if top := sortedCounts(groups)[0]; total >= 100 && top < total*9/10 {
				t.Errorf("service %s: its main group has %d of %d tickets", s, top, total)
			}
		}
	})
	t.Run("old tickets are mostly resolved, new ones often open", func(t *testing.T) {
		oldLimit := end.Add(-7 * 24 * time.Hour).UnixMilli()
		newLimit := end.Add(-time.Hour).UnixMilli()
		var old, oldResolved, recent, recentOpen int
		for i := range ds.recs {
			r := &ds.recs[i]
			switch c := ms(r, "created"); {
			case c < oldLimit:
				old++
				if str(r, "status") == "resolved" {
					oldResolved++
				}
			case c >= newLimit:
				recent++
				if str(r, "status") != "resolved" {
					recentOpen++
				}
			}
		}
		if oldResolved < old*9/10 {
			t.Errorf("%d of %d tickets older than a week are resolved, want most", oldResolved, old)
		}
		if recentOpen < recent/2 {
			t.Errorf("%d of %d tickets of the last hour are open, want most", recentOpen, recent)
		}
	})
	t.Run("business hours are busier than nights", func(t *testing.T) {
		var day, night int
		for i := range ds.recs {
			r := &ds.recs[i]
			if inOutage(ds.outages, ms(r, "created")) {
				continue
			}
			switch h := r.Get("created").Time().Hour(); {
			case h >= 11 && h < 16:
				day++
			case h >= 0 && h < 5:
				night++
			}
		}
		if day < 2*night {
			t.Errorf("%d tickets in 5 business hours, %d in 5 night hours: want at least twice as many", day, night)
		}
	})
}

func inOutage(outages []gen.Outage, created int64) bool {
	for _, o := range outages {
		if created >= o.Start.UnixMilli() && created < o.End.UnixMilli() {
			return true
		}
	}
	return false
}

func TestOutages(t *testing.T) {
	ds := newDataset(t)
	if len(ds.outages) != ds.opts.Outages {
		t.Fatalf("%d outages planned, want %d", len(ds.outages), ds.opts.Outages)
	}
	day := 24 * time.Hour
	for _, o := range ds.outages {
		t.Run(fmt.Sprintf("%s in %s at %s", o.Service, o.Region, o.Start.Format(time.RFC3339)), func(t *testing.T) {
			if d := o.End.Sub(o.Start); d < 30*time.Minute || d > 120*time.Minute {
				t.Errorf("the outage lasts %v, want 30 to 120 minutes", d)
			}
			if len(o.Affected) < 2 || slices.Contains(o.Affected, o.Service) {
				t.Errorf("affected services %q: want several others", o.Affected)
			}
			// The same window on the other days of the span, away from any outage, is the
			// usual level at that time of day.
			var pairIn, totalIn, pairUsual, totalUsual, affectedIn, affectedUsual, windows int
			for k := -30; k <= 30; k++ {
				from, to := o.Start.Add(time.Duration(k)*day), o.End.Add(time.Duration(k)*day)
				if from.Before(end.Add(-ds.opts.Span)) || to.After(end) || (k != 0 && overlapsOutage(ds.outages, from, to)) {
					continue
				}
				var pair, total, affected int
				for i := range ds.recs {
					r := &ds.recs[i]
					c := r.Get("created").Time()
					if c.Before(from) || !c.Before(to) {
						continue
					}
					total++
					if str(r, "region") == o.Region {
						if s := str(r, "service"); s == o.Service {
							pair++
						} else if slices.Contains(o.Affected, s) {
							affected++
						}
					}
				}
				if k == 0 {
					pairIn, totalIn, affectedIn = pair, total, affected
				} else {
					pairUsual, totalUsual, affectedUsual, windows = pairUsual+pair, totalUsual+total, affectedUsual+affected, windows+1
				}
			}
			if windows < 10 {
				t.Fatalf("only %d comparable windows", windows)
			}
			usualPair := math.Max(float64(pairUsual)/float64(windows), 0.5)
			usualTotal := float64(totalUsual) / float64(windows)
			t.Logf("service in region: %d tickets (usually %.1f); all: %d (usually %.1f); affected: %d (usually %.1f)",
				pairIn, usualPair, totalIn, usualTotal, affectedIn, float64(affectedUsual)/float64(windows))
			if float64(pairIn) < 30*usualPair {
				t.Errorf("the service in its region opened %d tickets, want 30 times its usual %.1f", pairIn, usualPair)
			}
			if float64(totalIn) < 2*usualTotal {
				t.Errorf("%d tickets in the outage, usually %.1f: the spike should show in the total", totalIn, usualTotal)
			}
			if float64(affectedIn) < 5*math.Max(float64(affectedUsual)/float64(windows), 1) || affectedIn >= pairIn {
				t.Errorf("the affected services opened %d tickets: want a rise, smaller than the outage's own %d", affectedIn, pairIn)
			}
		})
	}
}

func overlapsOutage(outages []gen.Outage, from, to time.Time) bool {
	for _, o := range outages {
		if from.Before(o.End) && o.Start.Before(to) {
			return true
		}
	}
	return false
}

func TestUpdates(t *testing.T) {
	opts := gen.Options{Tickets: 20_000, End: end, Span: 10 * 24 * time.Hour, Seed: 5, Outages: 2}
	final := collect(t, opts)
	opts.Updates = true
	log := collect(t, opts)
	if len(log) < len(final)*2 {
		t.Fatalf("%d versions of %d tickets: want most tickets with earlier versions", len(log), len(final))
	}
	// Each ticket's versions come together, oldest first, and end with the final record.
	j := 0
	for i := range final {
		f := &final[i]
		var versions []*ticket.Record
		for j < len(log) && log[j].Key == f.Key {
			versions = append(versions, &log[j])
			j++
		}
		if len(versions) == 0 {
			t.Fatalf("%s: no versions at position %d (found %s)", f.Key, j, log[j].Key)
		}
		last := versions[len(versions)-1]
		if last.Version != f.Version || !last.SameValues(f) {
			t.Fatalf("%s: the last version differs from the final record", f.Key)
		}
		for k := 1; k < len(versions); k++ {
			if versions[k].Version <= versions[k-1].Version {
				t.Fatalf("%s: version %d is not after %d", f.Key, versions[k].Version, versions[k-1].Version)
			}
		}
		if len(versions) > 1 && str(versions[0], "status") != "open" {
			t.Fatalf("%s: the first of several versions is %q, want open", f.Key, str(versions[0], "status"))
		}
	}
	if j != len(log) {
		t.Fatalf("%d versions left over", len(log)-j)
	}
}

func TestGenerateStopsOnError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := gen.Generate(context.Background(), gen.Options{Tickets: 100, End: end, Seed: 1}, func(*ticket.Record) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Fatalf("err = %v after %d calls, want the callback's error after 3", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = gen.Generate(ctx, gen.Options{Tickets: 100, End: end, Seed: 1}, func(*ticket.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	for _, bad := range []gen.Options{{Tickets: -1}, {Tickets: 1, Outages: -1}} {
		if err := gen.Generate(context.Background(), bad, func(*ticket.Record) error { return nil }); err == nil {
			t.Errorf("Generate(%+v) accepted a negative count", bad)
		}
	}
}

// TestWritersRoundTrip writes generated tickets in each format and imports them back: the
// imported records must equal the generated ones.
func TestWritersRoundTrip(t *testing.T) {
	opts := gen.Options{Tickets: 3000, End: end, Span: 48 * time.Hour, Seed: 9, Outages: 1, Updates: true}
	want := collect(t, opts)
	tests := []struct {
		name   string
		format ingest.Format
		write  func(context.Context, io.Writer, gen.Options) error
	}{
		{"JSONL", ingest.JSONL, gen.WriteJSONL},
		{"CSV", ingest.CSV, gen.WriteCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(context.Background(), &buf, opts); err != nil {
				t.Fatal(err)
			}
			var got []ticket.Record
			sink := func(_ context.Context, recs []ticket.Record) (store.UpsertResult, error) {
				for i := range recs {
					got = append(got, recs[i].Clone())
				}
				return store.UpsertResult{Inserted: len(recs)}, nil
			}
			rep, err := ingest.Import(context.Background(), &buf, "", schema.Default(), ingest.Options{Format: tt.format}, sink)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rejected != 0 || len(rep.Unmapped) != 0 || len(got) != len(want) {
				t.Fatalf("imported %d of %d, rejects %v, unmapped %v", len(got), len(want), rep.Rejects, rep.Unmapped)
			}
			for i := range want {
				if got[i].Key != want[i].Key || got[i].Version != want[i].Version || !got[i].SameValues(&want[i]) {
					t.Fatalf("record %d: imported %v@%d, generated %v@%d", i, got[i].Values, got[i].Version, want[i].Values, want[i].Version)
				}
			}
		})
	}
}

func TestCSVHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := gen.WriteCSV(context.Background(), &buf, gen.Options{Tickets: 2, End: end, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !slices.Equal(rows[0], schema.Default().Names()) {
		t.Fatalf("header %q and %d rows; want the schema's names and 2 rows", rows[0], len(rows)-1)
	}
	created := rows[1][slices.Index(rows[0], "created")]
	if _, err := time.Parse(time.RFC3339, created); err != nil {
		t.Errorf("created %q is not RFC 3339: %v", created, err)
	}
}

func TestJSONLStrings(t *testing.T) {
	layout := ticket.NewLayout([]string{"id", "text", "n", "t", "b", "none"})
	tests := []struct {
		name string
		text string
		want string // what encoding/json decodes
	}{
		{"plain", "hello", "hello"},
		{"quotes and backslashes", `say "hi" \ bye`, `say "hi" \ bye`},
		{"control characters", "a\nb\tc\r\x00\x1f", "a\nb\tc\r\x00\x1f"},
		{"unicode", "Zürich ✓ 😀", "Zürich ✓ 😀"},
		{"invalid UTF-8", "bad \xff byte", "bad \uFFFD byte"},
		{"HTML is not escaped but stays valid", "<a href='x'>&</a>", "<a href='x'>&</a>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ticket.Record{Key: "k", Layout: layout, Values: []ticket.Value{
				ticket.String("k"), ticket.String(tt.text), ticket.Number(-1.5), ticket.TimeMS(1456708560123), ticket.BoolOf(true), {},
			}}
			var buf bytes.Buffer
			w := gen.NewJSONLWriter(&buf)
			if err := w.Write(&rec); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(buf.String(), "}\n") || strings.Count(buf.String(), "\n") != 1 {
				t.Fatalf("not one line: %q", buf.String())
			}
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("invalid JSON %q: %v", buf.String(), err)
			}
			if got["text"] != tt.want || got["n"] != -1.5 || got["t"] != "2016-02-29T01:16:00.123Z" || got["b"] != true || got["none"] != nil {
				t.Errorf("decoded %v", got)
			}
			if _, ok := got["none"]; !ok {
				t.Errorf("a null value should be written as null, not left out")
			}
		})
	}
}

// A Stream gives each ticket the same whatever else is asked, in created order, with
// versions that agree with Changes, and the usual distributions.
func TestStreamGivesTicketsInAnyOrder(t *testing.T) {
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	opts := gen.Options{Tickets: 5000, End: end, Span: 7 * 24 * time.Hour, Seed: 9, Outages: 4, MaxAge: 48 * time.Hour}
	a, err := gen.NewStream(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := gen.NewStream(opts)
	asOf := end.Add(72 * time.Hour).UnixMilli()
	var prev int64
	severities := map[float64]int{}
	for i := range a.Len() {
		created, acked, resolved := a.Changes(i)
		if created < prev || created >= end.UnixMilli() {
			t.Fatalf("ticket %d created at %d, before the previous (%d) or after the end", i, created, prev)
		}
		prev = created
		if resolved != 0 && (resolved-created > 48*time.Hour.Milliseconds() || acked > resolved) {
			t.Fatalf("ticket %d: created %d, acked %d, resolved %d: beyond MaxAge or out of order", i, created, acked, resolved)
		}
		// The same ticket from another stream, asked out of order.
		j := a.Len() - 1 - i
		var one, two ticket.Record
		if err := a.Ticket(j, asOf, func(r *ticket.Record) error { one = r.Clone(); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := b.Ticket(j, asOf, func(r *ticket.Record) error { two = r.Clone(); return nil }); err != nil {
			t.Fatal(err)
		}
		if one.Key != two.Key || !one.SameValues(&two) || one.Version != two.Version {
			t.Fatalf("ticket %d differs between two streams", j)
		}
		c, ack, res := b.Changes(j)
		want := c
		switch {
		case res != 0:
			want = res
		case ack != 0:
			want = ack
		}
		if one.Version != want || one.Get("created").I != c {
			t.Fatalf("ticket %d: version %d, want its last change %d", j, one.Version, want)
		}
		severities[one.Get("severity").F]++
	}
	if severities[1] == 0 || severities[1] > severities[3] {
		t.Errorf("severities %v: sev1 should be rare", severities)
	}
	// As of its creation a ticket is open, in its first version.
	c, _, _ := a.Changes(10)
	_ = a.Ticket(10, c, func(r *ticket.Record) error {
		if r.Get("status").S != "open" || r.Version != c {
			t.Errorf("ticket 10 as of its creation: %s at %d", r.Get("status").S, r.Version)
		}
		return nil
	})
}
