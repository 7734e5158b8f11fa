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

// sliceRows is how many rows a slice of a cheap loop (counting, bucketing, gathering)
// covers: tens of microseconds of work.
const sliceRows = 1 << 16

// filterWork is how many row tests a slice of filtering may make: a filter with many
// conditions gets shorter slices, so that no slice takes long.
const filterWork = 1 << 16

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
}

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
}

func (r *reader) unlock() {
	if r.held {
		r.e.mu.RUnlock()
		r.held = false
	}
}

// pause ends a slice: it lets a waiting writer in, and reports the query's cancellation
// or a change of the columns' form.
func (r *reader) pause() error {
	if h := r.e.opts.onSlice; h != nil {
		h()
	}
	if r.e.writers.Load() > 0 && !r.keep {
		r.e.mu.RUnlock()
		r.e.mu.RLock()
	}
	if r.e.shape.Load() != r.shape {
		return errShapeChanged
	}
	return r.ctx.Err()
}

// wait waits for ch without holding the lock (what it waits for may need a writer to go
// first), and takes the lock again.
func (r *reader) wait(ch <-chan struct{}) error {
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

// slices calls fn with consecutive parts of rows of at most size rows, pausing after
// each.
func (r *reader) slices(rows []uint32, size int, fn func(part []uint32)) error {
	for len(rows) > 0 {
		n := min(len(rows), size)
		fn(rows[:n])
		rows = rows[n:]
		if err := r.pause(); err != nil {
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
