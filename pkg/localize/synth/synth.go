// Package synth generates the cases of the localization benchmark: ticket counts per leaf
// for a window and its baseline, with incidents injected at known combinations, so that
// an answer can be scored against the truth (F1 per difficulty class, as the Squeeze and
// RiskLoc papers score theirs).
//
// A case is built the way tickets arrive, not as a table of numbers: a world of 4 to 6
// facets of 5 to 250 values, each value as popular as a Zipf law says (and the last facet
// tied to the first, as an on-call group is to a service), tickets drawn one by one over a
// baseline period and a window at some hour of the day, at a rate that follows the day
// (and, under strong noise, follows each region's own day, drifts per leaf between the
// baseline and the window, and comes in bursts of several tickets for one alarm). An
// incident adds tickets to one combination of 1 to 3 facets' values: its other facets
// are drawn as usual, so the incident's tickets spread below it as real ones do. Some
// cases have no incident (noise only), and some a rise of every rate at once (an even
// rise), where the right answer is no combination at all.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/spacetime/tickets/pkg/localize"
)

// Noise is how far the usual rates wander from what the baseline says of them.
type Noise int

const (
	// Normal: Poisson counts, a day's seasonality of up to ±30% that the baseline
	// averages out, and rates that drift per leaf by up to 10% between the baseline and
	// the window.
	Normal Noise = iota
	// Strong adds a day that is each region's own (±25%, at its own hour), drift per
	// leaf of 10 to 30%, and bursts: one alarm opens up to 1.6 tickets on average.
	Strong
)

func (n Noise) String() string {
	if n == Strong {
		return "strong"
	}
	return "normal"
}

// Class is a kind of case: how many incidents, of how many facets each, under which
// noise. With no incident, Even says whether every rate rose at once.
type Class struct {
	Causes int
	Dims   int
	Noise  Noise
	Even   bool
}

func (c Class) String() string {
	switch {
	case c.Causes == 0 && c.Even:
		return "even rise, " + c.Noise.String()
	case c.Causes == 0:
		return "no incident, " + c.Noise.String()
	}
	return fmt.Sprintf("%d×%dd, %s", c.Causes, c.Dims, c.Noise)
}

// Classes lists every class of the benchmark: 1 to 3 incidents of 1 to 3 facets under
// each noise, and the two kinds of case without one.
func Classes() []Class {
	var out []Class
	for _, noise := range []Noise{Normal, Strong} {
		for causes := 1; causes <= 3; causes++ {
			for dims := 1; dims <= 3; dims++ {
				out = append(out, Class{Causes: causes, Dims: dims, Noise: noise})
			}
		}
		out = append(out, Class{Noise: noise}, Class{Noise: noise, Even: true})
	}
	return out
}

// Case is one window to localize and its truth.
type Case struct {
	Class Class
	Cube  localize.Cube
	// Truth lists the incidents' combinations, each as Key writes it.
	Truth []string
	// Ratios are the incidents' rate ratios (their rate in the window over their usual
	// one), in the order of Truth.
	Ratios []float64
}

// Key writes a combination of (dimension, value) pairs in one canonical form, dimension
// order: "d0=v3&d2=v17".
func Key(terms []localize.Term) string {
	t := slices.Clone(terms)
	slices.SortFunc(t, func(a, b localize.Term) int { return a.Dim - b.Dim })
	parts := make([]string, len(t))
	for i, x := range t {
		parts[i] = x.Name + "=" + x.Value
	}
	return strings.Join(parts, "&")
}

// ParseKey reads a combination written as Key writes it ("region=eu&service=checkout"),
// its names those of dims; the terms come in the dimensions' order, as Key sorts them.
func ParseKey(dims []localize.Dim, key string) ([]localize.Term, error) {
	var terms []localize.Term
	for _, kv := range strings.Split(key, "&") {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not dimension=value", kv)
		}
		d := slices.IndexFunc(dims, func(dim localize.Dim) bool { return dim.Name == name })
		if d < 0 {
			return nil, fmt.Errorf("no dimension %q", name)
		}
		terms = append(terms, localize.Term{Dim: d, Name: name, Value: value})
	}
	slices.SortFunc(terms, func(a, b localize.Term) int { return a.Dim - b.Dim })
	return terms, nil
}

