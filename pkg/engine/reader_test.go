package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// titled returns n tickets with distinct titles, a minute apart from base.
func titled(n int, base time.Time) []ticket.Record {
	layout := ticket.NewLayout([]string{"id", "title", "service", "created"})
	recs := make([]ticket.Record, n)
	for i := range recs {
		key := fmt.Sprintf("T%07d", i)
		recs[i] = ticket.Record{Key: key, Layout: layout, Values: []ticket.Value{
			ticket.String(key),
			ticket.String(fmt.Sprintf("disk %d full on host-%x", i%97, i*7919)),
			ticket.String(fmt.Sprintf("svc-%d", i%13)),
			ticket.TimeOf(base.Add(time.Duration(i) * time.Minute)),
		}}
	}
	return recs
}

var titledBase = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// manyContains is a filter of n "title contains" conditions joined by or, none of which
// matches: every row meets every condition.
func manyContains(n int) filter.Expr {
	var terms []filter.Expr
	for i := range n {
		terms = append(terms, &filter.Compare{Field: "title", Op: filter.Contains, Value: filter.Literal{Kind: filter.LitString, S: fmt.Sprintf("nowhere-%d", i)}})
	}
	return &filter.Or{Terms: terms}
}

// TestFilterMemoryFollowsTheRowsItReads: a filter's string tests remember their answers
// per value, but only for the values of the rows they read. Before, each test allocated
// a byte per value of the whole dictionary, so a filter of many conditions over a column
// of many distinct values took gigabytes, even for a range of a few rows.
func TestFilterMemoryFollowsTheRowsItReads(t *testing.T) {
	const distinct, conditions = 200_000, 250
	e := New(testSchema(t), nil, Options{})
	e.Apply(titled(distinct, titledBase))
	// An hour of the range: 60 tickets.
	sc := Scope{From: titledBase.Add(24 * time.Hour), To: titledBase.Add(25 * time.Hour), Where: manyContains(conditions)}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := e.Stats(context.Background(), StatsRequest{Scope: sc})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 0 {
		t.Fatalf("%d tickets match conditions that match nothing", res.Total)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	// A byte per distinct value per condition would be 50 MB; what the 60 rows touch is
	// a page of answers per condition, and its copy shared with later queries.
	if limit := uint64(conditions * 8 * memoPage); allocated > limit {
		t.Fatalf("a filter of %d conditions over 60 rows allocated %d bytes (more than %d): its cost follows the dictionary (%d values), not the rows", conditions, allocated, limit, distinct)
	}
}

// TestWriteDoesNotWaitForASlowReader starts a query that takes many slices and, in the
// middle of it, a write: the write must finish while the query is still running. Before,
// a query held the read lock from start to end, and a write waited for all of it (and
// every query behind the write waited too).
func TestWriteDoesNotWaitForASlowReader(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var slices atomic.Int32
	opts := Options{sliceTime: time.Nanosecond, onSlice: func() {
		if slices.Add(1) == 1 {
			close(started)
		}
		select {
		case <-release:
		case <-time.After(20 * time.Millisecond):
			// A slow reader: each slice takes a while until the write is done.
		}
	}}
	e := New(testSchema(t), nil, opts)
	e.Apply(titled(100_000, titledBase))

	readerDone := make(chan error, 1)
	go func() {
		_, err := e.Stats(context.Background(), StatsRequest{Scope: Scope{Where: manyContains(8)}})
		readerDone <- err
	}()
	select {
	case <-started:
	case err := <-readerDone:
		t.Fatalf("the query finished (%v) without ever pausing between slices", err)
	}
	writeDone := make(chan struct{})
	go func() {
		e.Apply(titled(1, titledBase.Add(-time.Hour)))
		close(writeDone)
	}()
	select {
	case <-writeDone:
	case err := <-readerDone:
		t.Fatalf("the write waited for the whole query (which ended with %v)", err)
	}
	close(release)
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	if n := slices.Load(); n < 3 {
		t.Fatalf("the query ran in %d slices; the test needs a query of many", n)
	}
}

// TestCancelledQueryStops cancels a query in its third slice: it must stop at the end of
// that slice with the context's error, not run to the end.
func TestCancelledQueryStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var slices atomic.Int32
	e := New(testSchema(t), nil, Options{sliceTime: time.Nanosecond, onSlice: func() {
		if slices.Add(1) == 3 {
			cancel()
		}
	}})
	e.Apply(titled(200_000, titledBase))
	queries := []struct {
		name string
		run  func() error
	}{
		{"stats", func() error {
			_, err := e.Stats(ctx, StatsRequest{Scope: Scope{Where: manyContains(16)}})
			return err
		}},
		{"counts", func() error {
			_, err := e.Counts(ctx, CountsRequest{Scope: Scope{From: titledBase, To: titledBase.Add(200 * 24 * time.Hour)}, Bucket: time.Hour, SplitBy: "service"})
			return err
		}},
		{"tickets sorted by title", func() error {
			_, err := e.Tickets(ctx, TicketsRequest{Sort: []schema.SortKey{{Field: "title"}}, Limit: 10})
			return err
		}},
		{"values of the key", func() error {
			_, err := e.Values(ctx, ValuesRequest{Field: "id", Prefix: "T0", Limit: 5})
			return err
		}},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			DropCaches(e)
			slices.Store(0)
			err := q.run()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want the context's cancellation", err)
			}
			if n := slices.Load(); n != 3 {
				t.Fatalf("the query ran %d slices; it should have stopped after the third", n)
			}
		})
	}
}

