package localize

import (
	"cmp"
	"slices"
	"sync/atomic"

	"github.com/spacetime/tickets/pkg/keytable"
)

// Combinations of three dimensions are the many: every leaf makes one in each group of
// three (20 groups over six dimensions), and summing them was most of a search's time on
// a long window. Only a few can enter the answer: a combination needs minA window
// tickets (see minWindow and minClumps). On a long window nearly every pair reaches
// minA, so pruning by pairs visits nearly every leaf anyway; what costs is how each leaf
// is added, and how many combinations are kept.

// maxTripleEntries bounds the combinations of three dimensions a search keeps: each
// costs about 56 bytes (its sums and its place in a hash table), so 2M of them are about
// 110 MB, the scale of the engine's own bound on leaves. Only the combinations that can
// enter the answer count (see buildTriples); past the bound (a window of millions of
// tickets spread over many dimensions), the search weighs combinations of up to two
// dimensions and says so.
const maxTripleEntries = 2 << 20

// denseTripleCells is the largest group of three summed in an array indexed by key
// (16 MiB of sums, reused from group to group); larger ones are summed in a hash table.
const denseTripleCells = 1 << 20

// maxFilteredShare is the largest share of tickets a pair's eligible combinations may
// hold for its filter to be worth testing leaf by leaf.
const maxFilteredShare = 0.75

// tripleCell is a combination of three dimensions found with enough window tickets.
type tripleCell struct {
	key  uint64
	a, n float64
	// first is the first window leaf it holds, which orders the combinations as a pass
	// over the leaves finds them (so that ties between equal candidates go the same way
	// however the sums were made).
	first int32
}

// cellSums are a combination's sums while a group of three is summed; first is 1 + the
// first window leaf it holds (0: none yet).
type cellSums struct {
	a, n  float64
	first int32
}

