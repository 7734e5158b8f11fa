package keytable

import (
	"math/rand/v2"
	"testing"
)

// TestAgainstAMap: inserts and lookups, through many growths and with keys 0 and the
// largest, give what Go's map gives.
func TestAgainstAMap(t *testing.T) {
	var tab Table
	want := map[uint64]int32{}
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []uint64{0, ^uint64(0) - 1, 1}
	for range 20000 {
		keys = append(keys, rng.Uint64N(30000)*7919)
	}
	for _, k := range keys {
		next := int32(len(want))
		slot, added := tab.FindOrAdd(k, next)
		w, had := want[k]
		if !had {
			want[k] = next
			w = next
		}
		if added == had || slot != w {
			t.Fatalf("FindOrAdd(%d) = %d, %v; want %d, %v", k, slot, added, w, !had)
		}
	}
	for k, w := range want {
		if got := tab.Find(k); got != w {
			t.Fatalf("Find(%d) = %d, want %d", k, got, w)
		}
	}
	if got := tab.Find(12345677); got != -1 {
		t.Fatalf("Find of a key never added = %d, want -1", got)
	}
	tab.Reserve(10)
	if got := tab.Find(keys[0]); got != -1 {
		t.Fatalf("after Reserve the table still holds %d at %d", keys[0], got)
	}
}

// TestMapAgainstAMap: Map's inserts, updates through the returned pointers and lookups,
// through many growths and with keys 0 and the largest, give what Go's map gives.
func TestMapAgainstAMap(t *testing.T) {
	var m Map[int64]
	want := map[uint64]int64{}
	rng := rand.New(rand.NewPCG(3, 4))
	keys := []uint64{0, ^uint64(0) - 1, 1}
	for range 50000 {
		keys = append(keys, rng.Uint64N(30000)*7919)
	}
	for i, k := range keys {
		v, added := m.FindOrAdd(k)
		_, had := want[k]
		if added == had {
			t.Fatalf("FindOrAdd(%d) added %v, but the key was there: %v", k, added, had)
		}
		*v += int64(i)
		want[k] += int64(i)
	}
	if m.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", m.Len(), len(want))
	}
	for k, w := range want {
		if got := m.Find(k); got == nil || *got != w {
			t.Fatalf("Find(%d) = %v, want %d", k, got, w)
		}
	}
	if got := m.Find(12345677); got != nil {
		t.Fatalf("Find of a key never added = %d, want nil", *got)
	}
	seen := 0
	m.All(func(k uint64, v *int64) {
		if want[k] != *v {
			t.Fatalf("All gave %d for %d, want %d", *v, k, want[k])
		}
		seen++
	})
	if seen != len(want) {
		t.Fatalf("All gave %d keys, want %d", seen, len(want))
	}
	m.Reserve(10)
	if m.Find(keys[0]) != nil || m.Len() != 0 {
		t.Fatal("after Reserve the map still holds keys")
	}
}
