// Package keytable is a hash table from uint64 keys to int32 slots, for the counts of
// combinations of values that the engine's leaves and the localize search make. It is a
// plain open-addressing table: a count inserts hundreds of thousands of keys and looks
// them up millions of times in a few milliseconds, and Go's map costs several times more
// per operation on keys of this kind (a hash call, buckets of eight, nothing inlined).
package keytable

import "math/bits"

// Table maps keys to slots; a key must be less than the largest uint64 (the table keeps
// key+1, with 0 for an empty place). The zero value is empty and ready to use.
type Table struct {
	keys  []uint64 // key+1, 0 for an empty place
	slots []int32
	shift uint8
	used  int
}

// Reserve empties the table and makes room for capacity keys before it grows.
func (t *Table) Reserve(capacity int) {
	size := 16
	for size < 2*capacity {
		size *= 2
	}
	t.keys = make([]uint64, size)
	t.slots = make([]int32, size)
	t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	t.used = 0
}

// home is the first place a key is looked for: Fibonacci hashing spreads the keys,
// which are mixed-radix numbers with many zero high bits.
func (t *Table) home(key uint64) int {
	return int((key * 0x9E3779B97F4A7C15) >> t.shift)
}

// Find returns the slot of key, or -1.
func (t *Table) Find(key uint64) int32 {
	if t.keys == nil {
		return -1
	}
	mask := len(t.keys) - 1
	want := key + 1
	for i := t.home(key); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case want:
			return t.slots[i]
		case 0:
			return -1
		}
	}
}

// FindOrAdd returns the slot of key, giving it next when it has none yet; added says
// whether it did.
func (t *Table) FindOrAdd(key uint64, next int32) (slot int32, added bool) {
	if t.keys == nil {
		t.Reserve(32)
	}
	mask := len(t.keys) - 1
	want := key + 1
	for i := t.home(key); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case want:
			return t.slots[i], false
		case 0:
			t.keys[i], t.slots[i] = want, next
			t.used++
			if 2*t.used > len(t.keys) {
				t.grow()
			}
			return next, true
		}
	}
}

func (t *Table) grow() {
	keys, slots := t.keys, t.slots
	t.Reserve(len(keys))
	mask := len(t.keys) - 1
	for j, k := range keys {
		if k == 0 {
			continue
		}
		i := t.home(k - 1)
		for t.keys[i] != 0 {
			i = (i + 1) & mask
		}
		t.keys[i], t.slots[i] = k, slots[j]
		t.used++
	}
}

// Map maps keys to values kept in the table itself, beside their keys: where each key's
// value is touched at once (a count per combination, as the engine counts rows per
// leaf), one place holds both and a lookup costs one cache miss instead of three (the
// key, its slot, the value the slot indexes). The zero value is empty and ready to use.
type Map[V any] struct {
	places []place[V]
	shift  uint8
	used   int
}

type place[V any] struct {
	key uint64 // key+1, 0 for an empty place
	val V
}

// Reserve empties the map and makes room for capacity keys before it grows.
func (m *Map[V]) Reserve(capacity int) {
	size := 16
	for size < 2*capacity {
		size *= 2
	}
	m.places = make([]place[V], size)
	m.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	m.used = 0
}

// Len is the number of keys.
func (m *Map[V]) Len() int { return m.used }

func (m *Map[V]) home(key uint64) int {
	return int((key * 0x9E3779B97F4A7C15) >> m.shift)
}

// Find returns key's value, or nil.
func (m *Map[V]) Find(key uint64) *V {
	if m.places == nil {
		return nil
	}
	mask := len(m.places) - 1
	want := key + 1
	for i := m.home(key); ; i = (i + 1) & mask {
		p := &m.places[i]
		switch p.key {
		case want:
			return &p.val
		case 0:
			return nil
		}
	}
}

// FindOrAdd returns key's value, adding the key with a zero value when it has none;
// added says whether it did. The pointer holds until the next FindOrAdd.
func (m *Map[V]) FindOrAdd(key uint64) (val *V, added bool) {
	if 2*(m.used+1) > len(m.places) {
		m.grow()
	}
	mask := len(m.places) - 1
	want := key + 1
	for i := m.home(key); ; i = (i + 1) & mask {
		p := &m.places[i]
		switch p.key {
		case want:
			return &p.val, false
		case 0:
			p.key = want
			m.used++
			return &p.val, true
		}
	}
}

func (m *Map[V]) grow() {
	old := m.places
	m.Reserve(max(len(old), 16))
	mask := len(m.places) - 1
	for _, p := range old {
		if p.key == 0 {
			continue
		}
		i := m.home(p.key - 1)
		for m.places[i].key != 0 {
			i = (i + 1) & mask
		}
		m.places[i] = p
		m.used++
	}
}

// All calls fn with every key and its value, in the order of the table's places (not
// of insertion).
func (m *Map[V]) All(fn func(key uint64, val *V)) {
	for i := range m.places {
		if p := &m.places[i]; p.key != 0 {
			fn(p.key-1, &p.val)
		}
	}
}
