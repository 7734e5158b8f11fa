package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

func openStore(t *testing.T) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "tickets.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// distinctBatch makes n records of distinct keys, some new and some updates.
func distinctBatch(g *generator, ref *reference, n int) []ticket.Record {
	var recs []ticket.Record
	seen := map[string]bool{}
	for len(recs) < n {
		key := fmt.Sprintf("INC%05d", len(g.keys))
		if g.maybe(0.5) {
			key = g.keys[g.rng.IntN(len(g.keys))]
		} else {
			g.keys = append(g.keys, key)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		rec, typed := g.record(key)
		ref.apply(key, rec.Version, typed)
		recs = append(recs, rec)
	}
	return recs
}

// everything asks for every ticket with every column, detail columns included, by key.
func everything(s *schema.Schema) TicketsRequest {
	return TicketsRequest{Columns: s.Names(), Sort: []schema.SortKey{{Field: s.Key}}, Limit: 1 << 30}
}

func TestSyncLoadsThenAppliesOnlyChanges(t *testing.T) {
	ctx := context.Background()
	s := testSchema(t)
	st := openStore(t)
	g := newGenerator(11, s)
	ref := newReference(s)
	if _, err := st.Upsert(ctx, g.batch(3000, ref)); err != nil {
		t.Fatal(err)
	}
	e := New(s, st, Options{WriteChunk: 256})
	n, err := e.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ref.order) || e.Len() != len(ref.order) {
		t.Fatalf("first sync applied %d and holds %d, want every one of the %d tickets", n, e.Len(), len(ref.order))
	}
	check := func(stage string) {
		t.Helper()
		got, err := e.Tickets(ctx, everything(s))
		if err != nil {
			t.Fatal(err)
		}
		if want := ref.tickets(everything(s)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the engine's tickets differ from the reference: %s", stage, firstDifference(got, want))
		}
	}
	check("after the load")

	batch := distinctBatch(g, ref, 400)
	res, err := st.Upsert(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	n, err = e.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := res.Inserted + res.Updated; n != want {
		t.Fatalf("second sync applied %d records, want the %d the store changed", n, want)
	}
	check("after the second sync")

	gen := e.Generation()
	if n, err = e.Sync(ctx); err != nil || n != 0 {
		t.Fatalf("a sync without changes applied %d (%v), want 0", n, err)
	}
	if e.Generation() != gen {
		t.Fatal("a sync without changes changed the generation")
	}
}

func TestSyncCancelledResumes(t *testing.T) {
	s := testSchema(t)
	st := openStore(t)
	g := newGenerator(12, s)
	ref := newReference(s)
	if _, err := st.Upsert(context.Background(), g.batch(500, ref)); err != nil {
		t.Fatal(err)
	}
	e := New(s, st, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Sync(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("sync with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := e.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.Len() != len(ref.order) {
		t.Fatalf("holds %d tickets after resuming, want %d", e.Len(), len(ref.order))
	}
}

// TestConcurrentQueriesAndWrites runs queries while the store is written and synced and
// records are applied directly, for the race detector, and checks what every answer must
// satisfy whatever the moment; at the end the engine must equal the reference.
func TestConcurrentQueriesAndWrites(t *testing.T) {
	s := testSchema(t)
	st := openStore(t)
	g := newGenerator(13, s)
	ref := newReference(s)
	e := New(s, st, Options{WriteChunk: 64, numberCodes: 16})
	ctx := context.Background()

	// Queries are drawn up front: the generator is not safe for concurrent use.
	var batches [][]ticket.Record
	for range 12 {
		batches = append(batches, g.batch(300, ref))
	}
	var scopes []Scope
	for range 60 {
		scopes = append(scopes, g.scope(ref))
	}

	done := make(chan struct{})
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the poller: store, then sync
		defer wg.Done()
		for _, b := range batches {
			if _, err := st.Upsert(ctx, b); err != nil {
				errs <- err
				return
			}
			if _, err := e.Sync(ctx); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() { // the in-process fast path, with the same records
		defer wg.Done()
		for _, b := range batches {
			e.Apply(b)
		}
	}()
	var readers sync.WaitGroup
	for w := range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				if err := checkInvariants(ctx, e, scopes[(i*3+w)%len(scopes)]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := e.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.Tickets(ctx, everything(s))
	if err != nil {
		t.Fatal(err)
	}
	if want := ref.tickets(everything(s)); !reflect.DeepEqual(got, want) {
		t.Fatal("after the concurrent writes the engine's tickets differ from the reference")
	}
}

func checkInvariants(ctx context.Context, e *Engine, sc Scope) error {
	stats, err := e.Stats(ctx, StatsRequest{Scope: sc})
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	if stats.Total > stats.Tickets || stats.Open > stats.Total {
		return fmt.Errorf("stats %+v are inconsistent", stats)
	}
	bd, err := e.Breakdown(ctx, BreakdownRequest{Scope: sc, Field: "service", Top: 3})
	if err != nil {
		return fmt.Errorf("breakdown: %w", err)
	}
	var sum int64
	for _, b := range bd.Buckets {
		sum += b.Count
	}
	if sum != bd.Total {
		return fmt.Errorf("breakdown buckets sum to %d, total %d", sum, bd.Total)
	}
	tk, err := e.Tickets(ctx, TicketsRequest{Scope: sc, Columns: []string{"created"}, Limit: 20})
	if err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	created := tk.Columns[1]
	for i := 1; i < len(created.Times); i++ {
		if !created.Nulls[i] && (created.Nulls[i-1] || created.Times[i].After(created.Times[i-1])) {
			return fmt.Errorf("tickets out of order at row %d", i)
		}
	}
	if !sc.From.IsZero() && !sc.To.IsZero() {
		if _, err := e.Counts(ctx, CountsRequest{Scope: sc, Bucket: time.Hour, SplitBy: "sev"}); err != nil {
			return fmt.Errorf("counts: %w", err)
		}
	}
	return nil
}

// firstDifference describes where two tickets results first differ.
func firstDifference(got, want *TicketsResult) string {
	if got.Total != want.Total || len(got.Columns) != len(want.Columns) {
		return fmt.Sprintf("total %d, want %d; %d columns, want %d", got.Total, want.Total, len(got.Columns), len(want.Columns))
	}
	for c := range got.Columns {
		g, w := got.Columns[c], want.Columns[c]
		for i := range g.Nulls {
			gv := fmt.Sprint(pick(g, i))
			wv := fmt.Sprint(pick(w, i))
			if gv != wv || g.Nulls[i] != w.Nulls[i] {
				return fmt.Sprintf("row %d (%s) column %s: %s (null %v), want %s (null %v)", i, got.Columns[0].Strings[i], g.Name, gv, g.Nulls[i], wv, w.Nulls[i])
			}
		}
	}
	return "in the search marks"
}

func pick(c Column, i int) any {
	switch {
	case c.Numbers != nil:
		return c.Numbers[i]
	case c.Times != nil:
		return c.Times[i]
	case c.Bools != nil:
		return c.Bools[i]
	}
	return c.Strings[i]
}
