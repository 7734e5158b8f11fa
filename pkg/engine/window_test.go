package engine

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
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

// heldColumns asks for every ticket with every column held in memory, for engines without
// a store to read the detail column from.
func heldColumns(s *schema.Schema) TicketsRequest {
	req := everything(s)
	req.Columns = slices.DeleteFunc(slices.Clone(req.Columns), func(name string) bool { return name == "note" })
	return req
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

// TestTrimMatchesTheReference: after the clock moves on, Trim drops exactly the tickets
// whose time fell before the window, keeps the others with all their values, versions
// and order (the reference holding only the kept tickets answers the same), shrinks the
// dictionaries, and writes after it go on.
func TestTrimMatchesTheReference(t *testing.T) {
	ctx := context.Background()
	s := testSchema(t)
	g := newGenerator(5, s)
	ref := newReference(s)
	clk := &clock{now: time.UnixMilli(g.base).UTC()}
	e := New(s, nil, Options{Window: 24 * time.Hour, Now: clk.Now, WriteChunk: 256})
	e.Apply(g.batch(3000, ref))
	e.Apply(distinctBatch(g, ref, 500))
	if e.Len() != len(ref.order) {
		t.Fatalf("holds %d tickets before the trim, want all %d", e.Len(), len(ref.order))
	}
	memBefore := e.MemoryBytes()

	clk.now = time.UnixMilli(g.base + g.span/2).UTC()
	cutoff := clk.now.Add(-24 * time.Hour).UnixMilli()
	kept := newReference(s)
	for _, tk := range ref.order {
		if v := tk.vals["created"]; v.Kind == ticket.Time && v.I < cutoff {
			continue
		}
		kept.apply(tk.key, tk.version, tk.vals)
	}
	gen := e.Generation()
	n, err := e.Trim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ref.order)-len(kept.order) || n == 0 || len(kept.order) == 0 {
		t.Fatalf("Trim dropped %d of %d tickets, want %d", n, len(ref.order), len(ref.order)-len(kept.order))
	}
	if e.Len() != len(kept.order) || e.Generation() == gen {
		t.Errorf("after the trim: %d tickets at generation %d (was %d), want %d and a new generation", e.Len(), e.Generation(), gen, len(kept.order))
	}
	held := heldColumns(s)
	got, err := e.Tickets(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	if want := kept.tickets(held); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the trim the tickets differ from the reference's kept ones: %s", firstDifference(got, want))
	}
	for _, field := range []string{"service", "sev", "status", "flag"} {
		req := BreakdownRequest{Field: field, Top: 5}
		got, err := e.Breakdown(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if want := kept.breakdown(req); !reflect.DeepEqual(got, want) {
			t.Errorf("breakdown by %s after the trim = %+v, want %+v", field, got, want)
		}
	}
	if e.MemoryBytes() >= memBefore {
		t.Errorf("the trim kept %d of %d tickets but memory went from %d to %d bytes", e.Len(), len(ref.order), memBefore, e.MemoryBytes())
	}

	// Nothing is older now: a second trim drops nothing; writes go on.
	if n, err := e.Trim(ctx); err != nil || n != 0 {
		t.Errorf("a second trim dropped %d (%v), want 0", n, err)
	}
	more := distinctBatch(g, kept, 300)
	e.Apply(more)
	got, err = e.Tickets(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	want := kept.tickets(held)
	// The reference adds every new key; the engine leaves out those before the window.
	if got.Total > want.Total || got.Total <= len(kept.order)-300 {
		t.Errorf("after writes following the trim the engine holds %d tickets, the reference %d", got.Total, want.Total)
	}
}

// TestTrimUnderQueries: queries, exports and writes running while Trim renumbers the
// rows always see a consistent engine (run with -race).
func TestTrimUnderQueries(t *testing.T) {
	ctx := context.Background()
	s := testSchema(t)
	g := newGenerator(17, s)
	ref := newReference(s)
	var mu sync.Mutex
	now := time.UnixMilli(g.base).UTC()
	clockNow := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := New(s, nil, Options{Window: 24 * time.Hour, Now: clockNow, WriteChunk: 64})
	first := g.batch(2000, ref)
	e.Apply(first)
	var batches [][]ticket.Record
	for range 6 {
		batches = append(batches, g.batch(200, ref))
	}
	// Writes reach the engine from the store, which never gives a stale version: the
	// engine cannot apply the version rule to a ticket the window left out (see Apply).
	newest := map[string]int64{}
	for _, b := range append([][]ticket.Record{first}, batches...) {
		for _, r := range b {
			newest[r.Key] = max(newest[r.Key], r.Version)
		}
	}
	for i, b := range batches {
		batches[i] = slices.DeleteFunc(b, func(r ticket.Record) bool { return r.Version < newest[r.Key] })
	}
	var scopes []Scope
	for range 30 {
		scopes = append(scopes, g.scope(ref))
	}

	done := make(chan struct{})
	errs := make(chan error, 16)
	var writers sync.WaitGroup
	trimmed := 0
	writers.Go(func() { // the clock moves a day at a time, and the engine is trimmed
		for day := range 8 {
			mu.Lock()
			now = time.UnixMilli(g.base).UTC().Add(time.Duration(day+1) * 24 * time.Hour)
			mu.Unlock()
			n, err := e.Trim(ctx)
			if err != nil {
				errs <- err
				return
			}
			trimmed += n
		}
	})
	writers.Go(func() {
		for _, b := range batches {
			e.Apply(b)
		}
	})
	var readers sync.WaitGroup
	for w := range 2 {
		readers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				if err := checkInvariants(ctx, e, scopes[(i*2+w)%len(scopes)]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	readers.Go(func() { // exports page through the rows while trims happen
		for {
			select {
			case <-done:
				return
			default:
			}
			total := -1
			err := e.TicketPages(ctx, TicketsRequest{Columns: []string{"id", "created"}}, 100, func(p *TicketsResult) error {
				if total >= 0 && p.Total != total {
					return fmt.Errorf("an export's pages disagree on the total: %d, then %d", total, p.Total)
				}
				total = p.Total
				for i, k := range p.Columns[0].Strings {
					if k == "" || p.Columns[0].Nulls[i] {
						return fmt.Errorf("an export row without a key")
					}
				}
				return nil
			})
			if err != nil {
				errs <- err
				return
			}
		}
	})
	writers.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if trimmed == 0 {
		t.Error("no trim dropped anything: the test did not renumber rows under the queries")
	}

	// No write was lost to a trim: after a last one, the engine holds exactly the latest
	// versions whose time is inside the window (a ticket whose latest version is inside
	// was added or updated when it arrived, whatever the clock said then, which was
	// earlier).
	if _, err := e.Trim(ctx); err != nil {
		t.Fatal(err)
	}
	cutoff := clockNow().Add(-24 * time.Hour).UnixMilli()
	kept := newReference(s)
	for _, tk := range ref.order {
		if v := tk.vals["created"]; v.Kind == ticket.Time && v.I < cutoff {
			continue
		}
		kept.apply(tk.key, tk.version, tk.vals)
	}
	held := heldColumns(s)
	got, err := e.Tickets(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	if want := kept.tickets(held); !reflect.DeepEqual(got, want) {
		t.Fatalf("after concurrent writes and trims the tickets differ from the reference: %s", firstDifference(got, want))
	}
}

// TestTrimKeepsWritesMadeDuringTheCopy: writes that land after Trim has copied the rows
// and before it swaps are not lost: an update of a copied ticket, a new ticket, an update
// that brings a dropped ticket back into the window, and one that moves a copied ticket
// out of it (kept: it is held, and the next trim drops it).
func TestTrimKeepsWritesMadeDuringTheCopy(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: mustTime(t, "2024-01-01T12:00:00Z")}
	var e *Engine
	during := smallRecords(t, []smallTicket{
		{"F", 9.0, "dns", "2024-01-01T11:30:00Z", "", nil},  // copied, updated
		{"N", 1.0, "new", "2024-01-01T12:59:00Z", "", nil},  // new
		{"A", 5.0, "web", "2024-01-01T12:10:00Z", "", true}, // dropped, now inside
		{"G", 2.0, "web", "2024-01-01T09:00:00Z", "", nil},  // copied, now before
	})
	for i := range during {
		during[i].Version = 2
	}
	e = New(testSchema(t), nil, Options{Window: 90 * time.Minute, Now: clk.Now,
		afterTrimCopy: func() { e.Apply(during) }})
	e.Apply(smallRecords(t, smallData))
	clk.now = clk.now.Add(time.Hour) // cutoff 11:30: E (10:59:59) and H (10:40) are due
	if _, err := e.Trim(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := heldKeys(e), []string{"A", "F", "G", "N"}; !slices.Equal(got, want) {
		t.Fatalf("after a trim with writes during its copy, held %v, want %v", got, want)
	}
	scope := Scope{From: mustTime(t, "2024-01-01T00:00:00Z"), To: mustTime(t, "2024-01-02T00:00:00Z")}
	res, err := e.Breakdown(ctx, BreakdownRequest{Scope: scope, Field: "service", Top: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, b := range res.Buckets {
		got[b.Value] = b.Count
	}
	if want := map[string]int64{"dns": 1, "new": 1, "web": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("services after the trim %v, want %v (the writes during the copy)", got, want)
	}
	if n, err := e.Trim(ctx); err != nil || n != 1 || slices.Contains(heldKeys(e), "G") {
		t.Errorf("the next trim dropped %d (%v), held %v; want G dropped", n, err, heldKeys(e))
	}
}
