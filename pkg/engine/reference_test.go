package engine

// The reference implementation: the obvious, slow answer to every query, computed record
// by record from the latest version of each ticket. The property tests compare the engine
// with it on random data, random scopes and random filters.

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

const testSchemaYAML = `
key: id
version: updated
time: created
open: resolved is null
columns:
  - {name: id, type: string}
  - {name: sev, type: number, facet: true}
  - {name: status, type: string, facet: true}
  - {name: service, type: string, facet: true}
  - {name: title, type: text}
  - {name: created, type: time}
  - {name: updated, type: time}
  - {name: resolved, type: time}
  - {name: flag, type: bool}
  - {name: score, type: number}
  - {name: note, type: text, detail: true}
table:
  columns: [id, sev, status, service, title, created]
  sort: [{field: created, desc: true}]
  limit: 50
`

func testSchema(t testing.TB) *schema.Schema {
	t.Helper()
	s, err := schema.Parse([]byte(testSchemaYAML))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// refTicket is the latest version of a ticket, its values typed as the schema says.
type refTicket struct {
	key     string
	row     int // order of first arrival, as the engine numbers rows
	version int64
	vals    map[string]ticket.Value
}

func (t *refTicket) get(field, key string) ticket.Value {
	if field == key {
		return ticket.String(t.key)
	}
	return t.vals[field]
}

type reference struct {
	s     *schema.Schema
	byKey map[string]*refTicket
	order []*refTicket
}

func newReference(s *schema.Schema) *reference {
	return &reference{s: s, byKey: map[string]*refTicket{}}
}

// apply takes a record with the values it should have under the schema (typed), as the
// generator knows them.
func (r *reference) apply(key string, version int64, typed map[string]ticket.Value) {
	t, ok := r.byKey[key]
	if !ok {
		t = &refTicket{key: key, row: len(r.order), version: version}
		r.byKey[key] = t
		r.order = append(r.order, t)
	} else if version < t.version {
		return
	}
	t.version = version
	t.vals = typed
}

func (r *reference) inScope(t *refTicket, sc *Scope) bool {
	field := sc.TimeField
	if field == "" {
		field = r.s.Time
	}
	if sc.From.IsZero() && sc.To.IsZero() {
		return refEval(sc.Where, t, r.s.Key)
	}
	v := t.get(field, r.s.Key)
	if v.Kind != ticket.Time {
		return false
	}
	tm := v.Time()
	if !sc.From.IsZero() && tm.Before(sc.From) {
		return false
	}
	if !sc.To.IsZero() && !tm.Before(sc.To) {
		return false
	}
	return refEval(sc.Where, t, r.s.Key)
}

func (r *reference) scope(sc *Scope) []*refTicket {
	var out []*refTicket
	for _, t := range r.order {
		if r.inScope(t, sc) {
			out = append(out, t)
		}
	}
	return out
}

// refEval is the filter's meaning, written as plainly as possible: positive tests are
// false on null, negative ones are their complements.
func refEval(x filter.Expr, t *refTicket, key string) bool {
	switch n := x.(type) {
	case nil:
		return true
	case *filter.And:
		for _, term := range n.Terms {
			if !refEval(term, t, key) {
				return false
			}
		}
		return true
	case *filter.Or:
		for _, term := range n.Terms {
			if refEval(term, t, key) {
				return true
			}
		}
		return false
	case *filter.Not:
		return !refEval(n.X, t, key)
	case *filter.IsNull:
		return t.get(n.Field, key).IsNull() != n.Negate
	case *filter.In:
		v := t.get(n.Field, key)
		found := false
		for _, lit := range n.Values {
			if !v.IsNull() && refCompare(v, lit) == 0 {
				found = true
			}
		}
		return found != n.Negate
	case *filter.Compare:
		v := t.get(n.Field, key)
		switch n.Op {
		case filter.Ne:
			return !refEval(&filter.Compare{Field: n.Field, Op: filter.Eq, Value: n.Value}, t, key)
		case filter.NotMatch:
			return !refEval(&filter.Compare{Field: n.Field, Op: filter.Match, Value: n.Value, Re: n.Re}, t, key)
		case filter.NotContains:
			return !refEval(&filter.Compare{Field: n.Field, Op: filter.Contains, Value: n.Value}, t, key)
		}
		if v.IsNull() {
			return false
		}
		switch n.Op {
		case filter.Match:
			return regexp.MustCompile(n.Value.S).MatchString(v.S)
		case filter.Contains:
			return strings.Contains(strings.ToLower(v.S), strings.ToLower(n.Value.S))
		}
		c := refCompare(v, n.Value)
		switch n.Op {
		case filter.Eq:
			return c == 0
		case filter.Lt:
			return c < 0
		case filter.Le:
			return c <= 0
		case filter.Gt:
			return c > 0
		case filter.Ge:
			return c >= 0
		}
	}
	panic(fmt.Sprintf("refEval: %T", x))
}

// refCompare compares a non-null value with a literal of its type.
func refCompare(v ticket.Value, lit filter.Literal) int {
	switch v.Kind {
	case ticket.Str:
		return strings.Compare(v.S, lit.S)
	case ticket.Num:
		return cmp.Compare(v.F, lit.N)
	case ticket.Time:
		return v.Time().Compare(lit.T)
	case ticket.Bool:
		if v.Bool() == lit.B {
			return 0
		}
		return 1
	}
	panic("refCompare: null")
}

// label is how results show a value.
func label(v ticket.Value) string {
	switch v.Kind {
	case ticket.Str:
		return v.S
	case ticket.Num:
		return strconv.FormatFloat(v.F, 'g', -1, 64)
	case ticket.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return ""
}

// valueOrder orders two non-null values of one column.
func valueOrder(a, b ticket.Value) int {
	switch a.Kind {
	case ticket.Str:
		return strings.Compare(a.S, b.S)
	case ticket.Num:
		return cmp.Compare(a.F, b.F)
	case ticket.Time, ticket.Bool:
		return cmp.Compare(a.I, b.I)
	}
	return 0
}

type refGroup struct {
	v     ticket.Value
	count int64
}

// groups counts the tickets per value of field, ranked by count, then value, null last.
func (r *reference) groups(ts []*refTicket, field string) []refGroup {
	var out []refGroup
	for _, t := range ts {
		v := t.get(field, r.s.Key)
		i := slices.IndexFunc(out, func(g refGroup) bool { return g.v.Equal(v) })
		if i < 0 {
			out = append(out, refGroup{v: v})
			i = len(out) - 1
		}
		out[i].count++
	}
	slices.SortFunc(out, func(a, b refGroup) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		switch {
		case a.v.IsNull():
			return 1
		case b.v.IsNull():
			return -1
		}
		return valueOrder(a.v, b.v)
	})
	return out
}

func (r *reference) breakdown(req BreakdownRequest) *BreakdownResult {
	ts := r.scope(&req.Scope)
	top := req.Top
	if top == 0 {
		top = 10
	}
	res := &BreakdownResult{Field: req.Field, Total: int64(len(ts))}
	for i, g := range r.groups(ts, req.Field) {
		if i >= top {
			if i == top {
				res.Buckets = append(res.Buckets, Bucket{Value: OtherName, Other: true})
			}
			res.Buckets[top].Count += g.count
			continue
		}
		res.Buckets = append(res.Buckets, Bucket{Value: label(g.v), Null: g.v.IsNull(), Count: g.count})
	}
	return res
}

func (r *reference) values(req ValuesRequest) *ValuesResult {
	ts := r.scope(&req.Scope)
	limit := req.Limit
	if limit == 0 {
		limit = 100
	}
	res := &ValuesResult{Field: req.Field}
	if req.Field == r.s.Key {
		var keys []string
		for _, t := range ts {
			if strings.HasPrefix(strings.ToLower(t.key), strings.ToLower(req.Prefix)) {
				keys = append(keys, t.key)
			}
		}
		slices.Sort(keys)
		for _, k := range keys[:min(limit, len(keys))] {
			res.Values = append(res.Values, Bucket{Value: k, Count: 1})
		}
		return res
	}
	for _, g := range r.groups(ts, req.Field) {
		if len(res.Values) == limit {
			break
		}
		if req.Prefix != "" && (g.v.IsNull() || !strings.HasPrefix(strings.ToLower(label(g.v)), strings.ToLower(req.Prefix))) {
			continue
		}
		res.Values = append(res.Values, Bucket{Value: label(g.v), Null: g.v.IsNull(), Count: g.count})
	}
	return res
}

func (r *reference) counts(req CountsRequest) *CountsResult {
	ts := r.scope(&req.Scope)
	field := req.TimeField
	if field == "" {
		field = r.s.Time
	}
	w := req.Bucket.Milliseconds()
	start := req.From.UnixMilli() / w * w
	if req.From.UnixMilli() < 0 && req.From.UnixMilli()%w != 0 {
		start -= w
	}
	res := &CountsResult{}
	for b := start; time.UnixMilli(b).Before(req.To); b += w {
		res.Times = append(res.Times, time.UnixMilli(b).UTC())
	}
	bucket := func(t *refTicket) int { return int((t.get(field, r.s.Key).I - start) / w) }
	if req.SplitBy == "" {
		s := Series{Counts: make([]int64, len(res.Times))}
		for _, t := range ts {
			s.Counts[bucket(t)]++
		}
		res.Series = []Series{s}
		return res
	}
	top := req.Top
	if top == 0 {
		top = 10
	}
	groups := r.groups(ts, req.SplitBy)
	if c, ok := r.s.Column(req.SplitBy); ok && c.Type == schema.Number {
		// The top N by count, shown in value order, null last.
		slices.SortFunc(groups[:min(top, len(groups))], func(a, b refGroup) int {
			switch {
			case a.v.IsNull():
				return 1
			case b.v.IsNull():
				return -1
			}
			return valueOrder(a.v, b.v)
		})
	}
	for i, g := range groups {
		if i == top {
			res.Series = append(res.Series, Series{Name: OtherName, Counts: make([]int64, len(res.Times))})
			break
		}
		res.Series = append(res.Series, Series{Name: label(g.v), Null: g.v.IsNull(), Counts: make([]int64, len(res.Times))})
	}
	for _, t := range ts {
		v := t.get(req.SplitBy, r.s.Key)
		i := slices.IndexFunc(groups, func(g refGroup) bool { return g.v.Equal(v) })
		res.Series[min(i, top)].Counts[bucket(t)]++
	}
	return res
}

func (r *reference) stats(req StatsRequest, open filter.Expr) *StatsResult {
	ts := r.scope(&req.Scope)
	res := &StatsResult{Total: int64(len(ts)), Tickets: int64(len(r.order))}
	for _, t := range ts {
		if refEval(open, t, r.s.Key) {
			res.Open++
		}
	}
	if !req.From.IsZero() && !req.To.IsZero() {
		res.RatePerMinute = float64(res.Total) / req.To.Sub(req.From).Minutes()
		length := req.Baseline
		if length == 0 {
			length = req.To.Sub(req.From)
		}
		before := req.Scope
		before.From, before.To = req.From.Add(-length), req.From
		res.BaselineTotal = int64(len(r.scope(&before)))
		res.BaselineRatePerMinute = float64(res.BaselineTotal) / length.Minutes()
	}
	return res
}

// timeMS is a ticket's time in the scope's time field, in milliseconds, and whether it
// has one.
func (r *reference) timeMS(t *refTicket, sc *Scope) (int64, bool) {
	field := sc.TimeField
	if field == "" {
		field = r.s.Time
	}
	v := t.get(field, r.s.Key)
	return v.I, v.Kind == ticket.Time
}

// spike counts, for every point and every series, the tickets of its window and of its
// baseline by looking at every ticket, and ranks the series by their tickets from the
// first window's start to the last point.
func (r *reference) spike(req SpikeRequest) *SpikeResult {
	step, w, b := req.Step.Milliseconds(), req.Window.Milliseconds(), req.Baseline.Milliseconds()
	fromMS := req.From.UnixMilli()
	if req.From.After(time.UnixMilli(fromMS)) {
		fromMS++
	}
	var points []int64 // the test data lies after 1970, where division rounds down
	for p := (fromMS + step - 1) / step * step; p <= req.To.UnixMilli(); p += step {
		points = append(points, p)
	}
	if len(points) == 0 {
		points = []int64{req.To.UnixMilli()}
	}
	all := r.scope(&Scope{TimeField: req.TimeField, Where: req.Where})
	type member struct {
		ms  int64
		key ticket.Value
	}
	var ts []member
	var recentTickets []*refTicket
	for _, t := range all {
		if ms, ok := r.timeMS(t, &req.Scope); ok && ms >= points[0]-w-b && ms < points[len(points)-1] {
			ts = append(ts, member{ms: ms, key: t.get(req.SplitBy, r.s.Key)})
			if ms >= points[0]-w && ms < points[len(points)-1] {
				recentTickets = append(recentTickets, t)
			}
		}
	}
	res := &SpikeResult{}
	for _, p := range points {
		res.Times = append(res.Times, time.UnixMilli(p).UTC())
	}
	series := func(in func(ticket.Value) bool) SpikeSeries {
		var s SpikeSeries
		for _, p := range points {
			var recent, before int64
			for _, m := range ts {
				if !in(m.key) {
					continue
				}
				switch {
				case m.ms >= p-w && m.ms < p:
					recent++
				case m.ms >= p-w-b && m.ms < p-w:
					before++
				}
			}
			s.Recent = append(s.Recent, recent)
			s.Before = append(s.Before, before)
			s.Rate = append(s.Rate, float64(recent)/req.Window.Minutes())
			s.Baseline = append(s.Baseline, float64(before)/req.Baseline.Minutes())
			s.Ratio = append(s.Ratio, float64(recent)/max(float64(before)*(float64(req.Window)/float64(req.Baseline)), 1))
		}
		return s
	}
	if req.SplitBy == "" {
		res.Series = []SpikeSeries{series(func(ticket.Value) bool { return true })}
		return res
	}
	top := req.Top
	if top == 0 {
		top = 10
	}
	groups := r.groups(recentTickets, req.SplitBy)
	kept := groups[:min(top, len(groups))]
	isKept := func(v ticket.Value) bool {
		return slices.ContainsFunc(kept, func(g refGroup) bool { return g.v.Equal(v) })
	}
	for _, g := range kept {
		s := series(func(v ticket.Value) bool { return v.Equal(g.v) })
		s.Name, s.Null = label(g.v), g.v.IsNull()
		res.Series = append(res.Series, s)
	}
	for _, t := range ts {
		if !isKept(t.key) {
			s := series(func(v ticket.Value) bool { return !isKept(v) })
			s.Name = OtherName
			res.Series = append(res.Series, s)
			break
		}
	}
	return res
}

// movers counts each value in both periods and sorts by the documented score.
func (r *reference) movers(req MoversRequest) *MoversResult {
	length := req.To.Sub(req.From)
	baseline := req.Baseline
	if baseline == 0 {
		baseline = length
	}
	before := req.Scope
	before.From, before.To = req.From.Add(-baseline), req.From
	cur, base := r.scope(&req.Scope), r.scope(&before)
	res := &MoversResult{Field: req.Field, CurrentTotal: int64(len(cur)), BaselineTotal: int64(len(base)),
		BaselineFrom: before.From, BaselineTo: before.To}
	baseGroups := r.groups(base, req.Field)
	var vals []ticket.Value
	for _, g := range r.groups(cur, req.Field) {
		m := Mover{Value: label(g.v), Null: g.v.IsNull(), Current: g.count}
		if i := slices.IndexFunc(baseGroups, func(b refGroup) bool { return b.v.Equal(g.v) }); i >= 0 {
			m.Baseline = baseGroups[i].count
		}
		m.Expected = float64(m.Baseline) * (float64(length) / float64(baseline))
		m.Ratio = (float64(m.Current) + 1) / (m.Expected + 1)
		m.Score = (float64(m.Current) - m.Expected) / math.Sqrt(m.Expected+1)
		res.Movers = append(res.Movers, m)
		vals = append(vals, g.v)
	}
	idx := make([]int, len(vals))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		ma, mb := res.Movers[a], res.Movers[b]
		if ma.Score != mb.Score {
			return cmp.Compare(mb.Score, ma.Score)
		}
		if ma.Current != mb.Current {
			return cmp.Compare(mb.Current, ma.Current)
		}
		switch {
		case vals[a].IsNull():
			return 1
		case vals[b].IsNull():
			return -1
		}
		return valueOrder(vals[a], vals[b])
	})
	top := req.Top
	if top == 0 {
		top = 10
	}
	var sorted []Mover
	for _, i := range idx[:min(top, len(idx))] {
		sorted = append(sorted, res.Movers[i])
	}
	res.Movers = sorted
	return res
}

