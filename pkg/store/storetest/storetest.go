// Package storetest is the conformance suite of store.Store: every implementation runs it
// from its own tests, so that the engine can rely on one behaviour whatever keeps the
// tickets.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... a new, empty store ... })
//		storetest.RunReopen(t, func(t *testing.T) func() (store.Store, error) { ... })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// Run runs the suite. open must return a new, empty store each time it is called; the
// suite closes it (Close may therefore be called twice).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	fresh := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	t.Run("Upsert", func(t *testing.T) { testUpsert(t, fresh) })
	t.Run("UpsertCancelled", func(t *testing.T) { testUpsertCancelled(t, fresh) })
	t.Run("UpsertEach", func(t *testing.T) { testUpsertEach(t, fresh) })
	t.Run("Changes", func(t *testing.T) { testChanges(t, fresh) })
	t.Run("ChangesCallbackError", func(t *testing.T) { testChangesCallbackError(t, fresh) })
	t.Run("ChangesCancelled", func(t *testing.T) { testChangesCancelled(t, fresh) })
	t.Run("ChangesMany", func(t *testing.T) { testChangesMany(t, fresh) })
	t.Run("Layouts", func(t *testing.T) { testLayouts(t, fresh) })
	t.Run("Get", func(t *testing.T) { testGet(t, fresh) })
	t.Run("Meta", func(t *testing.T) { testMeta(t, fresh) })
	t.Run("Info", func(t *testing.T) { testInfo(t, fresh) })
	t.Run("Close", func(t *testing.T) { testClose(t, fresh) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, fresh) })
}

// RunReopen checks that everything survives Close and a new open of the same location.
// newLocation prepares one new, empty location and returns a function that opens it; every
// call of that function must open the same data.
func RunReopen(t *testing.T, newLocation func(t *testing.T) func() (store.Store, error)) {
	t.Helper()
	t.Run("Reopen", func(t *testing.T) { testReopen(t, newLocation(t)) })
}

var (
	layoutA = []string{"id", "status", "severity", "updated", "note"}
	layoutB = []string{"id", "region", "resolved", "flagged"}
)

// builder makes records of layout A with one Layout pointer, as ingest does.
type builder struct{ a, b *ticket.Layout }

func newBuilder() builder {
	return builder{a: ticket.NewLayout(layoutA), b: ticket.NewLayout(layoutB)}
}

// rec is a record of layout A whose values depend on status, so that two records of one
// version can differ.
func (b builder) rec(key string, version int64, status string) ticket.Record {
	return ticket.Record{Key: key, Version: version, Layout: b.a, Values: []ticket.Value{
		ticket.String(key), ticket.String(status), ticket.Number(float64(len(status))),
		ticket.TimeMS(version), {},
	}}
}

// recB is a record of layout B.
func (b builder) recB(key string, version int64, region string) ticket.Record {
	return ticket.Record{Key: key, Version: version, Layout: b.b, Values: []ticket.Value{
		ticket.String(key), ticket.String(region), {}, ticket.BoolOf(true),
	}}
}

func upsert(t *testing.T, s store.Store, recs ...ticket.Record) store.UpsertResult {
	t.Helper()
	res, err := s.Upsert(context.Background(), recs)
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	return res
}

// changes reads every change after since and returns copies of the records.
func changes(t *testing.T, s store.Store, since store.Cursor) ([]ticket.Record, store.Cursor) {
	t.Helper()
	var out []ticket.Record
	next, err := s.Changes(context.Background(), since, func(r *ticket.Record) error {
		out = append(out, r.Clone())
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%q): %v", since, err)
	}
	return out, next
}

func keys(recs []ticket.Record) []string {
	out := make([]string, len(recs))
	for i := range recs {
		out[i] = recs[i].Key
	}
	return out
}

// sameRecord compares key, version, column names and values (Value.Equal, so NaN = NaN).
func sameRecord(a, b *ticket.Record) bool {
	return a.Key == b.Key && a.Version == b.Version &&
		slices.Equal(a.Layout.Names(), b.Layout.Names()) && a.SameValues(b)
}

