package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// ErrBadRequest marks an error in what a query asks for (an unknown field, a field of the
// wrong type for the query, a bad bucket, a detail column in a sort or filter): the
// user's to fix. Every other error is the engine's or the store's.
var ErrBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// Options tune an Engine. The zero value is right for production.
type Options struct {
	// Open says which tickets count as open for the stats query; already checked against
	// the schema. nil means every ticket counts as open.
	Open filter.Expr
	// SelectionCache is how many selections (the rows of one scope) are kept, so that the
	// panels of one dashboard refresh compute their filter once; 0 means 32.
	SelectionCache int
	// WriteChunk is how many records a write applies per hold of the write lock, which
	// bounds how long a query can wait for a load (about half a millisecond at the
	// default); 0 means 512.
	WriteChunk int

	// Window, when positive, bounds how far back the engine reaches: a ticket it does not
	// hold yet whose time (the schema's time field) is older than Window before now is
	// not added, and the first Sync asks a store that can (store.ChangesFromer) for the
	// tickets written within the window only. A big shared table then costs a new
	// process the window's tickets, not the whole history. Tickets already held are kept
	// and updated as they age, until Trim drops them. Zero holds every ticket of the
	// store.
	Window time.Duration
	// Now is the clock Window is measured by; nil means time.Now.
	Now func() time.Time

	// MaxQueryTime stops a query that runs longer, whatever its caller's deadline
	// (ErrTooExpensive); 0 means DefaultMaxQueryTime.
	MaxQueryTime time.Duration

	// numberCodes overrides maxNumberCodes, so that tests reach plain-float columns with
	// few tickets.
	numberCodes int
	// sliceTime overrides the engine's sliceTime, so that tests make queries pause after
	// every chunk.
	sliceTime time.Duration
	// onSlice, when set, runs at the end of each slice of a query's work, under the read
	// lock, so that tests can act in the middle of a query.
	onSlice func()
	// afterTrimCopy, when set, runs when Trim has copied the rows and before it copies
	// again those written meanwhile, so that tests can write exactly then.
	afterTrimCopy func()
}

// Engine is the in-memory columnar index of the tickets of one store, under one schema.
// It is safe for concurrent use: queries share a read lock, writes apply in short chunks
// under the write lock, and slices that must grow are copied before the write lock is
// taken, so a query never waits long for a load.
//
// A ticket is a row; rows are numbered in the order their keys first arrived and never
// move, and an update overwrites its row. String and text columns are dictionary codes
// per row (one to four bytes, as the dictionary needs), numbers are codes while they have
// few distinct values and plain floats after, times are milliseconds, bools a byte (see
// column). Detail columns stay in the store and are read for the rows a tickets query
// returns.
//
// A query first finds its selection: the rows of its time range, from the time index of
// its time field (see timeIndex), filtered by its filter (see planNode for the filter's
// meaning, nulls included). The selection is cached per generation, so the panels of one
// dashboard refresh filter once, and a refresh that narrows the previous one starts from
// its rows (see Engine.selection). Each panel then aggregates over the selection with flat
// arrays indexed by code.
type Engine struct {
	schema *schema.Schema
	st     store.Store
	opts   Options

	// mu guards everything below it; writeMu serialises writers, which prepare larger
	// slices under the read lock before they take the write lock.
	writeMu sync.Mutex
	mu      sync.RWMutex
	gen     atomic.Uint64
	// writers counts the writers waiting for mu, so that queries let them in between two
	// slices of their work; shape changes when the columns change form (see reader).
	writers atomic.Int32
	shape   atomic.Uint64
	rows    int
	keys    *dict
	// versions holds each row's Version, nil when the schema has none.
	versions []int64
	cols     []*column // schema order
	byName   map[string]*column
	timeCol  *column // the schema's time column
	layouts  map[string]*layoutMap
	// lastLayout caches the mapping of the layout seen last: a load brings records of
	// one or two layouts, so the map lookup by ID is rare.
	lastLayout *ticket.Layout
	lastMap    *layoutMap

	// indexMu guards the creation of time indexes for other time columns under the
	// read lock.
	indexMu sync.Mutex

	cache *selCache
	// memos keeps the answers of string tests on big dictionaries across queries.
	memos *memoCache
	// results keeps recent answers for the current generation.
	results *resultCache
	// lane has a place for each long query allowed to run at once (see reader).
	lane chan struct{}

	syncMu sync.Mutex
	cursor store.Cursor

	// timeAt is the index of the time column in cols, -1 without one; cutoff is the
	// time in unix milliseconds before which a new ticket is outside the window (set by
	// applyChunk, math.MinInt64 without a window); outside counts the records left out.
	timeAt  int
	cutoff  int64
	outside atomic.Int64

	// trimMu keeps Trim from renumbering the rows under a running TicketPages, which
	// holds row numbers across its pages.
	trimMu sync.RWMutex
	// trimLog, while a Trim copies the rows, lists the rows written meanwhile, which it
	// copies again before the swap; nil otherwise. Guarded by writeMu.
	trimLog []uint32

	// watch holds the watchers told of each write's keys (see watch.go).
	watch watchers
}

