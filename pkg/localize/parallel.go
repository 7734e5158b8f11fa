package localize

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The passes that sum the leaves into cuboids (one cuboid each) are independent, so they
// can share cores. Each pass writes only its own cuboid and its worker's scratch, and the
// results are read in cuboid order: the answer does not depend on which worker ran which
// pass. A search takes half the machine's cores, as the engine's long queries do (its
// lane), and at most maxWorkers: on two cores it sums on one, as the other is the
// queries' beside it (measured on a shared two-core machine, a second worker gained
// nothing: the other core was busy).

// maxWorkers is the most goroutines a search sums with.
const maxWorkers = 2

// workers is how many goroutines a search sums with.
func workers() int { return max(1, min(maxWorkers, runtime.GOMAXPROCS(0)/2)) }

// each calls fn(i, w) for every i in [0, n) on up to s.workers goroutines, w being the
// worker (0 to s.workers-1, for its scratch). It stops handing out work when the context
// ends.
func (s *search) each(n int, fn func(i, w int)) {
	k := min(s.workers, n)
	if k <= 1 {
		for i := range n {
			if s.ctx.Err() != nil {
				return
			}
			fn(i, 0)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range k {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || s.ctx.Err() != nil {
					return
				}
				fn(i, w)
			}
		})
	}
	wg.Wait()
}