func describe(r *ticket.Record) string {
	var parts []string
	for i, v := range r.Values {
		name := "?"
		if i < r.Layout.Len() {
			name = r.Layout.Names()[i]
		}
		parts = append(parts, fmt.Sprintf("%s=%+v", name, v))
	}
	return fmt.Sprintf("%s@%d{%s}", r.Key, r.Version, strings.Join(parts, " "))
}

// checkStored asserts that Get returns exactly want (in any order).
func checkStored(t *testing.T, s store.Store, want []ticket.Record) {
	t.Helper()
	ks := keys(want)
	got, err := s.Get(context.Background(), ks)
	if err != nil {
		t.Fatalf("Get(%q): %v", ks, err)
	}
	byKey := func(a, b ticket.Record) int { return strings.Compare(a.Key, b.Key) }
	got = slices.Clone(got)
	want = slices.Clone(want)
	slices.SortFunc(got, byKey)
	slices.SortFunc(want, byKey)
	if len(got) != len(want) {
		t.Fatalf("Get(%q) returned %d records %q, want %d", ks, len(got), keys(got), len(want))
	}
	for i := range want {
		if !sameRecord(&got[i], &want[i]) {
			t.Errorf("stored %s\n          want %s", describe(&got[i]), describe(&want[i]))
		}
	}
}

