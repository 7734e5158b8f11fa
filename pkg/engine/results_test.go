package engine

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

// TestResultsAreKeptUntilAWrite: the same query asked again before any write is answered
// without reading a row; after a write it is computed again, and its answer follows.
func TestResultsAreKeptUntilAWrite(t *testing.T) {
	var slices atomic.Int32
	e := New(testSchema(t), nil, Options{sliceTime: time.Nanosecond, onSlice: func() { slices.Add(1) }})
	e.Apply(titled(20_000, titledBase))
	ctx := context.Background()
	req := BreakdownRequest{Field: "service", Top: 3}
	first, err := e.Breakdown(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Load() == 0 {
		t.Fatal("the first query read no rows")
	}
	slices.Store(0)
	again, err := e.Breakdown(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if n := slices.Load(); n != 0 || again != first {
		t.Fatalf("the same query before any write read %d slices and gave another answer (%v)", n, again != first)
	}
	e.Apply(titled(20_001, titledBase)[20_000:])
	after, err := e.Breakdown(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Load() == 0 || after.Total != first.Total+1 {
		t.Fatalf("after a write: total %d (was %d), read again: %v", after.Total, first.Total, slices.Load() != 0)
	}
	if other, err := e.Breakdown(ctx, BreakdownRequest{Field: "service", Top: 4}); err != nil || reflect.DeepEqual(other, after) {
		t.Fatalf("another top shares the answer: %v", err)
	}
}
