package engine

import (
	"context"
	"reflect"
	"testing"

	"github.com/spacetime/tickets/pkg/schema"
)

// TestSortKeysAfterATiedTime checks that the keys after the time field order tickets
// that share a time, which the time index alone leaves in arrival order.
func TestSortKeysAfterATiedTime(t *testing.T) {
	data := []smallTicket{
		{"A", 2.0, "web", "2024-01-01T10:00:00Z", "", nil},
		{"C", 1.0, "db", "2024-01-01T10:00:00Z", "", nil},
		{"B", 3.0, "dns", "2024-01-01T10:00:00Z", "", nil},
		{"D", 1.0, "web", "2024-01-01T09:00:00Z", "", nil},
		{"E", 2.0, "db", "2024-01-01T11:00:00Z", "", nil},
	}
	e := New(testSchema(t), nil, Options{})
	e.Apply(smallRecords(t, data))
	key := func(field string, desc bool) schema.SortKey { return schema.SortKey{Field: field, Desc: desc} }
	tests := []struct {
		name  string
		sort  []schema.SortKey
		limit int
		want  []string
	}{
		{"created desc, id desc", []schema.SortKey{key("created", true), key("id", true)}, 10, []string{"E", "C", "B", "A", "D"}},
		{"created desc, id asc", []schema.SortKey{key("created", true), key("id", false)}, 10, []string{"E", "A", "B", "C", "D"}},
		{"created asc, sev asc", []schema.SortKey{key("created", false), key("sev", false)}, 10, []string{"D", "C", "A", "B", "E"}},
		{"a limit inside the tie", []schema.SortKey{key("created", true), key("id", true)}, 2, []string{"E", "C"}},
		{"a limit inside the tie, ascending", []schema.SortKey{key("created", false), key("service", false)}, 3, []string{"D", "C", "B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Tickets(context.Background(), TicketsRequest{Sort: tt.sort, Limit: tt.limit, Columns: []string{"id"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Columns[0].Strings; !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSortsWithTiesAgainstReference sorts random tickets whose created times fall on
// whole hours, so that ties are common, by random keys, and compares with the reference.
func TestSortsWithTiesAgainstReference(t *testing.T) {
	s := testSchema(t)
	g := newGenerator(7, s)
	g.grain = 3600_000
	ref := newReference(s)
	e := New(s, nil, Options{})
	for range 4 {
		e.Apply(g.batch(500, ref))
	}
	sortable := []string{"id", "sev", "status", "service", "title", "created", "updated", "resolved", "flag", "score"}
	for i := range 300 {
		req := TicketsRequest{Limit: []int{1, 7, 60, 5000}[i%4], Sort: []schema.SortKey{{Field: "created", Desc: g.maybe(0.5)}}}
		for range 1 + g.rng.IntN(2) {
			req.Sort = append(req.Sort, schema.SortKey{Field: sortable[g.rng.IntN(len(sortable))], Desc: g.maybe(0.5)})
		}
		if g.maybe(0.5) {
			req.Scope = g.scope(ref)
		}
		got, err := e.Tickets(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if want := ref.tickets(req); !reflect.DeepEqual(got, want) {
			t.Fatalf("from %v to %v where %v: sorted by %v, limit %d: %s", req.From, req.To, req.Where, req.Sort, req.Limit, firstDifference(got, want))
		}
	}
}
