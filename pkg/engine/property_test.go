package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// TestAgainstReference is the main proof of correctness: on random data sets (several
// layouts, nulls, updates that move tickets in time, stale versions), every query type
// with random scopes and random filters must give exactly what the reference gives.
// Queries run between batches, so the incremental time index and the caches are
// exercised at every stage of the load.
func TestAgainstReference(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			s := testSchema(t)
			open := &filter.IsNull{Field: "resolved"}
			e := New(s, nil, Options{Open: open, WriteChunk: 97, numberCodes: 64})
			ref := newReference(s)
			g := newGenerator(seed, s)
			ctx := context.Background()
			for round := range 6 {
				e.Apply(g.batch(200+g.rng.IntN(800), ref))
				if e.Len() != len(ref.order) {
					t.Fatalf("round %d: Len = %d, want %d", round, e.Len(), len(ref.order))
				}
				for q := range 40 {
					name := fmt.Sprintf("round %d query %d", round, q)
					checkQueries(t, ctx, e, ref, g, open, name)
				}
			}
		})
	}
}

func checkQueries(t *testing.T, ctx context.Context, e *Engine, ref *reference, g *generator, open filter.Expr, name string) {
	t.Helper()
	facets := []string{"sev", "status", "service", "title", "flag", "score"}
	describe := func(sc Scope) string {
		where := "<none>"
		if sc.Where != nil {
			where = sc.Where.String()
		}
		return fmt.Sprintf("%s: field %q from %v to %v where %s search %q", name, sc.TimeField, sc.From, sc.To, where, sc.Search)
	}

	// Counts need both ends of the range.
	creq := CountsRequest{Scope: g.boundedScope(ref), Top: g.rng.IntN(4)}
	span := creq.To.Sub(creq.From)
	creq.Bucket = max(time.Millisecond, (span / time.Duration(1+g.rng.IntN(200))).Truncate(time.Millisecond))
	if g.maybe(0.6) {
		creq.SplitBy = facets[g.rng.IntN(len(facets))]
	}
	got, err := e.Counts(ctx, creq)
	if err != nil {
		t.Fatalf("%s: counts: %v", describe(creq.Scope), err)
	}
	if want := ref.counts(creq); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: counts by %q per %s:\n got %+v\nwant %+v", describe(creq.Scope), creq.SplitBy, creq.Bucket, got, want)
	}

	sc := g.scope(ref)
	breq := BreakdownRequest{Scope: sc, Field: facets[g.rng.IntN(len(facets))], Top: g.rng.IntN(5)}
	bres, err := e.Breakdown(ctx, breq)
	if err != nil {
		t.Fatalf("%s: breakdown: %v", describe(sc), err)
	}
	if want := ref.breakdown(breq); !reflect.DeepEqual(bres, want) {
		t.Fatalf("%s: breakdown of %s top %d:\n got %+v\nwant %+v", describe(sc), breq.Field, breq.Top, bres, want)
	}

	vreq := ValuesRequest{Scope: sc, Field: append(facets, "id")[g.rng.IntN(len(facets)+1)], Limit: g.rng.IntN(8)}
	if g.maybe(0.5) {
		vreq.Prefix = []string{"s", "SVC-0", "o", "1", "d", "INC0000", "t"}[g.rng.IntN(7)]
	}
	vres, err := e.Values(ctx, vreq)
	if err != nil {
		t.Fatalf("%s: values: %v", describe(sc), err)
	}
	if want := ref.values(vreq); !reflect.DeepEqual(vres, want) {
		t.Fatalf("%s: values of %s prefix %q:\n got %+v\nwant %+v", describe(sc), vreq.Field, vreq.Prefix, vres, want)
	}

	stq := StatsRequest{Scope: sc}
	if g.maybe(0.5) {
		stq.Baseline = time.Duration(1+g.rng.Int64N(g.span)) * time.Millisecond
	}
	sres, err := e.Stats(ctx, stq)
	if err != nil {
		t.Fatalf("%s: stats: %v", describe(sc), err)
	}
	if want := ref.stats(stq, open); !reflect.DeepEqual(sres, want) {
		t.Fatalf("%s: stats with baseline %s:\n got %+v\nwant %+v", describe(sc), stq.Baseline, sres, want)
	}

	mreq := MoversRequest{Scope: g.boundedScope(ref), Field: facets[g.rng.IntN(len(facets))], Top: g.rng.IntN(6)}
	if g.maybe(0.5) {
		mreq.Baseline = time.Duration(1+g.rng.Int64N(g.span)) * time.Millisecond
	}
	mres, err := e.Movers(ctx, mreq)
	if err != nil {
		t.Fatalf("%s: movers: %v", describe(mreq.Scope), err)
	}
	if want := ref.movers(mreq); !reflect.DeepEqual(mres, want) {
		t.Fatalf("%s: movers of %s top %d baseline %s:\n got %+v\nwant %+v", describe(mreq.Scope), mreq.Field, mreq.Top, mreq.Baseline, mres, want)
	}

	if g.maybe(0.4) {
		spreq := SpikeRequest{Scope: g.boundedScope(ref), Top: g.rng.IntN(4)}
		span := spreq.To.Sub(spreq.From)
		spreq.Step = max(time.Millisecond, (span / time.Duration(1+g.rng.IntN(20))).Truncate(time.Millisecond))
		if g.maybe(0.1) {
			spreq.Step = (2*span + time.Millisecond).Truncate(time.Millisecond) // no aligned point: one at To
		}
		spreq.Window = time.Duration(1+g.rng.Int64N(g.span/4)) * time.Millisecond
		spreq.Baseline = spreq.Window * time.Duration(1+g.rng.IntN(10))
		if g.maybe(0.6) {
			spreq.SplitBy = facets[g.rng.IntN(len(facets))]
		}
		spres, err := e.Spike(ctx, spreq)
		if err != nil {
			t.Fatalf("%s: spike: %v", describe(spreq.Scope), err)
		}
		if want := ref.spike(spreq); !reflect.DeepEqual(spres, want) {
			t.Fatalf("%s: spike by %q every %s, window %s, baseline %s:\n got %+v\nwant %+v", describe(spreq.Scope), spreq.SplitBy, spreq.Step, spreq.Window, spreq.Baseline, spres, want)
		}
	}

	treq := TicketsRequest{Scope: sc, Limit: []int{0, 1, 7, 5000}[g.rng.IntN(4)]}
	sortable := []string{"id", "sev", "status", "service", "title", "created", "updated", "resolved", "flag", "score"}
	for range g.rng.IntN(3) {
		treq.Sort = append(treq.Sort, sortKeyOf(sortable[g.rng.IntN(len(sortable))], g.maybe(0.5)))
	}
	if g.maybe(0.5) {
		for range 1 + g.rng.IntN(4) {
			treq.Columns = append(treq.Columns, sortable[g.rng.IntN(len(sortable))])
		}
		treq.Columns = dedupe(treq.Columns)
	}
	tres, err := e.Tickets(ctx, treq)
	if err != nil {
		t.Fatalf("%s: tickets: %v", describe(sc), err)
	}
	if want := ref.tickets(treq); !reflect.DeepEqual(tres, want) {
		t.Fatalf("%s: tickets sorted by %v, columns %v, limit %d: %s", describe(sc), treq.Sort, treq.Columns, treq.Limit, firstDifference(tres, want))
	}

	// Pages, put back together, are the whole result: every row when the limit is 0.
	preq := treq
	pageSize := 1 + g.rng.IntN(300)
	var pages []*TicketsResult
	err = e.TicketPages(ctx, preq, pageSize, func(p *TicketsResult) error {
		pages = append(pages, p)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: ticket pages: %v", describe(sc), err)
	}
	if preq.Limit == 0 {
		preq.Limit = 1 << 30
	}
	want := ref.ticketPages(preq)
	if got := joinPages(pages); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: %d ticket pages of %d sorted by %v, limit %d: %s", describe(sc), len(pages), pageSize, treq.Sort, treq.Limit, firstDifference(got, want))
	}
	for i, p := range pages {
		if n := len(p.Matches); n > pageSize || (n < pageSize && i < len(pages)-1) {
			t.Fatalf("%s: page %d of %d has %d rows, want %d", describe(sc), i, len(pages), n, pageSize)
		}
	}
}

