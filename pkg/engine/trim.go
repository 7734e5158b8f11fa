package engine

import (
	"context"
	"fmt"
	"math"

	"github.com/spacetime/tickets/pkg/ticket"
)

// trimChunk is how many rows Trim copies into the new columns at a time, so that the
// copy needs no more than a chunk of records beside the two sets of columns.
const trimChunk = 4096

// Trim drops the tickets whose time has fallen out of the window since they were loaded,
// so that a process that runs for months holds the window and no more, and returns how
// many it dropped. Without a window (or without a time field) it does nothing.
//
// Rows never move in the columns, so dropping some means building the columns again:
// Trim copies the rows it keeps, in their order, into a new engine's columns (whose
// dictionaries then hold only the values still used) and swaps them in. Writers wait
// for it, about a second per million tickets kept; queries go on over the old columns
// until the swap, and a running export (TicketPages) finishes before Trim starts.
func (e *Engine) Trim(ctx context.Context) (int, error) {
	if e.opts.Window <= 0 || e.timeAt < 0 {
		return 0, nil
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.trimMu.Lock()
	defer e.trimMu.Unlock()

	cutoff := e.opts.Now().Add(-e.opts.Window).UnixMilli()
	// Only writers change the columns, and they wait on writeMu: the read lock is enough
	// to copy, and queries meanwhile go on.
	e.mu.RLock()
	ms := e.timeCol.ms
	old := 0
	for r := range e.rows {
		if t := ms[r]; t != nullTime && t < cutoff {
			old++
		}
	}
	if old == 0 {
		e.mu.RUnlock()
		return 0, nil
	}
	fresh := New(e.schema, nil, e.opts)
	// Exactly the kept rows: growing chunk by chunk would leave up to twice the room.
	fresh.reserve(e.rows-old, 0)
	layout := ticket.NewLayout(e.schema.Names())
	recs := make([]ticket.Record, 0, trimChunk)
	values := make([]ticket.Value, trimChunk*len(e.cols))
	for r := range e.rows {
		if t := ms[r]; t != nullTime && t < cutoff {
			continue
		}
		vals := values[len(recs)*len(e.cols) : (len(recs)+1)*len(e.cols)]
		e.rowValues(uint32(r), vals)
		rec := ticket.Record{Key: e.keys.get(uint32(r)), Layout: layout, Values: vals}
		if e.versions != nil {
			rec.Version = e.versions[r]
		}
		recs = append(recs, rec)
		if len(recs) == trimChunk {
			fresh.applyAll(recs)
			recs = recs[:0]
			if err := ctx.Err(); err != nil {
				e.mu.RUnlock()
				return 0, fmt.Errorf("trim: %w", err)
			}
		}
	}
	fresh.applyAll(recs)
	e.mu.RUnlock()
	// Sort the kept rows now, as a first load does, so that no query pays for it.
	fresh.timeCol.idx.mu.Lock()
	fresh.timeCol.idx.compact(fresh.timeCol.ms, true)
	fresh.timeCol.idx.mu.Unlock()

	e.mu.Lock()
	e.rows, e.keys, e.versions = fresh.rows, fresh.keys, fresh.versions
	e.cols, e.byName, e.timeCol = fresh.cols, fresh.byName, fresh.timeCol
	e.layouts, e.lastLayout, e.lastMap = fresh.layouts, fresh.lastLayout, fresh.lastMap
	e.gen.Add(1)
	e.mu.Unlock()
	e.cache.mu.Lock()
	e.cache.entries = nil
	e.cache.mu.Unlock()
	e.outside.Add(int64(old))
	return old, nil
}

// applyAll applies records to an engine nobody else sees yet, with no window: Trim has
// chosen the rows already, by the same cutoff for all of them.
func (e *Engine) applyAll(recs []ticket.Record) {
	e.reserve(e.rows+len(recs), len(recs))
	e.cutoff = math.MinInt64
	for i := range recs {
		e.applyOne(&recs[i])
	}
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