// buildTriples makes the cuboids of three dimensions, each holding only its combinations
// with at least minA window tickets: the others can never enter the answer (see
// minWindow and minClumps), and on a long window they are nearly all of them. It reports
// false, and leaves the search with one and two dimensions only, when they would pass
// the search's bound (maxTripleEntries, or Options.tripleBudget in tests).
//
// A group is summed in one pass over the leaves into an array indexed by key when its
// combinations are few enough (every group of the default facets), which stays in the
// cache while the leaves stream past; else into a hash table. Only then are the
// combinations that reach minA kept.
func (s *search) buildTriples(minA float64) bool {
	if s.opts.MaxDims < 3 {
		return true
	}
	budget := maxTripleEntries
	if s.opts.tripleBudget > 0 {
		budget = s.opts.tripleBudget
	}
	var triples []*cuboid
	for i := range s.dims {
		for j := i + 1; j < s.dims; j++ {
			for k := j + 1; k < s.dims; k++ {
				triples = append(triples, s.addCuboid([]int{i, j, k}))
			}
		}
	}
	// Each pair's combinations that reach minA, and the share of all tickets they hold:
	// a three whose pair misses minA misses it too, so on a short window, where few
	// pairs reach it, a group is summed over the leaves of its most selective pair's
	// combinations that do (an exact filter; on a long window nearly every leaf passes,
	// and the test would only cost).
	eligible := map[*cuboid][]bool{}
	held := map[*cuboid]float64{}
	for _, p := range s.pairs {
		if !p.dense {
			continue
		}
		e := make([]bool, len(p.sum))
		n := 0.0
		for sl, x := range p.sum {
			if x.a >= minA {
				e[sl] = true
				n += x.n
			}
		}
		eligible[p], held[p] = e, n/max(s.totalN, 1)
	}
	type scratch struct {
		keys       []uint64
		dense      []cellSums
		table      keytable.Table
		sparse     []cellSums
		sparseKeys []uint64
	}
	work := make([]scratch, s.workers)
	var entries atomic.Int64
	s.each(len(triples), func(t, w int) {
		if entries.Load() > int64(budget) {
			return // dropped below
		}
		cb := triples[t]
		sc := &work[w]
		if sc.keys == nil {
			sc.keys = make([]uint64, s.leaves)
		}
		size := uint64(s.card[cb.d0]) * uint64(s.card[cb.d1]) * uint64(s.card[cb.d2])
		var cells []tripleCell
		keys := cb.keysOf(s.cols, sc.keys)
		// The filter: the parent pair whose eligible combinations hold fewest tickets.
		var pass []bool
		var p0, p1 []uint32
		var r1 uint64
		least := maxFilteredShare
		for _, pd := range [][3]int{{cb.d0, cb.d1, -1}, {cb.d0, cb.d2, -1}, {cb.d1, cb.d2, -1}} {
			p := s.byDims[pd]
			if e, ok := eligible[p]; ok && held[p] < least {
				least, pass = held[p], e
				p0, p1, r1 = s.cols[p.d0][:len(keys)], s.cols[p.d1][:len(keys)], p.r1
			}
		}
		if size <= denseTripleCells {
			if uint64(len(sc.dense)) < size {
				sc.dense = make([]cellSums, size)
			}
			sum := sc.dense[:size]
			for l, k := range keys {
				if pass != nil && !pass[uint64(p0[l])+uint64(p1[l])*r1] {
					continue
				}
				x := &sum[k]
				x.a += s.a[l]
				x.n += s.n[l]
				if x.first == 0 && s.a[l] > 0 {
					x.first = int32(l) + 1
				}
			}
			for key := range sum {
				if x := &sum[key]; x.a >= minA {
					cells = append(cells, tripleCell{key: uint64(key), a: x.a, n: x.n, first: x.first - 1})
				}
			}
			clear(sum)
		} else {
			sc.table.Reserve(min(s.leaves, 1<<16))
			sc.sparse, sc.sparseKeys = sc.sparse[:0], sc.sparseKeys[:0]
			for l, key := range keys {
				if pass != nil && !pass[uint64(p0[l])+uint64(p1[l])*r1] {
					continue
				}
				sl, added := sc.table.FindOrAdd(key, int32(len(sc.sparse)))
				if added {
					sc.sparse = append(sc.sparse, cellSums{})
					sc.sparseKeys = append(sc.sparseKeys, key)
				}
				x := &sc.sparse[sl]
				x.a += s.a[l]
				x.n += s.n[l]
				if x.first == 0 && s.a[l] > 0 {
					x.first = int32(l) + 1
				}
			}
			for sl, x := range sc.sparse {
				if x.a >= minA {
					cells = append(cells, tripleCell{key: sc.sparseKeys[sl], a: x.a, n: x.n, first: x.first - 1})
				}
			}
		}
		// Past the budget nothing more is kept; whether it is passed does not depend on
		// the order in which the groups are summed, as each group keeps what it keeps.
		if entries.Add(int64(len(cells))) > int64(budget) {
			return
		}
		// The order of a pass over the leaves (see tripleCell.first), but for the groups
		// small enough that the search once kept them in arrays, in the order of keys.
		if size > denseCells {
			slices.SortFunc(cells, func(x, y tripleCell) int { return cmp.Compare(x.first, y.first) })
		}
		cb.tab.Reserve(len(cells))
		cb.keys = make([]uint64, 0, len(cells))
		cb.sum = make([]sums, 0, len(cells))
		for _, c := range cells {
			cb.add(c.key, c.a, c.n)
		}
	})
	if entries.Load() > int64(budget) {
		s.dropTriples(triples)
		return false
	}
	return true
}

// dropTriples takes the cuboids of three dimensions out of the search.
func (s *search) dropTriples(triples []*cuboid) {
	for _, cb := range triples {
		delete(s.byDims, [3]int{cb.d0, cb.d1, cb.d2})
	}
	s.cuboids = slices.DeleteFunc(s.cuboids, func(cb *cuboid) bool { return len(cb.dims) == 3 })
	s.opts.MaxDims = 2
}
