package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
)

// The default schema mines the titles into the field "pattern": the fixture's three
// kinds of title ("disk full on node N", "Latency high on node N", "checkout latency")
// are three patterns, which the existing query types break down, filter by (in the
// filter language and as ad hoc filters) and split by like any facet.
func TestPatternsAsAFacet(t *testing.T) {
	ctx := context.Background()
	eng, env, tickets := newFixture(t)
	want := map[string]int64{} // the first word of a kind of title -> its tickets
	for _, ft := range tickets {
		want[strings.Fields(ft.title)[0]]++
	}
	all := Request{From: t0.Add(-100 * time.Hour), To: t0.Add(time.Hour)}
	runOne := func(q Model) *data.Frame {
		t.Helper()
		r := all
		r.Query = q
		fs, err := Run(ctx, eng, env, r)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return fs[0]
	}
	// The breakdown: three patterns, and the ad hoc filter that selects each.
	fr := runOne(&BreakdownQuery{Field: "pattern", Top: 10, FilterField: true})
	if fr.Rows() != 3 {
		t.Fatalf("%d patterns, want 3", fr.Rows())
	}
	values, counts := fr.Fields[0], fr.Fields[1]
	adhoc, _ := fr.FieldByName(frames.AdHocFilterField)
	if adhoc == nil {
		t.Fatal("no adhocFilter field")
	}
	for i := range fr.Rows() {
		id := values.At(i).(string)
		n := counts.At(i).(int64)
		// The filter language: every ticket of the pattern has a title of one kind, as
		// many as the breakdown counts.
		tk := runOne(&TicketsQuery{Common: Common{Filter: fmt.Sprintf("pattern = %q", id)}, Columns: []string{"title", "pattern"}, Limit: 5000})
		title, _ := tk.FieldByName("title")
		shown, _ := tk.FieldByName("pattern")
		if shown == nil || tk.Rows() == 0 || fmt.Sprint(deref(shown.At(0))) != id {
			t.Fatalf("a tickets query showing the pattern column: %v, want %s", shown, id)
		}
		kind := ""
		for j := range tk.Rows() {
			s := title.At(j)
			if p, ok := s.(*string); ok {
				s = *p
			}
			k := strings.Fields(s.(string))[0]
			if kind != "" && k != kind {
				t.Fatalf("pattern %s holds %q and %q titles", id, kind, k)
			}
			kind = k
		}
		if int64(tk.Rows()) != n || want[kind] != n {
			t.Errorf("pattern %s (%s): %d tickets by filter, %d by breakdown, %d written", id, kind, tk.Rows(), n, want[kind])
		}
		// The ad hoc filter of the breakdown's row, as a dashboard link carries it.
		key, op, value, ok := splitURLFilter(adhoc.At(i).(string))
		if !ok || key != "pattern" {
			t.Fatalf("adhocFilter %q does not name the pattern field", adhoc.At(i))
		}
		st := runOne(&BreakdownQuery{Common: Common{AdHocFilters: []filter.AdHocFilter{{Key: key, Operator: op, Value: value}}}, Field: "pattern"})
		if st.Rows() != 1 || st.Fields[0].At(0) != id || st.Fields[1].At(0).(int64) != n {
			t.Errorf("ad hoc filter %q: %d rows, want pattern %s with %d", adhoc.At(i), st.Rows(), id, n)
		}
	}
	// Counts split by pattern: one series per pattern, whose sums are the counts.
	counted := runOne(&CountsQuery{SplitBy: "pattern", Bucket: "1h"})
	if series := len(counted.Fields) - 1; series != 3 {
		t.Errorf("counts split by pattern: %d series, want 3", series)
	}
	// Values (the ad hoc filter's value picker) and movers list pattern ids too.
	ids := map[string]bool{}
	for i := range fr.Rows() {
		ids[values.At(i).(string)] = true
	}
	vals := runOne(&ValuesQuery{Field: "pattern"})
	for i := range vals.Rows() {
		if !ids[vals.Fields[0].At(i).(string)] {
			t.Errorf("values of pattern: %v is no pattern of the breakdown", vals.Fields[0].At(i))
		}
	}
	if vals.Rows() != len(ids) {
		t.Errorf("values of pattern: %d, want %d", vals.Rows(), len(ids))
	}
	r := all
	r.Query = &MoversQuery{Field: "pattern", Baseline: "24h"}
	if _, err := Run(ctx, eng, env, r); err != nil {
		t.Errorf("movers by pattern: %v", err)
	}
	// A malformed id is an error that names the field, not an empty answer.
	r.Query = &StatsQuery{Common: Common{Filter: `pattern = "not-an-id"`}}
	_, err := Run(ctx, eng, env, r)
	if err == nil || !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), "pattern") {
		t.Errorf("a malformed pattern id: %v, want a bad request naming the pattern field", err)
	}
}

