package localize

import "github.com/spacetime/tickets/pkg/keytable"

// A cuboid is one group of dimensions (service × region, say) and the combinations of
// their values that the search weighs, each with its sums over the leaves it holds.
type cuboid struct {
	dims []int
	// A combination's key is its first value plus its second times r1 plus its third
	// times r2 (a mixed-radix number); d0, d1 and d2 are the dimensions (-1 for none).
	d0, d1, d2 int
	r1, r2     uint64
	// dense cuboids index their sums by key; sparse ones give each key a slot in
	// order of arrival.
	dense bool
	tab   keytable.Table
	keys  []uint64 // slot -> key, for sparse cuboids
	sum   []sums
	// live lists the slots with enough tickets in the window to explain a rise (see
	// search.minWindow).
	live []int32
	// minA is the fewest window tickets of a live combination.
	minA float64
	// touched lists the slots whose corr is not zero.
	touched []int32
}

// sums are a combination's window tickets (a), tickets of both periods (n), and how far
// the model's expectation of its window tickets lies from the global level's (corr: see
// search.correct). They sit together: the passes over the leaves add to a and n of the
// same combination at once.
type sums struct {
	a, n, corr float64
}

// denseCells is the largest cuboid kept as an array indexed by key (1.5 MiB of sums):
// the single dimensions and most pairs.
const denseCells = 1 << 16

// newCuboid makes a cuboid; with dense, small ones are arrays indexed by key. Groups of
// three keep only their combinations that can enter the answer (see buildTriples), a few
// of many, so they are always sparse.
func newCuboid(dims []int, card []int, dense bool) *cuboid {
	cb := &cuboid{dims: dims, d0: dims[0], d1: -1, d2: -1}
	cells := uint64(card[dims[0]])
	if len(dims) > 1 {
		cb.d1, cb.r1 = dims[1], cells
		cells *= uint64(card[dims[1]])
	}
	if len(dims) > 2 {
		cb.d2, cb.r2 = dims[2], cells
		cells *= uint64(card[dims[2]])
	}
	if dense && cells <= denseCells {
		cb.dense = true
		cb.sum = make([]sums, cells)
	}
	return cb
}

// key returns the key of the combination that holds a leaf of the given codes.
func (cb *cuboid) key(codes []uint32) uint64 {
	k := uint64(codes[cb.d0])
	if cb.d1 >= 0 {
		k += uint64(codes[cb.d1]) * cb.r1
		if cb.d2 >= 0 {
			k += uint64(codes[cb.d2]) * cb.r2
		}
	}
	return k
}

// slot returns the slot of key, or -1 when the cuboid does not weigh it.
func (cb *cuboid) slot(key uint64) int32 {
	if cb.dense {
		return int32(key)
	}
	return cb.tab.Find(key)
}

// add adds a leaf's counts to the combination of key.
func (cb *cuboid) add(key uint64, a, n float64) {
	if cb.dense {
		s := &cb.sum[key]
		s.a += a
		s.n += n
		return
	}
	sl, added := cb.tab.FindOrAdd(key, int32(len(cb.sum)))
	if added {
		cb.keys = append(cb.keys, key)
		cb.sum = append(cb.sum, sums{a: a, n: n})
		return
	}
	s := &cb.sum[sl]
	s.a += a
	s.n += n
}

// keyOf returns the key of a slot.
func (cb *cuboid) keyOf(s int32) uint64 {
	if cb.dense {
		return uint64(s)
	}
	return cb.keys[s]
}

// radix is the multiplier of the i-th dimension's value in a key.
func (cb *cuboid) radix(i int) uint64 {
	switch i {
	case 0:
		return 1
	case 1:
		return cb.r1
	}
	return cb.r2
}

// codes decodes a key into the values of the cuboid's dimensions.
func (cb *cuboid) codes(key uint64, card []int) []uint32 {
	out := make([]uint32, len(cb.dims))
	for i, d := range cb.dims {
		out[i] = uint32(key / cb.radix(i) % uint64(card[d]))
	}
	return out
}

// keysOf writes into dst the key of the combination of cb that holds each leaf, leaf by
// leaf, reading the leaves' codes column by column (cols[d][l] is leaf l's value of
// dimension d): the passes that sum a cuboid run over these keys in tight loops.
func (cb *cuboid) keysOf(cols [][]uint32, dst []uint64) []uint64 {
	c0 := cols[cb.d0][:len(dst)]
	switch {
	case cb.d2 >= 0:
		c1, c2 := cols[cb.d1][:len(dst)], cols[cb.d2][:len(dst)]
		r1, r2 := cb.r1, cb.r2
		for l := range dst {
			dst[l] = uint64(c0[l]) + uint64(c1[l])*r1 + uint64(c2[l])*r2
		}
	case cb.d1 >= 0:
		c1 := cols[cb.d1][:len(dst)]
		r1 := cb.r1
		for l := range dst {
			dst[l] = uint64(c0[l]) + uint64(c1[l])*r1
		}
	default:
		for l := range dst {
			dst[l] = uint64(c0[l])
		}
	}
	return dst
}
