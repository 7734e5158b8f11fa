package engine

import (
	"context"
	"fmt"
	"math"

	"github.com/spacetime/tickets/pkg/ticket"
)

// trimChunk is how many rows Trim copies under one hold of the read lock, so that
// writers wait at most a chunk between holds, and the copy needs no more than a chunk of
// records beside the two sets of columns.
const trimChunk = 4096

// Trim drops the tickets whose time has fallen out of the window since they were loaded,
// so that a process that runs for months holds the window and no more, and returns how
// many it dropped. Without a window (or without a time field) it does nothing.
//
// Rows never move in the columns, so dropping some means building the columns again:
// Trim copies the rows it keeps, in their order, into a new engine's columns (whose
// dictionaries then hold only the values still used) and swaps them in. It copies a
// chunk of rows at a time under the read lock, so queries and writes go on meanwhile;
// the rows written during the copy are logged (trimLog) and copied again at the end,
// which is all that writers wait for. A running export (TicketPages) finishes before
// Trim starts, and the next one waits for it.
func (e *Engine) Trim(ctx context.Context) (int, error) {
	if e.opts.Window <= 0 || e.timeAt < 0 {
		return 0, nil
	}
	// One Trim at a time, and none under an export.
	e.trimMu.Lock()
	defer e.trimMu.Unlock()

	cutoff := e.opts.Now().Add(-e.opts.Window).UnixMilli()
	// Only writers change the rows, and they hold writeMu: under it the rows can be read
	// without the read lock, and the log started, without holding queries up.
	e.writeMu.Lock()
	rows, old := e.rows, 0
	for _, t := range e.timeCol.ms[:rows] {
		if t != nullTime && t < cutoff {
			old++
		}
	}
	if old > 0 {
		e.trimLog = []uint32{}
	}
	e.writeMu.Unlock()
	if old == 0 {
		return 0, nil
	}

	fresh := New(e.schema, nil, e.opts)
	if e.pats != nil {
		// The patterns outlive the rows: the fresh engine shares the miner and the ids,
		// and its rows get the codes they had (ids in URLs must keep their meaning). Its
		// pattern column takes the shared dictionary of ids only at the swap: until then
		// writers of this engine intern ids into it, and the copy must not touch it (its
		// reserve would grow the dictionary's slices without this engine's locks).
		fresh.pats.patternState = e.pats.patternState
		fresh.pats.frozen = true
	}
	// The kept rows and a little room for the rows written during the copy: growing
	// chunk by chunk would leave up to twice the room.
	fresh.reserve(rows-old+(rows-old)/32, 0)
	c := newTrimCopy(e, fresh, cutoff)
	for start := 0; start < rows; start += trimChunk {
		e.mu.RLock()
		for r := start; r < min(start+trimChunk, rows); r++ {
			c.add(uint32(r), false)
		}
		e.mu.RUnlock()
		c.flush()
		if err := ctx.Err(); err != nil {
			e.writeMu.Lock()
			e.trimLog = nil
			e.writeMu.Unlock()
			return 0, fmt.Errorf("trim: %w", err)
		}
	}

	if e.opts.afterTrimCopy != nil {
		e.opts.afterTrimCopy()
	}
	// Writers wait from here: copy again the rows written during the copy, then swap.
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.mu.RLock()
	for _, r := range e.trimLog {
		c.add(r, true)
	}
	e.mu.RUnlock()
	c.flush()
	// Sort the kept rows now, as a first load does, so that no query pays for it.
	fresh.timeCol.idx.mu.Lock()
	fresh.timeCol.idx.compact(fresh.timeCol.ms, true)
	fresh.timeCol.idx.mu.Unlock()

	e.lockWrite()
	dropped := e.rows - fresh.rows
	e.rows, e.keys, e.versions = fresh.rows, fresh.keys, fresh.versions
	e.cols, e.byName, e.timeCol = fresh.cols, fresh.byName, fresh.timeCol
	e.layouts, e.lastLayout, e.lastMap = fresh.layouts, fresh.lastLayout, fresh.lastMap
	if fresh.pats != nil {
		fresh.pats.col.dict = fresh.pats.dict
		fresh.pats.frozen = false
		e.pats = fresh.pats
	}
	e.trimLog = nil
	e.gen.Add(1)
	e.shape.Add(1)  // other row numbers: a query under way starts again
	e.memos.reset() // the new dictionaries have other codes
	e.mu.Unlock()
	e.cache.mu.Lock()
	e.cache.entries = nil
	e.cache.mu.Unlock()
	e.outside.Add(int64(dropped))
	return dropped, nil
}