// splitURLFilter reads key|operator|value as a dashboard URL writes an ad hoc filter.
func splitURLFilter(s string) (key, op, value string, ok bool) {
	parts := strings.SplitN(s, "|", 3)
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

func deref(v any) any {
	if p, ok := v.(*string); ok && p != nil {
		return *p
	}
	return v
}

// TestPatternsQuery: the patterns query over the fixture's three kinds of title: each
// pattern's template, count, first and last ticket, example and filter are those of the
// tickets written, and its counts over time add up to its count.
func TestPatternsQuery(t *testing.T) {
	ctx := context.Background()
	eng, env, tickets := newFixture(t)
	from, to := t0.Add(-30*time.Hour), t0.Add(time.Hour)
	type kind struct {
		count       int64
		first, last time.Time
		lastID      string
	}
	want := map[string]*kind{} // by template
	for _, ft := range tickets {
		if ft.created.Before(from) || !ft.created.Before(to) {
			continue
		}
		tmpl := "checkout latency"
		switch strings.Fields(ft.title)[0] {
		case "disk":
			tmpl = "disk full on node <*>"
		case "Latency":
			tmpl = "Latency high on node <*>"
		}
		k := want[tmpl]
		if k == nil {
			k = &kind{first: ft.created, last: ft.created, lastID: ft.id}
			want[tmpl] = k
		}
		k.count++
		if ft.created.Before(k.first) {
			k.first = ft.created
		}
		if ft.created.After(k.last) {
			k.last, k.lastID = ft.created, ft.id
		}
	}
	m, err := Decode([]byte(`{"queryType": "patterns", "top": 5, "bucket": "1h"}`))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Run(ctx, eng, env, Request{Query: m, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Name != PatternsFrame || fs[1].Name != PatternsTrendFrame {
		t.Fatalf("frames %v, want %s and %s", fs, PatternsFrame, PatternsTrendFrame)
	}
	table, trend := fs[0], fs[1]
	if table.Rows() != len(want) {
		t.Fatalf("%d patterns, want %d", table.Rows(), len(want))
	}
	col := func(name string) *data.Field {
		f, _ := table.FieldByName(name)
		if f == nil {
			t.Fatalf("no field %s", name)
		}
		return f
	}
	sums := map[string]int64{}
	for _, f := range trend.Fields[1:] {
		for i := range f.Len() {
			sums[f.Name] += f.At(i).(int64)
		}
		if f.Labels["pattern"] != f.Name {
			t.Errorf("trend field %s has labels %v", f.Name, f.Labels)
		}
	}
	var prev int64 = 1 << 62
	for i := range table.Rows() {
		id := col("pattern").At(i).(string)
		tmpl := col("template").At(i).(string)
		k := want[tmpl]
		if k == nil {
			t.Fatalf("pattern %s has the template %q, which no kind of title has", id, tmpl)
		}
		count := col("count").At(i).(int64)
		if count != k.count || count > prev {
			t.Errorf("%q: %d tickets, want %d (and most first)", tmpl, count, k.count)
		}
		prev = count
		if first := col("first").At(i).(*time.Time); first == nil || !first.Equal(k.first) {
			t.Errorf("%q: first %v, want %v", tmpl, first, k.first)
		}
		if last := col("last").At(i).(*time.Time); last == nil || !last.Equal(k.last) {
			t.Errorf("%q: last %v, want %v", tmpl, last, k.last)
		}
		if ex := col("example").At(i).(string); ex != k.lastID {
			t.Errorf("%q: example %s, want the last ticket %s", tmpl, ex, k.lastID)
		}
		if f := col(frames.AdHocFilterField).At(i).(string); f != "pattern|=|"+id {
			t.Errorf("%q: filter %q", tmpl, f)
		}
		if sums[id] != count {
			t.Errorf("%q: its counts over time add up to %d, not %d", tmpl, sums[id], count)
		}
	}
	// Without a bucket, the table alone (what the overview's table panel reads).
	fs, err = Run(ctx, eng, env, Request{Query: &PatternsQuery{Top: 5}, From: from, To: to})
	if err != nil || len(fs) != 1 || fs[0].Name != PatternsFrame || fs[0].Rows() != len(want) {
		t.Errorf("without a bucket: %v, %v; want the table alone", fs, err)
	}
	// Bad requests: a top beyond the bound, no range, no patterns in the schema.
	if _, err := Decode([]byte(`{"queryType": "patterns", "top": 1000}`)); err == nil || !strings.Contains(err.Error(), "top") {
		t.Errorf("top 1000: %v", err)
	}
	if _, err := Run(ctx, eng, env, Request{Query: &PatternsQuery{}}); err == nil || !strings.Contains(err.Error(), "time range") {
		t.Errorf("no range: %v", err)
	}
	plain := *env.Schema
	plain.Patterns = nil
	if err := plain.Validate(); err != nil {
		t.Fatal(err)
	}
	bare := engine.New(&plain, nil, engine.Options{})
	if _, err := Run(ctx, bare, env, Request{Query: &PatternsQuery{}, From: from, To: to}); err == nil || !strings.Contains(err.Error(), "patterns option") {
		t.Errorf("without the option: %v", err)
	}
}

// TestPatternsNoticeOnce: a viewer's filter with an error is left out with one notice for
// the panel, not one per frame (the overview's panels each show it once: the contract
// suite's defect 6).
func TestPatternsNoticeOnce(t *testing.T) {
	eng, env, _ := newFixture(t)
	fs, err := Run(context.Background(), eng, env, Request{Query: &PatternsQuery{Common: Common{ViewerFilter: "service = "}, Bucket: "10m"},
		From: t0.Add(-time.Hour), To: t0})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fr := range fs {
		if fr.Meta != nil {
			n += len(fr.Meta.Notices)
		}
	}
	if len(fs) != 2 || n != 1 {
		t.Errorf("%d frames with %d notices, want 2 frames and 1 notice", len(fs), n)
	}
}
