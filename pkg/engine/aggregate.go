package engine

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxBuckets bounds a counts result, so that a tiny bucket over a long range is an error
// rather than an allocation of gigabytes.
const maxBuckets = 100_000

// grouping gives each row of a selection a group: the dictionary code for coded columns
// (0 is null), or for plain-float numbers a code made up for the query. The codes of a
// coded column grow while a query runs (new values arrive between its slices), so the
// arrays indexed by group grow with them: size says how many groups there are now.
type grouping struct {
	col *column
	// For plain floats: the group of each position of the selection and the value of
	// each group (vals[0] is null).
	posGroup []uint32
	vals     []float64
}

// groupedScope is the start of a query that groups the tickets in scope by a field
// (breakdown, values, movers): the field's column and the scope's selection.
func (e *Engine) groupedScope(r *reader, field, what string, sc *Scope) (*column, *selection, error) {
	col, err := e.groupingFor(field, what)
	if err != nil {
		return nil, nil, err
	}
	sel, err := e.selection(r, sc)
	if err != nil {
		return nil, nil, err
	}
	return col, sel, nil
}

func (e *Engine) groupingFor(field, what string) (*column, error) {
	col, ok := e.byName[field]
	if !ok {
		return nil, badRequest("%s: %s", what, e.schema.UnknownField(field))
	}
	switch col.kind {
	case kindString, kindNumber, kindBool:
		return col, nil
	case kindKey:
		return nil, badRequest("%s: %q is the key; every ticket has its own value", what, field)
	case kindDetail:
		return nil, badRequest("%s: %q is a detail column, kept only in the store", what, field)
	}
	return nil, badRequest("%s: %q is a %s field; it must be a string, text, number or bool field", what, field, col.typ)
}

// newGrouping groups rows by col. Plain floats get their groups here, a slice of rows at
// a time.
func newGrouping(r *reader, col *column, rows []uint32) (*grouping, error) {
	g := &grouping{col: col}
	if col.coded() {
		return g, nil
	}
	ids := map[float64]uint32{}
	g.vals = []float64{math.NaN()}
	g.posGroup = make([]uint32, 0, len(rows))
	err := r.slices(rows, chunkRows, func(part []uint32) {
		raw := col.raw
		for _, row := range part {
			f := raw[row]
			id := uint32(0)
			if !math.IsNaN(f) {
				var ok bool
				if id, ok = ids[f]; !ok {
					id = uint32(len(g.vals))
					g.vals = append(g.vals, f)
					ids[f] = id
				}
			}
			g.posGroup = append(g.posGroup, id)
		}
	})
	return g, err
}

// size is the number of groups, null included.
func (g *grouping) size() int {
	if g.posGroup != nil || g.vals != nil {
		return len(g.vals)
	}
	return g.col.codeCount()
}

// counts returns the number of rows per group.
func (g *grouping) counts(r *reader, rows []uint32) ([]int64, error) {
	return g.countsIn(r, rows, 0, len(rows))
}

// countsIn counts the groups of the positions [a, b) of rows, the rows the grouping was
// made for.
func (g *grouping) countsIn(r *reader, rows []uint32, a, b int) ([]int64, error) {
	out := make([]int64, g.size())
	if g.posGroup != nil {
		for _, id := range g.posGroup[a:b] {
			out[id]++
		}
		return out, r.ctx.Err()
	}
	var scratch []int64
	err := r.slices(rows[a:b], chunkRows, func(part []uint32) {
		out = fit(out, g.size())
		switch c := &g.col.codes; c.width {
		case 1:
			scratch = countCodes(c.b1, part, out, scratch)
		case 2:
			scratch = countCodes(c.b2, part, out, scratch)
		default:
			scratch = countCodes(c.b4, part, out, scratch)
		}
	})
	return out, err
}

