package engine

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
)

// A selection is the rows of one scope, sorted by (time, row) of the scope's time field.
// The panels of one dashboard refresh share their scope, so the selection is computed
// once, cached, and each panel only aggregates over it.
type selection struct {
	rows []uint32 // may alias a time index: never changed
	tcol *column
	tr   timeRange
}

type selKey struct {
	field string
	tr    timeRange
	where string
}

type selEntry struct {
	key  selKey
	gen  uint64
	done chan struct{}
	rows []uint32
	err  error
	used uint64
	// terms are the sorted filter terms of a scope selection; nil for other entries.
	terms *[]string
}

// selCache is a small LRU of selections keyed by scope and generation. Concurrent
// requests for the same scope wait for the first one's result instead of computing it
// again, which is what happens when Grafana sends the panels of a refresh at once.
type selCache struct {
	mu      sync.Mutex
	max     int
	clock   uint64
	entries []*selEntry
}

func newSelCache(n int) *selCache { return &selCache{max: n} }

// get returns the rows cached under key at gen, or computes them. terms, when not nil,
// are the filter terms of a scope selection, which later selections may start from.
// A query that waits for another's computation lets go of the read lock meanwhile: the
// other one may be letting a writer in.
func (c *selCache) get(r *reader, key selKey, gen uint64, compute func() ([]uint32, error), terms []string) ([]uint32, error) {
	c.mu.Lock()
	c.clock++
	for _, en := range c.entries {
		if en.gen == gen && en.key == key {
			en.used = c.clock
			c.mu.Unlock()
			select {
			case <-en.done:
			default:
				if r.keep {
					// A reader that keeps the lock cannot wait for one that may need
					// a writer to go first.
					return compute()
				}
				if err := r.wait(en.done); err != nil {
					return nil, err
				}
			}
			if en.err != nil {
				// The first caller's failure (its own cancellation, say) is not ours.
				return compute()
			}
			return en.rows, nil
		}
	}
	en := &selEntry{key: key, gen: gen, done: make(chan struct{}), used: c.clock}
	if terms != nil {
		en.terms = &terms
	}
	c.insert(en, gen)
	c.mu.Unlock()

	en.rows, en.err = compute()
	close(en.done)
	if en.err != nil {
		c.mu.Lock()
		c.remove(en)
		c.mu.Unlock()
	}
	return en.rows, en.err
}

// insert adds en, dropping the entries of older generations (they can never be used
// again) and then the least recently used one if the cache is full.
func (c *selCache) insert(en *selEntry, gen uint64) {
	kept := c.entries[:0]
	for _, old := range c.entries {
		if old.gen == gen {
			kept = append(kept, old)
		}
	}
	clear(c.entries[len(kept):])
	c.entries = kept
	if len(c.entries) >= c.max {
		lru := 0
		for i, old := range c.entries {
			if old.used < c.entries[lru].used {
				lru = i
			}
		}
		c.entries = append(c.entries[:lru], c.entries[lru+1:]...)
	}
	c.entries = append(c.entries, en)
}

func (c *selCache) remove(en *selEntry) {
	for i, old := range c.entries {
		if old == en {
			c.entries = append(c.entries[:i], c.entries[i+1:]...)
			return
		}
	}
}

// ceilMS is t in milliseconds since the epoch, rounded up: a ticket at millisecond m is
// at or after t exactly when m >= ceilMS(t).
func ceilMS(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(timeOfMS(ms)) > 0 {
		ms++
	}
	return ms
}

func timeOfMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// timeColumn resolves the scope's time field.
func (e *Engine) timeColumn(name string) (*column, error) {
	if name == "" {
		name = e.schema.Time
	}
	col, ok := e.byName[name]
	if !ok {
		return nil, badRequest("time field: %s", e.schema.UnknownField(name))
	}
	if col.kind != kindTime {
		return nil, badRequest("time field: %q is a %s field, not a time field", name, col.typ)
	}
	return col, nil
}

func scopeRange(sc *Scope) (timeRange, error) {
	if sc.From.IsZero() && sc.To.IsZero() {
		return timeRange{all: true}, nil
	}
	tr := timeRange{lo: math.MinInt64 + 1, hi: math.MaxInt64}
	if !sc.From.IsZero() {
		tr.lo = ceilMS(sc.From)
	}
	if !sc.To.IsZero() {
		tr.hi = ceilMS(sc.To)
	}
	if !sc.From.IsZero() && !sc.To.IsZero() && !sc.To.After(sc.From) {
		return tr, badRequest("the time range is empty: from %s is not before to %s", sc.From.Format(time.RFC3339Nano), sc.To.Format(time.RFC3339Nano))
	}
	return tr, nil
}

// indexFor returns the time index of col, building it on first use. The caller holds the
// read lock.
func (e *Engine) indexFor(col *column) *timeIndex {
	e.indexMu.Lock()
	defer e.indexMu.Unlock()
	if col.idx == nil {
		ix := newTimeIndex(e.rows)
		ix.compact(col.ms, true)
		col.idx = ix
	}
	return col.idx
}