func (r *reference) tickets(req TicketsRequest) *TicketsResult {
	return r.ticketsUpTo(req, MaxRows)
}

// ticketPages is what TicketPages gives, put together: every row up to the limit.
func (r *reference) ticketPages(req TicketsRequest) *TicketsResult {
	return r.ticketsUpTo(req, math.MaxInt)
}

func (r *reference) ticketsUpTo(req TicketsRequest, most int) *TicketsResult {
	ts := r.scope(&req.Scope)
	timeField := req.TimeField
	if timeField == "" {
		timeField = r.s.Time
	}
	keys := req.Sort
	if len(keys) == 0 {
		keys = r.s.Table.Sort
	}
	timeDesc := true
	hasTime := false
	for _, k := range keys {
		if k.Field == timeField && !hasTime {
			hasTime, timeDesc = true, k.Desc
		}
	}
	if !hasTime {
		keys = append(slices.Clone(keys), schema.SortKey{Field: timeField, Desc: true})
	}
	slices.SortStableFunc(ts, func(a, b *refTicket) int {
		for _, k := range keys {
			va, vb := a.get(k.Field, r.s.Key), b.get(k.Field, r.s.Key)
			switch {
			case va.IsNull() && vb.IsNull():
				continue
			case va.IsNull():
				return 1
			case vb.IsNull():
				return -1
			}
			c := valueOrder(va, vb)
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		if timeDesc {
			return cmp.Compare(b.row, a.row)
		}
		return cmp.Compare(a.row, b.row)
	})
	limit := req.Limit
	if limit == 0 {
		limit = r.s.Table.Limit
	}
	res := &TicketsResult{Total: len(ts), Capped: limit > most}
	ts = ts[:min(limit, most, len(ts))]
	cols := req.Columns
	if len(cols) == 0 {
		cols = r.s.TableColumns()
	}
	if !slices.Contains(cols, r.s.Key) {
		cols = append([]string{r.s.Key}, cols...)
	}
	for _, name := range cols {
		col, _ := r.s.Column(name)
		c := Column{Name: name, Nulls: make([]bool, len(ts))}
		switch col.Type {
		case schema.Number:
			c.Numbers = make([]float64, len(ts))
		case schema.Time:
			c.Times = make([]time.Time, len(ts))
		case schema.Bool:
			c.Bools = make([]bool, len(ts))
		default:
			c.Strings = make([]string, len(ts))
		}
		for i, t := range ts {
			v := t.get(name, r.s.Key)
			switch v.Kind {
			case ticket.Null:
				c.Nulls[i] = true
			case ticket.Str:
				c.Strings[i] = v.S
			case ticket.Num:
				c.Numbers[i] = v.F
			case ticket.Time:
				c.Times[i] = v.Time()
			case ticket.Bool:
				c.Bools[i] = v.Bool()
			}
		}
		res.Columns = append(res.Columns, c)
	}
	res.Matches = make([]bool, len(ts))
	words := strings.Fields(strings.ToLower(req.Search))
	for i, t := range ts {
		if len(words) == 0 {
			continue
		}
		all := true
		for _, w := range words {
			found := strings.Contains(strings.ToLower(t.key), w)
			for _, c := range r.s.Columns {
				if (c.Type == schema.String || c.Type == schema.Text) && !c.Detail {
					if v := t.vals[c.Name]; v.Kind == ticket.Str && strings.Contains(strings.ToLower(v.S), w) {
						found = true
					}
				}
			}
			all = all && found
		}
		res.Matches[i] = all
	}
	return res
}

// ---- random data ----

var (
	vocabulary = []string{"disk", "Full", "latency", "HIGH", "error", "rate", "timeout", "checkout", "payment", "DNS", "cert", "expired", "node", "down", "pager", "über", "Straße", "cpu", "memory", "leak"}
	statuses   = []string{"open", "ack", "resolved", "", "Open"}
)

type generator struct {
	rng     *rand.Rand
	s       *schema.Schema
	layouts []*ticket.Layout
	base    int64 // ms
	span    int64 // ms
	// grain, when set, rounds created times down to a multiple of it, so that many
	// tickets share one.
	grain   int64
	keys    []string
	version map[string]int64
}

func newGenerator(seed uint64, s *schema.Schema) *generator {
	return &generator{
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		s:   s,
		layouts: []*ticket.Layout{
			ticket.NewLayout([]string{"id", "sev", "status", "service", "title", "created", "updated", "resolved", "flag", "score", "note"}),
			// An older layout: another order, fewer columns, one the schema dropped.
			ticket.NewLayout([]string{"note", "resolved", "updated", "created", "legacy", "title", "service", "status", "sev", "id"}),
			// sev was a string column once.
			ticket.NewLayout([]string{"id", "sev", "service", "created", "updated", "status", "title", "resolved", "flag", "score"}),
		},
		base:    time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		span:    10 * 24 * 3600 * 1000,
		version: map[string]int64{},
	}
}

func (g *generator) maybe(p float64) bool { return g.rng.Float64() < p }

func (g *generator) words(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[g.rng.IntN(len(vocabulary))]
	}
	return strings.Join(w, " ")
}

