package localize

import (
	"math"
)

type search struct {
	c    *Cube
	opts Options
	dims int
	card []int
	// leaves is the number of leaves; a, b and n are each leaf's window, baseline and
	// total tickets.
	leaves  int
	a, b, n []float64
	totalA  float64
	totalN  float64
	// p0 is the share of a leaf's tickets that falls in the window at the usual rate.
	p0 float64
	// cuboids holds every group of up to MaxDims dimensions; byDims finds a group's.
	cuboids []*cuboid
	byDims  map[[3]int]*cuboid
	// penalty is, per number of dimensions, the log-likelihood a combination of that
	// many must add to the model to enter it.
	penalty [4]float64
	// weighed counts the combinations the search weighs.
	weighed int
	// phi measures the noise (see noise.go).
	phi float64
	m   model
}

func newSearch(c *Cube, opts Options) *search {
	s := &search{c: c, opts: opts, dims: len(c.Dims), leaves: len(c.Now)}
	s.card = make([]int, s.dims)
	for d, dim := range c.Dims {
		s.card[d] = len(dim.Values)
	}
	s.a = make([]float64, s.leaves)
	s.b = make([]float64, s.leaves)
	s.n = make([]float64, s.leaves)
	for l := range s.leaves {
		s.a[l] = float64(c.Now[l])
		s.b[l] = float64(c.Before[l])
		s.n[l] = s.a[l] + s.b[l]
		s.totalA += s.a[l]
		s.totalN += s.n[l]
	}
	s.p0 = c.Scale / (1 + c.Scale)
	s.m.s = s
	return s
}

func (s *search) codesOf(l int32) []uint32 {
	return s.c.Codes[int(l)*s.dims : (int(l)+1)*s.dims]
}

// build makes the cuboids and sums the leaves into them: every combination of one or
// two dimensions, and the combinations of three whose pairs show some rise (see
// promising).
func (s *search) build() {
	s.byDims = map[[3]int]*cuboid{}
	var pairs, triples []*cuboid
	for i := range s.dims {
		s.addCuboid([]int{i})
	}
	if s.opts.MaxDims >= 2 {
		for i := range s.dims {
			for j := i + 1; j < s.dims; j++ {
				pairs = append(pairs, s.addCuboid([]int{i, j}))
			}
		}
	}
	low := s.cuboids
	for l := range int32(s.leaves) {
		codes := s.codesOf(l)
		for _, cb := range low {
			cb.add(cb.key(codes), s.a[l], s.n[l])
		}
	}
	for _, cb := range low {
		cb.finish()
	}
	if s.opts.MaxDims < 3 {
		return
	}
	for i := range s.dims {
		for j := i + 1; j < s.dims; j++ {
			for k := j + 1; k < s.dims; k++ {
				triples = append(triples, s.addCuboid([]int{i, j, k}))
			}
		}
	}
	hot := s.promising(pairs)
	pairIndex := map[*cuboid]int{}
	for i, cb := range pairs {
		pairIndex[cb] = i
	}
	// Each triple's three pairs, as bits of the mask of a leaf's promising pairs.
	parents := make([]uint64, len(triples))
	for t, cb := range triples {
		i, j, k := cb.dims[0], cb.dims[1], cb.dims[2]
		for _, p := range [][3]int{{i, j, -1}, {i, k, -1}, {j, k, -1}} {
			parents[t] |= 1 << pairIndex[s.byDims[p]]
		}
	}
	for l := range int32(s.leaves) {
		codes := s.codesOf(l)
		var mask uint64
		for i, cb := range pairs {
			if hot[i](cb.key(codes)) {
				mask |= 1 << i
			}
		}
		if mask == 0 {
			continue
		}
		for t, cb := range triples {
			if mask&parents[t] != 0 {
				cb.add(cb.key(codes), s.a[l], s.n[l])
			}
		}
	}
	for _, cb := range triples {
		cb.finish()
	}
}

func (s *search) addCuboid(dims []int) *cuboid {
	cb := newCuboid(dims, s.card)
	k := [3]int{-1, -1, -1}
	copy(k[:], dims)
	s.byDims[k] = cb
	s.cuboids = append(s.cuboids, cb)
	return cb
}