// world is the facets and how tickets spread over them.
type world struct {
	r     *rand.Rand
	noise Noise
	card  []int
	// weight is each facet's popularity per value (summing to 1); pick samples it.
	weight [][]float64
	pick   []*alias
	// tied facet: values of facet tie follow facet 0 (a group follows its service):
	// with probability tieP the value owner[service], else one drawn as usual.
	tie   int
	owner []int
	// region is the facet whose values have their own time of day (under strong noise).
	region int
	phase  []float64
	// Seasonality: the global day's amplitude and hour, and each region's amplitude.
	dayAmp, dayPhase, regionAmp float64
	// drift is the per-leaf spread of the window's rate around the baseline's (the
	// standard deviation of its log), and burst the mean tickets per alarm.
	drift, burst float64
	seed         uint64
}

const tieP = 0.9

// Size fixes what Generate otherwise draws per case: the usual tickets per minute and
// the window's and the baseline's lengths in minutes (zero: drawn).
type Size struct {
	Rate, Window, Baseline float64
}

// Generate builds the case of a class for a seed; the same pair gives the same case.
func Generate(class Class, seed uint64) *Case { return GenerateSized(class, seed, Size{}) }

// GenerateSized is Generate with some of the case's size fixed (for benchmarks of big
// windows).
func GenerateSized(class Class, seed uint64, size Size) *Case {
	r := rand.New(rand.NewPCG(seed, 0x6c6f63616c697a65))
	// A world too small for the class's incidents (three of three facets, each under
	// pairs busy enough to tell them apart, in fifteen minutes of three tickets a
	// minute) is drawn again.
	var w *world
	var rate, window, baseline, at, usual float64
	var incidents []incident
	for ok := false; !ok; {
		w = newWorld(r, class.Noise, seed)
		rate = logUniform(r, 3, 30) // tickets per minute, usually
		window = []float64{15, 30, 60}[r.IntN(3)]
		baseline = []float64{window, 360, 1440}[r.IntN(3)]
		if size.Rate > 0 {
			rate = size.Rate
		}
		if size.Window > 0 {
			window = size.Window
		}
		if size.Baseline > 0 {
			baseline = size.Baseline
		}
		at = r.Float64() * 1440                          // the window's start, minutes into the day
		usual = rate * window * w.day(at, at+window, -1) // the window's usual total
		incidents, ok = w.incidents(class, usual, window/baseline)
	}

	c := &Case{Class: class}
	counts := newCounter(w)
	// The baseline, [at-baseline, at), in two halves.
	mid := at - baseline/2
	w.draw(counts, rate, at-baseline, mid, false, func(l []uint32) { counts.add(l, 0, 1, 1) })
	w.draw(counts, rate, mid, at, false, func(l []uint32) { counts.add(l, 0, 1, 0) })
	// The window: [at, at+window), with drift per leaf.
	even := 1.0
	if class.Even {
		even = logUniform(r, 1.5, 4)
	}
	w.draw(counts, rate*even, at, at+window, true, func(l []uint32) { counts.add(l, 1, 0, 0) })
	// The incidents.
	for _, inc := range incidents {
		c.Truth = append(c.Truth, inc.key)
		c.Ratios = append(c.Ratios, inc.ratio)
		extra := poisson(r, (inc.ratio-1)*inc.usual)
		for range w.bursts(extra) {
			leaf := w.incidentTicket(inc)
			for range w.burstSize() {
				counts.add(leaf, 1, 0, 0)
			}
		}
	}
	c.Cube = counts.cube(window / baseline)
	return c
}

