package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// How queries share the engine with writers.
//
// Writers (Apply, Sync, Trim's swap) take the write lock for one chunk of records at a
// time. Queries take the read lock, but never for long: a query's work is cut into slices
// (a chunk of rows to filter, to count, to rank) and between two slices the query calls
// pause, which lets a waiting writer in: sync.RWMutex blocks new readers as soon as a
// writer waits, and the writer gets the lock when every reader that held it has reached
// the end of its slice. So a write waits at most for one slice of each query running, a
// bound set by the slice sizes below (a fraction of a millisecond of work at most, and
// less for costly filters, whose slices are shorter), however big or slow the query is.
// And a small query waits at most for the writes ahead of it, which are short too.
//
// Between two slices the tickets may change: a query that runs while tickets are written
// sees each slice of rows as it is then (read committed, not a snapshot), so a ticket
// updated in the middle of a query may be counted at its new values. Every loop over rows
// tolerates that: a row's time may have left the range, and a code may be newer than the
// query's first look at the dictionary. Two changes are of another kind: a number column
// that outgrows its dictionary turns into plain floats, and Trim swaps every column for
// new ones with other row numbers. Both bump the engine's shape; a query that finds the
// shape changed after a pause starts again from the beginning, and its last attempt
// keeps the lock throughout (both changes are rare: once per column, and hourly).

// sliceTime is how long a slice of a query's work lasts at most before the query pauses
// (plus one chunk): what a write waits for at worst.
const sliceTime = time.Millisecond

// chunkRows is how many rows a cheap loop (counting, bucketing, gathering) handles between
// two looks at the clock: a few microseconds of work. A filter's chunks are shorter by
// its number of tests.
const chunkRows = 4096

// testWork is what a string test of one value (a regular expression, a search of a
// title) counts for in a query's work, against 1 for looking a row up.
const testWork = 64

// DefaultMaxQueryTime stops a query that runs longer, whatever its caller's deadline: a
// careless query (a regular expression over every title of a month, many times over)
// must fail, not hold a core for minutes.
const DefaultMaxQueryTime = 30 * time.Second

// ErrTooExpensive marks a query that asked for more work or memory than the engine gives
// one query; it is the user's to narrow, so it wraps ErrBadRequest too.
var ErrTooExpensive = fmt.Errorf("%w: the query is too expensive", ErrBadRequest)

// errShapeChanged tells a query that the columns changed form during a pause; it starts
// again.
var errShapeChanged = errors.New("engine: the columns changed form during the query")

// reader is one query's hold of the read lock.
type reader struct {
	e     *Engine
	ctx   context.Context
	shape uint64
	held  bool
	// keep holds the lock through every pause.
	keep bool
	// work counts the rows the query has read (times the tests per row, for a filter,
	// and testWork per value tested); inLane says it holds a place in the engine's lane
	// of long queries.
	work   int
	inLane bool
	// sliceStart is when the current slice began.
	sliceStart time.Time
}

// Long queries share a lane.
//
// Sixteen heavy queries at once would otherwise take every core, and a small query (a
// breakdown of the last hour) would get a seventeenth of the machine: its latency would
// grow with the number of heavy queries. A query that has read more than longWork rows is
// long; from then on each of its slices takes a place in the lane, which has room for
// half the cores (at least one), and waits without holding the read lock when there is
// none. Small queries never wait for the lane, so they keep the other cores.
const longWork = 256 << 10

// read runs fn under the read lock, with the query's deadline bounded by MaxQueryTime,
// starting again (a few times) when the columns change form under it.
func (e *Engine) read(ctx context.Context, fn func(r *reader) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, e.opts.MaxQueryTime, errQueryTime)
	defer cancel()
	for attempt := 1; ; attempt++ {
		// The last attempt keeps the lock from start to end: the shape cannot change
		// under it, so a query finishes however often the columns change form.
		r := &reader{e: e, ctx: ctx, keep: attempt == maxAttempts}
		r.lock()
		err := fn(r)
		r.unlock()
		if !errors.Is(err, errShapeChanged) {
			return r.explain(err)
		}
	}
}

