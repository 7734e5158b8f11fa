package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// defaultLimit is the number of rows a tickets query returns when neither the query nor
// the schema says.
const defaultLimit = 200

type sortKey struct {
	col  *column
	desc bool
}

// MaxRows is the most rows a tickets or values result holds: a frame of 50,000 tickets is
// tens of megabytes, which Grafana still draws, and an export (TicketPages) gives every
// ticket when more are wanted.
const MaxRows = 50_000

// Tickets returns the rows in scope, sorted, up to the limit (at most MaxRows), with the
// search marks.
//
// Rows are ordered by the sort keys (nulls last in either direction), then by the scope's
// time field descending unless a key already names it, and finally by arrival (row
// number) in the direction of the time field's key. Sorting by the time field is the
// common case and needs no sort at all: the selection is already in time order.
func (e *Engine) Tickets(ctx context.Context, req TicketsRequest) (*TicketsResult, error) {
	limit := req.Limit
	switch {
	case limit < 0:
		return nil, badRequest("limit must not be negative, got %d", limit)
	case limit == 0 && e.schema.Table.Limit > 0:
		limit = e.schema.Table.Limit
	case limit == 0:
		limit = defaultLimit
	}
	capped := limit > MaxRows
	limit = min(limit, MaxRows)
	return remember(e, cacheKey("tickets", &req.Scope, req.Columns, req.Sort, limit, capped),
		func(res *TicketsResult) bool { return len(res.Matches) <= cachedRows },
		func() (*TicketsResult, error) { return e.tickets(ctx, &req, limit, capped) })
}

func (e *Engine) tickets(ctx context.Context, req *TicketsRequest, limit int, capped bool) (*TicketsResult, error) {
	var res *TicketsResult
	var keys []string
	var plan *ticketsPlan
	var written bool
	err := e.read(ctx, func(r *reader) error {
		gen := e.gen.Load()
		var err error
		if plan, err = e.planTickets(r, req, limit); err != nil {
			return err
		}
		res, keys, err = e.page(r, plan, plan.rows)
		written = e.gen.Load() != gen
		return err
	})
	if err != nil {
		return nil, err
	}
	if written {
		// Tickets were written between two slices of the query: the rows may show values
		// newer than those they were ordered by. Order them again by what they show.
		sortByShown(res, plan.keys, keys)
	}
	res.Capped = capped
	// The store is read without the lock: a slow disk must not hold up writers.
	if err := e.fillDetails(ctx, res, plan.cols, plan.details, keys); err != nil {
		return nil, err
	}
	return res, nil
}