// promising returns, per pair of dimensions, a test of whether a pair of values rose
// enough that the combinations of three below it are worth weighing. A combination of
// three that explains a rise makes each of its three pairs rise too (they hold its
// tickets), diluted by the rest of the pair's tickets; weighing only the threes below a
// pair that rose at all, by one standard deviation against either the usual rate or
// the window's global level, keeps the search to a few thousand of them instead of every
// three present.
func (s *search) promising(pairs []*cuboid) []func(key uint64) bool {
	global := s.totalA / s.totalN
	out := make([]func(uint64) bool, len(pairs))
	for i, cb := range pairs {
		hot := map[int32]bool{}
		for _, sl := range cb.live {
			a, n := cb.a[sl], cb.n[sl]
			if a < 2 {
				continue
			}
			if z(a, n, s.p0) >= promiseZ || z(a, n, global) >= promiseZ {
				hot[sl] = true
			}
		}
		if cb.dense {
			bits := make([]bool, len(cb.a))
			for sl := range hot {
				bits[sl] = true
			}
			out[i] = func(key uint64) bool { return bits[key] }
		} else {
			out[i] = func(key uint64) bool { return hot[cb.tab.find(key)] }
		}
	}
	return out
}

// promiseZ is how far above its expectation a pair must stand for the threes below it
// to be weighed.
const promiseZ = 1.0

// z is the binomial z-score of a window count a out of n tickets against share p.
func z(a, n, p float64) float64 {
	sd := math.Sqrt(n * p * (1 - p))
	if sd == 0 {
		return 0
	}
	return (a - n*p) / sd
}

// setPenalties sets what a combination must add to the log-likelihood to enter the
// answer: log(K/alpha) for K combinations of its size weighed. The largest of K
// log-likelihood ratios of combinations that do not stand out exceeds it with a chance
// of about alpha (half a chi-square's tail, summed over K), so in a window where
// nothing happened the answer is empty but for that chance; and a combination of three
// needs more evidence than one of one, as there are many more of them to choose from,
// which is what keeps the answer from naming a narrower combination than the data
// supports.
func (s *search) setPenalties() {
	var count [4]int
	windowLeaves := 0
	for l := range s.leaves {
		if s.a[l] > 0 {
			windowLeaves++
		}
	}
	for _, cb := range s.cuboids {
		layer := len(cb.dims)
		if layer < 3 {
			count[layer] += len(cb.live)
			continue
		}
		// The threes are weighed only below promising pairs, but the test is for the
		// best of all of them: count every three the window can hold.
		cells := 1
		for _, d := range cb.dims {
			cells *= s.card[d]
			if cells > windowLeaves {
				break
			}
		}
		count[3] += min(cells, windowLeaves)
	}
	for k := 1; k <= 3; k++ {
		s.penalty[k] = math.Log(float64(max(count[k], 1)) / s.opts.Alpha)
	}
	for _, cb := range s.cuboids {
		s.weighed += len(cb.live)
	}
}

// gain is the log-likelihood a combination adds to the model, estimated from its sums:
// the binomial likelihood ratio of a tickets out of n in the window against the model's
// mu (only rises count).
func gain(a, n, mu float64) float64 {
	if a <= mu || mu <= 0 {
		return 0
	}
	g := a * math.Log(a/mu)
	if n > a && n > mu {
		g += (n - a) * math.Log((n-a)/(n-mu))
	}
	return g
}

// correct sets, for every combination, how far the model's expectation of its window
// tickets lies from the global level's: the model's expectation for a combination is
// then pOut*n + corr, found without a pass over every leaf. Only the leaves some cause
// holds differ from the global level.
func (s *search) correct() {
	for _, cb := range s.cuboids {
		for _, sl := range cb.touched {
			cb.corr[sl] = 0
		}
		cb.touched = cb.touched[:0]
	}
	m := &s.m
	pOut := m.pOut()
	for i, l := range m.union {
		d := s.n[l] * (m.p[i] - pOut)
		if d == 0 {
			continue
		}
		codes := s.codesOf(l)
		for _, cb := range s.cuboids {
			sl := cb.slot(cb.key(codes))
			if sl < 0 {
				continue
			}
			if cb.corr[sl] == 0 {
				cb.touched = append(cb.touched, sl)
			}
			cb.corr[sl] += d
		}
	}
}

