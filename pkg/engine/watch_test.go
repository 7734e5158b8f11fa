package engine

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

func versioned(t *testing.T, key string, version int64, service string) ticket.Record {
	t.Helper()
	recs := smallRecords(t, []smallTicket{{key, 1.0, service, "2024-01-01T10:30:00Z", "", nil}})
	recs[0].Version = version
	return recs[0]
}

func TestWatcherIsToldTheKeysOfEachWrite(t *testing.T) {
	e := smallEngine(t)
	w := e.Watch()
	defer w.Close()
	select {
	case <-w.Ready():
		t.Fatal("signalled before any write")
	default:
	}
	e.Apply([]ticket.Record{versioned(t, "B", 5, "api"), versioned(t, "Z", 1, "api")})
	e.Apply([]ticket.Record{versioned(t, "B", 3, "old"), versioned(t, "Y", 1, "api"), versioned(t, "Z", 2, "api")})
	select {
	case <-w.Ready():
	case <-time.After(time.Second):
		t.Fatal("not signalled after a write")
	}
	c := w.Take()
	// B's version 3 is stale and changed nothing; Z twice is told once.
	if want := []string{"B", "Z", "Y"}; !reflect.DeepEqual(c.Keys, want) || c.Overflow {
		t.Fatalf("keys %v (overflow %v), want %v", c.Keys, c.Overflow, want)
	}
	if c.Generation != e.Generation() {
		t.Errorf("generation %d, want the engine's %d", c.Generation, e.Generation())
	}
	if c := w.Take(); len(c.Keys) != 0 {
		t.Errorf("a second Take gave %v", c.Keys)
	}

	w.Close()
	e.Apply([]ticket.Record{versioned(t, "X", 1, "api")})
	if c := w.Take(); len(c.Keys) != 0 {
		t.Errorf("a closed watcher was told %v", c.Keys)
	}
	if e.watching() {
		t.Error("the engine still counts a closed watcher")
	}
}

func TestWatcherOverflows(t *testing.T) {
	e := smallEngine(t)
	w := e.Watch()
	defer w.Close()
	keys := make([]string, MaxPendingKeys+1)
	for i := range keys {
		keys[i] = fmt.Sprint(i)
	}
	e.publish(keys, 7)
	if c := w.Take(); !c.Overflow || len(c.Keys) != 0 {
		t.Fatalf("%d keys, overflow %v; want an overflow and no keys", len(c.Keys), c.Overflow)
	}
	e.publish([]string{"a"}, 8)
	if c := w.Take(); c.Overflow || len(c.Keys) != 1 {
		t.Fatalf("after the overflow was taken: %+v", c)
	}
}

// TicketsOf over some keys answers what Tickets answers with the keys as one more filter
// term: same rows, order, values, search marks and total.
func TestTicketsOfIsTicketsOverTheKeys(t *testing.T) {
	e := smallEngine(t)
	ctx := context.Background()
	keys := []string{"E", "A", "nope", "C", "H", "G", "A"}
	in := &filter.In{Field: "id"}
	for _, k := range []string{"E", "A", "nope", "C", "H", "G"} {
		in.Values = append(in.Values, filter.Literal{Kind: filter.LitString, S: k})
	}
	mustFilter := func(s string) filter.Expr {
		x, err := filter.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		x, err = filter.Check(x, testSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	from, to := mustTime(t, "2024-01-01T10:00:00Z"), mustTime(t, "2024-01-01T11:00:00Z")
	tests := []struct {
		name string
		req  TicketsRequest
	}{
		{"everything", TicketsRequest{}},
		{"range", TicketsRequest{Scope: Scope{From: from, To: to}}},
		{"range, filter and search", TicketsRequest{Scope: Scope{From: from, To: to, Where: mustFilter(`sev = 1`), Search: "db"}}},
		{"sorted by service, limited", TicketsRequest{Sort: []schema.SortKey{{Field: "service"}}, Limit: 2}},
		{"columns", TicketsRequest{Columns: []string{"service", "created"}, Scope: Scope{From: from}}},
		{"nothing matches", TicketsRequest{Scope: Scope{Where: mustFilter(`service = "none"`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.TicketsOf(ctx, tt.req, keys)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.req
			want.Where = filter.All(tt.req.Where, in)
			if want.Limit == 0 {
				want.Limit = len(keys)
			}
			exp, err := e.Tickets(ctx, want)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("TicketsOf\n%+v\nTickets with the keys as a filter\n%+v", got, exp)
			}
		})
	}
	if _, err := e.TicketsOf(ctx, TicketsRequest{Columns: []string{"nope"}}, keys); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown column: %v", err)
	}
}