// TestQueryTimeLimit: a query that runs past MaxQueryTime fails with ErrTooExpensive,
// which says what happened, even when its caller would wait for ever.
func TestQueryTimeLimit(t *testing.T) {
	e := New(testSchema(t), nil, Options{MaxQueryTime: 50 * time.Millisecond, sliceTime: time.Nanosecond, onSlice: func() { time.Sleep(10 * time.Millisecond) }})
	e.Apply(titled(300_000, titledBase))
	_, err := e.Stats(context.Background(), StatsRequest{Scope: Scope{Where: manyContains(64)}})
	if !errors.Is(err, ErrTooExpensive) || !errors.Is(err, ErrBadRequest) {
		t.Fatalf("got %v, want ErrTooExpensive", err)
	}
	if !strings.Contains(err.Error(), "50ms") {
		t.Fatalf("the error %q does not say how long a query may run", err)
	}
}

// TestWaitersForACachedSelectionLetWritersIn: queries that wait for another one's
// selection must not hold the read lock while waiting, or the one computing it (which
// lets a writer in between slices) and the writer and the waiters would wait for each
// other for ever.
func TestWaitersForACachedSelectionLetWritersIn(t *testing.T) {
	e := New(testSchema(t), nil, Options{sliceTime: time.Nanosecond, onSlice: func() { time.Sleep(time.Millisecond) }})
	e.Apply(titled(100_000, titledBase))
	sc := Scope{Where: manyContains(4)}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			_, err := e.Stats(context.Background(), StatsRequest{Scope: sc})
			errs <- err
		})
	}
	wg.Go(func() {
		for i := range 20 {
			e.Apply(titled(1, titledBase.Add(-time.Duration(i+1)*time.Hour)))
		}
	})
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("queries and writes are still waiting after two minutes: a deadlock")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestSharedMemosAgreeWithTheValues runs string tests on a big dictionary (their answers
// are shared across queries) in turns with writes that add values and a trim that
// renumbers them, and checks every count against the titles themselves.
func TestSharedMemosAgreeWithTheValues(t *testing.T) {
	now := titledBase.Add(30 * 24 * time.Hour)
	e := New(testSchema(t), nil, Options{Window: 20 * 24 * time.Hour, Now: func() time.Time { return now }})
	var titles []string
	var times []time.Time
	add := func(recs []ticket.Record) {
		e.Apply(recs)
		for _, r := range recs {
			titles = append(titles, r.Values[1].S)
			times = append(times, r.Values[3].Time())
		}
	}
	add(titled(30_000, titledBase.Add(10*24*time.Hour)))
	tests := []struct {
		expr  filter.Expr
		match func(string) bool
	}{
		{&filter.Compare{Field: "title", Op: filter.Contains, Value: filter.Literal{Kind: filter.LitString, S: "HOST-1"}}, func(s string) bool { return strings.Contains(s, "host-1") }},
		{&filter.Compare{Field: "title", Op: filter.NotContains, Value: filter.Literal{Kind: filter.LitString, S: "host-1"}}, func(s string) bool { return !strings.Contains(s, "host-1") }},
		{&filter.Compare{Field: "title", Op: filter.Gt, Value: filter.Literal{Kind: filter.LitString, S: "disk 50"}}, func(s string) bool { return s > "disk 50" }},
		{&filter.Not{X: &filter.Compare{Field: "title", Op: filter.Gt, Value: filter.Literal{Kind: filter.LitString, S: "disk 50"}}}, func(s string) bool { return s <= "disk 50" }},
	}
	check := func(round string) {
		t.Helper()
		cutoff := now.Add(-20 * 24 * time.Hour)
		for _, tt := range tests {
			res, err := e.Stats(context.Background(), StatsRequest{Scope: Scope{Where: tt.expr}})
			if err != nil {
				t.Fatal(err)
			}
			want := int64(0)
			for i, title := range titles {
				if round == "after the trim" && times[i].Before(cutoff) {
					continue // dropped by the trim
				}
				if tt.match(title) {
					want++
				}
			}
			if res.Total != want {
				t.Fatalf("%s: %s matches %d tickets, want %d", round, tt.expr, res.Total, want)
			}
		}
	}
	check("first")
	check("again, from the shared answers")
	add(titled(50_000, titledBase.Add(12*24*time.Hour))[30_000:])
	check("after new values arrived")
	now = now.Add(5 * 24 * time.Hour)
	if _, err := e.Trim(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("after the trim")
}