// candidate is a combination the search weighs next.
type candidate struct {
	cb    *cuboid
	slot  int32
	score float64
	// noise is what the candidate's log-likelihood gain is divided by: 1 for Poisson
	// counts, more for overdispersed ones (see noise).
	noise float64
}

// tried names a combination the search has already put in the model or turned down.
type tried struct {
	cb   *cuboid
	slot int32
}

// nesting is a cause that the combinations of a cuboid may lie inside: its dimensions
// are some of the cuboid's, at positions at.
type nesting struct {
	c  *cause
	at []int
	// codes are the cause's values; a, n and share its window tickets, all tickets and
	// the model's share of them in the window.
	codes    []uint32
	a, n, sh float64
}

// nestings lists, per cuboid, the causes its combinations may split.
func (s *search) nestings() map[*cuboid][]nesting {
	out := map[*cuboid][]nesting{}
	pOut := s.m.pOut()
	for _, c := range s.m.causes {
		codes := c.cb.codes(c.key, s.card)
		a, n := c.cb.a[c.slot], c.cb.n[c.slot]
		sh := (pOut*n + c.cb.corr[c.slot]) / n
		for _, cb := range s.cuboids {
			if cb == c.cb || len(cb.dims) <= len(c.cb.dims) {
				continue
			}
			at := make([]int, 0, len(c.cb.dims))
			for _, d := range c.cb.dims {
				for i, e := range cb.dims {
					if e == d {
						at = append(at, i)
					}
				}
			}
			if len(at) == len(c.cb.dims) {
				out[cb] = append(out[cb], nesting{c: c, at: at, codes: codes, a: a, n: n, sh: sh})
			}
		}
	}
	return out
}

// inside reports whether the combination of key lies inside the nesting's cause.
func (cb *cuboid) inside(key uint64, ns *nesting, card []int) bool {
	for j, i := range ns.at {
		if uint32(key/cb.radix[i]%uint64(card[cb.dims[i]])) != ns.codes[j] {
			return false
		}
	}
	return true
}

// best returns the combination whose gain exceeds its penalty by the most, if any does.
//
// A combination's gain is the log-likelihood it adds to the model as the model stands,
// which misses one case: a narrower combination inside a cause already in the model
// (the cause is service = checkout; the combination, service = checkout ∧ region =
// us-east-1) explains little more of its own tickets, as the cause's factor already
// covers them; what it explains is that the rest of the cause did not rise. For such a
// combination the gain is that of splitting the cause in two: the combination at its own
// share of tickets in the window, the rest of the cause at its own.
func (s *search) best(skip map[tried]bool) (candidate, bool) {
	pOut := s.m.pOut()
	nested := s.nestings()
	var top candidate
	found := false
	for _, cb := range s.cuboids {
		pen := s.penalty[len(cb.dims)]
		ns := nested[cb]
		for _, sl := range cb.live {
			a, n := cb.a[sl], cb.n[sl]
			mu := pOut*n + cb.corr[sl]
			g := 0.0
			if a > mu && a*math.Log(a/mu) > pen {
				// (The gain's second term is negative for a rise: its first bounds it.)
				g = gain(a, n, mu)
			}
			if len(ns) > 0 {
				key := cb.keyOf(sl)
				for i := range ns {
					x := &ns[i]
					if !cb.inside(key, x, s.card) {
						continue
					}
					ra, rn := x.a-a, x.n-n
					if a/n <= x.sh || (rn > 0 && a/n <= ra/rn) {
						continue
					}
					g = max(g, deviance(a, n, n*x.sh)+deviance(ra, rn, rn*x.sh))
				}
			}
			if g <= pen {
				continue
			}
			noise := s.phi
			sc := g/noise - pen
			if sc <= 0 || (found && sc <= top.score) {
				continue
			}
			if skip[tried{cb, sl}] {
				continue
			}
			top, found = candidate{cb: cb, slot: sl, score: sc, noise: noise}, true
		}
	}
	return top, found
}

// deviance is the binomial log-likelihood ratio of a out of n at their own share against
// the share mu/n, in either direction.
func deviance(a, n, mu float64) float64 {
	if n <= 0 || mu <= 0 || mu >= n {
		return 0
	}
	d := 0.0
	if a > 0 {
		d += a * math.Log(a/mu)
	}
	if n > a {
		d += (n - a) * math.Log((n-a)/(n-mu))
	}
	return max(d, 0)
}