// record makes a random version of key: the record as a store would hold it and the
// typed values the engine should see.
func (g *generator) record(key string) (ticket.Record, map[string]ticket.Value) {
	typed := map[string]ticket.Value{}
	if !g.maybe(0.1) {
		typed["sev"] = ticket.Number(float64(1 + g.rng.IntN(5)))
	}
	if !g.maybe(0.1) {
		typed["status"] = ticket.String(statuses[g.rng.IntN(len(statuses))])
	}
	if !g.maybe(0.05) {
		// A skewed choice, like real services.
		typed["service"] = ticket.String(fmt.Sprintf("svc-%02d", int(math.Pow(g.rng.Float64(), 3)*40)))
	}
	if !g.maybe(0.05) {
		typed["title"] = ticket.String(g.words(1 + g.rng.IntN(4)))
	}
	created := g.base + g.rng.Int64N(g.span)
	if g.grain > 0 {
		created -= created % g.grain
	}
	if !g.maybe(0.05) {
		typed["created"] = ticket.TimeMS(created)
	}
	prev := g.version[key]
	version := prev + 1 + g.rng.Int64N(3600_000)
	if prev != 0 && g.maybe(0.15) {
		version = prev - 1 - g.rng.Int64N(1000) // a late, stale update
	}
	typed["updated"] = ticket.TimeMS(version)
	if g.maybe(0.5) {
		typed["resolved"] = ticket.TimeMS(created + g.rng.Int64N(48*3600_000))
	}
	if !g.maybe(0.2) {
		typed["flag"] = ticket.BoolOf(g.maybe(0.5))
	}
	if !g.maybe(0.1) {
		typed["score"] = ticket.Number(math.Round(g.rng.Float64()*100000) / 100)
	}
	note := ticket.String("note of " + key + " " + g.words(3))
	typed["note"] = note

	layout := g.layouts[g.rng.IntN(len(g.layouts))]
	vals := make([]ticket.Value, layout.Len())
	for i, name := range layout.Names() {
		switch name {
		case "id":
			vals[i] = ticket.String(key)
		case "note":
			vals[i] = note
		case "legacy":
			vals[i] = ticket.String("x")
		case "sev":
			vals[i] = typed["sev"]
			if layout == g.layouts[2] && !vals[i].IsNull() {
				vals[i] = ticket.String(strconv.FormatFloat(vals[i].F, 'g', -1, 64))
			}
		default:
			vals[i] = typed[name]
		}
	}
	// What the layout lacks is null for the engine.
	for name := range typed {
		if layout.Index(name) < 0 {
			delete(typed, name)
		}
	}
	if version > g.version[key] {
		g.version[key] = version
	}
	return ticket.Record{Key: key, Version: version, Layout: layout, Values: vals}, typed
}

