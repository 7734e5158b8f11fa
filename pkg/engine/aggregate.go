package engine

import (
	"cmp"
	"context"
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
// (0 is null), or for plain-float numbers a code made up for the query.
type grouping struct {
	col *column
	n   int
	// For plain floats: the group of each position of the selection and the value of
	// each group (vals[0] is null).
	posGroup []uint32
	vals     []float64
}

// groupedScope is the start of a query that groups the tickets in scope by a field
// (breakdown, values, movers): the field's column and the scope's selection. The caller
// holds e.mu.
func (e *Engine) groupedScope(ctx context.Context, field, what string, sc *Scope) (*column, *selection, error) {
	col, err := e.groupingFor(field, what)
	if err != nil {
		return nil, nil, err
	}
	sel, err := e.selection(ctx, sc)
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

func newGrouping(col *column, rows []uint32) *grouping {
	g := &grouping{col: col}
	if col.coded() {
		g.n = col.codeCount()
		return g
	}
	ids := map[float64]uint32{}
	g.vals = []float64{math.NaN()}
	g.posGroup = make([]uint32, len(rows))
	for i, r := range rows {
		f := col.raw[r]
		if math.IsNaN(f) {
			continue
		}
		id, ok := ids[f]
		if !ok {
			id = uint32(len(g.vals))
			g.vals = append(g.vals, f)
			ids[f] = id
		}
		g.posGroup[i] = id
	}
	g.n = len(g.vals)
	return g
}

// counts returns the number of rows per group.
func (g *grouping) counts(rows []uint32) []int64 {
	out := make([]int64, g.n)
	if g.posGroup != nil {
		for _, id := range g.posGroup {
			out[id]++
		}
		return out
	}
	switch c := &g.col.codes; c.width {
	case 1:
		countCodes(c.b1, rows, out)
	case 2:
		countCodes(c.b2, rows, out)
	default:
		countCodes(c.b4, rows, out)
	}
	return out
}

// countCodes adds one per row to out[code]. Long runs of one code (a selection of one
// service) would make each increment wait for the previous one; four sets of counters
// break that chain.
func countCodes[T uint8 | uint16 | uint32](codes []T, rows []uint32, out []int64) {
	if len(rows) < 4096 || len(out) > 1<<16 {
		for _, r := range rows {
			out[codes[r]]++
		}
		return
	}
	n := len(out)
	part := make([]int64, 4*n)
	c0, c1, c2, c3 := part[:n], part[n:2*n], part[2*n:3*n], part[3*n:]
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
}

// label formats a group's value as the results show it, and whether it is null.
func (g *grouping) label(id uint32) (string, bool) {
	if id == 0 {
		return "", true
	}
	switch g.col.kind {
	case kindString:
		return strings.Clone(g.col.dict.get(id)), false
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

// ranked returns the groups with a count, by count descending, then by value, null last.
func (g *grouping) ranked(counts []int64) []uint32 {
	var ids []uint32
	for id, n := range counts {
		if n > 0 {
			ids = append(ids, uint32(id))
		}
	}
	slices.SortFunc(ids, func(a, b uint32) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		switch {
		case a == 0:
			return 1
		case b == 0:
			return -1
		}
		return g.compareValues(a, b)
	})
	return ids
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
	e.mu.RLock()
	defer e.mu.RUnlock()
	var split *column
	if req.SplitBy != "" {
		if split, err = e.groupingFor(req.SplitBy, "split by"); err != nil {
			return nil, err
		}
	}
	sel, err := e.selection(ctx, &req.Scope)
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
	ms := sel.tcol.ms
	if split == nil {
		res.Series = []Series{{Counts: countBuckets(sel.rows, ms, start, width, int(n))}}
		return res, nil
	}
	g := newGrouping(split, sel.rows)
	totals := g.counts(sel.rows)
	ranked := g.ranked(totals)
	series := make([]int32, g.n) // group -> series index
	kept := min(len(ranked), top)
	other := int32(kept)
	for i := range series {
		series[i] = other
	}
	keptIDs := ranked[:kept]
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
	if len(ranked) > kept {
		nSeries++
		res.Series = append(res.Series, Series{Name: OtherName})
	}
	flat := make([]int64, nSeries*int(n))
	if g.posGroup != nil {
		walkBuckets(sel.rows, ms, start, width, func(i int, b int) {
			flat[int(series[g.posGroup[i]])*int(n)+b]++
		})
	} else {
		switch c := &split.codes; c.width {
		case 1:
			splitBuckets(c.b1, series, sel.rows, ms, start, width, int(n), flat)
		case 2:
			splitBuckets(c.b2, series, sel.rows, ms, start, width, int(n), flat)
		default:
			splitBuckets(c.b4, series, sel.rows, ms, start, width, int(n), flat)
		}
	}
	for i := range res.Series {
		res.Series[i].Counts = flat[i*int(n) : (i+1)*int(n) : (i+1)*int(n)]
	}
	return res, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// countBuckets counts rows (sorted by time) per bucket. With far fewer buckets than rows
// it binary-searches each bucket's end instead of visiting the rows.
func countBuckets(rows []uint32, ms []int64, start, width int64, n int) []int64 {
	out := make([]int64, n)
	if n*24 < len(rows) {
		prev := 0
		for b := range n {
			end := start + int64(b+1)*width
			rest := rows[prev:]
			k := prev + sort.Search(len(rest), func(i int) bool { return ms[rest[i]] >= end })
			out[b] = int64(k - prev)
			prev = k
		}
		return out
	}
	walkBuckets(rows, ms, start, width, func(_ int, b int) { out[b]++ })
	return out
}

// walkBuckets calls fn with each row's position and bucket. Rows are sorted by time, so
// the bucket only ever moves forward: no division per row.
func walkBuckets(rows []uint32, ms []int64, start, width int64, fn func(pos, bucket int)) {
	b := 0
	next := start + width
	for i, r := range rows {
		t := ms[r]
		for t >= next {
			b++
			next += width
		}
		fn(i, b)
	}
}

func splitBuckets[T uint8 | uint16 | uint32](codes []T, series []int32, rows []uint32, ms []int64, start, width int64, n int, flat []int64) {
	b := 0
	next := start + width
	for _, r := range rows {
		t := ms[r]
		for t >= next {
			b++
			next += width
		}
		flat[int(series[codes[r]])*n+b]++
	}
}

// Breakdown returns the number of tickets in scope per value of a field: the Top values
// by count and the rest summed as "other".
func (e *Engine) Breakdown(ctx context.Context, req BreakdownRequest) (*BreakdownResult, error) {
	top, err := topOrDefault(req.Top)
	if err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	col, sel, err := e.groupedScope(ctx, req.Field, "breakdown", &req.Scope)
	if err != nil {
		return nil, err
	}
	g := newGrouping(col, sel.rows)
	counts := g.counts(sel.rows)
	ranked := g.ranked(counts)
	res := &BreakdownResult{Field: col.name, Total: int64(len(sel.rows))}
	for i, id := range ranked {
		if i == top {
			var rest int64
			for _, id := range ranked[top:] {
				rest += counts[id]
			}
			res.Buckets = append(res.Buckets, Bucket{Value: OtherName, Other: true, Count: rest})
			break
		}
		v, null := g.label(id)
		res.Buckets = append(res.Buckets, Bucket{Value: v, Null: null, Count: counts[id]})
	}
	return res, nil
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
	e.mu.RLock()
	defer e.mu.RUnlock()
	col, ok := e.byName[req.Field]
	if ok && col.kind == kindKey {
		sel, err := e.selection(ctx, &req.Scope)
		if err != nil {
			return nil, err
		}
		return e.keyValues(sel.rows, req.Prefix, limit), nil
	}
	col, sel, err := e.groupedScope(ctx, req.Field, "values", &req.Scope)
	if err != nil {
		return nil, err
	}
	g := newGrouping(col, sel.rows)
	counts := g.counts(sel.rows)
	prefix := strings.ToLower(req.Prefix)
	res := &ValuesResult{Field: col.name}
	for _, id := range g.ranked(counts) {
		if len(res.Values) == limit {
			break
		}
		v, null := g.label(id)
		if prefix != "" && (null || !hasPrefixFold(v, prefix)) {
			continue
		}
		res.Values = append(res.Values, Bucket{Value: v, Null: null, Count: counts[id]})
	}
	return res, nil
}

// keyValues lists the keys in rows (each counts once), sorted, those with the prefix.
func (e *Engine) keyValues(rows []uint32, prefix string, limit int) *ValuesResult {
	prefix = strings.ToLower(prefix)
	var keys []string
	for _, r := range rows {
		if k := e.keys.get(r); hasPrefixFold(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	res := &ValuesResult{Field: e.schema.Key}
	for _, k := range keys[:min(len(keys), limit)] {
		res.Values = append(res.Values, Bucket{Value: strings.Clone(k), Count: 1})
	}
	return res
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
	e.mu.RLock()
	defer e.mu.RUnlock()
	sel, err := e.selection(ctx, &req.Scope)
	if err != nil {
		return nil, err
	}
	open, err := e.refine(ctx, &req.Scope, sel, e.opts.Open, "open")
	if err != nil {
		return nil, err
	}
	res := &StatsResult{Total: int64(len(sel.rows)), Open: int64(len(open)), Tickets: int64(e.rows)}
	if req.From.IsZero() || req.To.IsZero() {
		return res, nil
	}
	if minutes := req.To.Sub(req.From).Minutes(); minutes > 0 {
		res.RatePerMinute = float64(res.Total) / minutes
	}
	length := req.Baseline
	if length == 0 {
		length = req.To.Sub(req.From)
	}
	// The usual rate is just another scope: the same filter over the period before the
	// range, cached like any selection, so the stat panel's next refresh finds it.
	base, err := e.selection(ctx, baselineScope(&req.Scope, length))
	if err != nil {
		return nil, err
	}
	res.BaselineTotal = int64(len(base.rows))
	res.BaselineRatePerMinute = float64(res.BaselineTotal) / length.Minutes()
	return res, nil
}

// baselineScope is the scope of the period of the given length just before sc's range,
// with sc's filter and time field.
func baselineScope(sc *Scope, length time.Duration) *Scope {
	b := *sc
	b.From, b.To = sc.From.Add(-length), sc.From
	b.Search = ""
	return &b
}
