package engine

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"sync"
)

// timeIndex orders the rows of one time column by (time, row), so that the rows of a time
// range are found with two binary searches and come out in time order, which the counts
// walk and the newest-first table rely on.
//
// It is incremental. main is sorted and never changed once published (a merge makes a new
// slice), so a selection may alias it. Rows added or whose time changed since the last
// merge are in tail, unsorted, and flagged in inTail; a moved row stays at its old place
// in main too, where the flag tells readers to skip it. Queries sort the few tail rows of
// their range and merge them with the main part. When the tail grows past a fraction of
// main, the next query folds it into a new main: writers never sort, and a merge costs
// one pass, not a sort of everything.
//
// Writers change tail and inTail under the engine's write lock. Readers hold the engine's
// read lock, and mu orders the readers among themselves, since one of them may merge.
type timeIndex struct {
	mu     sync.Mutex
	main   []uint32
	tail   []uint32
	inTail []uint64 // bit per row
	stale  int      // rows in main whose flag is set
}

// mergeThreshold is the tail length past which a query merges it into main. A tail scan
// costs each query of the index; a merge costs one pass over main.
func mergeThreshold(mainLen int) int { return max(2048, mainLen/256) }

func newTimeIndex(rows int) *timeIndex {
	ix := &timeIndex{}
	ix.reserve(rows)
	for r := range rows {
		ix.added(uint32(r))
	}
	return ix
}

func (ix *timeIndex) reserve(rows int) {
	words := (rows + 63) / 64
	if len(ix.inTail) < words {
		ix.inTail = append(growSlice(ix.inTail, words), make([]uint64, words-len(ix.inTail))...)
	}
}

func (ix *timeIndex) flagged(row uint32) bool { return ix.inTail[row/64]&(1<<(row%64)) != 0 }

// added records a new row.
func (ix *timeIndex) added(row uint32) {
	ix.reserve(int(row) + 1)
	ix.inTail[row/64] |= 1 << (row % 64)
	ix.tail = append(ix.tail, row)
}

// moved records that row's time changed.
func (ix *timeIndex) moved(row uint32) {
	if ix.flagged(row) {
		return // already in the tail, which is sorted by the current times
	}
	ix.inTail[row/64] |= 1 << (row % 64)
	ix.tail = append(ix.tail, row)
	ix.stale++
}

func (ix *timeIndex) bytes() int { return 4*cap(ix.main) + 4*cap(ix.tail) + 8*cap(ix.inTail) }

// compact merges the tail into main when it has grown past the threshold, or always when
// force is set. The caller holds the engine's read lock and ix.mu.
func (ix *timeIndex) compact(ms []int64, force bool) {
	if len(ix.tail) == 0 || (!force && len(ix.tail) <= mergeThreshold(len(ix.main))) {
		return
	}
	tail := sortRowsByTime(ix.tail, ms)
	out := make([]uint32, 0, len(ix.main)-ix.stale+len(tail))
	i := 0
	for _, r := range ix.main {
		if ix.stale > 0 && ix.flagged(r) {
			continue
		}
		for i < len(tail) && before(ms, tail[i], r) {
			out = append(out, tail[i])
			i++
		}
		out = append(out, r)
	}
	out = append(out, tail[i:]...)
	for _, r := range tail {
		ix.inTail[r/64] &^= 1 << (r % 64)
	}
	ix.main = out
	ix.tail = ix.tail[:0]
	ix.stale = 0
}

func before(ms []int64, a, b uint32) bool {
	ta, tb := ms[a], ms[b]
	return ta < tb || (ta == tb && a < b)
}

// sortRowsByTime returns rows sorted by (time, row) in a new slice. It sorts pairs with
// the time inline rather than looking it up per comparison, and skips the sort for input
// that is already in order, as a load in time order is.
func sortRowsByTime(rows []uint32, ms []int64) []uint32 {
	out := make([]uint32, len(rows))
	sorted := true
	for i := 1; i < len(rows); i++ {
		if before(ms, rows[i], rows[i-1]) {
			sorted = false
			break
		}
	}
	if sorted {
		copy(out, rows)
		return out
	}
	type pair struct {
		t   int64
		row uint32
	}
	pairs := make([]pair, len(rows))
	for i, r := range rows {
		pairs[i] = pair{ms[r], r}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
	for i, p := range pairs {
		out[i] = p.row
	}
	return out
}

// timeRange is a range of milliseconds [lo, hi), or every row, nulls included, when all
// is set.
type timeRange struct {
	all    bool
	lo, hi int64
}

// rows returns the rows whose time lies in r, sorted by (time, row). The result may
// alias main: callers must not change it. The caller holds the engine's read lock.
func (ix *timeIndex) rows(ms []int64, r timeRange) []uint32 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.compact(ms, false)
	lo, hi := r.lo, r.hi
	if r.all {
		lo, hi = math.MinInt64, math.MaxInt64
	}
	main := ix.main
	// A moved row keeps its old place in main but has its new time: searches look at the
	// first row at or after a place that has not moved, whose time is in order.
	timeAt := func(i int) int64 {
		if ix.stale > 0 {
			for i < len(main) && ix.flagged(main[i]) {
				i++
			}
			if i == len(main) {
				return math.MaxInt64
			}
		}
		return ms[main[i]]
	}
	a, b := 0, len(main) // with r.all, MaxInt64 itself is a time too
	if !r.all {
		a = sort.Search(len(main), func(i int) bool { return timeAt(i) >= lo })
		b = a + sort.Search(len(main)-a, func(i int) bool { return timeAt(a+i) >= hi })
	}
	part := main[a:b]
	var extra []uint32
	for _, row := range ix.tail {
		if t := ms[row]; r.all || (t >= lo && t < hi) {
			extra = append(extra, row)
		}
	}
	if ix.stale == 0 && len(extra) == 0 {
		return part
	}
	extra = sortRowsByTime(extra, ms)
	out := make([]uint32, 0, len(part)+len(extra))
	i := 0
	for _, row := range part {
		if ix.stale > 0 && ix.flagged(row) {
			continue
		}
		for i < len(extra) && before(ms, extra[i], row) {
			out = append(out, extra[i])
			i++
		}
		out = append(out, row)
	}
	return append(out, extra[i:]...)
}
