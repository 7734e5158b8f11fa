// Package gen generates deterministic synthetic tickets for tests, benchmarks and the demo:
// about 200 services and 20 regions with Zipf-skewed popularity, a category/type/item
// hierarchy, severities where sev1 is rare, on-call groups tied to services, more tickets in
// business hours, and outages where one service in one region floods the system.
package gen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// DefaultSpan is the time the tickets spread over when Options.Span is zero.
const DefaultSpan = 30 * 24 * time.Hour

// Options say what to generate. The same options (with End set) give the same tickets.
type Options struct {
	// Tickets is the number of tickets (not of versions).
	Tickets int
	// End is the newest possible created time, and "now" for statuses: tickets whose
	// resolution lies after End are still open. Zero means the current minute.
	End time.Time
	// Span is how far back from End the tickets are created; zero means DefaultSpan.
	Span time.Duration
	// Seed chooses the random sequence.
	Seed int64
	// Outages is the number of outages (spikes) in the span.
	Outages int
	// Updates also emits the earlier versions of each ticket (opened, acknowledged) just
	// before its final one, as an update log does.
	Updates bool
	// MaxAge, when set, is the longest a ticket keeps changing: one whose acknowledgement
	// or resolution would come later gets it MaxAge after it was created (those left open
	// for good stay open). A live stream (the demo source) needs it to know how far back a ticket
	// can still change.
	MaxAge time.Duration
}

// Outage is a spike: for its duration, one service in one region opens tickets at a rate
// that multiplies the total rate of all tickets by Factor at its peak (so the service in
// that region opens far more than 30 times its usual number), and a few other services of
// the region are mildly affected too.
type Outage struct {
	Start, End time.Time
	Service    string
	Region     string
	// Kind is the ticket type most of the outage's tickets have.
	Kind string
	// Factor multiplies the total ticket rate at the outage's peak (3 to 6).
	Factor float64
	// Affected are the other services of the region that also open tickets.
	Affected []string
}

// outageShare is the share of an outage's extra tickets that go to its own service; the
// rest go to the mildly affected services.
const outageShare = 0.8

// Names returns the columns of generated records: the default schema's.
func Names() []string { return schema.Default().Names() }

// PlanOutages returns the outages that Generate puts in the span for opts, oldest first.
func PlanOutages(opts Options) []Outage {
	opts = withDefaults(opts)
	return planOutages(opts, services())
}

func withDefaults(opts Options) Options {
	if opts.End.IsZero() {
		opts.End = time.Now().Truncate(time.Minute)
	}
	opts.End = opts.End.UTC()
	if opts.Span <= 0 {
		opts.Span = DefaultSpan
	}
	return opts
}