// fit grows s with zeros to n elements.
func fit[T any](s []T, n int) []T {
	if len(s) >= n {
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

// countCodes adds one per row to out[code]. Long runs of one code (a selection of one
// service) would make each increment wait for the previous one; four sets of counters
// break that chain, where there are few codes for the rows (clearing them costs a pass
// over them). scratch holds them from one call to the next.
func countCodes[T uint8 | uint16 | uint32](codes []T, rows []uint32, out, scratch []int64) []int64 {
	if len(rows) < 4096 || 4*len(out) > len(rows) {
		for _, r := range rows {
			out[codes[r]]++
		}
		return scratch
	}
	n := len(out)
	scratch = fit(scratch[:0], 4*n)
	clear(scratch)
	c0, c1, c2, c3 := scratch[:n], scratch[n:2*n], scratch[2*n:3*n], scratch[3*n:4*n]
	i := 0
	for ; i+4 <= len(rows); i += 4 {
		c0[codes[rows[i]]]++
		c1[codes[rows[i+1]]]++
		c2[codes[rows[i+2]]]++
		c3[codes[rows[i+3]]]++
	}
	for ; i < len(rows); i++ {
		c0[codes[rows[i]]]++
	}
	for k := range out {
		out[k] += c0[k] + c1[k] + c2[k] + c3[k]
	}
	return scratch
}

// label formats a group's value as the results show it, and whether it is null.
func (g *grouping) label(id uint32) (string, bool) {
	v, null := g.labelView(id)
	if g.col.kind == kindString {
		v = strings.Clone(v) // results outlive the lock
	}
	return v, null
}

// labelView is label without the copy: a string of the dictionary, valid under the lock.
func (g *grouping) labelView(id uint32) (string, bool) {
	if id == 0 {
		return "", true
	}
	switch g.col.kind {
	case kindString:
		return g.col.dict.get(id), false
	case kindBool:
		return strconv.FormatBool(id == boolTrue), false
	}
	return formatNumber(g.number(id)), false
}

func (g *grouping) number(id uint32) float64 {
	if g.vals != nil {
		return g.vals[id]
	}
	return g.col.nums[id]
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// compareValues orders two non-null groups by value: numbers numerically, false before
// true, text byte-wise.
func (g *grouping) compareValues(a, b uint32) int {
	switch g.col.kind {
	case kindString:
		return strings.Compare(g.col.dict.get(a), g.col.dict.get(b))
	case kindBool:
		return cmp.Compare(a, b)
	}
	return cmp.Compare(g.number(a), g.number(b))
}

// top returns the k groups with the most rows (ties by value, null last) among those
// with a count that keep accepts (nil: all), in that order, and how many more there are.
// It keeps a heap of k and reads the groups a slice at a time: a field of a million
// values (titles) is ranked without sorting them all under the lock.
func (g *grouping) top(r *reader, counts []int64, k int, keep func(id uint32) bool) ([]uint32, int, error) {
	h := newTopHeap(k, func(a, b uint32) bool { return g.ranksBefore(counts, a, b) })
	n := 0
	const chunk = 512 // a push may compare values up the heap
	for lo := 0; lo < len(counts); lo += chunk {
		pushed := 0
		for id := lo; id < min(lo+chunk, len(counts)); id++ {
			if counts[id] > 0 && (keep == nil || keep(uint32(id))) {
				h.push(uint32(id))
				pushed++
			}
		}
		n += pushed
		if err := r.tick(chunk + pushed*pushWork); err != nil {
			return nil, 0, err
		}
	}
	ids := h.sorted()
	return ids, n - len(ids), nil
}

// pushWork is what a push into a heap of groups or rows counts for in a query's work:
// it compares values, strings among them, up the heap.
const pushWork = 16

// labels returns the labels of the groups ids, a slice at a time.
func (g *grouping) labels(r *reader, ids []uint32) ([]string, []bool, error) {
	vals, nulls := make([]string, len(ids)), make([]bool, len(ids))
	for lo := 0; lo < len(ids); lo += chunkRows / 4 {
		hi := min(lo+chunkRows/4, len(ids))
		for i := lo; i < hi; i++ {
			vals[i], nulls[i] = g.label(ids[i])
		}
		if err := r.tick((hi - lo) * pushWork); err != nil {
			return nil, nil, err
		}
	}
	return vals, nulls, nil
}

// ranksBefore orders groups by count descending, then by value, null last.
func (g *grouping) ranksBefore(counts []int64, a, b uint32) bool {
	if counts[a] != counts[b] {
		return counts[a] > counts[b]
	}
	switch {
	case a == b:
		return false
	case a == 0:
		return false
	case b == 0:
		return true
	}
	return g.compareValues(a, b) < 0
}

func topOrDefault(top int) (int, error) {
	switch {
	case top < 0:
		return 0, badRequest("top must not be negative, got %d", top)
	case top == 0:
		return 10, nil
	}
	return top, nil
}

// Counts returns the number of tickets in scope per time bucket, optionally split by a
// field into the Top series and "other".
func (e *Engine) Counts(ctx context.Context, req CountsRequest) (*CountsResult, error) {
	top, err := topOrDefault(req.Top)
	if err != nil {
		return nil, err
	}
	if req.Bucket < time.Millisecond || req.Bucket%time.Millisecond != 0 {
		return nil, badRequest("the bucket must be a whole number of milliseconds, at least 1ms; got %s", req.Bucket)
	}
	if req.From.IsZero() || req.To.IsZero() {
		return nil, badRequest("a counts query needs a time range with both ends")
	}
	return remember(e, cacheKey("counts", &req.Scope, req.Bucket, req.SplitBy, top), nil, func() (*CountsResult, error) {
		var res *CountsResult
		err := e.read(ctx, func(r *reader) error {
			var err error
			res, err = e.counts(r, &req, top)
			return err
		})
		return res, err
	})
}

func (e *Engine) counts(r *reader, req *CountsRequest, top int) (*CountsResult, error) {
	var split *column
	if req.SplitBy != "" {
		var err error
		if split, err = e.groupingFor(req.SplitBy, "split by"); err != nil {
			return nil, err
		}
	}
	sel, err := e.selection(r, &req.Scope)
	if err != nil {
		return nil, err
	}
	width := req.Bucket.Milliseconds()
	// The first bucket is the one that holds From.
	start := floorDiv(req.From.UnixMilli(), width) * width
	// The last bucket is the one of the last millisecond in range.
	n := (sel.tr.hi-1-start)/width + 1
	if n > maxBuckets {
		return nil, badRequest("%d buckets of %s over the range are too many (the limit is %d); choose a wider bucket", n, req.Bucket, maxBuckets)
	}
	res := &CountsResult{Times: make([]time.Time, n)}
	for i := range res.Times {
		res.Times[i] = timeOfMS(start + int64(i)*width)
	}
	bk := buckets{start: start, width: width, n: int(n)}
	ms := sel.tcol.ms
	if split == nil {
		counts, err := bk.count(r, sel.rows, ms)
		if err != nil {
			return nil, err
		}
		res.Series = []Series{{Counts: counts}}
		return res, nil
	}
	g, err := newGrouping(r, split, sel.rows)
	if err != nil {
		return nil, err
	}
	var totals, byCode []int64
	if g.posGroup == nil && g.size()*int(n) <= maxByCodeCells {
		// Few values (severities, statuses): one pass counts every value in every
		// bucket, and the series are sums of those.
		if byCode, err = countByCode(r, split, sel.rows, ms, bk); err != nil {
			return nil, err
		}
		totals = make([]int64, len(byCode)/int(n))
		for code := range totals {
			for _, c := range byCode[code*int(n) : (code+1)*int(n)] {
				totals[code] += c
			}
		}
	} else if totals, err = g.counts(r, sel.rows); err != nil {
		return nil, err
	}
	keptIDs, more, err := g.top(r, totals, top, nil)
	if err != nil {
		return nil, err
	}
	kept := len(keptIDs)
	if cells := (kept + 1) * int(n); cells > maxCells {
		return nil, fmt.Errorf("%w: %d series of %d buckets are more than the %d values a counts query may return; lower top or choose a wider bucket", ErrTooExpensive, kept+1, n, maxCells)
	}
	other := int32(kept)
	series := make([]int32, len(totals)) // group -> series index
	for i := range series {
		series[i] = other
	}
	if split.kind == kindNumber {
		// A number is a scale (severity, priority): series in value order read 1, 2, 3
		// in the legend and stack the same way at every refresh, however large each is
		// at the moment. The top N are still the largest.
		keptIDs = slices.Clone(keptIDs)
		slices.SortFunc(keptIDs, func(a, b uint32) int {
			switch {
			case a == 0:
				return 1
			case b == 0:
				return -1
			}
			return g.compareValues(a, b)
		})
	}
	for i, id := range keptIDs {
		series[id] = int32(i)
		name, null := g.label(id)
		res.Series = append(res.Series, Series{Name: name, Null: null})
	}
	nSeries := kept
	if more > 0 {
		nSeries++
		res.Series = append(res.Series, Series{Name: OtherName})
	}
	flat := make([]int64, (nSeries+1)*int(n)) // a spare series for values new since the totals
	switch {
	case byCode != nil:
		for code, s := range series {
			row := flat[int(s)*int(n) : (int(s)+1)*int(n)]
			for b, c := range byCode[code*int(n) : (code+1)*int(n)] {
				row[b] += c
			}
		}
	case g.posGroup != nil:
		pos := 0
		err = r.slices(sel.rows, chunkRows, func(part []uint32) {
			bk.walk(part, ms, func(i, b int) {
				flat[int(series[g.posGroup[pos+i]])*int(n)+b]++
			})
			pos += len(part)
		})
	default:
		err = r.slices(sel.rows, chunkRows, func(part []uint32) {
			// A value that arrived after the totals were counted goes to "other".
			for len(series) < g.size() {
				series = append(series, int32(nSeries))
			}
			switch c := &split.codes; c.width {
			case 1:
				splitBuckets(c.b1, series, part, ms, bk, flat)
			case 2:
				splitBuckets(c.b2, series, part, ms, bk, flat)
			default:
				splitBuckets(c.b4, series, part, ms, bk, flat)
			}
		})
	}
	if err != nil {
		return nil, err
	}
	if spare := flat[nSeries*int(n):]; slices.ContainsFunc(spare, func(c int64) bool { return c != 0 }) {
		if nSeries == kept {
			nSeries++
			res.Series = append(res.Series, Series{Name: OtherName})
		} else {
			for b, c := range spare {
				flat[kept*int(n)+b] += c
			}
		}
	}
	for i := range res.Series {
		res.Series[i].Counts = flat[i*int(n) : (i+1)*int(n) : (i+1)*int(n)]
	}
	return res, nil
}

// maxByCodeCells bounds the counts per value and bucket that a split counts query keeps
// to count in one pass (8 MB).
const maxByCodeCells = 1 << 20

// countByCode counts the rows per code of col and per bucket: code*n+bucket.
func countByCode(r *reader, col *column, rows []uint32, ms []int64, bk buckets) ([]int64, error) {
	var out []int64
	err := r.slices(rows, chunkRows, func(part []uint32) {
		out = fit(out, col.codeCount()*bk.n) // values new since the last chunk
		switch c := &col.codes; c.width {
		case 1:
			codeBuckets(c.b1, part, ms, bk, out)
		case 2:
			codeBuckets(c.b2, part, ms, bk, out)
		default:
			codeBuckets(c.b4, part, ms, bk, out)
		}
	})
	return out, err
}

func codeBuckets[T uint8 | uint16 | uint32](codes []T, rows []uint32, ms []int64, bk buckets, out []int64) {
	b, lo, hi := 0, int64(math.MaxInt64), int64(math.MinInt64)
	end := bk.start + int64(bk.n)*bk.width
	for _, r := range rows {
		t := ms[r]
		if t < lo || t >= hi {
			if t < bk.start || t >= end {
				continue
			}
			b = int((t - bk.start) / bk.width)
			lo = bk.start + int64(b)*bk.width
			hi = lo + bk.width
		}
		out[int(codes[r])*bk.n+b]++
	}
}

// maxCells bounds the values of a counts or spike result (series times buckets): ten
// million values are 80 MB, far more than a chart draws.
const maxCells = 10_000_000

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// buckets are n time buckets of width milliseconds from start.
type buckets struct {
	start, width int64
	n            int
}

// count counts rows (sorted by time) per bucket. With far fewer buckets than rows it
// binary-searches each bucket's end instead of visiting the rows.
func (bk buckets) count(r *reader, rows []uint32, ms []int64) ([]int64, error) {
	out := make([]int64, bk.n)
	if bk.n*24 < len(rows) {
		prev := 0
		for b := range bk.n {
			end := bk.start + int64(b+1)*bk.width
			rest := rows[prev:]
			k := prev + sort.Search(len(rest), func(i int) bool { return ms[rest[i]] >= end })
			out[b] = int64(k - prev)
			prev = k
			if b%256 == 255 {
				if err := r.tick(256 * 24); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	err := r.slices(rows, chunkRows, func(part []uint32) {
		bk.walk(part, ms, func(_ int, b int) { out[b]++ })
	})
	return out, err
}

// walk calls fn with each row's position and bucket. Rows are sorted by time, so the
// bucket mostly stays or moves forward and is found by division only when it changes. A
// row whose time has changed since the selection was made (a write between two slices)
// may be out of order or out of range: out of range, it is skipped.
func (bk buckets) walk(rows []uint32, ms []int64, fn func(pos, bucket int)) {
	b, lo, hi := 0, int64(math.MaxInt64), int64(math.MinInt64)
	end := bk.start + int64(bk.n)*bk.width
	for i, r := range rows {
		t := ms[r]
		if t < lo || t >= hi {
			if t < bk.start || t >= end {
				continue
			}
			b = int((t - bk.start) / bk.width)
			lo = bk.start + int64(b)*bk.width
			hi = lo + bk.width
		}
		fn(i, b)
	}
}

func splitBuckets[T uint8 | uint16 | uint32](codes []T, series []int32, rows []uint32, ms []int64, bk buckets, flat []int64) {
	b, lo, hi := 0, int64(math.MaxInt64), int64(math.MinInt64)
	end := bk.start + int64(bk.n)*bk.width
	for _, r := range rows {
		t := ms[r]
		if t < lo || t >= hi {
			if t < bk.start || t >= end {
				continue
			}
			b = int((t - bk.start) / bk.width)
			lo = bk.start + int64(b)*bk.width
			hi = lo + bk.width
		}
		flat[int(series[codes[r]])*bk.n+b]++
	}
}

// Breakdown returns the number of tickets in scope per value of a field: the Top values
// by count and the rest summed as "other".
func (e *Engine) Breakdown(ctx context.Context, req BreakdownRequest) (*BreakdownResult, error) {
	top, err := topOrDefault(req.Top)
	if err != nil {
		return nil, err
	}
	return remember(e, cacheKey("breakdown", &req.Scope, req.Field, top), nil, func() (*BreakdownResult, error) {
		return e.breakdown(ctx, &req, top)
	})
}

func (e *Engine) breakdown(ctx context.Context, req *BreakdownRequest, top int) (*BreakdownResult, error) {
	var res *BreakdownResult
	err := e.read(ctx, func(r *reader) error {
		col, sel, err := e.groupedScope(r, req.Field, "breakdown", &req.Scope)
		if err != nil {
			return err
		}
		g, err := newGrouping(r, col, sel.rows)
		if err != nil {
			return err
		}
		counts, err := g.counts(r, sel.rows)
		if err != nil {
			return err
		}
		ids, more, err := g.top(r, counts, top, nil)
		if err != nil {
			return err
		}
		vals, nulls, err := g.labels(r, ids)
		if err != nil {
			return err
		}
		res = &BreakdownResult{Field: col.name, Total: int64(len(sel.rows))}
		rest := res.Total
		for i, id := range ids {
			res.Buckets = append(res.Buckets, Bucket{Value: vals[i], Null: nulls[i], Count: counts[id]})
			rest -= counts[id]
		}
		if more > 0 {
			res.Buckets = append(res.Buckets, Bucket{Value: OtherName, Other: true, Count: rest})
		}
		return nil
	})
	return res, err
}

// Values returns the distinct values of a field in scope with their counts, most
// frequent first, those starting with Prefix (ignoring case) only.
func (e *Engine) Values(ctx context.Context, req ValuesRequest) (*ValuesResult, error) {
	limit := req.Limit
	switch {
	case limit < 0:
		return nil, badRequest("limit must not be negative, got %d", limit)
	case limit == 0:
		limit = 100
	}
	limit = min(limit, MaxRows)
	return remember(e, cacheKey("values", &req.Scope, req.Field, req.Prefix, limit),
		func(res *ValuesResult) bool { return len(res.Values) <= cachedRows },
		func() (*ValuesResult, error) { return e.values(ctx, &req, limit) })
}

func (e *Engine) values(ctx context.Context, req *ValuesRequest, limit int) (*ValuesResult, error) {
	var res *ValuesResult
	err := e.read(ctx, func(r *reader) error {
		col, ok := e.byName[req.Field]
		if ok && col.kind == kindKey {
			sel, err := e.selection(r, &req.Scope)
			if err != nil {
				return err
			}
			res, err = e.keyValues(r, sel.rows, req.Prefix, limit)
			return err
		}
		col, sel, err := e.groupedScope(r, req.Field, "values", &req.Scope)
		if err != nil {
			return err
		}
		g, err := newGrouping(r, col, sel.rows)
		if err != nil {
			return err
		}
		counts, err := g.counts(r, sel.rows)
		if err != nil {
			return err
		}
		var keep func(id uint32) bool
		if prefix := strings.ToLower(req.Prefix); prefix != "" {
			keep = func(id uint32) bool {
				v, null := g.labelView(id)
				return !null && hasPrefixFold(v, prefix)
			}
		}
		ids, _, err := g.top(r, counts, limit, keep)
		if err != nil {
			return err
		}
		vals, nulls, err := g.labels(r, ids)
		if err != nil {
			return err
		}
		res = &ValuesResult{Field: col.name}
		for i, id := range ids {
			res.Values = append(res.Values, Bucket{Value: vals[i], Null: nulls[i], Count: counts[id]})
		}
		return nil
	})
	return res, err
}

// keyValues lists the keys in rows (each counts once) that have the prefix, the first
// limit of them in key order.
func (e *Engine) keyValues(r *reader, rows []uint32, prefix string, limit int) (*ValuesResult, error) {
	prefix = strings.ToLower(prefix)
	keys := e.keys
	byKey := func(a, b uint32) bool { return keys.get(a) < keys.get(b) }
	var matching []uint32
	err := r.slices(rows, chunkRows, func(part []uint32) {
		for _, row := range part {
			if hasPrefixFold(keys.get(row), prefix) {
				matching = append(matching, row)
			}
		}
		if len(matching) > 2*limit {
			// Keep the memory at a few times the limit: only the first limit keys are
			// answered.
			matching = topK(matching, limit, byKey)
		}
	})
	if err != nil {
		return nil, err
	}
	res := &ValuesResult{Field: e.schema.Key}
	for _, row := range topK(matching, limit, byKey) {
		res.Values = append(res.Values, Bucket{Value: strings.Clone(keys.get(row)), Count: 1})
	}
	return res, nil
}

func hasPrefixFold(s, lowerPrefix string) bool {
	if isASCII(s) && isASCII(lowerPrefix) {
		if len(s) < len(lowerPrefix) {
			return false
		}
		for i := 0; i < len(lowerPrefix); i++ {
			if lowerASCII(s[i]) != lowerPrefix[i] {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(strings.ToLower(s), lowerPrefix)
}

// Stats returns the number of tickets in scope, how many of them are open, the rate, and
// the usual rate: that of the same filter over the baseline period before the range.
func (e *Engine) Stats(ctx context.Context, req StatsRequest) (*StatsResult, error) {
	if req.Baseline < 0 {
		return nil, badRequest("the baseline must not be negative, got %s", req.Baseline)
	}
	return remember(e, cacheKey("stats", &req.Scope, req.Baseline), nil, func() (*StatsResult, error) {
		return e.stats(ctx, &req)
	})
}

func (e *Engine) stats(ctx context.Context, req *StatsRequest) (*StatsResult, error) {
	var res *StatsResult
	err := e.read(ctx, func(r *reader) error {
		sel, err := e.selection(r, &req.Scope)
		if err != nil {
			return err
		}
		open, err := e.refine(r, &req.Scope, sel, e.opts.Open, "open")
		if err != nil {
			return err
		}
		res = &StatsResult{Total: int64(len(sel.rows)), Open: int64(len(open)), Tickets: int64(e.rows)}
		if req.From.IsZero() || req.To.IsZero() {
			return nil
		}
		if minutes := req.To.Sub(req.From).Minutes(); minutes > 0 {
			res.RatePerMinute = float64(res.Total) / minutes
		}
		length := req.Baseline
		if length == 0 {
			length = req.To.Sub(req.From)
		}
		// The usual rate is just another scope: the same filter over the period before
		// the range, cached like any selection, so the stat panel's next refresh finds it.
		base, err := e.selection(r, baselineScope(&req.Scope, length))
		if err != nil {
			return err
		}
		res.BaselineTotal = int64(len(base.rows))
		res.BaselineRatePerMinute = float64(res.BaselineTotal) / length.Minutes()
		return nil
	})
	return res, err
}

// baselineScope is the scope of the period of the given length just before sc's range,
// with sc's filter and time field.
func baselineScope(sc *Scope, length time.Duration) *Scope {
	b := *sc
	b.From, b.To = sc.From.Add(-length), sc.From
	b.Search = ""
	return &b
}
