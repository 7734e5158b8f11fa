package source_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// gatedStore is a real embedded store whose first write waits for a signal, and which
// counts its writes.
type gatedStore struct {
	*bolt.Store
	gate   chan struct{}
	mu     sync.Mutex
	writes int
}

func (g *gatedStore) UpsertEach(ctx context.Context, recs []ticket.Record) ([]store.Outcome, store.UpsertResult, error) {
	g.mu.Lock()
	g.writes++
	first := g.writes == 1
	g.mu.Unlock()
	if first {
		<-g.gate
	}
	return g.Store.UpsertEach(ctx, recs)
}

func (g *gatedStore) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writes
}

// Pushes that arrive during a write go together in the next one, and each gets the result
// a push alone would have had: its own indexes, keys, statuses and counts, in the order
// the pushes arrived (a later push of the same ticket wins).
func TestCombinerWritesWaitingPushesTogether(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := &gatedStore{Store: st, gate: make(chan struct{})}
	s := schema.Default()
	syncs := 0
	c := source.NewCombiner(g, s, func(context.Context) error { syncs++; return nil })
	ctx := context.Background()
	at := func(min int) string { return time.Date(2026, 12, 2, 10, min, 0, 0, time.UTC).Format(time.RFC3339) }
	ticket := func(id string, updated int) map[string]any {
		return map[string]any{"id": id, "title": id, "created": at(0), "updated": at(updated)}
	}

	first := make(chan source.PushResult, 1)
	go func() {
		res, err := c.Push(ctx, []any{ticket("A", 1)})
		if err != nil {
			t.Error(err)
		}
		first <- res
	}()
	for g.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	// While A's write waits, three pushes queue: B then a newer B, a rejected item, and a
	// stale A.
	pushes := [][]any{
		{ticket("B", 1), "not an object"},
		{ticket("B", 5)},
		{ticket("C", 1), ticket("A", 0)},
	}
	results := make([]source.PushResult, len(pushes))
	var wg sync.WaitGroup
	for i, items := range pushes {
		wg.Go(func() {
			res, err := c.Push(ctx, items)
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		})
		// In order: each push queued before the next starts.
		for source.WaitingPushes(c) != i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	close(g.gate)
	wg.Wait()
	if r := <-first; r.Received != 1 || r.Result.Inserted != 1 {
		t.Errorf("the first push: %+v", r)
	}
	if g.count() != 2 || syncs != 2 {
		t.Fatalf("%d writes and %d syncs for 4 pushes, want 2 and 2: the three waiting pushes together", g.count(), syncs)
	}
	want := []source.PushResult{
		{Received: 2, Accepted: 1, Rejected: 1, Result: store.UpsertResult{Inserted: 1}, Records: []source.PushRecord{
			{Index: 0, Key: "B", Status: "accepted", Outcome: "inserted"},
			{Index: 1, Status: "rejected", Reason: "not a JSON object"}}},
		{Received: 1, Accepted: 1, Result: store.UpsertResult{Updated: 1}, Records: []source.PushRecord{
			{Index: 0, Key: "B", Status: "accepted", Outcome: "updated"}}},
		{Received: 2, Accepted: 1, Stale: 1, Result: store.UpsertResult{Inserted: 1, Stale: 1}, Records: []source.PushRecord{
			{Index: 0, Key: "C", Status: "accepted", Outcome: "inserted"},
			{Index: 1, Key: "A", Status: "stale", Reason: "older than the stored version, 2026-12-02T10:01:00Z: the store keeps the newer one"}}},
	}
	for i := range want {
		if !reflect.DeepEqual(results[i], want[i]) {
			t.Errorf("push %d: %+v\nwant %+v", i, results[i], want[i])
		}
	}
	recs, err := st.Get(ctx, []string{"B"})
	if err != nil || len(recs) != 1 {
		t.Fatal(recs, err)
	}
	if got := fmt.Sprint(recs[0].Version); got != fmt.Sprint(time.Date(2026, 12, 2, 10, 5, 0, 0, time.UTC).UnixMilli()) {
		t.Errorf("B's stored version %s, want the later push's", got)
	}
}
