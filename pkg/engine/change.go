package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
)

// This file answers the two questions about change: is the ticket rate far above its
// usual level right now (Spike, for alert rules), and which values of a field rose most
// (Movers). Both compare a period with a baseline period before it; a baseline is just
// another scope, so its rows come from the selection cache like any panel's.

// Spike returns, at each point of the range, the tickets of the window ending there and
// of the baseline before that window, as counts, rates per minute and their ratio,
// optionally split by a field.
func (e *Engine) Spike(ctx context.Context, req SpikeRequest) (*SpikeResult, error) {
	top, err := topOrDefault(req.Top)
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"window", req.Window}, {"baseline", req.Baseline}, {"step", req.Step}} {
		if d.d < time.Millisecond || d.d%time.Millisecond != 0 {
			return nil, badRequest("the %s must be a whole number of milliseconds, at least 1ms; got %s", d.name, d.d)
		}
	}
	if req.Baseline < req.Window {
		return nil, badRequest("the baseline (%s) must be at least as long as the window (%s)", req.Baseline, req.Window)
	}
	if req.From.IsZero() || req.To.IsZero() {
		return nil, badRequest("a spike query needs a time range with both ends")
	}
	if !req.To.After(req.From) {
		return nil, badRequest("the time range is empty: from %s is not before to %s", req.From.Format(time.RFC3339Nano), req.To.Format(time.RFC3339Nano))
	}
	step, window, baseline := req.Step.Milliseconds(), req.Window.Milliseconds(), req.Baseline.Milliseconds()
	first := -floorDiv(-ceilMS(req.From), step) * step
	last := floorDiv(req.To.UnixMilli(), step) * step
	if last < first {
		first, last, step = req.To.UnixMilli(), req.To.UnixMilli(), 1
	}
	n := (last-first)/step + 1
	if n > maxBuckets {
		return nil, badRequest("%d points %s apart over the range are too many (the limit is %d); choose a wider step", n, req.Step, maxBuckets)
	}

	pts := spikePoints{first: first, step: step, window: window, baseline: baseline, n: int(n)}
	return remember(e, cacheKey("spike", &req.Scope, req.Window, req.Baseline, req.Step, req.SplitBy, top), nil, func() (*SpikeResult, error) {
		var res *SpikeResult
		err := e.read(ctx, func(r *reader) error {
			var err error
			res, err = e.spike(r, &req, pts, top)
			return err
		})
		return res, err
	})
}

// spikePoints are the n points of a spike query from first, step apart, with the window
// and baseline lengths, all in milliseconds.
type spikePoints struct {
	first, step, window, baseline int64
	n                             int
}