// batch makes n records: new tickets and updates of known ones.
func (g *generator) batch(n int, ref *reference) []ticket.Record {
	recs := make([]ticket.Record, 0, n)
	for range n {
		var key string
		if len(g.keys) > 0 && g.maybe(0.3) {
			key = g.keys[g.rng.IntN(len(g.keys))]
		} else {
			key = fmt.Sprintf("INC%05d", len(g.keys))
			g.keys = append(g.keys, key)
		}
		rec, typed := g.record(key)
		ref.apply(key, rec.Version, typed)
		recs = append(recs, rec)
	}
	return recs
}

// ---- random queries ----

// literal returns a literal of field's type, usually one that occurs in the data.
func (g *generator) literal(ref *reference, field string) filter.Literal {
	col, _ := g.s.Column(field)
	var v ticket.Value
	if len(ref.order) > 0 && g.maybe(0.8) {
		v = ref.order[g.rng.IntN(len(ref.order))].get(field, g.s.Key)
	}
	switch col.Type {
	case schema.Number:
		n := v.F
		if v.IsNull() {
			n = float64(g.rng.IntN(7))
		}
		return filter.Literal{Kind: filter.LitNumber, N: n, S: strconv.FormatFloat(n, 'g', -1, 64)}
	case schema.Time:
		tm := time.UnixMilli(g.base + g.rng.Int64N(g.span)).UTC()
		if !v.IsNull() {
			tm = v.Time()
		}
		if g.maybe(0.2) {
			tm = tm.Add(time.Duration(g.rng.IntN(999999)+1) * time.Nanosecond)
		}
		return filter.Literal{Kind: filter.LitTime, T: tm, S: tm.Format(time.RFC3339Nano)}
	case schema.Bool:
		return filter.Literal{Kind: filter.LitBool, B: g.maybe(0.5)}
	}
	s := v.S
	if v.IsNull() || g.maybe(0.1) {
		s = g.words(1)
	}
	return filter.Literal{Kind: filter.LitString, S: s}
}