// joinPages appends pages of one tickets request into one result.
func joinPages(pages []*TicketsResult) *TicketsResult {
	out := &TicketsResult{Matches: []bool{}}
	for _, p := range pages {
		out.Total = p.Total
		if out.Columns == nil {
			out.Columns = make([]Column, len(p.Columns))
			for i, c := range p.Columns {
				out.Columns[i] = Column{Name: c.Name, Nulls: []bool{}}
				switch {
				case c.Numbers != nil:
					out.Columns[i].Numbers = []float64{}
				case c.Times != nil:
					out.Columns[i].Times = []time.Time{}
				case c.Bools != nil:
					out.Columns[i].Bools = []bool{}
				default:
					out.Columns[i].Strings = []string{}
				}
			}
		}
		for i, c := range p.Columns {
			o := &out.Columns[i]
			o.Nulls = append(o.Nulls, c.Nulls...)
			switch {
			case o.Numbers != nil:
				o.Numbers = append(o.Numbers, c.Numbers...)
			case o.Times != nil:
				o.Times = append(o.Times, c.Times...)
			case o.Bools != nil:
				o.Bools = append(o.Bools, c.Bools...)
			default:
				o.Strings = append(o.Strings, c.Strings...)
			}
		}
		out.Matches = append(out.Matches, p.Matches...)
	}
	return out
}