func newWorld(r *rand.Rand, noise Noise, seed uint64) *world {
	w := &world{r: r, noise: noise, seed: seed}
	dims := 4 + r.IntN(3)
	w.card = make([]int, dims)
	w.card[0] = 100 + r.IntN(151) // a service: 100 to 250 values
	w.card[1] = 10 + r.IntN(21)   // a region: 10 to 30
	for d := 2; d < dims; d++ {
		w.card[d] = int(math.Round(logUniform(r, 5, 60)))
	}
	w.region = 1
	w.tie = -1
	if dims >= 5 {
		w.tie = dims - 1
	}
	for d := range dims {
		wt := zipf(r, w.card[d], 0.6+0.6*r.Float64())
		w.weight = append(w.weight, wt)
		w.pick = append(w.pick, newAlias(wt))
	}
	if w.tie >= 0 {
		w.owner = make([]int, w.card[0])
		for s := range w.owner {
			w.owner[s] = w.pick[w.tie].sample(r)
		}
	}
	w.phase = make([]float64, w.card[w.region])
	for v := range w.phase {
		w.phase[v] = r.Float64() * 2 * math.Pi
	}
	w.dayPhase = r.Float64() * 2 * math.Pi
	w.burst = 1
	switch noise {
	case Normal:
		w.dayAmp = 0.3 * r.Float64()
		w.drift = 0.1 * r.Float64()
	case Strong:
		w.dayAmp = 0.5 * r.Float64()
		w.regionAmp = 0.25
		w.drift = 0.1 + 0.2*r.Float64()
		w.burst = 1 + 0.6*r.Float64()
	}
	return w
}

// day is the mean of the rate's seasonal factor over [from, to) minutes, for a value of
// the region facet (or for all, region < 0), by the minute.
func (w *world) day(from, to float64, region int) float64 {
	sum := 0.0
	n := 0
	for t := from; t < to; t++ {
		f := 1 + w.dayAmp*math.Sin(2*math.Pi*t/1440+w.dayPhase)
		if region >= 0 && w.regionAmp > 0 {
			f *= 1 + w.regionAmp*math.Sin(2*math.Pi*t/1440+w.phase[region])
		}
		sum += f
		n++
	}
	return sum / float64(n)
}

// draw draws the tickets of [from, to) minutes at the given usual rate per minute, and
// calls fn with each ticket's leaf. With drift, each leaf's rate is off its usual by a
// factor of its own.
func (w *world) draw(counts *counter, rate, from, to float64, drift bool, fn func([]uint32)) {
	// Each region's share of the period, as its own day weighs it.
	regions := make([]float64, w.card[w.region])
	total := 0.0
	for v := range regions {
		regions[v] = w.weight[w.region][v] * w.day(from, to, v)
		total += regions[v]
	}
	pickRegion := newAlias(regions)
	expected := rate * (to - from) * total
	limit := 1.0
	if drift && w.drift > 0 {
		limit = math.Exp(3*w.drift - w.drift*w.drift/2)
	}
	leaf := make([]uint32, len(w.card))
	for range w.bursts(poisson(w.r, expected*limit)) {
		w.ticket(leaf, pickRegion)
		if limit > 1 && w.r.Float64()*limit > w.driftOf(leaf) {
			continue
		}
		for range w.burstSize() {
			fn(leaf)
		}
	}
}

// bursts turns a number of tickets into the number of alarms that open them.
func (w *world) bursts(tickets int) int {
	if w.burst <= 1 {
		return tickets
	}
	return poisson(w.r, float64(tickets)/w.burst)
}

// burstSize is how many tickets one alarm opens: 1 plus a geometric number, burst on
// average.
func (w *world) burstSize() int {
	n := 1
	if w.burst <= 1 {
		return n
	}
	q := 1 - 1/w.burst // chance of one more
	for w.r.Float64() < q {
		n++
	}
	return n
}

// ticket draws one usual ticket's leaf.
func (w *world) ticket(leaf []uint32, region *alias) {
	for d := range w.card {
		switch d {
		case w.region:
			leaf[d] = uint32(region.sample(w.r))
		case w.tie:
			if w.r.Float64() < tieP {
				leaf[d] = uint32(w.owner[leaf[0]])
			} else {
				leaf[d] = uint32(w.pick[d].sample(w.r))
			}
		default:
			leaf[d] = uint32(w.pick[d].sample(w.r))
		}
	}
}

// driftOf is a leaf's own factor on its window rate: log-normal, mean 1, fixed per leaf
// and seed, at most exp(3 drift).
func (w *world) driftOf(leaf []uint32) float64 {
	h := w.seed ^ 0x9e3779b97f4a7c15
	for _, c := range leaf {
		h = (h ^ uint64(c)) * 0x100000001b3
		h ^= h >> 29
	}
	// Two uniforms from the hash make a normal (Box-Muller).
	u1 := (float64(h>>11) + 0.5) / (1 << 53)
	h = h*0x9e3779b97f4a7c15 + 1
	h ^= h >> 31
	u2 := float64(h>>11) / (1 << 53)
	n := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
	n = clamp(n, -3, 3)
	return math.Exp(w.drift*n - w.drift*w.drift/2)
}