// selection returns the rows of the scope. The caller holds the read lock through r.
//
// The filter's top-level "and" terms form a set. When the cache holds a selection of the
// same time field, over a range that covers this one, whose terms are a subset of these,
// the rows are found from it: its rows in this range, filtered by the missing terms only.
// A drill-down adds one filter per refresh, or zooms into a part of the range, so each
// refresh filters the previous one's few rows instead of the whole range.
func (e *Engine) selection(r *reader, sc *Scope) (*selection, error) {
	tcol, err := e.timeColumn(sc.TimeField)
	if err != nil {
		return nil, err
	}
	tr, err := scopeRange(sc)
	if err != nil {
		return nil, err
	}
	terms := conjuncts(sc.Where)
	names := make([]string, len(terms))
	for i, t := range terms {
		names[i] = t.String()
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if err := filter.Limit(sc.Where); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTooExpensive, err)
	}
	// Compile before the cache, so that a bad filter fails every time rather than once;
	// compiling allocates nothing per row or per value, so a cached answer costs little.
	comp := newCompiler(e)
	plan, err := comp.compile(sc.Where, false)
	if err != nil {
		return nil, err
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	key := selKey{field: tcol.name, tr: tr, where: strings.Join(names, "\x00")}
	gen := e.gen.Load()
	rows, err := e.cache.get(r, key, gen, func() ([]uint32, error) {
		base, have := e.cache.base(gen, tcol, tr, names)
		if base == nil {
			base = e.indexFor(tcol).rows(tcol.ms, tr)
			have = nil
		}
		var rest []filter.Expr
		for i, t := range terms {
			if !slices.Contains(have, terms[i].String()) {
				rest = append(rest, t)
			}
		}
		if len(rest) == len(terms) {
			return r.filter(plan, comp.tests, base)
		}
		restComp := newCompiler(e)
		p, err := restComp.compile(filter.All(rest...), false)
		if err != nil {
			return nil, err
		}
		return r.filter(p, restComp.tests, base)
	}, names)
	if err != nil {
		return nil, err
	}
	return &selection{rows: rows, tcol: tcol, tr: tr}, nil
}

// filter returns the rows of in that pass plan, in order, in a new slice. It filters a
// chunk of rows at a time, a costly plan shorter ones, and counts as work the rows times
// the plan's tests and every value tested (tests counts them), pausing when a slice's
// time is spent.
func (r *reader) filter(plan planNode, tests *int, in []uint32) ([]uint32, error) {
	if cp, ok := plan.(constPlan); ok {
		if cp.pass {
			return in, nil // in is never changed, so it can be shared
		}
		return []uint32{}, nil
	}
	cost := max(1, leaves(plan))
	size := max(64, chunkRows/cost)
	before := *tests
	out := make([]uint32, 0, len(in))
	for len(in) > 0 {
		part := in[:min(len(in), size)]
		in = in[len(part):]
		// The part is copied to the end of out and filtered there, in place: a plan
		// writes each row it keeps at or before the place it read it from.
		start := len(out)
		out = append(out, part...)
		kept, _ := plan.filter(out[start:], true)
		out = out[:start+len(kept)]
		now := *tests
		if err := r.tick(len(part)*cost + (now-before)*testWork); err != nil {
			return nil, err
		}
		before = now
	}
	publishMemos(plan)
	return out, nil
}

// conjuncts returns the terms of a top-level "and", or x alone.
func conjuncts(x filter.Expr) []filter.Expr {
	switch n := x.(type) {
	case nil:
		return nil
	case *filter.And:
		if n != nil {
			return n.Terms
		}
	}
	return []filter.Expr{x}
}

// base finds the smallest finished selection that can stand for the scope's rows before
// some of its terms: same generation and time field, a range that covers tr, terms that
// are a subset of names. It returns its rows within tr and its terms.
func (c *selCache) base(gen uint64, tcol *column, tr timeRange, names []string) ([]uint32, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best []uint32
	var bestTerms []string
	found := false
	for _, en := range c.entries {
		if en.gen != gen || en.terms == nil || en.key.field != tcol.name || !covers(en.key.tr, tr) || !subset(*en.terms, names) {
			continue
		}
		select {
		case <-en.done:
		default:
			continue // still being computed
		}
		if en.err != nil {
			continue
		}
		rows := within(en.rows, tcol.ms, en.key.tr, tr)
		if !found || len(rows) < len(best) {
			best, bestTerms, found = rows, *en.terms, true
		}
	}
	if !found {
		return nil, nil
	}
	if best == nil {
		best = []uint32{}
	}
	return best, bestTerms
}

// covers reports whether range a holds every row range b holds.
func covers(a, b timeRange) bool {
	switch {
	case a.all:
		return true
	case b.all:
		return false
	}
	return a.lo <= b.lo && a.hi >= b.hi
}

// within returns the rows (sorted by time, over range from) that lie in range to.
func within(rows []uint32, ms []int64, from, to timeRange) []uint32 {
	if from == to || to.all {
		return rows
	}
	a := sort.Search(len(rows), func(i int) bool { return ms[rows[i]] >= to.lo })
	b := a + sort.Search(len(rows)-a, func(i int) bool { return ms[rows[a+i]] >= to.hi })
	return rows[a:b]
}

// subset reports whether every string of a (sorted) is in b (sorted).
func subset(a, b []string) bool {
	j := 0
	for _, s := range a {
		for j < len(b) && b[j] < s {
			j++
		}
		if j == len(b) || b[j] != s {
			return false
		}
	}
	return true
}

// refine returns the rows of base that also match x, cached with base's scope under tag:
// the open tickets of a selection, for one.
func (e *Engine) refine(r *reader, sc *Scope, base *selection, x filter.Expr, tag string) ([]uint32, error) {
	if x == nil {
		return base.rows, nil
	}
	comp := newCompiler(e)
	plan, err := comp.compile(x, false)
	if err != nil {
		return nil, err
	}
	key := selKey{field: base.tcol.name, tr: base.tr, where: tag + "\x00" + x.String() + "\x00"}
	if sc.Where != nil {
		key.where += sc.Where.String()
	}
	return e.cache.get(r, key, e.gen.Load(), func() ([]uint32, error) {
		return r.filter(plan, comp.tests, base.rows)
	}, nil)
}