func dedupe(names []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// TestFilterErrors checks that what the user got wrong is ErrBadRequest, named.
func TestFilterErrors(t *testing.T) {
	s := testSchema(t)
	e := New(s, nil, Options{})
	ctx := context.Background()
	tests := []struct {
		name  string
		where filter.Expr
		want  string
	}{
		{"unknown field", &filter.Compare{Field: "servce", Op: filter.Eq, Value: filter.Literal{Kind: filter.LitString, S: "a"}}, `unknown field "servce"`},
		{"detail column", &filter.Compare{Field: "note", Op: filter.Contains, Value: filter.Literal{Kind: filter.LitString, S: "a"}}, "detail column"},
		{"unchecked literal", &filter.Compare{Field: "sev", Op: filter.Eq, Value: filter.Literal{Kind: filter.LitString, S: "a"}}, "not a number"},
		{"regex on a number", &filter.Compare{Field: "sev", Op: filter.Match, Value: filter.Literal{Kind: filter.LitString, S: "a"}}, "works only on string"},
		{"unchecked time", &filter.In{Field: "created", Values: []filter.Literal{{Kind: filter.LitString, S: "yesterday"}}}, "does not fit"},
		{"nested unknown", &filter.Not{X: &filter.Or{Terms: []filter.Expr{&filter.IsNull{Field: "sev"}, &filter.IsNull{Field: "nope"}}}}, `unknown field "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Stats(ctx, StatsRequest{Scope: Scope{Where: tt.where}})
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v is not ErrBadRequest", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func sortKeyOf(field string, desc bool) schema.SortKey {
	return schema.SortKey{Field: field, Desc: desc}
}

// TestDrilldownAgainstReference replays drill-downs, in which refreshes start from the
// cached selection of an earlier one (a subset of the filter terms over a covering
// range): add terms one by one, zoom in, drop a term, reorder and repeat terms, with
// writes in between. Every step must still equal the reference.
func TestDrilldownAgainstReference(t *testing.T) {
	for _, seed := range []uint64{21, 22, 23} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			s := testSchema(t)
			e := New(s, nil, Options{WriteChunk: 128, numberCodes: 64, SelectionCache: 8})
			ref := newReference(s)
			g := newGenerator(seed, s)
			ctx := context.Background()
			e.Apply(g.batch(2500, ref))
			for drill := range 25 {
				if drill%5 == 4 {
					e.Apply(g.batch(200, ref))
				}
				base := g.scope(ref)
				var terms []filter.Expr
				for range 4 {
					terms = append(terms, g.expr(ref, 1))
				}
				var steps []Scope
				for k := 0; k <= len(terms); k++ {
					sc := base
					sc.Where = filter.All(terms[:k]...)
					steps = append(steps, sc)
				}
				zoom := steps[len(steps)-1]
				switch {
				case !zoom.From.IsZero() && !zoom.To.IsZero():
					zoom.From = zoom.From.Add(zoom.To.Sub(zoom.From) / 2)
				case !zoom.To.IsZero():
					zoom.From = zoom.To.Add(-24 * time.Hour)
				case !zoom.From.IsZero():
					zoom.From = zoom.From.Add(24 * time.Hour)
				default:
					zoom.From = time.UnixMilli(g.base + g.span/2).UTC()
				}
				dropped := zoom
				dropped.Where = filter.All(terms[0], terms[2], terms[3])
				reordered := base
				reordered.Where = filter.All(terms[3], terms[1], terms[0], terms[1])
				steps = append(steps, zoom, dropped, reordered, base)
				for i, sc := range steps {
					checkScope(t, ctx, e, ref, sc, fmt.Sprintf("drill %d step %d", drill, i))
				}
			}
		})
	}
}

func checkScope(t *testing.T, ctx context.Context, e *Engine, ref *reference, sc Scope, name string) {
	t.Helper()
	where := "<none>"
	if sc.Where != nil {
		where = sc.Where.String()
	}
	name = fmt.Sprintf("%s: field %q from %v to %v where %s", name, sc.TimeField, sc.From, sc.To, where)
	bd, err := e.Breakdown(ctx, BreakdownRequest{Scope: sc, Field: "service", Top: 5})
	if err != nil {
		t.Fatalf("%s: breakdown: %v", name, err)
	}
	if want := ref.breakdown(BreakdownRequest{Scope: sc, Field: "service", Top: 5}); !reflect.DeepEqual(bd, want) {
		t.Fatalf("%s: breakdown:\n got %+v\nwant %+v", name, bd, want)
	}
	tk, err := e.Tickets(ctx, TicketsRequest{Scope: sc, Limit: 5000})
	if err != nil {
		t.Fatalf("%s: tickets: %v", name, err)
	}
	if want := ref.tickets(TicketsRequest{Scope: sc, Limit: 5000}); !reflect.DeepEqual(tk, want) {
		t.Fatalf("%s: tickets differ: %s", name, firstDifference(tk, want))
	}
}