// incident is one injected combination.
type incident struct {
	dims   []int
	values []int
	key    string
	usual  float64 // the combination's usual tickets in the window
	ratio  float64
}

// share is the part of usual tickets a combination holds.
func (w *world) share(dims []int, values []int) float64 {
	p := 1.0
	service, group := -1, -1
	for i, d := range dims {
		switch d {
		case 0:
			service = values[i]
		case w.tie:
			group = values[i]
		}
		if d != w.tie {
			p *= w.weight[d][values[i]]
		}
	}
	if w.tie < 0 || group < 0 {
		return p
	}
	// The group given the service: its owner's or, one time in ten, any.
	given := func(s int) float64 {
		q := (1 - tieP) * w.weight[w.tie][group]
		if w.owner[s] == group {
			q += tieP
		}
		return q
	}
	if service >= 0 {
		return p * given(service)
	}
	sum := 0.0
	for s := range w.card[0] {
		sum += w.weight[0][s] * given(s)
	}
	return p * sum
}

// incidents draws the class's incidents: combinations whose every value matters (see
// needed), none inside another, each adding from a tenth to five times the window's
// usual tickets, at least half its own usual rate, and enough to be told from noise.
func (w *world) incidents(class Class, usual, scale float64) ([]incident, bool) {
	var out []incident
	for tries := 0; len(out) < class.Causes; tries++ {
		if tries > 2000 {
			return nil, false
		}
		dims := w.r.Perm(len(w.card))[:class.Dims]
		slices.Sort(dims)
		values := make([]int, len(dims))
		for i, d := range dims {
			// Incidents strike popular values more often, but not only them.
			values[i] = w.pick[d].sample(w.r)
			if w.r.IntN(2) == 0 {
				values[i] = w.r.IntN(w.card[d])
			}
		}
		p := w.share(dims, values)
		if p == 0 || !w.needed(dims, values, p, usual) {
			continue
		}
		inc := incident{dims: dims, values: values, usual: usual * p}
		// The incident's size: from a tenth of the window's usual tickets (subtle) to
		// five times as many (an outage), at least half its own usual rate, and at
		// least 6 standard deviations of the noise of comparing its count with its
		// baseline's (see detectable).
		extra := max(logUniform(w.r, 0.1, 5)*usual, 0.5*inc.usual, w.detectable(inc.usual, scale))
		inc.ratio = 1 + extra/inc.usual
		if inc.ratio > 1000 {
			continue // a combination too rare to be where an outage strikes
		}
		inc.key = w.key(dims, values)
		if slices.ContainsFunc(out, func(o incident) bool { return nested(o, inc) }) {
			continue
		}
		out = append(out, inc)
	}
	return out, true
}

// detectable is the least excess that stands 6 standard deviations above the noise of
// a combination that usually has mu tickets in the window: the window's count (with the
// excess) and the baseline's scaled to the window both vary, by phi times their means
// under the world's bursts. A rise below that is one that no method can tell from noise
// among thousands of combinations.
func (w *world) detectable(mu, scale float64) float64 {
	k := 36 * (2*w.burst - 1) // z² times phi
	return (k + math.Sqrt(k*k+4*k*mu*(1+scale))) / 2
}

// needed reports whether every value of a combination narrows it, so that the data can
// tell the combination from a broader one: without any one of its values, the
// combination holds at least 25% more usual tickets, and at least 5 more in the window.
// (Otherwise an incident that floods a combination of three values under a pair that
// usually has one ticket in the window looks the same as one that floods the pair.)
func (w *world) needed(dims, values []int, p, usual float64) bool {
	if len(dims) == 1 {
		return p < 0.8 && (1-p)*usual >= 5
	}
	for skip := range dims {
		var d2, v2 []int
		for i := range dims {
			if i != skip {
				d2, v2 = append(d2, dims[i]), append(v2, values[i])
			}
		}
		parent := w.share(d2, v2)
		if p > 0.8*parent || (parent-p)*usual < 5 {
			return false
		}
	}
	return true
}