func planOutages(opts Options, svcs []service) []Outage {
	// A stream of its own, so that the outages do not depend on the number of tickets.
	r := rand.New(rand.NewPCG(uint64(opts.Seed), 0x6f757467))
	svcPick := newSampler(zipfWeights(len(svcs), 0.6))
	regPick := newSampler(zipfWeights(len(regions), 1.0))
	var outageKinds []int
	for i, k := range kinds {
		if k.outage {
			outageKinds = append(outageKinds, i)
		}
	}
	out := make([]Outage, 0, opts.Outages)
	for range opts.Outages {
		d := time.Duration(30+r.IntN(91)) * time.Minute
		if d > opts.Span {
			d = opts.Span
		}
		room := opts.Span - d
		start := opts.End.Add(-opts.Span).Add(time.Duration(r.Int64N(int64(room) + 1))).Truncate(time.Minute)
		primary := svcPick.pick(r)
		o := Outage{
			Start:   start,
			End:     start.Add(d),
			Service: svcs[primary].name,
			Region:  regions[regPick.pick(r)],
			Kind:    kinds[outageKinds[r.IntN(len(outageKinds))]].name,
			Factor:  3 + 3*r.Float64(),
		}
		for n := 3 + r.IntN(4); len(o.Affected) < n; {
			s := svcs[svcPick.pick(r)].name
			if s != o.Service && !contains(o.Affected, s) {
				o.Affected = append(o.Affected, s)
			}
		}
		out = append(out, o)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Batches generates as Generate does and calls fn with the records in batches of size
// (the last one shorter), each a new slice of clones that fn may keep.
func Batches(ctx context.Context, opts Options, size int, fn func(batch []ticket.Record) error) error {
	if size <= 0 {
		return fmt.Errorf("generate: the batch size must be positive (%d)", size)
	}
	batch := make([]ticket.Record, 0, size)
	err := Generate(ctx, opts, func(r *ticket.Record) error {
		batch = append(batch, r.Clone())
		if len(batch) < size {
			return nil
		}
		full := batch
		batch = make([]ticket.Record, 0, size)
		return fn(full)
	})
	if err == nil && len(batch) > 0 {
		err = fn(batch)
	}
	return err
}

// Generate calls fn with each ticket (and, with Updates, its earlier versions first) in
// the order of their created times. The records have the default schema's layout. The
// record passed to fn is reused by the next call: Clone it to keep it.
func Generate(ctx context.Context, opts Options, fn func(rec *ticket.Record) error) error {
	if opts.Tickets < 0 {
		return fmt.Errorf("generate: the number of tickets is negative (%d)", opts.Tickets)
	}
	if opts.Outages < 0 {
		return fmt.Errorf("generate: the number of outages is negative (%d)", opts.Outages)
	}
	g, err := newGenerator(withDefaults(opts))
	if err != nil {
		return err
	}
	return g.run(ctx, fn)
}

// columns are the positions of the generated fields in the layout.
type columns struct {
	id, severity, title, status, service, region, category, kind, item, group,
	created, updated, resolved, description int
}

type outagePlan struct {
	Outage
	main     int // index into services
	affected []int
	kind     int
	startMS  int64
	endMS    int64
}

type generator struct {
	opts    Options
	r       *rand.Rand
	svcs    []service
	svcPick sampler
	regPick sampler
	kind    sampler
	sev     sampler
	sevOut  sampler
	outages []outagePlan
	byName  map[string]int
	kindIdx map[string]int

	layout *ticket.Layout
	col    columns

	// The rate profile: per bucket of bucketMS, the usual rate and the total with outages.
	startMS  int64
	endMS    int64
	bucketMS int64
	base     []float64
	total    []float64
	cum      []float64

	buf []byte
}

func newGenerator(opts Options) (*generator, error) {
	names := Names()
	layout := ticket.NewLayout(names)
	idx := func(name string) (int, error) {
		if i := layout.Index(name); i >= 0 {
			return i, nil
		}
		return 0, fmt.Errorf("generate: the default schema has no column %q", name)
	}
	var col columns
	var errs []error
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{"id", &col.id}, {"severity", &col.severity}, {"title", &col.title}, {"status", &col.status},
		{"service", &col.service}, {"region", &col.region}, {"category", &col.category},
		{"type", &col.kind}, {"item", &col.item}, {"assignee_group", &col.group},
		{"created", &col.created}, {"updated", &col.updated}, {"resolved", &col.resolved},
		{"description", &col.description},
	} {
		i, err := idx(f.name)
		errs = append(errs, err)
		*f.dst = i
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	kindWeights := make([]float64, len(kinds))
	kindIdx := make(map[string]int, len(kinds))
	for i, k := range kinds {
		kindWeights[i] = k.weight
		kindIdx[k.name] = i
	}
	g := &generator{
		opts:    opts,
		r:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x7469636b)),
		svcs:    services(),
		regPick: newSampler(zipfWeights(len(regions), 1.0)),
		kind:    newSampler(kindWeights),
		sev:     newSampler(severityWeights),
		sevOut:  newSampler(outageSeverityWeights),
		layout:  layout,
		col:     col,
		kindIdx: kindIdx,
	}
	g.svcPick = newSampler(zipfWeights(len(g.svcs), 1.07))
	g.byName = make(map[string]int, len(g.svcs))
	for i, s := range g.svcs {
		g.byName[s.name] = i
	}
	for _, o := range planOutages(opts, g.svcs) {
		p := outagePlan{Outage: o, main: g.byName[o.Service], kind: kindIdx[o.Kind],
			startMS: o.Start.UnixMilli(), endMS: o.End.UnixMilli()}
		for _, a := range o.Affected {
			p.affected = append(p.affected, g.byName[a])
		}
		g.outages = append(g.outages, p)
	}
	g.profile()
	return g, nil
}

// maxBuckets bounds the rate profile; longer spans get wider buckets than a minute.
const maxBuckets = 1 << 21

