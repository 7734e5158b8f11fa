package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// (Changes; twice, as the first load records the empty hours the next one skips) or the
// last 30 days (ChangesFrom). It runs only when asked:
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
	whole := func(s *Store, fn func(*ticket.Record) error) error {
		_, err := s.Changes(ctx, "", fn)
		return err
	}
	read("whole history (Changes), the first server", whole)
	read("whole history (Changes), the next server: empty hours skipped", whole)
	read("window of 30 days (ChangesFrom)", func(s *Store, fn func(*ticket.Record) error) error {
		_, err := s.ChangesFrom(ctx, now.Add(-30*24*time.Hour), fn)
		return err
	})
}

// TestFirstLoadsSkipEmptyHours: a first load over a table written now and then finds
// most hours of its change index empty; it records those that are over, so that the next
// first load skips them, with the same tickets for a tenth of the queries. An hour not yet
// over is never recorded (a writer's clock may still stamp into it).
func TestFirstLoadsSkipEmptyHours(t *testing.T) {
	ctx := context.Background()
	cfg := newTable(t)
	now := time.Now()
	at := now
	writerCfg := cfg
	writerCfg.Now = func() time.Time { return at }
	writer := openTable(t, writerCfg)
	for i, ago := range []time.Duration{100 * time.Hour, 60 * time.Hour, 3 * time.Hour, 0} {
		at = now.Add(-ago)
		if _, err := writer.Upsert(ctx, []ticket.Record{rec(fmt.Sprintf("t%d", i), 1)}); err != nil {
			t.Fatal(err)
		}
	}

	proxy := startFaultProxy(t, cfg.Endpoint, 1)
	var mu sync.Mutex
	queries := 0
	proxy.watch(func(action string) {
		if action == "Query" {
			mu.Lock()
			queries++
			mu.Unlock()
		}
	})
	load := func() (map[string]int64, int) {
		t.Helper()
		mu.Lock()
		queries = 0
		mu.Unlock()
		// The readers' clock runs two hours ahead of the writer's: the hour before it is
		// over and empty, its own is empty but not over.
		readerCfg := throughProxy(cfg, proxy)
		readerCfg.Now = func() time.Time { return now.Add(2 * time.Hour) }
		got, _ := readAll(t, openTable(t, readerCfg), "")
		mu.Lock()
		defer mu.Unlock()
		return got, queries
	}
	first, q1 := load()
	second, q2 := load()
	t.Logf("queries: %d in the first load, %d in the second", q1, q2)
	want := map[string]int64{"t0": 1, "t1": 1, "t2": 1, "t3": 1}
	if !reflect.DeepEqual(first, want) || !reflect.DeepEqual(second, want) {
		t.Fatalf("first loads gave %v, then %v; want %v", first, second, want)
	}
	// About 101 hours of 8 shards first; then the hours with tickets and the recent ones.
	if q1 < 8*100 || q2 > q1/10 {
		t.Errorf("the first load made %d queries and the second %d; want the second to skip the empty hours", q1, q2)
	}

	s := openTable(t, cfg)
	recorded, err := s.knownEmpty(ctx, hourOf(now.Add(-200*time.Hour).UnixMilli()<<stampShift), hourOf(now.Add(4*time.Hour).UnixMilli()<<stampShift))
	if err != nil {
		t.Fatal(err)
	}
	for i, ago := range []time.Duration{100 * time.Hour, 60 * time.Hour, 3 * time.Hour} {
		if h := hourOf(now.Add(-ago).UnixMilli() << stampShift); recorded[h] {
			t.Errorf("the hour of t%d, which holds a ticket, is recorded empty", i)
		}
	}
	readerNow := now.Add(2*time.Hour).UnixMilli() << stampShift
	if h := hourOf(readerNow); recorded[h] || recorded[h+1] {
		t.Errorf("an hour not yet over by the readers' clock (%d or the next) is recorded empty", h)
	}
	if h := hourOf(readerNow - s.overlap - hourMS<<stampShift); !recorded[h] {
		t.Errorf("the empty hour before the readers' (%d) is not recorded", h)
	}
	if len(recorded) < 90 {
		t.Errorf("%d hours recorded empty, want the ~95 empty ones that are over", len(recorded))
	}
}