func (e *Engine) spike(r *reader, req *SpikeRequest, pts spikePoints, top int) (*SpikeResult, error) {
	var split *column
	if req.SplitBy != "" {
		var err error
		if split, err = e.groupingFor(req.SplitBy, "split by"); err != nil {
			return nil, err
		}
	}
	first, last := pts.first, pts.first+int64(pts.n-1)*pts.step
	// One selection covers every window of every point: from the first point's baseline
	// to the last point.
	sc := req.Scope
	sc.From, sc.To, sc.Search = timeOfMS(first-pts.window-pts.baseline), timeOfMS(last), ""
	sel, err := e.selection(r, &sc)
	if err != nil {
		return nil, err
	}
	res := &SpikeResult{Times: make([]time.Time, pts.n)}
	for i := range res.Times {
		res.Times[i] = timeOfMS(first + int64(i)*pts.step)
	}
	sw := spikeSweep{first: first, step: pts.step, window: pts.window, baseline: pts.baseline, n: pts.n, req: req}
	ms := sel.tcol.ms
	rows := sel.rows
	if split == nil {
		// The times are copied a slice at a time: the sweep then runs without the lock.
		times := make([]int64, 0, len(rows))
		err := r.slices(rows, chunkRows, func(part []uint32) {
			for _, row := range part {
				times = append(times, ms[row])
			}
		})
		if err != nil {
			return nil, err
		}
		sortIfNeeded(times)
		res.Series = []SpikeSeries{sw.series(times)}
		return res, nil
	}

	g, err := newGrouping(r, split, rows)
	if err != nil {
		return nil, err
	}
	recentFrom := sort.Search(len(rows), func(i int) bool { return ms[rows[i]] >= first-pts.window })
	totals, err := g.countsIn(r, rows, recentFrom, len(rows))
	if err != nil {
		return nil, err
	}
	ranked, _, err := g.top(r, totals, top, nil)
	if err != nil {
		return nil, err
	}
	kept := len(ranked)
	if cells := (kept + 1) * pts.n * 5; cells > maxCells {
		return nil, fmt.Errorf("%w: %d series of %d points are more than a spike query may return; lower top or choose a wider step", ErrTooExpensive, kept+1, pts.n)
	}
	seriesOf := make([]int32, len(totals))
	for i := range seriesOf {
		seriesOf[i] = int32(kept) // the rest: other
	}
	for i, id := range ranked {
		seriesOf[id] = int32(i)
	}
	// Each series gets its rows' times, in time order since the selection is.
	times := make([][]int64, kept+1)
	pos := 0
	err = r.slices(rows, chunkRows, func(part []uint32) {
		for len(seriesOf) < g.size() {
			seriesOf = append(seriesOf, int32(kept)) // a value new since the totals
		}
		for i, row := range part {
			s := seriesOf[g.group(pos+i, row)]
			times[s] = append(times[s], ms[row])
		}
		pos += len(part)
	})
	if err != nil {
		return nil, err
	}
	for i, id := range ranked {
		sortIfNeeded(times[i])
		s := sw.series(times[i])
		s.Name, s.Null = g.label(id)
		res.Series = append(res.Series, s)
	}
	// Values quiet in every window still count in the baseline of "other", which sums
	// every ticket outside the kept series.
	if other := times[kept]; len(other) > 0 {
		sortIfNeeded(other)
		s := sw.series(other)
		s.Name = OtherName
		res.Series = append(res.Series, s)
	}
	return res, nil
}

// sortIfNeeded sorts times, which are in order unless a time changed during the query.
func sortIfNeeded(times []int64) {
	if !slices.IsSorted(times) {
		slices.Sort(times)
	}
}

// spikeSweep computes one series' windows at every point in one pass over its times.
type spikeSweep struct {
	first, step, window, baseline int64
	n                             int
	req                           *SpikeRequest
}

// series counts, for each point p, the times in [p-window, p) and in
// [p-window-baseline, p-window). times are ascending. The three bounds only move forward
// from point to point, so each is a pointer that advances.
func (sw spikeSweep) series(times []int64) SpikeSeries {
	count := len(times)
	at := func(i int) int64 { return times[i] }
	s := SpikeSeries{
		Recent: make([]int64, sw.n), Before: make([]int64, sw.n),
		Rate: make([]float64, sw.n), Baseline: make([]float64, sw.n), Ratio: make([]float64, sw.n),
	}
	var lo, mid, hi int // first time at or after p-window-baseline, p-window, p
	windowMinutes, baselineMinutes := sw.req.Window.Minutes(), sw.req.Baseline.Minutes()
	for k := range sw.n {
		p := sw.first + int64(k)*sw.step
		for lo < count && at(lo) < p-sw.window-sw.baseline {
			lo++
		}
		mid = max(mid, lo)
		for mid < count && at(mid) < p-sw.window {
			mid++
		}
		hi = max(hi, mid)
		for hi < count && at(hi) < p {
			hi++
		}
		s.Recent[k], s.Before[k] = int64(hi-mid), int64(mid-lo)
		s.Rate[k] = float64(s.Recent[k]) / windowMinutes
		s.Baseline[k] = float64(s.Before[k]) / baselineMinutes
		s.Ratio[k] = SpikeRatio(s.Recent[k], s.Before[k], sw.req.Window, sw.req.Baseline)
	}
	return s
}

// Movers ranks the values of a field by how far their tickets in the range rose above
// what their tickets in the baseline period before it predict (see MoverScore).
func (e *Engine) Movers(ctx context.Context, req MoversRequest) (*MoversResult, error) {
	top, err := topOrDefault(req.Top)
	if err != nil {
		return nil, err
	}
	baseline, err := comparedPeriod("movers", req.From, req.To, req.Baseline)
	if err != nil {
		return nil, err
	}
	return remember(e, cacheKey("movers", &req.Scope, req.Field, baseline, top), nil, func() (*MoversResult, error) {
		var res *MoversResult
		err := e.read(ctx, func(r *reader) error {
			var err error
			res, err = e.movers(r, &req, req.To.Sub(req.From), baseline, top)
			return err
		})
		return res, err
	})
}