// testUpsertEach checks the outcome of each record, for a store that reports them.
func testUpsertEach(t *testing.T, fresh func(*testing.T) store.Store) {
	s := fresh(t)
	r, ok := s.(store.UpsertReporter)
	if !ok {
		t.Skip("the store does not report each record's outcome")
	}
	b := newBuilder()
	upsert(t, s, b.rec("a", 5, "open"), b.rec("b", 1, "open"))
	outs, res, err := r.UpsertEach(context.Background(), []ticket.Record{
		b.rec("a", 3, "older"), b.rec("b", 1, "open"), b.rec("c", 1, "open"), b.rec("b", 2, "closed"), b.rec("c", 0, "older"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Outcome{{Kind: store.Stale, Stored: 5}, {Kind: store.Unchanged}, {Kind: store.Inserted}, {Kind: store.Updated}, {Kind: store.Stale, Stored: 1}}
	if !slices.Equal(outs, want) {
		t.Errorf("outcomes %v, want %v", outs, want)
	}
	if res != (store.UpsertResult{Inserted: 1, Updated: 1, Unchanged: 1, Stale: 2}) {
		t.Errorf("result %+v", res)
	}
}

func testUpsert(t *testing.T, fresh func(*testing.T) store.Store) {
	b := newBuilder()
	wide := ticket.NewLayout(append(slices.Clone(layoutA), "extra"))
	widen := func(r ticket.Record) ticket.Record {
		r.Layout = wide
		r.Values = append(slices.Clone(r.Values), ticket.String("more"))
		return r
	}
	nan := func(r ticket.Record) ticket.Record {
		r.Values = slices.Clone(r.Values)
		r.Values[2] = ticket.Number(math.NaN())
		return r
	}
	allKinds := ticket.Record{Key: "k", Version: 7, Layout: ticket.NewLayout([]string{"s", "empty", "n", "t", "yes", "no", "null"}),
		Values: []ticket.Value{ticket.String("héllo\x00 wörld"), ticket.String(""), ticket.Number(-1.5e300),
			ticket.TimeMS(-86_400_000), ticket.BoolOf(true), ticket.BoolOf(false), {}}}

	tests := []struct {
		name   string
		before [][]ticket.Record
		call   []ticket.Record
		want   store.UpsertResult
		stored []ticket.Record
	}{
		{
			name:   "new keys are inserted",
			call:   []ticket.Record{b.rec("a", 1, "open"), b.rec("b", 1, "open")},
			want:   store.UpsertResult{Inserted: 2},
			stored: []ticket.Record{b.rec("a", 1, "open"), b.rec("b", 1, "open")},
		},
		{
			name:   "a newer version replaces",
			before: [][]ticket.Record{{b.rec("a", 1, "open")}},
			call:   []ticket.Record{b.rec("a", 2, "closed")},
			want:   store.UpsertResult{Updated: 1},
			stored: []ticket.Record{b.rec("a", 2, "closed")},
		},
		{
			name:   "an older version is stale and ignored",
			before: [][]ticket.Record{{b.rec("a", 2, "closed")}},
			call:   []ticket.Record{b.rec("a", 1, "open")},
			want:   store.UpsertResult{Stale: 1},
			stored: []ticket.Record{b.rec("a", 2, "closed")},
		},
		{
			name:   "an identical replay is unchanged",
			before: [][]ticket.Record{{b.rec("a", 1, "open")}},
			call:   []ticket.Record{b.rec("a", 1, "open")},
			want:   store.UpsertResult{Unchanged: 1},
			stored: []ticket.Record{b.rec("a", 1, "open")},
		},
		{
			name:   "the equal version with different values replaces",
			before: [][]ticket.Record{{b.rec("a", 1, "open")}},
			call:   []ticket.Record{b.rec("a", 1, "closed")},
			want:   store.UpsertResult{Updated: 1},
			stored: []ticket.Record{b.rec("a", 1, "closed")},
		},
		{
			name:   "the equal version with another layout replaces",
			before: [][]ticket.Record{{b.rec("a", 1, "open")}},
			call:   []ticket.Record{widen(b.rec("a", 1, "open"))},
			want:   store.UpsertResult{Updated: 1},
			stored: []ticket.Record{widen(b.rec("a", 1, "open"))},
		},
		{
			name:   "a replay holding NaN is unchanged",
			before: [][]ticket.Record{{nan(b.rec("a", 1, "open"))}},
			call:   []ticket.Record{nan(b.rec("a", 1, "open"))},
			want:   store.UpsertResult{Unchanged: 1},
			stored: []ticket.Record{nan(b.rec("a", 1, "open"))},
		},
		{
			name:   "versions compare as signed numbers",
			before: [][]ticket.Record{{b.rec("a", -1, "open")}},
			call:   []ticket.Record{b.rec("a", -2, "closed"), b.rec("b", 0, "open")},
			want:   store.UpsertResult{Stale: 1, Inserted: 1},
			stored: []ticket.Record{b.rec("a", -1, "open"), b.rec("b", 0, "open")},
		},
		{
			name:   "the same key twice in one call, newer last",
			call:   []ticket.Record{b.rec("a", 1, "open"), b.rec("a", 2, "closed")},
			want:   store.UpsertResult{Inserted: 1, Updated: 1},
			stored: []ticket.Record{b.rec("a", 2, "closed")},
		},
		{
			name:   "the same key twice in one call, older last",
			call:   []ticket.Record{b.rec("a", 2, "closed"), b.rec("a", 1, "open")},
			want:   store.UpsertResult{Inserted: 1, Stale: 1},
			stored: []ticket.Record{b.rec("a", 2, "closed")},
		},
		{
			name:   "the same key twice in one call, identical",
			call:   []ticket.Record{b.rec("a", 1, "open"), b.rec("a", 1, "open")},
			want:   store.UpsertResult{Inserted: 1, Unchanged: 1},
			stored: []ticket.Record{b.rec("a", 1, "open")},
		},
		{
			name:   "the same key twice in one call, equal version, the later write wins",
			call:   []ticket.Record{b.rec("a", 1, "open"), b.rec("a", 1, "closed")},
			want:   store.UpsertResult{Inserted: 1, Updated: 1},
			stored: []ticket.Record{b.rec("a", 1, "closed")},
		},
		{
			name:   "a mixed batch counts each outcome",
			before: [][]ticket.Record{{b.rec("a", 1, "open"), b.rec("b", 1, "open"), b.rec("c", 2, "open")}},
			call:   []ticket.Record{b.rec("a", 2, "closed"), b.rec("b", 1, "open"), b.rec("c", 1, "x"), b.rec("d", 1, "open")},
			want:   store.UpsertResult{Inserted: 1, Updated: 1, Unchanged: 1, Stale: 1},
			stored: []ticket.Record{b.rec("a", 2, "closed"), b.rec("b", 1, "open"), b.rec("c", 2, "open"), b.rec("d", 1, "open")},
		},
		{
			name:   "counts are per call",
			before: [][]ticket.Record{{b.rec("a", 1, "open")}, {b.rec("a", 2, "open")}},
			call:   []ticket.Record{b.rec("a", 3, "open")},
			want:   store.UpsertResult{Updated: 1},
			stored: []ticket.Record{b.rec("a", 3, "open")},
		},
		{
			name: "an empty call does nothing",
			want: store.UpsertResult{},
		},
		{
			name:   "every kind of value comes back as written",
			call:   []ticket.Record{allKinds},
			want:   store.UpsertResult{Inserted: 1},
			stored: []ticket.Record{allKinds},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fresh(t)
			for _, recs := range tt.before {
				upsert(t, s, recs...)
			}
			if got := upsert(t, s, tt.call...); got != tt.want {
				t.Errorf("Upsert = %+v, want %+v", got, tt.want)
			}
			checkStored(t, s, tt.stored)
		})
	}
}

func testUpsertCancelled(t *testing.T, fresh func(*testing.T) store.Store) {
	s := fresh(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := newBuilder()
	if _, err := s.Upsert(ctx, []ticket.Record{b.rec("a", 1, "open")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Upsert with a cancelled context: error %v, want context.Canceled", err)
	}
}

func testChanges(t *testing.T, fresh func(*testing.T) store.Store) {
	b := newBuilder()
	t.Run("an empty store has no changes", func(t *testing.T) {
		s := fresh(t)
		got, cur := changes(t, s, "")
		if len(got) != 0 {
			t.Fatalf("Changes of an empty store gave %q", keys(got))
		}
		upsert(t, s, b.rec("a", 1, "open"))
		if got, _ := changes(t, s, cur); !slices.Equal(keys(got), []string{"a"}) {
			t.Errorf("Changes after the empty store's cursor = %q, want [a]", keys(got))
		}
	})
	t.Run("from the beginning, oldest change first", func(t *testing.T) {
		s := fresh(t)
		upsert(t, s, b.rec("c", 1, "open"), b.rec("a", 1, "open"), b.rec("b", 1, "open"))
		upsert(t, s, b.rec("d", 1, "open"))
		got, _ := changes(t, s, "")
		if want := []string{"c", "a", "b", "d"}; !slices.Equal(keys(got), want) {
			t.Errorf("Changes = %q, want %q", keys(got), want)
		}
	})
	t.Run("a changed ticket is given once, latest version, at its last change", func(t *testing.T) {
		s := fresh(t)
		upsert(t, s, b.rec("a", 1, "open"), b.rec("b", 1, "open"), b.rec("c", 1, "open"))
		upsert(t, s, b.rec("a", 2, "ack"))
		upsert(t, s, b.rec("b", 2, "ack"), b.rec("a", 3, "closed"))
		got, _ := changes(t, s, "")
		if want := []string{"c", "b", "a"}; !slices.Equal(keys(got), want) {
			t.Fatalf("Changes = %q, want %q", keys(got), want)
		}
		want := []ticket.Record{b.rec("c", 1, "open"), b.rec("b", 2, "ack"), b.rec("a", 3, "closed")}
		for i := range want {
			if !sameRecord(&got[i], &want[i]) {
				t.Errorf("change %d = %s, want %s", i, describe(&got[i]), describe(&want[i]))
			}
		}
	})
	t.Run("from a cursor in the middle", func(t *testing.T) {
		s := fresh(t)
		upsert(t, s, b.rec("a", 1, "open"), b.rec("b", 1, "open"), b.rec("c", 1, "open"))
		first, mid := changes(t, s, "")
		if len(first) != 3 {
			t.Fatalf("first read gave %q, want 3 tickets", keys(first))
		}
		upsert(t, s, b.rec("d", 1, "open"), b.rec("e", 1, "open"))
		upsert(t, s, b.rec("b", 2, "closed"))
		got, _ := changes(t, s, mid)
		if want := []string{"d", "e", "b"}; !slices.Equal(keys(got), want) {
			t.Fatalf("Changes(mid) = %q, want %q", keys(got), want)
		}
		if got[2].Version != 2 {
			t.Errorf("b came back at version %d, want 2", got[2].Version)
		}
		all, _ := changes(t, s, "")
		if want := []string{"a", "c", "d", "e", "b"}; !slices.Equal(keys(all), want) {
			t.Errorf("Changes from the beginning = %q, want %q", keys(all), want)
		}
	})
	t.Run("stale and unchanged writes are no changes", func(t *testing.T) {
		s := fresh(t)
		upsert(t, s, b.rec("a", 2, "open"), b.rec("b", 1, "open"))
		_, cur := changes(t, s, "")
		upsert(t, s, b.rec("a", 1, "older"), b.rec("b", 1, "open"))
		if got, _ := changes(t, s, cur); len(got) != 0 {
			t.Errorf("Changes after stale and unchanged writes = %q, want none", keys(got))
		}
	})
	t.Run("a cursor with nothing new gives nothing and stays usable", func(t *testing.T) {
		s := fresh(t)
		upsert(t, s, b.rec("a", 1, "open"))
		_, cur := changes(t, s, "")
		for i := range 3 {
			var got []ticket.Record
			got, cur = changes(t, s, cur)
			if len(got) != 0 {
				t.Fatalf("read %d after the end gave %q, want nothing", i, keys(got))
			}
		}
		upsert(t, s, b.rec("b", 1, "open"))
		got, cur := changes(t, s, cur)
		if !slices.Equal(keys(got), []string{"b"}) {
			t.Fatalf("Changes after one more write = %q, want [b]", keys(got))
		}
		if got, _ := changes(t, s, cur); len(got) != 0 {
			t.Errorf("Changes after reading everything = %q, want nothing", keys(got))
		}
	})
	t.Run("the same key twice in one call is one change", func(t *testing.T) {
		s := fresh(t)
		upsert(t, s, b.rec("a", 1, "open"), b.rec("b", 1, "open"), b.rec("a", 2, "closed"))
		got, _ := changes(t, s, "")
		if want := []string{"b", "a"}; !slices.Equal(keys(got), want) {
			t.Fatalf("Changes = %q, want %q", keys(got), want)
		}
		if got[1].Version != 2 {
			t.Errorf("a came back at version %d, want 2", got[1].Version)
		}
	})
}

func testChangesCallbackError(t *testing.T, fresh func(*testing.T) store.Store) {
	s := fresh(t)
	b := newBuilder()
	var recs []ticket.Record
	for i := range 10 {
		recs = append(recs, b.rec(fmt.Sprintf("t%02d", i), 1, "open"))
	}
	upsert(t, s, recs...)
	stop := errors.New("enough")
	calls := 0
	_, err := s.Changes(context.Background(), "", func(*ticket.Record) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Changes returned %v, want the callback's error", err)
	}
	if calls != 3 {
		t.Errorf("the callback ran %d times, want 3 (Changes must stop at the first error)", calls)
	}
}

func testChangesCancelled(t *testing.T, fresh func(*testing.T) store.Store) {
	s := fresh(t)
	b := newBuilder()
	upsert(t, s, b.rec("a", 1, "open"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	_, err := s.Changes(ctx, "", func(*ticket.Record) error { calls++; return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Changes with a cancelled context: error %v, want context.Canceled", err)
	}
	if calls != 0 {
		t.Errorf("the callback ran %d times with a cancelled context", calls)
	}
}

// testChangesMany crosses whatever page or chunk size a store reads in.
func testChangesMany(t *testing.T, fresh func(*testing.T) store.Store) {
	const n, batch = 2500, 500
	s := fresh(t)
	b := newBuilder()
	var order []string
	for start := 0; start < n; start += batch {
		var recs []ticket.Record
		for i := start; i < start+batch; i++ {
			k := fmt.Sprintf("t%05d", i)
			recs = append(recs, b.rec(k, 1, "open"))
			order = append(order, k)
		}
		upsert(t, s, recs...)
	}
	// Every tenth ticket changes again and moves to the end.
	var again []ticket.Record
	var moved []string
	for i := 0; i < n; i += 10 {
		k := fmt.Sprintf("t%05d", i)
		again = append(again, b.rec(k, 2, "closed"))
		moved = append(moved, k)
	}
	upsert(t, s, again...)
	want := slices.DeleteFunc(slices.Clone(order), func(k string) bool { return slices.Contains(moved, k) })
	want = append(want, moved...)

	got, _ := changes(t, s, "")
	if !slices.Equal(keys(got), want) {
		t.Fatalf("Changes gave %d tickets, want %d in change order (first difference at %d)",
			len(got), len(want), firstDifference(keys(got), want))
	}
	for _, r := range got {
		if wantVersion := int64(1 + btoi(slices.Contains(moved, r.Key))); r.Version != wantVersion {
			t.Fatalf("%s came back at version %d, want %d", r.Key, r.Version, wantVersion)
		}
	}

}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstDifference(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func testLayouts(t *testing.T, fresh func(*testing.T) store.Store) {
	s := fresh(t)
	b := newBuilder()
	a1, b1, a2 := b.rec("a1", 1, "open"), b.recB("b1", 1, "eu-west"), b.rec("a2", 1, "open")
	upsert(t, s, a1, b1)
	upsert(t, s, a2)
	got, _ := changes(t, s, "")
	want := []ticket.Record{a1, b1, a2}
	if len(got) != len(want) {
		t.Fatalf("Changes gave %q, want %q", keys(got), keys(want))
	}
	for i := range want {
		if !sameRecord(&got[i], &want[i]) {
			t.Errorf("change %d = %s, want %s", i, describe(&got[i]), describe(&want[i]))
		}
	}
	if got[0].Layout.ID() != got[2].Layout.ID() || got[0].Layout.ID() == got[1].Layout.ID() {
		t.Errorf("layout ids: a1 %q, b1 %q, a2 %q: records of one layout must share its id",
			got[0].Layout.ID(), got[1].Layout.ID(), got[2].Layout.ID())
	}
	if v := got[1].Get("region"); v.S != "eu-west" {
		t.Errorf("b1 region = %+v, want eu-west", v)
	}
	checkStored(t, s, want)
}

func testGet(t *testing.T, fresh func(*testing.T) store.Store) {
	b := newBuilder()
	tests := []struct {
		name string
		keys []string
		want []ticket.Record
	}{
		{name: "present keys", keys: []string{"a", "c"}, want: []ticket.Record{b.rec("a", 2, "closed"), b.recB("c", 1, "us")}},
		{name: "missing keys are skipped", keys: []string{"x", "a", "y"}, want: []ticket.Record{b.rec("a", 2, "closed")}},
		{name: "only missing keys", keys: []string{"x", "y"}},
		{name: "no keys", keys: nil},
	}
	s := fresh(t)
	upsert(t, s, b.rec("a", 1, "open"), b.rec("b", 1, "open"), b.recB("c", 1, "us"))
	upsert(t, s, b.rec("a", 2, "closed"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Get(context.Background(), tt.keys)
			if err != nil {
				t.Fatalf("Get(%q): %v", tt.keys, err)
			}
			sort.Slice(got, func(i, j int) bool { return got[i].Key < got[j].Key })
			if len(got) != len(tt.want) {
				t.Fatalf("Get(%q) = %q, want %q", tt.keys, keys(got), keys(tt.want))
			}
			for i := range tt.want {
				if !sameRecord(&got[i], &tt.want[i]) {
					t.Errorf("Get gave %s, want %s", describe(&got[i]), describe(&tt.want[i]))
				}
			}
		})
	}
	t.Run("records stay valid after later writes", func(t *testing.T) {
		got, err := s.Get(context.Background(), []string{"b"})
		if err != nil || len(got) != 1 {
			t.Fatalf("Get(b) = %d records, %v", len(got), err)
		}
		var filler []ticket.Record
		for i := range 200 {
			filler = append(filler, b.rec(fmt.Sprintf("f%03d", i), 1, strings.Repeat("z", 100)))
		}
		upsert(t, s, filler...)
		upsert(t, s, b.rec("b", 2, "overwritten"))
		if want := b.rec("b", 1, "open"); !sameRecord(&got[0], &want) {
			t.Errorf("a record from Get changed under the caller: %s", describe(&got[0]))
		}
	})
}

func testMeta(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	steps := []struct {
		name    string
		set     map[string]string // written before reading
		read    string
		want    string
		missing bool
	}{
		{name: "never written", read: "poller.watermark", missing: true},
		{name: "written", set: map[string]string{"poller.watermark": "2026-11-25T10:00:00Z"}, read: "poller.watermark", want: "2026-11-25T10:00:00Z"},
		{name: "overwritten", set: map[string]string{"poller.watermark": "2026-11-25T10:01:00Z"}, read: "poller.watermark", want: "2026-11-25T10:01:00Z"},
		{name: "another name is independent", set: map[string]string{"other": "x"}, read: "poller.watermark", want: "2026-11-25T10:01:00Z"},
		{name: "an empty value is a value", set: map[string]string{"empty": ""}, read: "empty", want: ""},
		{name: "binary values", set: map[string]string{"bin": "\x00\xff\x01"}, read: "bin", want: "\x00\xff\x01"},
	}
	s := fresh(t)
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for k, v := range st.set {
				if err := s.SetMeta(ctx, k, []byte(v)); err != nil {
					t.Fatalf("SetMeta(%q): %v", k, err)
				}
			}
			got, err := s.Meta(ctx, st.read)
			if st.missing {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Meta(%q) = %q, %v; want store.ErrNotFound", st.read, got, err)
				}
				return
			}
			if err != nil || string(got) != st.want {
				t.Errorf("Meta(%q) = %q, %v; want %q", st.read, got, err, st.want)
			}
		})
	}
	t.Run("callers own the bytes", func(t *testing.T) {
		value := []byte("abc")
		if err := s.SetMeta(ctx, "owned", value); err != nil {
			t.Fatal(err)
		}
		value[0] = 'X'
		got, err := s.Meta(ctx, "owned")
		if err != nil || string(got) != "abc" {
			t.Fatalf("Meta after changing the written slice = %q, %v; want abc", got, err)
		}
		got[1] = 'Y'
		if again, _ := s.Meta(ctx, "owned"); string(again) != "abc" {
			t.Errorf("Meta after changing a returned slice = %q, want abc", again)
		}
	})
}

func testInfo(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	b := newBuilder()
	s := fresh(t)
	steps := []struct {
		name    string
		write   []ticket.Record
		tickets int
	}{
		{name: "empty", tickets: 0},
		{name: "inserts count", write: []ticket.Record{b.rec("a", 1, "open"), b.rec("b", 1, "open"), b.recB("c", 1, "eu")}, tickets: 3},
		{name: "updates, replays and stale writes do not", write: []ticket.Record{b.rec("a", 2, "closed"), b.rec("b", 1, "open"), b.rec("a", 1, "open")}, tickets: 3},
		{name: "one more", write: []ticket.Record{b.rec("d", 1, "open"), b.rec("d", 2, "closed")}, tickets: 4},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			upsert(t, s, st.write...)
			info, err := s.Info(ctx)
			if err != nil {
				t.Fatalf("Info: %v", err)
			}
			if info.Tickets != st.tickets {
				t.Errorf("Info.Tickets = %d, want %d", info.Tickets, st.tickets)
			}
			if info.Kind != "embedded" && info.Kind != "dynamodb" && info.Kind != "memory" {
				t.Errorf("Info.Kind = %q, want embedded, dynamodb or memory", info.Kind)
			}
			if info.Location == "" {
				t.Error("Info.Location is empty")
			}
			if info.Bytes < 0 {
				t.Errorf("Info.Bytes = %d", info.Bytes)
			}
		})
	}
}

func testClose(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	s := fresh(t)
	b := newBuilder()
	upsert(t, s, b.rec("a", 1, "open"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"Upsert", func() error { _, err := s.Upsert(ctx, []ticket.Record{b.rec("b", 1, "open")}); return err }},
		{"Changes", func() error {
			_, err := s.Changes(ctx, "", func(*ticket.Record) error { return nil })
			return err
		}},
		{"Get", func() error { _, err := s.Get(ctx, []string{"a"}); return err }},
		{"Meta", func() error { _, err := s.Meta(ctx, "x"); return err }},
		{"SetMeta", func() error { return s.SetMeta(ctx, "x", []byte("y")) }},
		{"Info", func() error { _, err := s.Info(ctx); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: error %v, want store.ErrClosed", c.name, err)
		}
	}
	if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("second Close: %v, want nil or store.ErrClosed", err)
	}
}

// testConcurrent writes from several goroutines while others read; a reader that follows
// the cursor must see every ticket (run it with -race).
func testConcurrent(t *testing.T, fresh func(*testing.T) store.Store) {
	const writers, batches, perBatch = 4, 10, 25
	ctx := context.Background()
	s := fresh(t)
	b := newBuilder()

	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	for w := range writers {
		wg.Go(func() {
			for i := range batches {
				var recs []ticket.Record
				for j := range perBatch {
					recs = append(recs, b.rec(fmt.Sprintf("w%d-%03d", w, i*perBatch+j), 1, "open"))
				}
				// Each writer also updates one shared ticket, so that writers collide.
				recs = append(recs, b.rec("shared", int64(w*batches+i+1), "open"))
				if _, err := s.Upsert(ctx, recs); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	seen := map[string]bool{}
	var cur store.Cursor
	var readers sync.WaitGroup
	readers.Go(func() {
		follow := func() error {
			next, err := s.Changes(ctx, cur, func(r *ticket.Record) error {
				seen[strings.Clone(r.Key)] = true
				return nil
			})
			cur = next
			return err
		}
		for {
			select {
			case <-done:
				if err := follow(); err != nil {
					errs <- err
				}
				return
			default:
			}
			if err := follow(); err != nil {
				errs <- err
				return
			}
		}
	})
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := s.Get(ctx, []string{"w0-000", "shared"}); err != nil {
				errs <- err
				return
			}
			if _, err := s.Info(ctx); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if want := writers*batches*perBatch + 1; len(seen) != want {
		t.Errorf("a reader following the cursor saw %d tickets, want %d", len(seen), want)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := writers*batches*perBatch + 1; info.Tickets != want {
		t.Errorf("Info.Tickets = %d, want %d", info.Tickets, want)
	}
	if got, _ := s.Get(ctx, []string{"shared"}); len(got) != 1 || got[0].Version != writers*batches {
		t.Errorf("the shared ticket is %v, want version %d (the highest any writer wrote)", got, writers*batches)
	}
}

func testReopen(t *testing.T, open func() (store.Store, error)) {
	ctx := context.Background()
	b := newBuilder()
	must := func(s store.Store, err error) store.Store {
		t.Helper()
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}

	s := must(open())
	a, bb, c := b.rec("a", 1, "open"), b.rec("b", 2, "ack"), b.recB("c", 1, "ap-south")
	upsert(t, s, a, bb, c)
	if err := s.SetMeta(ctx, "watermark", []byte("w1")); err != nil {
		t.Fatal(err)
	}
	_, cur := changes(t, s, "")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = must(open())
	// The version rule and the layouts carry over: a replay is unchanged. This comes before
	// any read, which could otherwise warm up what the store should have kept.
	if res := upsert(t, s, a, c, b.rec("b", 1, "older")); res != (store.UpsertResult{Unchanged: 2, Stale: 1}) {
		t.Errorf("replaying after reopening = %+v, want 2 unchanged and 1 stale", res)
	}
	checkStored(t, s, []ticket.Record{a, bb, c})
	if got, err := s.Meta(ctx, "watermark"); err != nil || string(got) != "w1" {
		t.Errorf("Meta after reopening = %q, %v; want w1", got, err)
	}
	if info, err := s.Info(ctx); err != nil || info.Tickets != 3 {
		t.Errorf("Info after reopening = %+v, %v; want 3 tickets", info, err)
	}
	if got, _ := changes(t, s, cur); len(got) != 0 {
		t.Errorf("Changes from the cursor taken before reopening = %q, want nothing", keys(got))
	}
	d := b.rec("d", 1, "open")
	upsert(t, s, d)
	if got, _ := changes(t, s, cur); !slices.Equal(keys(got), []string{"d"}) {
		t.Errorf("Changes from the old cursor after a new write = %q, want [d]", keys(got))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = must(open())
	all, _ := changes(t, s, "")
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(keys(all), want) {
		t.Errorf("Changes after the second reopening = %q, want %q", keys(all), want)
	}
}