// profile computes the rate of tickets over the span: business-hours seasonality with
// noise, plus the outages.
func (g *generator) profile() {
	g.endMS = g.opts.End.UnixMilli()
	g.startMS = g.endMS - g.opts.Span.Milliseconds()
	g.bucketMS = time.Minute.Milliseconds()
	if n := (g.endMS - g.startMS) / g.bucketMS; n > maxBuckets {
		g.bucketMS = (g.endMS - g.startMS + maxBuckets - 1) / maxBuckets
	}
	n := int((g.endMS - g.startMS + g.bucketMS - 1) / g.bucketMS)
	if n < 1 {
		n = 1
	}
	noise := rand.New(rand.NewPCG(uint64(g.opts.Seed), 0x6e6f6973))
	g.base = make([]float64, n)
	g.total = make([]float64, n)
	g.cum = make([]float64, n)
	sum := 0.0
	for m := range n {
		mid := g.startMS + int64(m)*g.bucketMS + g.bucketMS/2
		g.base[m] = seasonal(mid) * math.Exp(0.3*noise.NormFloat64())
		g.total[m] = g.base[m] + g.outageExtra(m, -1)
		sum += g.total[m]
		g.cum[m] = sum
	}
}

// outageExtra is the rate that outage k (or every outage, for k < 0) adds to bucket m.
func (g *generator) outageExtra(m, k int) float64 {
	from := g.startMS + int64(m)*g.bucketMS
	to := from + g.bucketMS
	mid := from + g.bucketMS/2
	extra := 0.0
	for i := range g.outages {
		if k >= 0 && i != k {
			continue
		}
		o := &g.outages[i]
		if to <= o.startMS || from >= o.endMS {
			continue
		}
		extra += (o.Factor - 1) * seasonal(mid) * envelope(o.startMS, o.endMS, mid)
	}
	return extra
}

// envelope shapes an outage: a fast rise over its first tenth, a plateau, and a slower
// decay over its last quarter.
func envelope(start, end, t int64) float64 {
	d := float64(end - start)
	x := (float64(t-start) + 0.5) / d
	switch {
	case x < 0 || x > 1:
		return 0
	case x < 0.1:
		return 0.2 + 0.8*x/0.1
	case x > 0.75:
		return 0.2 + 0.8*(1-x)/0.25
	}
	return 1
}

// seasonal is the usual relative rate at t (milliseconds): a business-hours bump around
// 13:30 UTC on top of a night floor, and quieter weekends.
func seasonal(ms int64) float64 {
	sec := ms / 1000
	day := sec / 86400
	if sec < 0 && sec%86400 != 0 {
		day--
	}
	hour := float64(sec-day*86400) / 3600
	x := (hour - 13.5) / 3.5
	w := 0.4 + math.Exp(-x*x)
	// 1970-01-01 was a Thursday: day 2 is a Saturday.
	if wd := ((day % 7) + 7) % 7; wd == 2 || wd == 3 {
		w *= 0.55
	}
	return w
}

// times of one ticket, in milliseconds; a zero means the event has not happened by End.
type lifecycle struct {
	created, acked, resolved int64
	sevInitial, sevFinal     int
}

var (
	// ackMeanMin is the mean minutes to acknowledge by severity (index 0 is sev1).
	ackMeanMin = []float64{3, 6, 12, 25, 45}
	// resolveMedianMin is the median minutes to resolve by severity.
	resolveMedianMin = []float64{45, 90, 240, 720, 2160}
)

// neverResolved is the share of ordinary tickets that stay open however old they are.
const neverResolved = 0.02

func (g *generator) run(ctx context.Context, fn func(rec *ticket.Record) error) error {
	n := g.opts.Tickets
	if n == 0 {
		return nil
	}
	rec := &ticket.Record{Layout: g.layout, Values: make([]ticket.Value, g.layout.Len())}
	totalRate := g.cum[len(g.cum)-1]
	m := 0
	for i := range n {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
		}
		// Stratified sampling of the rate profile: ticket i falls in the i-th slice of the
		// cumulative rate, so created times come out sorted without a sort.
		u := (float64(i) + g.r.Float64()) / float64(n) * totalRate
		for m < len(g.cum)-1 && g.cum[m] <= u {
			m++
		}
		created := g.createdIn(m, u)
		if err := g.emit(g.r, i, g.plan(g.r, g.r, m, created), g.endMS, rec, fn); err != nil {
			return err
		}
	}
	return nil
}

// createdIn is the created time of the ticket at u in the cumulative rate, in bucket m.
func (g *generator) createdIn(m int, u float64) int64 {
	prev := 0.0
	if m > 0 {
		prev = g.cum[m-1]
	}
	frac := (u - prev) / g.total[m]
	frac = math.Min(math.Max(frac, 0), 1)
	created := g.startMS + int64(m)*g.bucketMS + int64(frac*float64(g.bucketMS))
	created = created / 1000 * 1000
	if created >= g.endMS {
		// the last whole second before End, which no earlier ticket can follow
		created = (g.endMS - 1) / 1000 * 1000
	}
	return created
}