// layoutMap maps the values of records of one layout onto the held columns.
type layoutMap struct {
	pos []int // per e.held: index in the record's values, or -1
}

// New returns an empty engine over st; Sync loads it.
func New(s *schema.Schema, st store.Store, opts Options) *Engine {
	if opts.SelectionCache <= 0 {
		opts.SelectionCache = 32
	}
	if opts.WriteChunk <= 0 {
		opts.WriteChunk = 512
	}
	if opts.numberCodes <= 0 {
		opts.numberCodes = maxNumberCodes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxQueryTime <= 0 {
		opts.MaxQueryTime = DefaultMaxQueryTime
	}
	if opts.sliceTime <= 0 {
		opts.sliceTime = sliceTime
	}
	e := &Engine{
		schema:  s,
		st:      st,
		opts:    opts,
		keys:    newDict(),
		byName:  make(map[string]*column, len(s.Columns)),
		layouts: map[string]*layoutMap{},
		cache:   newSelCache(opts.SelectionCache),
		memos:   newMemoCache(),
		results: newResultCache(),
		lane:    make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
	}
	if s.Version != "" {
		e.versions = []int64{}
	}
	for i := range s.Columns {
		c := newColumn(&s.Columns[i], opts.numberCodes)
		if c.name == s.Key {
			c.kind = kindKey
			c.dict, c.codes = nil, codeVec{}
		}
		e.cols = append(e.cols, c)
		e.byName[c.name] = c
	}
	e.timeAt = -1
	if tc, ok := e.byName[s.Time]; ok && tc.kind == kindTime {
		tc.idx = newTimeIndex(0)
		e.timeCol = tc
		e.timeAt = slices.Index(e.cols, tc)
	}
	return e
}

// Len is the number of tickets held.
func (e *Engine) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.rows
}

// Generation changes whenever the tickets change; results computed at one generation are
// valid until it changes.
func (e *Engine) Generation() uint64 { return e.gen.Load() }

// MemoryBytes estimates the bytes the index holds, for health and stats pages.
func (e *Engine) MemoryBytes() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := e.keys.bytes() + 8*cap(e.versions)
	for _, c := range e.cols {
		n += c.bytes()
	}
	return n
}

// Apply applies records directly, as if they had come from the store: a record whose key
// is known replaces that ticket unless its Version is older, a new key adds a ticket.
// The records are not kept: their strings are copied where needed. With a window, the
// version rule can only be applied to tickets held: a stale version of a ticket the window
// left out is added like a new one (Sync never gives one: the store keeps the latest).
func (e *Engine) Apply(recs []ticket.Record) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	for len(recs) > 0 {
		n := min(len(recs), e.opts.WriteChunk)
		e.applyChunk(recs[:n])
		recs = recs[n:]
	}
}

