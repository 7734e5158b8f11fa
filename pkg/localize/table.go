package localize

import "math/bits"

// table maps a combination's key to its slot. It is a plain open-addressing hash table:
// a search inserts hundreds of thousands of keys and looks them up millions of times in
// a few milliseconds, and Go's map costs several times more per operation on uint64
// keys of this kind (a hash call, buckets of eight, interface-free but not inlined).
type table struct {
	keys  []uint64 // key+1, 0 for an empty place
	slots []int32
	shift uint8
	used  int
}

func (t *table) init(capacity int) {
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
func (t *table) home(key uint64) int {
	return int((key * 0x9E3779B97F4A7C15) >> t.shift)
}

// find returns the slot of key, or -1.
func (t *table) find(key uint64) int32 {
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

// findOrAdd returns the slot of key, giving it next when it has none yet; added says
// whether it did.
func (t *table) findOrAdd(key uint64, next int32) (slot int32, added bool) {
	if t.keys == nil {
		t.init(64)
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

func (t *table) grow() {
	keys, slots := t.keys, t.slots
	t.init(len(keys))
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
