package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// heldKeys lists the keys the engine holds, sorted.
func heldKeys(e *Engine) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	keys := make([]string, e.keys.len())
	for i := range keys {
		keys[i] = e.keys.get(uint32(i))
	}
	slices.Sort(keys)
	return keys
}

// clock is a settable Options.Now.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// TestWindowLeavesOutOldTickets: with a window, a store's tickets created before it are
// not loaded (and counted), tickets without a time are, a ticket already held keeps its
// updates as it ages out, and a new ticket is judged by the clock at its arrival.
func TestWindowLeavesOutOldTickets(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if _, err := st.Upsert(ctx, smallRecords(t, smallData)); err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: mustTime(t, "2024-01-01T12:00:00Z")}
	e := New(testSchema(t), st, Options{Window: 90 * time.Minute, Now: clk.Now})
	if _, err := e.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// The cutoff is 10:30: A, B, C, D were created before it; G has no time.
	if got, want := heldKeys(e), []string{"E", "F", "G", "H"}; !slices.Equal(got, want) {
		t.Fatalf("held %v, want %v", got, want)
	}
	if e.Outside() != 4 {
		t.Errorf("Outside() = %d, want 4", e.Outside())
	}

	// An hour later the cutoff is 11:30. E (10:59:59) is held, so its update applies; A
	// is still not held; I, created at 11:00, arrives too late to be added; J is new.
	clk.now = clk.now.Add(time.Hour)
	later := smallRecords(t, []smallTicket{
		{"E", 9.0, "db", "2024-01-01T10:59:59Z", "", false},
		{"A", 1.0, "web", "2024-01-01T10:00:00Z", "2024-01-01T12:30:00Z", true},
		{"I", 1.0, "web", "2024-01-01T11:00:00Z", "", nil},
		{"J", 1.0, "web", "2024-01-01T12:45:00Z", "", nil},
	})
	for i := range later {
		later[i].Version = 1
	}
	if _, err := st.Upsert(ctx, later); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := heldKeys(e), []string{"E", "F", "G", "H", "J"}; !slices.Equal(got, want) {
		t.Fatalf("after the second sync held %v, want %v", got, want)
	}
	if e.Outside() != 6 {
		t.Errorf("Outside() = %d, want 6 (A again and I)", e.Outside())
	}
	scope := Scope{From: mustTime(t, "2024-01-01T00:00:00Z"), To: mustTime(t, "2024-01-02T00:00:00Z")}
	res, err := e.Breakdown(ctx, BreakdownRequest{Scope: scope, Field: "sev", Top: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(res.Buckets, func(b Bucket) bool { return b.Value == "9" && b.Count == 1 }) {
		t.Errorf("E's update to sev 9 was not applied: %+v", res.Buckets)
	}
}

// TestNoWindowHoldsEverything: the zero window holds every ticket, however old.
func TestNoWindowHoldsEverything(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if _, err := st.Upsert(ctx, smallRecords(t, smallData)); err != nil {
		t.Fatal(err)
	}
	e := New(testSchema(t), st, Options{Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if _, err := e.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Len() != len(smallData) || e.Outside() != 0 {
		t.Errorf("held %d tickets (%d outside), want all %d", e.Len(), e.Outside(), len(smallData))
	}
}

// windowStore is a bolt store that also answers ChangesFrom, recording the from it was
// asked for and leaving out what a real one would: the tickets created before it.
type windowStore struct {
	*bolt.Store
	asked []time.Time
}

func (w *windowStore) ChangesFrom(ctx context.Context, from time.Time, fn func(rec *ticket.Record) error) (store.Cursor, error) {
	w.asked = append(w.asked, from)
	return w.Changes(ctx, "", fn)
}

// TestWindowAsksTheStoreForTheWindowOnly: the first Sync of an engine with a window asks a
// store that can for the changes from the window's start; later syncs continue from the
// cursor, and an engine without a window reads everything.
func TestWindowAsksTheStoreForTheWindowOnly(t *testing.T) {
	ctx := context.Background()
	w := &windowStore{Store: openStore(t)}
	if _, err := w.Upsert(ctx, smallRecords(t, smallData)); err != nil {
		t.Fatal(err)
	}
	now := mustTime(t, "2024-01-01T12:00:00Z")
	e := New(testSchema(t), w, Options{Window: time.Hour, Now: func() time.Time { return now }})
	for range 2 {
		if _, err := e.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.asked) != 1 || !w.asked[0].Equal(now.Add(-time.Hour)) {
		t.Errorf("ChangesFrom was asked for %v, want once for %v", w.asked, now.Add(-time.Hour))
	}

	w.asked = nil
	if _, err := New(testSchema(t), w, Options{}).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.asked) != 0 {
		t.Errorf("without a window ChangesFrom was asked for %v", w.asked)
	}
}