// nested reports whether one incident's terms include the other's, or they are equal.
func nested(a, b incident) bool {
	in := func(x, y incident) bool {
		for i, d := range x.dims {
			j := slices.Index(y.dims, d)
			if j < 0 || y.values[j] != x.values[i] {
				return false
			}
		}
		return true
	}
	return in(a, b) || in(b, a)
}

func (w *world) key(dims, values []int) string {
	terms := make([]localize.Term, len(dims))
	for i, d := range dims {
		terms[i] = localize.Term{Dim: d, Name: dimName(d), Value: valueName(d, values[i])}
	}
	return Key(terms)
}

// incidentTicket draws one of an incident's tickets: its values, and the other facets as
// usual given them.
func (w *world) incidentTicket(inc incident) []uint32 {
	leaf := make([]uint32, len(w.card))
	fixed := make([]bool, len(w.card))
	for i, d := range inc.dims {
		leaf[d] = uint32(inc.values[i])
		fixed[d] = true
	}
	if w.tie >= 0 && fixed[w.tie] && !fixed[0] {
		// The service given the group.
		group := int(leaf[w.tie])
		p := make([]float64, w.card[0])
		for s := range p {
			q := (1 - tieP) * w.weight[w.tie][group]
			if w.owner[s] == group {
				q += tieP
			}
			p[s] = w.weight[0][s] * q
		}
		leaf[0] = uint32(newAlias(p).sample(w.r))
		fixed[0] = true
	}
	for d := range w.card {
		if fixed[d] {
			continue
		}
		if d == w.tie && w.r.Float64() < tieP {
			leaf[d] = uint32(w.owner[leaf[0]])
			continue
		}
		leaf[d] = uint32(w.pick[d].sample(w.r))
	}
	return leaf
}

func dimName(d int) string            { return "d" + strconv.Itoa(d) }
func valueName(d, v int) string       { return "d" + strconv.Itoa(d) + "v" + strconv.Itoa(v) }
func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

// counter gathers tickets into leaves.
type counter struct {
	w      *world
	index  map[uint64]int
	codes  []uint32
	counts [][3]int64 // before, now, early
}

func newCounter(w *world) *counter { return &counter{w: w, index: map[uint64]int{}} }

func (c *counter) add(leaf []uint32, now, before, early int64) {
	k := uint64(0)
	for _, v := range leaf {
		k = k<<8 | uint64(v)
	}
	i, ok := c.index[k]
	if !ok {
		i = len(c.counts)
		c.index[k] = i
		c.codes = append(c.codes, leaf...)
		c.counts = append(c.counts, [3]int64{})
	}
	c.counts[i][0] += before
	c.counts[i][1] += now
	c.counts[i][2] += early
}

func (c *counter) cube(scale float64) localize.Cube {
	cube := localize.Cube{Codes: c.codes, Scale: scale}
	for d, n := range c.w.card {
		dim := localize.Dim{Name: dimName(d)}
		for v := range n {
			dim.Values = append(dim.Values, valueName(d, v))
		}
		cube.Dims = append(cube.Dims, dim)
	}
	for _, ct := range c.counts {
		cube.Before = append(cube.Before, ct[0])
		cube.Now = append(cube.Now, ct[1])
		cube.Early = append(cube.Early, ct[2])
	}
	return cube
}

// zipf returns n weights summing to 1 that fall as 1/rank^s, ranks shuffled.
func zipf(r *rand.Rand, n int, s float64) []float64 {
	w := make([]float64, n)
	sum := 0.0
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	r.Shuffle(n, func(i, j int) { w[i], w[j] = w[j], w[i] })
	return w
}

func logUniform(r *rand.Rand, lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo)))
}

// poisson draws a Poisson count: by inversion for small means, by a normal
// approximation (rounded, at least 0) for large ones, where it is exact enough for a
// benchmark and much faster.
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 500 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l := math.Exp(-mean)
	k, p := 0, r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}

// alias samples an index by weight in constant time (Vose's alias method).
type alias struct {
	prob  []float64
	alias []int
}

func newAlias(w []float64) *alias {
	n := len(w)
	a := &alias{prob: make([]float64, n), alias: make([]int, n)}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s], a.alias[s] = scaled[s], l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		a.prob[i] = 1
	}
	return a
}

func (a *alias) sample(r *rand.Rand) int {
	i := r.IntN(len(a.prob))
	if r.Float64() < a.prob[i] {
		return i
	}
	return a.alias[i]
}