func (e *Engine) movers(r *reader, req *MoversRequest, length, baseline time.Duration, top int) (*MoversResult, error) {
	col, cur, err := e.groupedScope(r, req.Field, "movers", &req.Scope)
	if err != nil {
		return nil, err
	}
	bsc := baselineScope(&req.Scope, baseline)
	base, err := e.selection(r, bsc)
	if err != nil {
		return nil, err
	}
	var g *grouping
	var now, before []int64
	if col.coded() {
		g = &grouping{col: col}
		if now, err = g.counts(r, cur.rows); err != nil {
			return nil, err
		}
		if before, err = g.counts(r, base.rows); err != nil {
			return nil, err
		}
	} else {
		// Plain floats get groups made up per query: group both periods at once so that
		// a value has one group in both.
		all := make([]uint32, 0, len(cur.rows)+len(base.rows))
		all = append(append(all, cur.rows...), base.rows...)
		if g, err = newGrouping(r, col, all); err != nil {
			return nil, err
		}
		if now, err = g.countsIn(r, all, 0, len(cur.rows)); err != nil {
			return nil, err
		}
		if before, err = g.countsIn(r, all, len(cur.rows), len(all)); err != nil {
			return nil, err
		}
	}
	before = fit(before, len(now))
	scale := float64(length) / float64(baseline)
	var movers []Mover
	var ids []uint32
	for id, c := range now {
		if c == 0 {
			continue
		}
		expected := float64(before[id]) * scale
		m := Mover{Current: c, Baseline: before[id], Expected: expected, Ratio: MoverRatio(c, expected), Score: MoverScore(c, expected)}
		movers = append(movers, m)
		ids = append(ids, uint32(id))
	}
	// The top movers: a heap of top, filled a slice at a time (a field of a million
	// values must not be sorted whole under the lock).
	h := newTopHeap(top, func(a, b uint32) bool {
		ma, mb := &movers[a], &movers[b]
		if ma.Score != mb.Score {
			return ma.Score > mb.Score
		}
		if ma.Current != mb.Current {
			return ma.Current > mb.Current
		}
		switch {
		case ids[a] == ids[b]:
			return false
		case ids[a] == 0:
			return false
		case ids[b] == 0:
			return true
		}
		return g.compareValues(ids[a], ids[b]) < 0
	})
	for lo := 0; lo < len(movers); lo += chunkRows {
		for i := lo; i < min(lo+chunkRows, len(movers)); i++ {
			h.push(uint32(i))
		}
		if err := r.tick(chunkRows); err != nil {
			return nil, err
		}
	}
	order := h.sorted()
	res := &MoversResult{Field: col.name, CurrentTotal: int64(len(cur.rows)), BaselineTotal: int64(len(base.rows)),
		BaselineFrom: bsc.From, BaselineTo: bsc.To}
	for _, i := range order {
		m := movers[i]
		m.Value, m.Null = g.label(ids[i])
		res.Movers = append(res.Movers, m)
	}
	return res, nil
}

// group is the group of the row at position pos of the rows the grouping was made for.
func (g *grouping) group(pos int, row uint32) uint32 {
	if g.posGroup != nil {
		return g.posGroup[pos]
	}
	return g.col.codes.get(row)
}

// comparedPeriod checks the range of a query that compares it with the period before it
// (movers, leaves) and returns that period's length: baseline, or the range's own length
// when baseline is zero.
func comparedPeriod(kind string, from, to time.Time, baseline time.Duration) (time.Duration, error) {
	if from.IsZero() || to.IsZero() {
		return 0, badRequest("a %s query needs a time range with both ends", kind)
	}
	if !to.After(from) {
		return 0, badRequest("the time range is empty: from %s is not before to %s", from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	}
	switch {
	case baseline < 0:
		return 0, badRequest("the baseline must not be negative, got %s", baseline)
	case baseline == 0:
		return to.Sub(from), nil
	}
	return baseline, nil
}
