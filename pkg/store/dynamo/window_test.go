package dynamo

import (
	"cmp"
	"context"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/gen"
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

// TestMeasureWindow measures what a window saves a new replica of a table that has been
// written for a year: the tickets are written in the order they were created, each batch
// at its own time by the store's clock, and a replica then reads the whole history
// (Changes) or the last 30 days (ChangesFrom). It runs only when asked:
//
//	SPACETIME_DYNAMO_WINDOW=100000 go test -run MeasureWindow -v -timeout 60m ./pkg/store/dynamo
func TestMeasureWindow(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SPACETIME_DYNAMO_WINDOW"))
	if n <= 0 {
		t.Skip("set SPACETIME_DYNAMO_WINDOW=100000 to measure")
	}
	ctx := context.Background()
	now := time.Now()
	var recs []ticket.Record
	err := gen.Generate(ctx, gen.Options{Tickets: n, Seed: 1, Span: 365 * 24 * time.Hour, End: now},
		func(r *ticket.Record) error { recs = append(recs, r.Clone()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	created := func(r *ticket.Record) int64 { return r.Get("created").I }
	slices.SortFunc(recs, func(a, b ticket.Record) int { return cmp.Compare(created(&a), created(&b)) })

	cfg := newTable(t)
	at := now
	writerCfg := cfg
	writerCfg.Now = func() time.Time { return at }
	writer := openTable(t, writerCfg)
	start := time.Now()
	for batch := range slices.Chunk(recs, 1000) {
		at = time.UnixMilli(created(&batch[len(batch)-1]))
		if _, err := writer.Upsert(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d tickets created over a year, each batch at its creation time, in %v", n, time.Since(start).Round(time.Millisecond))

	read := func(name string, changes func(s *Store, fn func(*ticket.Record) error) error) {
		t.Helper()
		replica := openTable(t, cfg)
		count := 0
		start := time.Now()
		if err := changes(replica, func(*ticket.Record) error { count++; return nil }); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d tickets in %v, %.0f read units", name, count, time.Since(start).Round(time.Millisecond), replica.Consumed().Read)
	}
	read("whole history (Changes)", func(s *Store, fn func(*ticket.Record) error) error {
		_, err := s.Changes(ctx, "", fn)
		return err
	})
	read("window of 30 days (ChangesFrom)", func(s *Store, fn func(*ticket.Record) error) error {
		_, err := s.ChangesFrom(ctx, now.Add(-30*24*time.Hour), fn)
		return err
	})
}