var filterFields = []string{"id", "sev", "status", "service", "title", "created", "updated", "resolved", "flag", "score"}

func (g *generator) leaf(ref *reference) filter.Expr {
	field := filterFields[g.rng.IntN(len(filterFields))]
	col, _ := g.s.Column(field)
	switch g.rng.IntN(10) {
	case 0:
		return &filter.IsNull{Field: field, Negate: g.maybe(0.5)}
	case 1, 2:
		var vals []filter.Literal
		for range 1 + g.rng.IntN(3) {
			vals = append(vals, g.literal(ref, field))
		}
		return &filter.In{Field: field, Values: vals, Negate: g.maybe(0.4)}
	}
	ops := []filter.Op{filter.Eq, filter.Ne, filter.Lt, filter.Le, filter.Gt, filter.Ge}
	switch col.Type {
	case schema.Bool:
		ops = ops[:2]
	case schema.String, schema.Text:
		ops = append(ops, filter.Match, filter.NotMatch, filter.Contains, filter.NotContains, filter.Match, filter.Contains)
	}
	op := ops[g.rng.IntN(len(ops))]
	lit := g.literal(ref, field)
	c := &filter.Compare{Field: field, Op: op, Value: lit}
	switch op {
	case filter.Match, filter.NotMatch:
		patterns := []string{"^svc-0", "[13]$", "(?i)^open", "^$", "d", "(?i)DISK|cpu", "^INC0001", "e.*e", "ü"}
		c.Value = filter.Literal{Kind: filter.LitString, S: patterns[g.rng.IntN(len(patterns))]}
		c.Re = regexp.MustCompile(c.Value.S)
	case filter.Contains, filter.NotContains:
		s := lit.S
		if len(s) > 3 {
			i := g.rng.IntN(len(s) - 2)
			s = s[i : i+2]
		}
		if g.maybe(0.5) {
			s = strings.ToUpper(s)
		}
		c.Value = filter.Literal{Kind: filter.LitString, S: s}
	}
	return c
}