// Sync reads the changes of the store since the last Sync and applies them; the first
// call loads every ticket. It returns the number of records applied. It is safe to call
// concurrently with queries and with itself (calls run one at a time). When it fails,
// what was read before the failure is applied and the next call resumes after it.
func (e *Engine) Sync(ctx context.Context) (int, error) {
	if e.st == nil {
		return 0, errors.New("sync: the engine has no store")
	}
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	first := e.cursor == ""
	if first && e.opts.Window <= 0 {
		// Reserving the rows of the whole store up front saves the copies of growing
		// (with a window, the store's count says nothing of what will be held).
		if info, err := e.st.Info(ctx); err == nil && info.Tickets > 0 {
			e.writeMu.Lock()
			e.reserve(info.Tickets, 0)
			e.writeMu.Unlock()
		}
	}
	// Reading the store and applying to the columns overlap: the store's callback fills
	// one staging buffer while another goroutine applies the previous one.
	held := e.held()
	free := make(chan *staging, 2)
	for range 2 {
		free <- newStaging(e.opts.WriteChunk, held)
	}
	full := make(chan *staging)
	applied := 0
	var applier sync.WaitGroup
	applier.Add(1)
	go func() {
		defer applier.Done()
		for st := range full {
			e.writeMu.Lock()
			e.applyChunk(st.recs)
			e.writeMu.Unlock()
			applied += len(st.recs)
			st.reset()
			free <- st
		}
	}()
	cur := <-free
	changes := e.st.Changes
	if cf, ok := e.st.(store.ChangesFromer); ok && first && e.opts.Window > 0 {
		from := e.opts.Now().Add(-e.opts.Window)
		changes = func(ctx context.Context, _ store.Cursor, fn func(rec *ticket.Record) error) (store.Cursor, error) {
			return cf.ChangesFrom(ctx, from, fn)
		}
	}
	cursor, err := changes(ctx, e.cursor, func(rec *ticket.Record) error {
		cur.add(rec)
		if len(cur.recs) >= e.opts.WriteChunk {
			full <- cur
			cur = <-free
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if len(cur.recs) > 0 {
		full <- cur
	}
	close(full)
	applier.Wait()
	e.cursor = cursor
	if first && e.timeCol != nil {
		// Sort the loaded rows now, so that the first query does not pay for it.
		e.mu.RLock()
		e.timeCol.idx.mu.Lock()
		e.timeCol.idx.compact(e.timeCol.ms, true)
		e.timeCol.idx.mu.Unlock()
		e.mu.RUnlock()
	}
	if err != nil {
		return applied, fmt.Errorf("sync from the store: %w", err)
	}
	return applied, nil
}

// held lists, per schema column, whether the engine keeps its values (for staging).
func (e *Engine) held() map[string]bool {
	m := make(map[string]bool, len(e.cols))
	for _, c := range e.cols {
		m[c.name] = c.kind != kindDetail && c.kind != kindKey
	}
	return m
}

// reserve grows every per-row slice to hold rows rows, the key dictionary to take the new
// keys, and every value dictionary to take newValues more values. It copies under the
// read lock, so queries go on meanwhile, and only swaps under the write lock: a big
// write never holds readers up for a copy of a column. The caller holds writeMu, so
// nothing changes between.
func (e *Engine) reserve(rows, newValues int) {
	newKeys := max(rows-e.rows, 0)
	e.mu.RLock()
	// indexMu keeps a query from creating a time index while the columns are read.
	e.indexMu.Lock()
	need := (e.versions != nil && cap(e.versions) < rows) || e.keys.needsReserve(newKeys)
	for _, c := range e.cols {
		need = need || c.needsReserve(rows, newValues)
	}
	if !need {
		e.indexMu.Unlock()
		e.mu.RUnlock()
		return
	}
	grown := make([]grownColumn, len(e.cols))
	for i, c := range e.cols {
		grown[i] = c.grow(rows, newValues)
	}
	var versions []int64
	if e.versions != nil {
		versions = growSlice(e.versions, rows)
	}
	keyRefs := growSlice(e.keys.refs, len(e.keys.refs)+newKeys)
	e.indexMu.Unlock()
	e.mu.RUnlock()

	e.lockWrite()
	for i, c := range e.cols {
		c.adopt(grown[i])
	}
	if e.versions != nil {
		e.versions = versions
	}
	e.keys.refs = keyRefs
	e.mu.Unlock()
}

func (d *dict) needsReserve(n int) bool { return cap(d.refs)-len(d.refs) < n }

func (c *column) needsReserve(rows, n int) bool {
	switch c.kind {
	case kindString:
		return c.codes.capacity() < rows || c.dict.needsReserve(n)
	case kindBool:
		return c.codes.capacity() < rows
	case kindNumber:
		if c.raw != nil {
			return cap(c.raw) < rows
		}
		return c.codes.capacity() < rows
	case kindTime:
		return cap(c.ms) < rows || (c.idx != nil && cap(c.idx.inTail)*64 < rows)
	}
	return false
}

// grownColumn holds larger copies of a column's slices, made without changing it.
type grownColumn struct {
	codes codeVec
	raw   []float64
	ms    []int64
	refs  []uint32
	flags []uint64
}

func (c *column) grow(rows, n int) grownColumn {
	g := grownColumn{codes: c.codes, raw: c.raw, ms: c.ms}
	switch c.kind {
	case kindString:
		g.codes.reserve(rows)
		g.refs = growSlice(c.dict.refs, len(c.dict.refs)+n)
	case kindBool:
		g.codes.reserve(rows)
	case kindNumber:
		if c.raw != nil {
			g.raw = growSlice(c.raw, rows)
		} else {
			g.codes.reserve(rows)
		}
	case kindTime:
		g.ms = growSlice(c.ms, rows)
		if words := (rows + 63) / 64; c.idx != nil && cap(c.idx.inTail) < words {
			// Only the room: a query may be clearing flags meanwhile, so adopt copies
			// them under the write lock.
			g.flags = make([]uint64, 0, words+words/4)
		}
	}
	return g
}

// adopt takes the grown slices.
func (c *column) adopt(g grownColumn) {
	c.codes, c.raw, c.ms = g.codes, g.raw, g.ms
	if g.refs != nil {
		c.dict.refs = g.refs
	}
	if g.flags != nil {
		c.idx.inTail = append(g.flags, c.idx.inTail...)
	}
}

// applyChunk applies up to WriteChunk records under one hold of the write lock. The
// caller holds writeMu.
func (e *Engine) applyChunk(recs []ticket.Record) {
	if e.rows+len(recs) > int(^uint32(0)>>1) {
		panic("engine: more than 2^31 tickets")
	}
	e.reserve(e.rows+len(recs), len(recs))
	e.cutoff = math.MinInt64
	if e.opts.Window > 0 && e.timeAt >= 0 {
		e.cutoff = e.opts.Now().Add(-e.opts.Window).UnixMilli()
	}
	watching := e.watching()
	var written []string
	e.lockWrite()
	changed := false
	raw := e.rawColumns()
	for i := range recs {
		if e.applyOne(&recs[i]) {
			changed = true
			if watching {
				written = append(written, cloneKey(recs[i].Key))
			}
		}
	}
	if changed {
		e.gen.Add(1)
	}
	if e.rawColumns() != raw {
		e.shape.Add(1) // a number column turned into plain floats
	}
	gen := e.gen.Load()
	e.mu.Unlock()
	// The watchers are told after the lock is let go, so that their readers' queries
	// see the write, and before the next chunk, so that they are told in order.
	if len(written) > 0 {
		e.publish(written, gen)
	}
}

// rawColumns counts the number columns held as plain floats.
func (e *Engine) rawColumns() int {
	n := 0
	for _, c := range e.cols {
		if c.raw != nil {
			n++
		}
	}
	return n
}

func (e *Engine) applyOne(rec *ticket.Record) bool {
	if rec.Key == "" || rec.Layout == nil {
		return false
	}
	lm := e.layoutFor(rec.Layout)
	id, h, ok := e.keys.lookup(rec.Key)
	row := id
	if !ok && e.cutoff != math.MinInt64 && e.beforeWindow(rec, lm) {
		e.outside.Add(1)
		return false
	}
	if !ok {
		row = e.keys.insert(rec.Key, h)
		e.rows++
		for _, c := range e.cols {
			c.appendNulls(1)
		}
		if e.versions != nil {
			e.versions = append(e.versions, rec.Version)
		}
	} else if e.versions != nil {
		if rec.Version < e.versions[row] {
			return false // stale: the store's version rule, applied here too for Apply
		}
		e.versions[row] = rec.Version
	}
	for i, c := range e.cols {
		if c.kind == kindDetail || c.kind == kindKey {
			continue
		}
		var v ticket.Value
		if p := lm.pos[i]; p >= 0 && p < len(rec.Values) {
			v = rec.Values[p]
			if v.Kind != ticket.Null && v.Kind != wantKind(c.typ) {
				v = coerce(v, c.typ)
			}
		}
		c.set(row, v)
	}
	if e.trimLog != nil {
		e.trimLog = append(e.trimLog, row)
	}
	return true
}

// beforeWindow reports whether rec's time is older than the window's cutoff. A ticket
// without a time is held: nothing says it is old.
func (e *Engine) beforeWindow(rec *ticket.Record, lm *layoutMap) bool {
	p := lm.pos[e.timeAt]
	if p < 0 || p >= len(rec.Values) {
		return false
	}
	v := rec.Values[p]
	if v.Kind != ticket.Time {
		v = coerce(v, schema.Time)
	}
	return v.Kind == ticket.Time && v.I < e.cutoff
}

// Outside is the number of records the window has left out since the engine started:
// each older ticket once at the first load, and once more for every later version of a
// ticket not held, and the tickets Trim dropped.
func (e *Engine) Outside() int64 { return e.outside.Load() }

func (e *Engine) layoutFor(l *ticket.Layout) *layoutMap {
	if l == e.lastLayout {
		return e.lastMap
	}
	lm, ok := e.layouts[l.ID()]
	if !ok {
		lm = &layoutMap{pos: make([]int, len(e.cols))}
		for i, c := range e.cols {
			lm.pos[i] = l.Index(c.name)
		}
		e.layouts[l.ID()] = lm
	}
	e.lastLayout, e.lastMap = l, lm
	return lm
}

// staging copies records handed out by a store's Changes (valid only during its callback)
// so that they can be applied in chunks outside the callback. It copies only the key and
// the held columns' strings, into blocks reused from chunk to chunk.
type staging struct {
	recs   []ticket.Record
	values []ticket.Value
	blocks [][]byte
	cur    int
	held   map[string]bool
	// lastHeld says which value positions of lastLayout are held.
	lastLayout *ticket.Layout
	lastHeld   []bool
}

const stagingBlock = 256 << 10

func newStaging(n int, held map[string]bool) *staging {
	return &staging{recs: make([]ticket.Record, 0, n), held: held}
}

func (s *staging) reset() {
	s.recs = s.recs[:0]
	s.values = s.values[:0]
	for i := range s.blocks {
		s.blocks[i] = s.blocks[i][:0]
	}
	s.cur = 0
}

func (s *staging) copyString(v string) string {
	if len(v) == 0 {
		return ""
	}
	if len(v) > stagingBlock/4 {
		return strings.Clone(v)
	}
	for {
		if s.cur == len(s.blocks) {
			s.blocks = append(s.blocks, make([]byte, 0, stagingBlock))
		}
		b := s.blocks[s.cur]
		if cap(b)-len(b) >= len(v) {
			start := len(b)
			b = append(b, v...)
			s.blocks[s.cur] = b
			return unsafe.String(&b[start], len(v))
		}
		s.cur++
	}
}

func (s *staging) add(rec *ticket.Record) {
	if rec.Layout != s.lastLayout {
		s.lastLayout = rec.Layout
		s.lastHeld = make([]bool, rec.Layout.Len())
		for i, n := range rec.Layout.Names() {
			s.lastHeld[i] = s.held[n]
		}
	}
	// values is reallocated only when a chunk holds more values than ever before; the
	// records of this chunk then point into the old array, which stays valid.
	start := len(s.values)
	for i, v := range rec.Values {
		switch {
		case i >= len(s.lastHeld) || !s.lastHeld[i]:
			v = ticket.Value{}
		case v.Kind == ticket.Str:
			v.S = s.copyString(v.S)
		}
		s.values = append(s.values, v)
	}
	s.recs = append(s.recs, ticket.Record{
		Key:     s.copyString(rec.Key),
		Version: rec.Version,
		Layout:  rec.Layout,
		Values:  s.values[start:len(s.values):len(s.values)],
	})
}