// maxAttempts is how many times a query starts when the columns change form under it.
const maxAttempts = 3

func (r *reader) lock() {
	r.e.mu.RLock()
	r.held = true
	r.shape = r.e.shape.Load()
	r.sliceStart = time.Now()
}

func (r *reader) unlock() {
	r.leaveLane()
	if r.held {
		r.e.mu.RUnlock()
		r.held = false
	}
}

func (r *reader) leaveLane() {
	if r.inLane {
		<-r.e.lane
		r.inLane = false
	}
}

// pause ends a slice: it lets a waiting writer in, and reports the query's cancellation
// or a change of the columns' form.
func (r *reader) pause() error {
	if h := r.e.opts.onSlice; h != nil {
		h()
	}
	r.leaveLane()
	if !r.keep {
		if r.work > longWork {
			if err := r.enterLane(); err != nil {
				return err
			}
		} else if r.e.writers.Load() > 0 {
			r.e.mu.RUnlock()
			r.e.mu.RLock()
		}
	}
	if r.e.shape.Load() != r.shape {
		return errShapeChanged
	}
	r.sliceStart = time.Now()
	return r.ctx.Err()
}

// tick counts n units of work done and pauses when the slice's time is spent.
func (r *reader) tick(n int) error {
	r.work += n
	// A waiting writer ends the slice at once: it waits for every reader that holds the
	// lock, and one that only looks at the clock would keep it a whole slice longer.
	if time.Since(r.sliceStart) < r.e.opts.sliceTime && r.e.writers.Load() == 0 {
		return nil
	}
	return r.pause()
}

// enterLane takes a place in the lane of long queries, waiting for one without the lock.
func (r *reader) enterLane() error {
	select {
	case r.e.lane <- struct{}{}:
		r.inLane = true
		if r.e.writers.Load() > 0 {
			r.e.mu.RUnlock()
			r.e.mu.RLock()
		}
		return nil
	default:
	}
	r.e.mu.RUnlock()
	select {
	case r.e.lane <- struct{}{}:
		r.inLane = true
	case <-r.ctx.Done():
	}
	r.e.mu.RLock()
	return r.ctx.Err()
}

// wait waits for ch without holding the lock (what it waits for may need a writer to go
// first), and takes the lock again.
func (r *reader) wait(ch <-chan struct{}) error {
	r.leaveLane()
	r.e.mu.RUnlock()
	var err error
	select {
	case <-ch:
	case <-r.ctx.Done():
		err = r.ctx.Err()
	}
	r.e.mu.RLock()
	if err != nil {
		return err
	}
	if r.e.shape.Load() != r.shape {
		return errShapeChanged
	}
	return nil
}

// errQueryTime is the cause of the engine's own deadline, told apart from the caller's.
var errQueryTime = errors.New("the query ran for the longest time a query may")

// explain turns the engine's own deadline into a message that says what happened.
func (r *reader) explain(err error) error {
	if err != nil && errors.Is(err, context.DeadlineExceeded) && context.Cause(r.ctx) == errQueryTime {
		return fmt.Errorf("%w: it ran for %s, the most a query may; narrow the time range or the filter", ErrTooExpensive, r.e.opts.MaxQueryTime)
	}
	return err
}

// slices calls fn with consecutive parts of rows of at most size rows, pausing when a
// slice's time is spent.
func (r *reader) slices(rows []uint32, size int, fn func(part []uint32)) error {
	return r.slicesCost(rows, size, 1, fn)
}

// slicesCost is slices for work that costs cost per row.
func (r *reader) slicesCost(rows []uint32, size, cost int, fn func(part []uint32)) error {
	for len(rows) > 0 {
		n := min(len(rows), size)
		fn(rows[:n])
		rows = rows[n:]
		if err := r.tick(n * cost); err != nil {
			return err
		}
	}
	return nil
}

// lockWrite takes the write lock, telling readers that a writer waits so that they let it
// in at the end of their slice.
func (e *Engine) lockWrite() {
	e.writers.Add(1)
	e.mu.Lock()
	e.writers.Add(-1)
}