func (g *generator) expr(ref *reference, depth int) filter.Expr {
	if depth == 0 || g.maybe(0.4) {
		return g.leaf(ref)
	}
	switch g.rng.IntN(3) {
	case 0:
		return &filter.Not{X: g.expr(ref, depth-1)}
	case 1:
		var terms []filter.Expr
		for range 2 + g.rng.IntN(2) {
			terms = append(terms, g.expr(ref, depth-1))
		}
		return &filter.And{Terms: terms}
	}
	var terms []filter.Expr
	for range 2 + g.rng.IntN(2) {
		terms = append(terms, g.expr(ref, depth-1))
	}
	return &filter.Or{Terms: terms}
}

func (g *generator) scope(ref *reference) Scope {
	var sc Scope
	if g.maybe(0.3) {
		sc.TimeField = []string{"created", "resolved", "updated"}[g.rng.IntN(3)]
	}
	switch g.rng.IntN(5) {
	case 0: // everything
	case 1: // one end only
		if g.maybe(0.5) {
			sc.From = time.UnixMilli(g.base + g.rng.Int64N(g.span)).UTC()
		} else {
			sc.To = time.UnixMilli(g.base + g.rng.Int64N(g.span)).UTC()
		}
	default:
		from := g.base - 3600_000 + g.rng.Int64N(g.span)
		length := g.rng.Int64N(g.span / 2)
		sc.From = time.UnixMilli(from).UTC().Add(time.Duration(g.rng.IntN(3)) * 400 * time.Microsecond)
		sc.To = time.UnixMilli(from + length + 1).UTC()
	}
	if g.maybe(0.75) {
		sc.Where = g.expr(ref, 3)
	}
	if g.maybe(0.3) {
		sc.Search = g.words(1 + g.rng.IntN(2))
		if g.maybe(0.3) {
			sc.Search = strings.ToUpper(sc.Search)
		}
	}
	return sc
}

func (g *generator) boundedScope(ref *reference) Scope {
	sc := g.scope(ref)
	if sc.From.IsZero() || sc.To.IsZero() {
		from := g.base + g.rng.Int64N(g.span)
		sc.From = time.UnixMilli(from).UTC()
		sc.To = sc.From.Add(time.Duration(1+g.rng.Int64N(g.span)) * time.Millisecond)
	}
	return sc
}