// plan is what a ticket is before its texts: where it belongs and its lifecycle.
type plan struct {
	svc, region, kind int
	sevWeights        sampler
	created           int64
	// acked and resolved are when they happen, however late; resolved is math.MaxInt64
	// for a ticket left open for good.
	acked, resolved      int64
	sevInitial, sevFinal int
}

// plan draws the ticket created at created (in bucket m) up to its lifecycle: the draws
// that its texts need come after, in emit. The draws that decide its lifecycle come from
// life, those of its service, region and kind from attrs, in one order, so that Generate,
// which passes one stream as both, draws as it always has; a nil attrs draws the
// lifecycle alone (Stream.Changes), leaving the plan's service, region and kind unset.
func (g *generator) plan(life, attrs *rand.Rand, m int, created int64) plan {
	r := life
	p := plan{sevWeights: g.sev, created: created}
	outage := -1
	// Which outage, if any, this ticket belongs to: in proportion to the rates in its bucket.
	if x := r.Float64() * g.total[m]; x >= g.base[m] {
		x -= g.base[m]
		for k := range g.outages {
			e := g.outageExtra(m, k)
			if x < e || k == len(g.outages)-1 {
				outage = k
				break
			}
			x -= e
		}
	}
	switch {
	case outage >= 0:
		o := &g.outages[outage]
		p.region = indexOf(regions, o.Region)
		if r.Float64() < outageShare {
			p.svc, p.sevWeights = o.main, g.sevOut
		} else if attrs != nil {
			p.svc = o.affected[attrs.IntN(len(o.affected))]
		}
		p.kind = o.kind
		if attrs != nil && attrs.Float64() >= 0.7 {
			p.kind = g.kind.pick(attrs)
		}
	case attrs != nil:
		p.svc = g.svcPick.pick(attrs)
		p.region = g.regPick.pick(attrs)
		p.kind = g.kind.pick(attrs)
	}
	p.sevFinal = 1 + p.sevWeights.pick(r)
	p.sevInitial = p.sevFinal
	if r.Float64() < 0.1 {
		// Re-prioritised after triage: the first version had a neighbouring severity.
		p.sevInitial = max(1, min(5, p.sevFinal+1-2*r.IntN(2)))
	}
	ackAfter := int64(r.ExpFloat64() * ackMeanMin[p.sevFinal-1] * 60000)
	var resolveAt int64
	switch {
	case outage >= 0:
		resolveAt = max(g.outages[outage].endMS, created+60000) + int64(r.ExpFloat64()*15*60000)
	case r.Float64() < neverResolved:
		resolveAt = math.MaxInt64
	default:
		median := resolveMedianMin[p.sevFinal-1] * 60000
		resolveAt = created + 60000 + int64(median*math.Exp(r.NormFloat64()))
	}
	if age := g.opts.MaxAge.Milliseconds(); age > 0 && resolveAt != math.MaxInt64 && resolveAt > created+age {
		resolveAt = created + age
	}
	acked := created + 1000 + ackAfter
	if age := g.opts.MaxAge.Milliseconds(); age > 0 {
		acked = min(acked, created+age)
	}
	if resolveAt != math.MaxInt64 {
		resolveAt = resolveAt / 1000 * 1000
		acked = min(acked, resolveAt)
	}
	p.acked = acked / 1000 * 1000
	p.resolved = resolveAt
	return p
}

