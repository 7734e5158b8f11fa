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
