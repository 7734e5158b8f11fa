package dynamo

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// TestChangesFromReadsTheWindow: ChangesFrom gives the tickets written since from and
// leaves out those last written days before, its cursor continues as a Changes cursor
// does, and a from before the first write reads the whole history.
func TestChangesFromReadsTheWindow(t *testing.T) {
	ctx := context.Background()
	cfg := newTable(t)
	now := time.Now()
	at := now
	cfg.Now = func() time.Time { return at }
	s := openTable(t, cfg)
	write := func(when time.Time, keys ...string) {
		t.Helper()
		at = when
		var recs []ticket.Record
		for _, k := range keys {
			recs = append(recs, rec(k, 1))
		}
		if _, err := s.Upsert(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	write(now.Add(-72*time.Hour), "old-1", "old-2")
	write(now.Add(-48*time.Hour), "mid")
	write(now.Add(-30*time.Minute), "new")
	at = now

	from := func(from time.Time) ([]string, store.Cursor) {
		t.Helper()
		var keys []string
		cur, err := s.ChangesFrom(ctx, from, func(r *ticket.Record) error {
			keys = append(keys, strings.Clone(r.Key))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		return keys, cur
	}
	got, cur := from(now.Add(-2 * time.Hour))
	if !slices.Equal(got, []string{"new"}) {
		t.Errorf("ChangesFrom 2h ago gave %v, want [new]", got)
	}
	got, _ = from(now.Add(-50 * time.Hour))
	if !slices.Equal(got, []string{"mid", "new"}) {
		t.Errorf("ChangesFrom 50h ago gave %v, want [mid new]", got)
	}
	got, _ = from(now.Add(-365 * 24 * time.Hour))
	if !slices.Equal(got, []string{"mid", "new", "old-1", "old-2"}) {
		t.Errorf("ChangesFrom a year ago gave %v, want every ticket", got)
	}

	write(now.Add(time.Second), "later")
	at = now.Add(2 * time.Second)
	next, _ := readAll(t, s, cur)
	if keys := slices.Sorted(maps.Keys(next)); !slices.Equal(keys, []string{"later"}) {
		t.Errorf("Changes from ChangesFrom's cursor gave %v, want [later]", keys)
	}
}
