package engine

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Watching the writes.
//
// A live panel wants the tickets of each write as soon as the engine holds them, and
// only those: running its whole query again on every write would cost a full query per
// write per panel. A Watcher is told the keys of the tickets each write changed (inserted
// or updated, not the stale versions it ignored), after the write lock is let go, and
// TicketsOf answers a tickets request over those keys only.
//
// A watcher never holds a writer up: publishing appends the keys to the watcher's pending
// set under its own small lock and signals a channel of one place, so a slow reader only
// makes its pending set grow, up to MaxPendingKeys; beyond that the watcher drops the
// keys and says so (Overflow), and its reader runs its whole query once instead.

// MaxPendingKeys bounds the keys a watcher holds for its reader: a burst beyond it (a
// bulk load, the first sync) is reported as an overflow rather than key by key.
const MaxPendingKeys = 100_000

// Watcher receives the keys of the tickets that writes change. It is safe for concurrent
// use; Close it when done.
type Watcher struct {
	e     *Engine
	ready chan struct{}

	mu       sync.Mutex
	keys     map[string]struct{}
	order    []string
	overflow bool
	gen      uint64
}

// watchers is the engine's set of watchers.
type watchers struct {
	n   atomic.Int32 // len(set), read by writers without the lock
	mu  sync.Mutex
	set map[*Watcher]struct{}
}

// Watch returns a new watcher of the engine's writes.
func (e *Engine) Watch() *Watcher {
	w := &Watcher{e: e, ready: make(chan struct{}, 1), keys: map[string]struct{}{}}
	e.watch.mu.Lock()
	if e.watch.set == nil {
		e.watch.set = map[*Watcher]struct{}{}
	}
	e.watch.set[w] = struct{}{}
	e.watch.n.Store(int32(len(e.watch.set)))
	e.watch.mu.Unlock()
	return w
}

// Ready is signalled when keys are pending; Take them.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Changes is what a watcher was told since its last Take.
type Changes struct {
	// Keys are the tickets written, each once, in the order they were first written.
	Keys []string
	// Overflow says that more than MaxPendingKeys tickets were written: Keys is empty and
	// the reader should run its whole query again.
	Overflow bool
	// Generation is the engine's generation after the last write told.
	Generation uint64
}

// Take returns the pending changes and clears them.
func (w *Watcher) Take() Changes {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := Changes{Keys: w.order, Overflow: w.overflow, Generation: w.gen}
	w.order, w.overflow = nil, false
	clear(w.keys)
	return c
}

// Close stops the watcher; it is told nothing more.
func (w *Watcher) Close() {
	e := w.e
	e.watch.mu.Lock()
	delete(e.watch.set, w)
	e.watch.n.Store(int32(len(e.watch.set)))
	e.watch.mu.Unlock()
}

// watching reports whether any watcher wants the keys of writes.
func (e *Engine) watching() bool { return e.watch.n.Load() > 0 }

// publish tells every watcher of the keys a write changed. The caller holds writeMu but
// not mu, so queries run meanwhile; keys belong to the watchers from now on.
func (e *Engine) publish(keys []string, gen uint64) {
	e.watch.mu.Lock()
	defer e.watch.mu.Unlock()
	for w := range e.watch.set {
		w.add(keys, gen)
	}
}

func (w *Watcher) add(keys []string, gen uint64) {
	w.mu.Lock()
	w.gen = gen
	if !w.overflow {
		for _, k := range keys {
			if _, ok := w.keys[k]; ok {
				continue
			}
			if len(w.order) >= MaxPendingKeys {
				w.overflow, w.order = true, nil
				clear(w.keys)
				break
			}
			w.keys[k] = struct{}{}
			w.order = append(w.order, k)
		}
	}
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default: // already signalled
	}
}

// TicketsOf answers req over the tickets of keys only, as Tickets would answer it if
// they were the only tickets: those in the scope's range and filter, sorted, up to the
// limit, with the search marks. Total counts the keys in scope. Unknown keys are left
// out. Its cost is in proportion to len(keys), not to the tickets in the range, and it
// is not cached: a live stream asks it once per write.
func (e *Engine) TicketsOf(ctx context.Context, req TicketsRequest, keys []string) (*TicketsResult, error) {
	limit := req.Limit
	switch {
	case limit < 0:
		return nil, badRequest("limit must not be negative, got %d", limit)
	case limit == 0:
		limit = len(keys)
	}
	limit = min(limit, MaxRows)
	var (
		res  *TicketsResult
		rk   []string
		plan *ticketsPlan
	)
	err := e.read(ctx, func(r *reader) error {
		cols, err := e.outputColumns(req.Columns)
		if err != nil {
			return err
		}
		tcol, err := e.timeColumn(req.TimeField)
		if err != nil {
			return err
		}
		sortKeys, err := e.sortKeys(req.Sort, tcol)
		if err != nil {
			return err
		}
		tr, err := scopeRange(&req.Scope)
		if err != nil {
			return err
		}
		comp := newCompiler(e)
		where, err := comp.compile(req.Where, false)
		if err != nil {
			return err
		}
		// The rows of the keys in the range, sorted by (time, row) as a selection is.
		rows := make([]uint32, 0, len(keys))
		for _, k := range keys {
			if row, _, ok := e.keys.lookup(k); ok {
				if ms := tcol.ms[row]; tr.all || (ms >= tr.lo && ms < tr.hi) {
					rows = append(rows, row)
				}
			}
			if err := r.tick(1); err != nil {
				return err
			}
		}
		ms := tcol.ms
		slices.SortFunc(rows, func(a, b uint32) int {
			if c := cmp.Compare(ms[a], ms[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		rows = slices.Compact(rows)
		if rows, err = r.filter(where, comp.tests, rows); err != nil {
			return err
		}
		ordered, err := e.order(r, &selection{rows: rows, tcol: tcol, tr: tr}, sortKeys, limit)
		if err != nil {
			return err
		}
		plan = &ticketsPlan{cols: cols, rows: ordered, total: len(rows), search: req.Search, keys: sortKeys}
		for i, c := range cols {
			if c.kind == kindDetail {
				plan.details = append(plan.details, i)
			}
		}
		res, rk, err = e.page(r, plan, plan.rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The store is read without the lock: a slow disk must not hold up writers.
	if err := e.fillDetails(ctx, res, plan.cols, plan.details, rk); err != nil {
		return nil, err
	}
	return res, nil
}

// cloneKey copies a record's key for a watcher: a store's Changes hands out its own
// memory, and the staging buffers are reused chunk after chunk.
func cloneKey(k string) string { return strings.Clone(k) }