// TicketPages hands every row of a tickets request to fn, in order, pageSize rows at a
// time, for exports that must not hold all the rows at once. Unlike Tickets, a Limit of 0
// means every row in scope. The order is fixed when it starts; each page's values are
// read when its turn comes, under the read lock for that page only, so a long export
// never holds up writers (a ticket updated meanwhile shows its new values in its old
// place). Each page's Total is the number of rows in scope.
func (e *Engine) TicketPages(ctx context.Context, req TicketsRequest, pageSize int, fn func(page *TicketsResult) error) error {
	switch {
	case req.Limit < 0:
		return badRequest("limit must not be negative, got %d", req.Limit)
	case pageSize <= 0:
		return badRequest("the page size must be positive, got %d", pageSize)
	}
	limit := req.Limit
	if limit == 0 {
		limit = int(^uint32(0) >> 1)
	}
	// Trim renumbers rows; the plan holds row numbers across pages.
	e.trimMu.RLock()
	defer e.trimMu.RUnlock()
	var plan *ticketsPlan
	err := e.read(ctx, func(r *reader) error {
		var err error
		plan, err = e.planTickets(r, &req, limit)
		return err
	})
	if err != nil {
		return err
	}
	for start := 0; ; start += pageSize {
		var res *TicketsResult
		var keys []string
		err := e.read(ctx, func(r *reader) error {
			var err error
			res, keys, err = e.page(r, plan, plan.rows[start:min(start+pageSize, len(plan.rows))])
			return err
		})
		if err != nil {
			return err
		}
		if err := e.fillDetails(ctx, res, plan.cols, plan.details, keys); err != nil {
			return err
		}
		if err := fn(res); err != nil {
			return err
		}
		if start+pageSize >= len(plan.rows) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// ticketsPlan is a tickets request resolved against the engine: the output columns, the
// positions among them of the detail columns, and the rows to return, in order.
type ticketsPlan struct {
	cols    []*column
	details []int
	rows    []uint32
	total   int
	search  string
	// keys is the order of the rows.
	keys []sortKey
}

// planTickets resolves the request and orders its rows.
func (e *Engine) planTickets(r *reader, req *TicketsRequest, limit int) (*ticketsPlan, error) {
	cols, err := e.outputColumns(req.Columns)
	if err != nil {
		return nil, err
	}
	tcol, err := e.timeColumn(req.TimeField)
	if err != nil {
		return nil, err
	}
	keys, err := e.sortKeys(req.Sort, tcol)
	if err != nil {
		return nil, err
	}
	sel, err := e.selection(r, &req.Scope)
	if err != nil {
		return nil, err
	}
	rows, err := e.order(r, sel, keys, limit)
	if err != nil {
		return nil, err
	}
	p := &ticketsPlan{cols: cols, rows: rows, total: len(sel.rows), search: req.Search, keys: keys}
	for i, c := range cols {
		if c.kind == kindDetail {
			p.details = append(p.details, i)
		}
	}
	return p, nil
}

// page reads the held columns and the search marks of rows, a slice at a time, and the
// keys of the rows when detail columns are to be read from the store.
func (e *Engine) page(r *reader, p *ticketsPlan, rows []uint32) (*TicketsResult, []string, error) {
	res := &TicketsResult{Total: p.total, Columns: make([]Column, len(p.cols)), Matches: make([]bool, len(rows))}
	for i, c := range p.cols {
		if c.kind != kindDetail {
			res.Columns[i] = newResultColumn(c, len(rows))
		}
	}
	words := strings.Fields(strings.ToLower(p.search))
	if len(words) > maxSearchWords {
		return nil, nil, badRequest("the search has %d words; it may have at most %d", len(words), maxSearchWords)
	}
	var texts []*column
	for _, c := range e.cols {
		if c.kind == kindString {
			texts = append(texts, c)
		}
	}
	var keys []string
	if len(p.details) > 0 {
		keys = make([]string, len(rows))
	}
	at := 0
	err := r.slices(rows, 256, func(part []uint32) {
		for i, c := range p.cols {
			if c.kind != kindDetail {
				e.fillValues(c, part, &res.Columns[i], at)
			}
		}
		if len(words) > 0 {
			for i, row := range part {
				res.Matches[at+i] = e.matchesAll(row, words, texts)
			}
		}
		for i, row := range part {
			if keys != nil {
				keys[at+i] = strings.Clone(e.keys.get(row))
			}
		}
		at += len(part)
	})
	if err != nil {
		return nil, nil, err
	}
	return res, keys, nil
}

// outputColumns resolves the requested columns and puts the key first unless named.
func (e *Engine) outputColumns(names []string) ([]*column, error) {
	if len(names) == 0 {
		names = e.schema.TableColumns()
	}
	var out []*column
	hasKey := false
	seen := map[string]bool{}
	for _, n := range names {
		c, ok := e.byName[n]
		if !ok {
			return nil, badRequest("columns: %s", e.schema.UnknownField(n))
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		hasKey = hasKey || c.kind == kindKey
		out = append(out, c)
	}
	if !hasKey {
		if key, ok := e.byName[e.schema.Key]; ok {
			out = append([]*column{key}, out...)
		}
	}
	return out, nil
}

// sortKeys resolves the sort and adds the time field, descending, unless a key names it.
// The keys after the time field matter only for rows without a time, which (time, row)
// does not order.
func (e *Engine) sortKeys(keys []schema.SortKey, tcol *column) ([]sortKey, error) {
	if len(keys) == 0 {
		keys = e.schema.Table.Sort
	}
	var out []sortKey
	hasTime := false
	for _, k := range keys {
		c, ok := e.byName[k.Field]
		if !ok {
			return nil, badRequest("sort: %s", e.schema.UnknownField(k.Field))
		}
		if c.kind == kindDetail {
			return nil, badRequest("sort: %q is a detail column, kept only in the store; it cannot be sorted on", k.Field)
		}
		out = append(out, sortKey{col: c, desc: k.Desc})
		hasTime = hasTime || c == tcol
	}
	if !hasTime {
		out = append(out, sortKey{col: tcol, desc: true})
	}
	return out, nil
}

// order returns the first limit rows of sel in the order of keys.
func (e *Engine) order(r *reader, sel *selection, keys []sortKey, limit int) ([]uint32, error) {
	rows, ms := sel.rows, sel.tcol.ms
	if keys[0].col != sel.tcol {
		return sortRows(r, rows, limit, e.comparator(keys, sel.tcol, len(rows)))
	}
	nulls := nullTimes(rows, ms)
	out := byTime(rows[nulls:], ms, keys[0].desc, limit)
	if len(keys) > 1 {
		// Rows with one time are in arrival order: the keys after the time field order
		// them, which needs the whole last run of that time, not just the rows that fit.
		out = e.orderTies(out, rows[nulls:], ms, keys, sel.tcol, limit)
	}
	if rest := limit - len(out); rest > 0 && nulls > 0 {
		// The rows without a time come last, ordered by the keys after the time field.
		more, err := sortRows(r, rows[:nulls], rest, e.comparator(keys, sel.tcol, nulls))
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// orderTies orders the runs of equal times in out, the first rows of timed (time-sorted
// rows) in the direction of keys[0], by the keys after the time field. The last run may
// continue past the limit in timed: its best rows are taken.
func (e *Engine) orderTies(out, timed []uint32, ms []int64, keys []sortKey, tcol *column, limit int) []uint32 {
	less := e.comparator(keys, tcol, len(out))
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && ms[out[j]] == ms[out[i]] {
			j++
		}
		if j == len(out) && len(out) == limit {
			// The run may go on beyond the limit: take all its rows from timed.
			t := ms[out[i]]
			lo, _ := slices.BinarySearchFunc(timed, t, func(r uint32, t int64) int { return cmp.Compare(ms[r], t) })
			hi := lo
			for hi < len(timed) && ms[timed[hi]] == t {
				hi++
			}
			if hi-lo > j-i {
				best := topK(timed[lo:hi], limit-i, less)
				return append(out[:i], best...)
			}
		}
		if j-i > 1 {
			slices.SortFunc(out[i:j], func(a, b uint32) int { return boolCmp(less, a, b) })
		}
		i = j
	}
	return out
}

// nullTimes is the number of rows without a time at the start of a time-sorted selection.
func nullTimes(rows []uint32, ms []int64) int {
	n, _ := slices.BinarySearchFunc(rows, int64(nullTime)+1, func(r uint32, t int64) int { return cmp.Compare(ms[r], t) })
	return n
}

// byTime takes the first limit rows of a time-sorted selection, ascending or descending,
// with the rows without a time (at the start of the selection) last.
func byTime(rows []uint32, ms []int64, desc bool, limit int) []uint32 {
	nulls := nullTimes(rows, ms)
	out := make([]uint32, 0, min(limit, len(rows)))
	timed := rows[nulls:]
	if desc {
		for i := len(timed) - 1; i >= 0 && len(out) < limit; i-- {
			out = append(out, timed[i])
		}
		for i := nulls - 1; i >= 0 && len(out) < limit; i-- {
			out = append(out, rows[i])
		}
		return out
	}
	out = append(out, timed[:min(limit, len(timed))]...)
	return append(out, rows[:min(nulls, limit-len(out))]...)
}

// comparator returns a strict order on rows for keys, which name the time field tcol:
// the direction of its first key also orders rows equal on every key by arrival.
func (e *Engine) comparator(keys []sortKey, tcol *column, n int) func(a, b uint32) bool {
	cmps := make([]func(a, b uint32) int, len(keys))
	last := true
	for i := len(keys) - 1; i >= 0; i-- {
		cmps[i] = e.compareKey(keys[i], n)
		if keys[i].col == tcol {
			last = keys[i].desc
		}
	}
	return func(a, b uint32) bool {
		for _, c := range cmps {
			if d := c(a, b); d != 0 {
				return d < 0
			}
		}
		if last {
			return a > b
		}
		return a < b
	}
}

// compareKey compares two rows on one key, nulls last in both directions.
func (e *Engine) compareKey(k sortKey, n int) func(a, b uint32) int {
	sign := 1
	if k.desc {
		sign = -1
	}
	nullsLast := func(an, bn bool) int {
		switch {
		case an && !bn:
			return 1
		case bn && !an:
			return -1
		}
		return 0
	}
	c := k.col
	switch c.kind {
	case kindKey:
		keys := e.keys
		return func(a, b uint32) int { return sign * strings.Compare(keys.get(a), keys.get(b)) }
	case kindString:
		d := c.dict
		codes := &c.codes
		if size := c.codeCount(); size <= maxRankedCodes && size <= 4*n+256 {
			rank := stringRanks(d)
			return func(a, b uint32) int {
				ca, cb := codes.get(a), codes.get(b)
				if ca == 0 || cb == 0 {
					return nullsLast(ca == 0, cb == 0)
				}
				if int(ca) < len(rank) && int(cb) < len(rank) {
					return sign * cmp.Compare(rank[ca], rank[cb])
				}
				// A value newer than the ranks (written during the query): ranks are
				// the values' order, so comparing the values agrees with them.
				return sign * strings.Compare(d.get(ca), d.get(cb))
			}
		}
		return func(a, b uint32) int {
			ca, cb := codes.get(a), codes.get(b)
			if ca == 0 || cb == 0 {
				return nullsLast(ca == 0, cb == 0)
			}
			return sign * strings.Compare(d.get(ca), d.get(cb))
		}
	case kindNumber:
		return func(a, b uint32) int {
			fa, fb := c.number(a), c.number(b)
			if an, bn := math.IsNaN(fa), math.IsNaN(fb); an || bn {
				return nullsLast(an, bn)
			}
			return sign * cmp.Compare(fa, fb)
		}
	case kindTime:
		ms := c.ms
		return func(a, b uint32) int {
			ta, tb := ms[a], ms[b]
			if ta == nullTime || tb == nullTime {
				return nullsLast(ta == nullTime, tb == nullTime)
			}
			return sign * cmp.Compare(ta, tb)
		}
	case kindBool:
		codes := &c.codes
		return func(a, b uint32) int {
			ca, cb := codes.get(a), codes.get(b)
			if ca == 0 || cb == 0 {
				return nullsLast(ca == 0, cb == 0)
			}
			return sign * cmp.Compare(ca, cb)
		}
	}
	return func(a, b uint32) int { return 0 }
}

// maxRankedCodes bounds the dictionaries whose values are ranked before a sort: ranking
// sorts the whole dictionary, which pays for a big selection of a few values (services)
// but not for titles, where comparing the few strings a top-N looks at is cheaper.
const maxRankedCodes = 1 << 16

// stringRanks gives each code of d its position in value order, so that sorting compares
// integers instead of strings.
func stringRanks(d *dict) []uint32 {
	codes := make([]uint32, d.len()-1)
	for i := range codes {
		codes[i] = uint32(i + 1)
	}
	slices.SortFunc(codes, func(a, b uint32) int { return strings.Compare(d.get(a), d.get(b)) })
	rank := make([]uint32, d.len())
	for i, c := range codes {
		rank[c] = uint32(i + 1)
	}
	return rank
}

// topK returns the k smallest rows by less, sorted, using a bounded heap: a pass over
// the rows, and a sort of k.
func topK(rows []uint32, k int, less func(a, b uint32) bool) []uint32 {
	if k >= len(rows) {
		out := slices.Clone(rows)
		slices.SortFunc(out, func(a, b uint32) int { return boolCmp(less, a, b) })
		return out
	}
	h := newTopHeap(k, less)
	for _, r := range rows {
		h.push(r)
	}
	return h.sorted()
}

// topHeap keeps the k smallest rows pushed so far: a max-heap whose root is the worst row
// kept.
type topHeap struct {
	h    []uint32
	k    int
	less func(a, b uint32) bool
}

func newTopHeap(k int, less func(a, b uint32) bool) *topHeap {
	return &topHeap{h: make([]uint32, 0, k), k: k, less: less}
}

func (t *topHeap) push(r uint32) {
	h, less := t.h, t.less
	if len(h) < t.k {
		h = append(h, r)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !less(h[p], h[i]) {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		t.h = h
		return
	}
	if t.k == 0 || !less(r, h[0]) {
		return
	}
	h[0] = r
	for i := 0; ; {
		l, rt, big := 2*i+1, 2*i+2, i
		if l < len(h) && less(h[big], h[l]) {
			big = l
		}
		if rt < len(h) && less(h[big], h[rt]) {
			big = rt
		}
		if big == i {
			break
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}

func (t *topHeap) sorted() []uint32 {
	slices.SortFunc(t.h, func(a, b uint32) int { return boolCmp(t.less, a, b) })
	return t.h
}

// sortRows returns the first k of rows in the order of less, a slice of rows at a time. A
// small k keeps a heap; a large one sorts runs of a slice each, then merges them, so that
// an export of millions of tickets in the order of a column never holds the lock for
// more than a slice. Rows whose values change during the sort (a write between slices)
// may land out of place, never outside the result's rows.
func sortRows(r *reader, rows []uint32, k int, less func(a, b uint32) bool) ([]uint32, error) {
	k = min(k, len(rows))
	if k <= sortHeapMax {
		h := newTopHeap(k, less)
		err := r.slicesCost(rows, chunkRows, 2, func(part []uint32) {
			for _, row := range part {
				h.push(row) // most rows are compared with the root only
			}
		})
		if err != nil {
			return nil, err
		}
		return h.sorted(), nil
	}
	cmpRows := func(a, b uint32) int { return boolCmp(less, a, b) }
	var runs [][]uint32
	err := r.slicesCost(rows, chunkRows/4, pushWork, func(part []uint32) {
		run := slices.Clone(part)
		slices.SortFunc(run, cmpRows)
		runs = append(runs, run)
	})
	if err != nil {
		return nil, err
	}
	// Merge: a heap of the runs by their first rows.
	heads := make([]int, len(runs))
	byHead := func(a, b int) bool { return less(runs[a][heads[a]], runs[b][heads[b]]) }
	mh := make([]int, 0, len(runs))
	up := func(i int) {
		for i > 0 {
			p := (i - 1) / 2
			if !byHead(mh[i], mh[p]) {
				return
			}
			mh[i], mh[p] = mh[p], mh[i]
			i = p
		}
	}
	down := func(i int) {
		for {
			l, rt, small := 2*i+1, 2*i+2, i
			if l < len(mh) && byHead(mh[l], mh[small]) {
				small = l
			}
			if rt < len(mh) && byHead(mh[rt], mh[small]) {
				small = rt
			}
			if small == i {
				return
			}
			mh[i], mh[small] = mh[small], mh[i]
			i = small
		}
	}
	for i := range runs {
		mh = append(mh, i)
		up(len(mh) - 1)
	}
	out := make([]uint32, 0, k)
	for len(out) < k && len(mh) > 0 {
		top := mh[0]
		out = append(out, runs[top][heads[top]])
		heads[top]++
		if heads[top] == len(runs[top]) {
			mh[0] = mh[len(mh)-1]
			mh = mh[:len(mh)-1]
		}
		if len(mh) > 0 {
			down(0)
		}
		if len(out)%(chunkRows/4) == 0 {
			if err := r.tick(chunkRows / 4 * pushWork); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// sortHeapMax is the largest k that sortRows keeps in a heap.
const sortHeapMax = 4096

func boolCmp(less func(a, b uint32) bool, a, b uint32) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}

// newResultColumn makes a result column of n rows for c, of c's type.
func newResultColumn(c *column, n int) Column {
	out := Column{Name: c.name, Nulls: make([]bool, n)}
	switch c.kind {
	case kindKey, kindString:
		out.Strings = make([]string, n)
	case kindNumber:
		out.Numbers = make([]float64, n)
	case kindTime:
		out.Times = make([]time.Time, n)
	case kindBool:
		out.Bools = make([]bool, n)
	}
	return out
}

// fillValues copies the values of c at rows into out from position at. Strings are
// cloned: results outlive the lock.
func (e *Engine) fillValues(c *column, rows []uint32, out *Column, at int) {
	nulls := out.Nulls[at:]
	switch c.kind {
	case kindKey:
		for i, r := range rows {
			out.Strings[at+i] = strings.Clone(e.keys.get(r))
		}
	case kindString:
		for i, r := range rows {
			if code := c.codes.get(r); code != 0 {
				out.Strings[at+i] = strings.Clone(c.dict.get(code))
			} else {
				nulls[i] = true
			}
		}
	case kindNumber:
		for i, r := range rows {
			if f := c.number(r); !math.IsNaN(f) {
				out.Numbers[at+i] = f
			} else {
				nulls[i] = true
			}
		}
	case kindTime:
		for i, r := range rows {
			if t := c.ms[r]; t != nullTime {
				out.Times[at+i] = timeOfMS(t)
			} else {
				nulls[i] = true
			}
		}
	case kindBool:
		for i, r := range rows {
			switch c.codes.get(r) {
			case boolTrue:
				out.Bools[at+i] = true
			case 0:
				nulls[i] = true
			}
		}
	}
}

// sortByShown orders the rows of res (and keys, the rows' keys, when not nil) by the sort
// keys, comparing the values res shows, nulls last. It sorts by the keys up to the first
// whose column is not shown: the order by that key and the ones after it cannot be seen,
// and the sort is stable, so rows equal on the shown keys keep the engine's order. Giving
// up on every key instead left the shown ones out of order whenever one was hidden, as
// the scope's time field is, added last to the keys and often not a column of the table.
func sortByShown(res *TicketsResult, keys []sortKey, rowKeys []string) {
	var cols []*Column
	for _, k := range keys {
		var col *Column
		for j := range res.Columns {
			if res.Columns[j].Name == k.col.name && res.Columns[j].Nulls != nil {
				col = &res.Columns[j]
			}
		}
		if col == nil {
			break
		}
		cols = append(cols, col)
	}
	if len(cols) == 0 {
		return
	}
	perm := make([]int, len(res.Matches))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(a, b int) int {
		for i, c := range cols {
			if d := compareShown(c, a, b, keys[i].desc); d != 0 {
				return d
			}
		}
		return 0
	})
	for i := range res.Columns {
		res.Columns[i].permute(perm)
	}
	res.Matches = permuted(res.Matches, perm)
	if rowKeys != nil {
		copy(rowKeys, permuted(rowKeys, perm))
	}
}

// compareShown compares rows a and b of a result column, nulls last in either direction.
func compareShown(c *Column, a, b int, desc bool) int {
	an, bn := c.Nulls[a], c.Nulls[b]
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	var d int
	switch {
	case c.Strings != nil:
		d = strings.Compare(c.Strings[a], c.Strings[b])
	case c.Numbers != nil:
		d = cmp.Compare(c.Numbers[a], c.Numbers[b])
	case c.Times != nil:
		d = c.Times[a].Compare(c.Times[b])
	case c.Bools != nil:
		d = cmp.Compare(b2i(c.Bools[a]), b2i(c.Bools[b]))
	}
	if desc {
		d = -d
	}
	return d
}

// permute reorders the column's rows: row i becomes row perm[i].
func (c *Column) permute(perm []int) {
	if c.Nulls == nil {
		return // a detail column, read later
	}
	c.Nulls = permuted(c.Nulls, perm)
	switch {
	case c.Strings != nil:
		c.Strings = permuted(c.Strings, perm)
	case c.Numbers != nil:
		c.Numbers = permuted(c.Numbers, perm)
	case c.Times != nil:
		c.Times = permuted(c.Times, perm)
	case c.Bools != nil:
		c.Bools = permuted(c.Bools, perm)
	}
}

func permuted[T any](s []T, perm []int) []T {
	out := make([]T, len(s))
	for i, p := range perm {
		out[i] = s[p]
	}
	return out
}

// maxSearchWords bounds the words of a search, each of which every row of a page is
// searched for.
const maxSearchWords = 32

// matchesAll reports whether row contains every word in its key or one of texts.
func (e *Engine) matchesAll(row uint32, words []string, texts []*column) bool {
	for _, w := range words {
		found := containsFold(e.keys.get(row), w)
		for _, c := range texts {
			if found {
				break
			}
			if code := c.codes.get(row); code != 0 {
				found = containsFold(c.dict.get(code), w)
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// longDetails is the number of rows above which reading their detail columns takes a
// place in the lane of long queries.
const longDetails = 4096

// fillDetails reads the detail columns of the output rows from the store.
func (e *Engine) fillDetails(ctx context.Context, res *TicketsResult, cols []*column, details []int, keys []string) error {
	if len(details) == 0 {
		return nil
	}
	if e.st == nil {
		return errors.New("read detail columns: the engine has no store")
	}
	if len(keys) > longDetails {
		// Reading the details of tens of thousands of rows is the heaviest part of a big
		// table (decoding each stored record); sixteen at once would starve the small
		// queries and the writes just as long scans would, so they share the lane of long
		// queries (none holds the read lock here).
		select {
		case e.lane <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("read detail columns: %w", context.Cause(ctx))
		}
		defer func() { <-e.lane }()
	}
	recs, err := e.st.Get(ctx, keys)
	if err != nil {
		return fmt.Errorf("read detail columns from the store: %w", err)
	}
	byKey := make(map[string]*ticket.Record, len(recs))
	for i := range recs {
		byKey[recs[i].Key] = &recs[i]
	}
	for _, ci := range details {
		c := cols[ci]
		out := Column{Name: c.name, Nulls: make([]bool, len(keys))}
		switch c.typ {
		case schema.Number:
			out.Numbers = make([]float64, len(keys))
		case schema.Time:
			out.Times = make([]time.Time, len(keys))
		case schema.Bool:
			out.Bools = make([]bool, len(keys))
		default:
			out.Strings = make([]string, len(keys))
		}
		for i, k := range keys {
			var v ticket.Value
			if rec, ok := byKey[k]; ok {
				v = coerce(rec.Get(c.name), c.typ)
			}
			switch v.Kind {
			case ticket.Str:
				out.Strings[i] = v.S
			case ticket.Num:
				out.Numbers[i] = v.F
			case ticket.Time:
				out.Times[i] = v.Time()
			case ticket.Bool:
				out.Bools[i] = v.Bool()
			default:
				out.Nulls[i] = true
			}
		}
		res.Columns[ci] = out
	}
	return nil
}
