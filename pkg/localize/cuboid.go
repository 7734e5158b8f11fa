package localize

// A cuboid is one group of dimensions (service × region, say) and the combinations of
// their values that the search weighs, each with its sums over the leaves it holds.
type cuboid struct {
	dims  []int
	radix []uint64 // a combination's key is the sum of its codes times these
	// dense cuboids index their sums by key; sparse ones give each key a slot in
	// order of arrival.
	dense bool
	tab   table
	keys  []uint64 // slot -> key, for sparse cuboids
	// a and n sum the window's tickets and both periods' tickets of each slot; corr sums,
	// over the leaves that some cause of the model holds, how far the model's expectation
	// for the window moved from the global level's (see search.correct).
	a, n, corr []float64
	// live lists the slots with tickets in the window: only those can explain a rise.
	live []int32
	// touched lists the slots whose corr is not zero.
	touched []int32
}

// denseCells is the largest cuboid kept as arrays indexed by key (1 MiB of sums): the
// single dimensions and most pairs.
const denseCells = 1 << 16

func newCuboid(dims []int, card []int) *cuboid {
	cb := &cuboid{dims: dims, radix: make([]uint64, len(dims))}
	cells := uint64(1)
	for i, d := range dims {
		cb.radix[i] = cells
		cells *= uint64(card[d])
	}
	if cells <= denseCells {
		cb.dense = true
		cb.a = make([]float64, cells)
		cb.n = make([]float64, cells)
		cb.corr = make([]float64, cells)
	}
	return cb
}

// key returns the key of the combination that holds a leaf of the given codes.
func (cb *cuboid) key(codes []uint32) uint64 {
	k := uint64(0)
	for i, d := range cb.dims {
		k += uint64(codes[d]) * cb.radix[i]
	}
	return k
}

// slot returns the slot of key, or -1 when the cuboid does not weigh it.
func (cb *cuboid) slot(key uint64) int32 {
	if cb.dense {
		return int32(key)
	}
	return cb.tab.find(key)
}

// add adds a leaf's counts to the combination of key.
func (cb *cuboid) add(key uint64, a, n float64) {
	if cb.dense {
		cb.a[key] += a
		cb.n[key] += n
		return
	}
	s, added := cb.tab.findOrAdd(key, int32(len(cb.a)))
	if added {
		cb.keys = append(cb.keys, key)
		cb.a = append(cb.a, a)
		cb.n = append(cb.n, n)
		cb.corr = append(cb.corr, 0)
		return
	}
	cb.a[s] += a
	cb.n[s] += n
}

// finish lists the live slots once every leaf is in.
func (cb *cuboid) finish() {
	for s, a := range cb.a {
		if a > 0 {
			cb.live = append(cb.live, int32(s))
		}
	}
}

// keyOf returns the key of a slot.
func (cb *cuboid) keyOf(s int32) uint64 {
	if cb.dense {
		return uint64(s)
	}
	return cb.keys[s]
}

// codes decodes a key into the values of the cuboid's dimensions.
func (cb *cuboid) codes(key uint64, card []int) []uint32 {
	out := make([]uint32, len(cb.dims))
	for i, d := range cb.dims {
		out[i] = uint32(key / cb.radix[i] % uint64(card[d]))
	}
	return out
}

// holds reports whether a leaf of the given codes lies in the combination of key.
func (cb *cuboid) holds(key uint64, codes []uint32) bool {
	return cb.key(codes) == key
}