// emit makes ticket i of plan p, drawing its texts from r, and passes to fn its versions
// as of asOf: its latest one, and with Options.Updates the earlier ones first.
func (g *generator) emit(r *rand.Rand, i int, p plan, asOf int64, rec *ticket.Record, fn func(rec *ticket.Record) error) error {
	created := p.created
	lc := lifecycle{created: created, sevInitial: p.sevInitial, sevFinal: p.sevFinal}
	if p.acked <= asOf {
		lc.acked = p.acked
	}
	if p.resolved <= asOf {
		lc.resolved = p.resolved
	}

	s := &g.svcs[p.svc]
	group := s.group
	if r.Float64() < 0.03 {
		group = otherGroups[r.IntN(len(otherGroups))]
	}
	k := &kinds[p.kind]
	id, title, desc := g.texts(r, i, s, regions[p.region], k, group, created)

	v := rec.Values
	for j := range v {
		v[j] = ticket.Value{}
	}
	rec.Key = id
	v[g.col.id] = ticket.String(id)
	v[g.col.title] = ticket.String(title)
	v[g.col.service] = ticket.String(s.name)
	v[g.col.region] = ticket.String(regions[p.region])
	v[g.col.category] = ticket.String(k.category)
	v[g.col.kind] = ticket.String(k.name)
	v[g.col.item] = ticket.String(k.items[r.IntN(len(k.items))])
	v[g.col.group] = ticket.String(group)
	v[g.col.created] = ticket.TimeMS(created)
	v[g.col.description] = ticket.String(desc)

	emit := func(status string, sev int, updated, resolved int64) error {
		v[g.col.status] = ticket.String(status)
		v[g.col.severity] = ticket.Number(float64(sev))
		v[g.col.updated] = ticket.TimeMS(updated)
		v[g.col.resolved] = ticket.Value{}
		if resolved > 0 {
			v[g.col.resolved] = ticket.TimeMS(resolved)
		}
		rec.Version = updated
		return fn(rec)
	}
	if g.opts.Updates {
		if lc.acked > 0 || lc.resolved > 0 {
			if err := emit("open", lc.sevInitial, created, 0); err != nil {
				return err
			}
		}
		if lc.resolved > 0 && lc.acked > 0 && lc.acked < lc.resolved {
			if err := emit("acknowledged", lc.sevFinal, lc.acked, 0); err != nil {
				return err
			}
		}
	}
	switch {
	case lc.resolved > 0:
		return emit("resolved", lc.sevFinal, lc.resolved, lc.resolved)
	case lc.acked > 0:
		return emit("acknowledged", lc.sevFinal, lc.acked, 0)
	}
	return emit("open", lc.sevInitial, created, 0)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return 0
}

// Descriptions are 100 to 300 bytes.
const (
	minDescription = 100
	maxDescription = 300
)

// texts builds the id, title and description of a ticket into one string, so that a ticket
// costs one allocation for its text.
func (g *generator) texts(r *rand.Rand, i int, s *service, region string, k *kind, group string, created int64) (string, string, string) {
	b := g.buf[:0]
	b = append(b, "INC"...)
	b = appendPadded(b, int64(i+1), 8)
	idEnd := len(b)

	b = append(b, '[')
	b = append(b, s.name...)
	b = append(b, "] "...)
	v := mix64(uint64(i) ^ uint64(g.opts.Seed)<<40)
	// The host is written into the buffer's spare room and copied out (the title
	// func appends into the same buffer).
	hostStart := len(b)
	b = appendHost(b, s.name, v)
	host := string(b[hostStart:])
	b = b[:hostStart]
	b = k.title(b, region, host, v, r)
	titleEnd := len(b)

	b = append(b, "Alarm "...)
	b = append(b, s.name...)
	b = append(b, '/')
	b = append(b, k.slug...)
	b = append(b, " in "...)
	b = append(b, region...)
	b = append(b, ": "...)
	b = k.detail(b, r)
	b = append(b, '.')
	descStart := titleEnd
	chance := [...]float64{0.7, 0.6, 0.4, 0.3}
	for j, p := range chance {
		if r.Float64() >= p && len(b)-descStart >= minDescription {
			continue
		}
		before := len(b)
		switch j {
		case 0:
			b = append(b, " Started at "...)
			b = time.UnixMilli(created).UTC().AppendFormat(b, "15:04")
			b = append(b, " UTC; "...)
			b = strconv.AppendInt(b, int64(2+r.IntN(29)), 10)
			b = append(b, " hosts report it."...)
		case 1:
			b = append(b, " Runbook: https://runbooks.example.com/"...)
			b = append(b, s.name...)
			b = append(b, '/')
			b = append(b, k.slug...)
			b = append(b, '.')
		case 2:
			b = append(b, " Paged "...)
			b = append(b, group...)
			b = append(b, "; see the "...)
			b = append(b, s.name...)
			b = append(b, " dashboard for the affected hosts."...)
		case 3:
			b = append(b, " No customer impact has been confirmed yet."...)
		}
		if len(b)-descStart > maxDescription {
			b = b[:before]
		}
	}
	g.buf = b
	all := string(b)
	return all[:idEnd], all[idEnd:titleEnd], all[titleEnd:]
}

func appendPadded(b []byte, n int64, width int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], n, 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// sampler picks an index with probability proportional to its weight.
type sampler struct{ cum []float64 }

func newSampler(weights []float64) sampler {
	cum := make([]float64, len(weights))
	sum := 0.0
	for i, w := range weights {
		sum += w
		cum[i] = sum
	}
	return sampler{cum: cum}
}

func (s sampler) pick(r *rand.Rand) int {
	u := r.Float64() * s.cum[len(s.cum)-1]
	lo, hi := 0, len(s.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if s.cum[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// zipfWeights are 1/rank^s for ranks 1..n.
func zipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}