func (s *search) newCause(c candidate) *cause {
	key := c.cb.keyOf(c.slot)
	cs := &cause{cb: c.cb, key: key, slot: c.slot, noise: c.noise}
	for l := range int32(s.leaves) {
		if c.cb.holds(key, s.codesOf(l)) {
			cs.leaves = append(cs.leaves, l)
		}
	}
	return cs
}

func (s *search) run() *Result {
	res := &Result{}
	for l := range s.leaves {
		res.Now += s.c.Now[l]
		res.Expected += float64(s.c.Before[l]) * s.c.Scale
	}
	res.Rise = float64(res.Now) - res.Expected
	res.RiseScore = z(s.totalA, s.totalN, s.p0)
	if s.leaves == 0 || s.totalA == 0 {
		res.Verdict = NoRise
		res.Level = 1
		return res
	}
	s.build()
	s.setPenalties()
	s.estimateNoise()
	res.Candidates = s.weighed
	res.Dispersion = s.phi
	m := &s.m
	m.rebuild()
	m.fit()
	ll := m.loglik()
	skip := map[tried]bool{}
	rejected := 0
	for len(m.causes) < s.opts.MaxCauses {
		s.correct()
		c, ok := s.best(skip)
		if !ok {
			break
		}
		skip[tried{c.cb, c.slot}] = true
		before := m.snapshot()
		cs := s.newCause(c)
		m.add(cs)
		gained := (m.loglik() - ll) / c.noise
		if gained <= s.penalty[len(c.cb.dims)] || cs.beta < math.Log(s.opts.MinRatio) {
			m.restore(before)
			if rejected++; rejected == maxRejected {
				break
			}
			continue
		}
		ll = m.loglik()
		ll = s.prune(ll, cs)
	}
	s.answer(res)
	return res
}

// prune drops the causes that the newest one made redundant: a cause whose removal
// costs the model less than its penalty. A broad combination found first (service =
// checkout) gives way to the narrower ones found after it that explain its rise
// (service = checkout ∧ region = us-east-1, and another region).
func (s *search) prune(ll float64, newest *cause) float64 {
	m := &s.m
	for {
		worst, worstMargin := -1, 0.0
		for i, c := range m.causes {
			if c == newest {
				continue
			}
			sn := m.snapshot()
			m.remove(i)
			margin := (ll-m.loglik())/c.noise - s.penalty[len(c.cb.dims)]
			m.restore(sn)
			if margin < worstMargin {
				worst, worstMargin = i, margin
			}
		}
		if worst < 0 {
			m.fit()
			return ll
		}
		m.remove(worst)
		ll = m.loglik()
	}
}

func (s *search) answer(res *Result) {
	m := &s.m
	m.fit()
	ll := m.loglik()
	res.Level = math.Exp(m.beta0)
	scores := make([]float64, len(m.causes))
	for i, c := range m.causes {
		sn := m.snapshot()
		m.remove(i)
		scores[i] = math.Sqrt(2 * max(ll-m.loglik(), 0) / c.noise)
		m.restore(sn)
	}
	m.fit()
	for i, c := range m.causes {
		codes := c.cb.codes(c.key, s.card)
		cause := Cause{Terms: s.c.terms(c.cb.dims, codes), Score: scores[i]}
		for _, l := range c.leaves {
			cause.Now += s.c.Now[l]
			cause.Before += s.c.Before[l]
		}
		cause.Expected = float64(cause.Before) * s.c.Scale
		cause.Ratio = (float64(cause.Now) + 1) / (cause.Expected + 1)
		cause.Excess = m.excess(c)
		if res.Rise > 0 {
			cause.Share = clamp(cause.Excess/res.Rise, 0, 1)
		}
		res.Explained += cause.Share
		res.Causes = append(res.Causes, cause)
	}
	res.Explained = min(res.Explained, 1)
	sortCauses(res.Causes)
	switch {
	case len(res.Causes) > 0:
		res.Verdict = Localized
	case res.RiseScore >= riseZ && res.Rise > 0:
		res.Verdict = Spread
	default:
		res.Verdict = NoRise
	}
}

// maxRejected is how many combinations the search turns down, after refitting them,
// before it stops looking: each costs a fit.
const maxRejected = 32

// riseZ is how many standard deviations above its expectation the window's total must
// lie to count as a rise.
const riseZ = 3