// trimCopy copies rows of an engine into the fresh engine that replaces it, a chunk of
// records at a time.
type trimCopy struct {
	from, to *Engine
	cutoff   int64
	layout   *ticket.Layout
	recs     []ticket.Record
	values   []ticket.Value
	// patterns holds the pattern code of each staged record.
	patterns []uint32
}

func newTrimCopy(from, to *Engine, cutoff int64) *trimCopy {
	n := len(from.cols)
	return &trimCopy{
		from: from, to: to, cutoff: cutoff,
		layout: ticket.NewLayout(from.schema.Names()),
		recs:   make([]ticket.Record, 0, trimChunk),
		values: make([]ticket.Value, trimChunk*n),
	}
}

// add stages row r unless its time is before the cutoff. again marks a row copied
// before and written since: it is staged when the fresh engine holds it already, or when
// its time is now inside the window. The caller holds from's read lock until flush.
func (c *trimCopy) add(r uint32, again bool) {
	e := c.from
	key := e.keys.get(r)
	if t := e.timeCol.ms[r]; t != nullTime && t < c.cutoff {
		if _, held := c.to.keys.find(key); !again || !held {
			return
		}
	}
	if len(c.recs) == trimChunk {
		c.flush()
	}
	n := len(e.cols)
	vals := c.values[len(c.recs)*n : (len(c.recs)+1)*n]
	e.rowValues(r, vals)
	rec := ticket.Record{Key: key, Layout: c.layout, Values: vals}
	if e.versions != nil {
		rec.Version = e.versions[r]
	}
	c.recs = append(c.recs, rec)
	if e.pats != nil {
		c.patterns = append(c.patterns, e.pats.col.codes.get(r))
	}
}

// flush applies the staged records to the fresh engine, which nobody else sees yet: no
// lock, and no window, as add has chosen the rows.
func (c *trimCopy) flush() {
	if len(c.recs) == 0 {
		return
	}
	f := c.to
	f.reserve(f.rows+len(c.recs), len(c.recs))
	f.cutoff = math.MinInt64
	for i := range c.recs {
		f.applyOne(&c.recs[i])
		if f.pats != nil {
			if row, ok := f.keys.find(c.recs[i].Key); ok {
				f.pats.col.codes.set(row, c.patterns[i])
			}
		}
	}
	c.recs = c.recs[:0]
	c.patterns = c.patterns[:0]
}

// rowValues writes the held values of row r into vals, in schema order (the order of
// e.cols); the key and detail columns are left null. The strings alias the dictionaries.
// The caller holds the read lock.
func (e *Engine) rowValues(r uint32, vals []ticket.Value) {
	for i, c := range e.cols {
		v := ticket.Value{}
		switch c.kind {
		case kindString:
			if code := c.codes.get(r); code != 0 {
				v = ticket.String(c.dict.get(code))
			}
		case kindNumber:
			if f := c.number(r); !math.IsNaN(f) {
				v = ticket.Number(f)
			}
		case kindTime:
			if t := c.ms[r]; t != nullTime {
				v = ticket.TimeMS(t)
			}
		case kindBool:
			switch c.codes.get(r) {
			case boolTrue:
				v = ticket.BoolOf(true)
			case boolFalse:
				v = ticket.BoolOf(false)
			}
		}
		vals[i] = v
	}
}
