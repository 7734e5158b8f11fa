package localize

import (
	"cmp"
	"context"
	"math"
	"slices"
)

type search struct {
	// ctx ends the search early: each step looks at it and, once it is done, the search
	// stops with what it has, which Localize discards.
	ctx context.Context
	// workers is how many goroutines sum the leaves into cuboids (see each).
	workers int
	c       *Cube
	opts    Options
	dims    int
	card    []int
	// leaves is the number of leaves; a, b and n are each leaf's window, baseline and
	// total tickets.
	leaves  int
	a, b, n []float64
	// cols holds the leaves' codes by dimension: cols[d][l] is leaf l's value of d.
	cols   [][]uint32
	totalA float64
	totalN float64
	// p0 is the share of a leaf's tickets that falls in the window at the usual rate.
	p0 float64
	// cuboids holds every group of up to MaxDims dimensions; byDims finds a group's,
	// and pairs lists the groups of two.
	cuboids []*cuboid
	byDims  map[[3]int]*cuboid
	pairs   []*cuboid
	// penalty is, per number of dimensions, the log-likelihood a combination of that
	// many must add to the model to enter it.
	penalty [4]float64
	// weighed counts the combinations the search weighs.
	weighed int
	// phi measures the noise (see noise.go).
	phi float64
	m   model
	// profiles are the groups' tickets per combination, kept from one correct to the
	// next.
	profiles []*profile
	// found keeps the causes made, by combination, and foundLeaves counts their leaves
	// (see newCause).
	found       map[tried]*cause
	foundLeaves int
}

func newSearch(ctx context.Context, c *Cube, opts Options) *search {
	s := &search{ctx: ctx, c: c, opts: opts, dims: len(c.Dims), leaves: len(c.Now), workers: workers()}
	if opts.workers > 0 {
		s.workers = opts.workers
	}
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
	s.cols = make([][]uint32, s.dims)
	for d := range s.cols {
		col := make([]uint32, s.leaves)
		for l := range col {
			col[l] = c.Codes[l*s.dims+d]
		}
		s.cols[d] = col
	}
	s.p0 = c.Scale / (1 + c.Scale)
	s.m.s = s
	return s
}

func (s *search) codesOf(l int32) []uint32 {
	return s.c.Codes[int(l)*s.dims : (int(l)+1)*s.dims]
}

// buildLow makes the cuboids of one and two dimensions and sums every leaf into them.
func (s *search) buildLow() {
	s.byDims = map[[3]int]*cuboid{}
	for i := range s.dims {
		s.addCuboid([]int{i})
	}
	if s.opts.MaxDims >= 2 {
		for i := range s.dims {
			for j := i + 1; j < s.dims; j++ {
				s.pairs = append(s.pairs, s.addCuboid([]int{i, j}))
			}
		}
	}
	// One cuboid at a time, so that its sums stay in the cache while the leaves pass.
	keys := make([][]uint64, s.workers)
	s.each(len(s.cuboids), func(i, w int) {
		if keys[w] == nil {
			keys[w] = make([]uint64, s.leaves)
		}
		cb := s.cuboids[i]
		ks := cb.keysOf(s.cols, keys[w])
		if cb.dense {
			sum := cb.sum
			for l, k := range ks {
				x := &sum[k]
				x.a += s.a[l]
				x.n += s.n[l]
			}
			return
		}
		for l, k := range ks {
			cb.add(k, s.a[l], s.n[l])
		}
	})
}

func (s *search) addCuboid(dims []int) *cuboid {
	cb := newCuboid(dims, s.card, len(dims) < 3)
	k := [3]int{-1, -1, -1}
	copy(k[:], dims)
	s.byDims[k] = cb
	s.cuboids = append(s.cuboids, cb)
	return cb
}

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
// supports. It runs before the threes are built: their K is every three the window's
// leaves can make.
func (s *search) setPenalties() {
	var count [4]int
	windowLeaves := 0
	for l := range s.leaves {
		if s.a[l] > 0 {
			windowLeaves++
		}
	}
	for _, cb := range s.cuboids {
		for _, x := range cb.sum {
			if x.a > 0 {
				count[len(cb.dims)]++
			}
		}
	}
	if s.opts.MaxDims >= 3 {
		for i := range s.dims {
			for j := i + 1; j < s.dims; j++ {
				for k := j + 1; k < s.dims; k++ {
					cells := s.card[i] * s.card[j]
					if cells < windowLeaves {
						cells *= s.card[k]
					}
					count[3] += min(cells, windowLeaves)
				}
			}
		}
	}
	for k := 1; k <= 3; k++ {
		s.penalty[k] = math.Log(float64(max(count[k], 1)) / s.opts.Alpha)
		// In a window of few tickets there can be fewer pairs present than single
		// values (each value in one pair), but a narrower combination must still pay
		// more than a broader one that holds the same tickets: at least twice as much
		// evidence (log 2) per dimension more.
		if k > 1 {
			s.penalty[k] = max(s.penalty[k], s.penalty[k-1]+math.Ln2)
		}
	}
}

// minWindow is the fewest window tickets a combination of k dimensions needs to enter
// the answer. A combination's gain is at most a*log(a/mu) <= a*log(1/p), p being the
// least share of tickets in the window the model gives any leaf, which is the global
// level's while causes are sought: below pen/log(1/p) tickets, no combination can earn
// its penalty.
func (s *search) minWindow(k int, level float64) float64 {
	if !(level > 0 && level < 1) {
		return 1
	}
	return max(1, math.Ceil(s.penalty[k]/math.Log(1/level)))
}

// minClumps is the fewest clumps of tickets a cause holds in the window (its tickets
// over the measured dispersion, the mean size of a clump as noise.go has it): a
// combination that usually has no tickets and now has one burst of them from one alarm
// is not an incident, however unlikely the burst is under a count of independent
// tickets, and phi, a mean over every clump, underrates the largest.
const minClumps = 7.0

// trim keeps in each cuboid's live list the combinations that can enter the answer.
func (s *search) trim(level float64) {
	for _, cb := range s.cuboids {
		minA := max(s.minWindow(len(cb.dims), level), minClumps*s.phi)
		cb.minA = minA
		for sl, x := range cb.sum {
			if x.a >= minA {
				cb.live = append(cb.live, int32(sl))
			}
		}
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

// correct sets, for every combination the search weighs, how far the model's
// expectation of its window tickets lies from the global level's: the model's
// expectation for a combination is then pOut*n + corr, found without a pass over every
// leaf. Only the leaves some cause holds differ from the global level, and the leaves
// of one group (held by the same causes) share one share, so corr is, over the groups,
// the group's share less pOut times the group's tickets in the combination: those
// tickets are summed once per group (profileOf) and kept while the group's leaves stay
// the same, as a broad cause's do while narrower ones are added beside it.
func (s *search) correct() {
	for _, cb := range s.cuboids {
		for _, sl := range cb.touched {
			cb.sum[sl].corr = 0
		}
		cb.touched = cb.touched[:0]
	}
	m := &s.m
	pOut := m.pOut()
	size := make([]int, len(m.groups))
	for _, g := range m.group {
		size[g]++
	}
	byGroup := make([][]int32, len(m.groups))
	for g, n := range size {
		byGroup[g] = make([]int32, 0, n)
	}
	for i, l := range m.union {
		g := m.group[i]
		byGroup[g] = append(byGroup[g], l)
	}
	kept := s.profiles[:0:0]
	room := s.profileBudget()
	for g, leaves := range byGroup {
		d := m.groups[g].p - pOut
		pr := s.keptProfile(leaves)
		if pr == nil {
			// A group that is all of one cause's leaves (a cause that shares none).
			var whole *cause
			if gr := &m.groups[g]; len(gr.causes) == 1 && len(m.causes[gr.causes[0]].leaves) == len(leaves) {
				whole = m.causes[gr.causes[0]]
			}
			if s.profileBound(leaves) > room {
				// Too big to keep: its corrections go straight to the combinations.
				if d != 0 {
					s.profileOf(leaves, whole, d)
				}
				continue
			}
			pr = s.profileOf(leaves, whole, 0)
		}
		kept = append(kept, pr)
		room -= len(pr.cells)
		if d == 0 {
			continue
		}
		for _, x := range pr.cells {
			s.cuboids[x.cuboid].correct(x.slot, d*x.n)
		}
	}
	s.profiles = kept
}

// correct adds to a combination's correction.
func (cb *cuboid) correct(sl int32, c float64) {
	sum := &cb.sum[sl]
	if sum.corr == 0 {
		cb.touched = append(cb.touched, sl)
	}
	sum.corr += c
}

// maxProfileEntries bounds the entries of the profiles a search keeps (16 bytes each):
// a group's profile has at most an entry per combination weighed and per leaf of each
// cuboid, which on hostile cubes (many dimensions, millions of leaves in causes that
// overlap) would pass any memory; past it, a group's corrections are made afresh each
// time.
const maxProfileEntries = 1 << 21

func (s *search) profileBudget() int {
	if s.opts.profileBudget > 0 {
		return s.opts.profileBudget
	}
	return maxProfileEntries
}

// profileBound is the most entries a group's profile can have: per cuboid, no more than
// its leaves nor than the combinations weighed.
func (s *search) profileBound(leaves []int32) int {
	n := 0
	for _, cb := range s.cuboids {
		n += min(len(leaves), len(cb.live))
	}
	return n
}

// keptProfile returns the profile kept for a group of the same leaves, or nil.
func (s *search) keptProfile(leaves []int32) *profile {
	for _, pr := range s.profiles {
		if slices.Equal(pr.leaves, leaves) {
			return pr
		}
	}
	return nil
}

// profile is a group's tickets of both periods per combination the search weighs.
type profile struct {
	leaves []int32
	cells  []profileCell
}

type profileCell struct {
	cuboid, slot int32
	n            float64
}

// profileOf returns the profile of a group of leaves. When the group is all of cause c's
// leaves, a cuboid that has every dimension of c holds them in its combinations of c's
// values, whole: their profile is those combinations' own tickets, found without a pass
// over the leaves. With a share d other than 0 it keeps nothing: it adds d times each
// entry to the combinations' corrections as it goes (each cuboid's by the worker that
// sums it), and returns nil.
func (s *search) profileOf(leaves []int32, c *cause, d float64) *profile {
	pr := &profile{leaves: leaves}
	// The group's leaves' codes and tickets side by side, then one cuboid at a time.
	cols := make([][]uint32, s.dims)
	for d := range cols {
		col := make([]uint32, len(leaves))
		for i, l := range leaves {
			col[i] = s.cols[d][l]
		}
		cols[d] = col
	}
	n := make([]float64, len(leaves))
	for i, l := range leaves {
		n[i] = s.n[l]
	}
	type scratch struct {
		keys []uint64
		sums []float64
	}
	work := make([]scratch, s.workers)
	cells := make([][]profileCell, len(s.cuboids))
	s.each(len(s.cuboids), func(ci, w int) {
		cb := s.cuboids[ci]
		if len(cb.live) == 0 {
			return
		}
		if at := c.within(cb); at != nil {
			var out []profileCell
			for _, sl := range cb.live {
				if cb.inside(cb.keyOf(sl), at, c.codes, s.card) {
					out = append(out, profileCell{cuboid: int32(ci), slot: sl, n: cb.sum[sl].n})
				}
			}
			cells[ci] = s.keepOrCorrect(cb, out, d)
			return
		}
		sc := &work[w]
		if sc.keys == nil {
			sc.keys = make([]uint64, len(leaves))
		}
		if len(sc.sums) < len(cb.sum) {
			sc.sums = make([]float64, len(cb.sum))
		}
		// The leaves' tickets summed per combination, in the order the leaves reach them.
		var out []profileCell
		for i, k := range cb.keysOf(cols, sc.keys) {
			if n[i] == 0 {
				continue
			}
			sl := cb.slot(k)
			if sl < 0 || cb.sum[sl].a < cb.minA {
				continue
			}
			if sc.sums[sl] == 0 {
				out = append(out, profileCell{cuboid: int32(ci), slot: sl})
			}
			sc.sums[sl] += n[i]
		}
		for i := range out {
			x := &out[i]
			x.n, sc.sums[x.slot] = sc.sums[x.slot], 0
		}
		cells[ci] = s.keepOrCorrect(cb, out, d)
	})
	if d != 0 {
		return nil
	}
	for _, c := range cells {
		pr.cells = append(pr.cells, c...)
	}
	return pr
}

// keepOrCorrect returns a cuboid's entries of a profile to keep, or, with a share d
// other than 0, adds d times them to the corrections and keeps nothing.
func (s *search) keepOrCorrect(cb *cuboid, out []profileCell, d float64) []profileCell {
	if d == 0 {
		return out
	}
	for _, x := range out {
		cb.correct(x.slot, d*x.n)
	}
	return nil
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
		x := c.cb.sum[c.slot]
		a, n := x.a, x.n
		sh := (pOut*n + x.corr) / n
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

// inside reports whether the combination of key lies inside a combination of the
// given values of the cuboid's dimensions at positions at.
func (cb *cuboid) inside(key uint64, at []int, codes []uint32, card []int) bool {
	for j, i := range at {
		if uint32(key/cb.radix(i)%uint64(card[cb.dims[i]])) != codes[j] {
			return false
		}
	}
	return true
}

// within returns, when cb has every dimension of the cause (c may be nil), their
// positions in cb; else nil.
func (c *cause) within(cb *cuboid) []int {
	if c == nil || len(cb.dims) < len(c.cb.dims) {
		return nil
	}
	at := make([]int, 0, len(c.cb.dims))
	for _, d := range c.cb.dims {
		for i, e := range cb.dims {
			if e == d {
				at = append(at, i)
			}
		}
	}
	if len(at) < len(c.cb.dims) {
		return nil
	}
	return at
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
			x := &cb.sum[sl]
			a, n := x.a, x.n
			mu := pOut*n + x.corr
			g := 0.0
			if a > mu && a*math.Log(a/mu) > pen {
				// (The gain's second term is negative for a rise: its first bounds it.)
				g = gain(a, n, mu)
			}
			if len(ns) > 0 {
				key := cb.keyOf(sl)
				for i := range ns {
					x := &ns[i]
					if !cb.inside(key, x.at, x.codes, s.card) {
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

// newCause makes a cause of a candidate, with its leaves, which are found once per
// combination (the search weighs the same combination again as it specializes and
// generalizes) and never changed.
func (s *search) newCause(c candidate) *cause {
	if s.found == nil {
		s.found = map[tried]*cause{}
	}
	if f := s.found[tried{c.cb, c.slot}]; f != nil {
		return &cause{cb: f.cb, key: f.key, slot: f.slot, noise: c.noise, codes: f.codes, leaves: f.leaves, a: f.a, n: f.n}
	}
	key := c.cb.keyOf(c.slot)
	cs := &cause{cb: c.cb, key: key, slot: c.slot, noise: c.noise}
	codes := c.cb.codes(key, s.card)
	cs.codes = codes
	// The columns to compare, the one of most values first: most leaves fail there.
	at := make([]int, len(codes))
	for i := range at {
		at[i] = i
	}
	slices.SortStableFunc(at, func(x, y int) int { return cmp.Compare(s.card[c.cb.dims[y]], s.card[c.cb.dims[x]]) })
	c0, v0 := s.cols[c.cb.dims[at[0]]], codes[at[0]]
	// Room for the leaves of the first value, which hold the combination's.
	count := 0
	for _, v := range c0 {
		if v == v0 {
			count++
		}
	}
	cs.leaves = make([]int32, 0, count)
	switch len(codes) {
	case 1:
		for l, v := range c0 {
			if v == v0 {
				cs.leaves = append(cs.leaves, int32(l))
			}
		}
	case 2:
		c1, v1 := s.cols[c.cb.dims[at[1]]][:len(c0)], codes[at[1]]
		for l, v := range c0 {
			if v == v0 && c1[l] == v1 {
				cs.leaves = append(cs.leaves, int32(l))
			}
		}
	default:
		c1, v1 := s.cols[c.cb.dims[at[1]]][:len(c0)], codes[at[1]]
		c2, v2 := s.cols[c.cb.dims[at[2]]][:len(c0)], codes[at[2]]
		for l, v := range c0 {
			if v == v0 && c1[l] == v1 && c2[l] == v2 {
				cs.leaves = append(cs.leaves, int32(l))
			}
		}
	}
	for _, l := range cs.leaves {
		cs.a += s.a[l]
		cs.n += s.n[l]
	}
	// Kept while they hold, together, at most four times the cube's leaves (as much
	// memory as the leaves' own sums), whatever the candidates a hostile cube makes.
	if s.foundLeaves+len(cs.leaves) <= 4*s.leaves {
		s.found[tried{c.cb, c.slot}] = cs
		s.foundLeaves += len(cs.leaves)
	}
	return &cause{cb: cs.cb, key: cs.key, slot: cs.slot, noise: c.noise, codes: cs.codes, leaves: cs.leaves, a: cs.a, n: cs.n}
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
	s.buildLow()
	if s.ctx.Err() != nil {
		return res
	}
	s.setPenalties()
	level := s.robustLevel()
	// The noise is measured on the values alone, before the threes are built: a three
	// needs as many window tickets as trim will ask of it, which prunes them.
	s.estimateNoise()
	if !s.buildTriples(max(s.minWindow(3, level), minClumps*s.phi)) {
		res.TriplesSkipped = true
	}
	s.trim(level)
	res.Candidates = s.weighed
	res.Dispersion = s.phi
	m := &s.m
	m.rebuild()
	// While causes are sought, the global level stays at what most values show (see
	// robustLevel): fitted, it would take in the causes' tickets before they are found,
	// and in a window where causes hold most tickets no cause would stand out from it.
	if level > 0 && level < 1 {
		m.beta0 = logit(level) - m.base()
		m.fixed = true
	}
	m.fit()
	s.grow(map[tried]bool{}, true, maxRejected)
	s.specialize()
	// Then the level is fitted with the causes, and each cause must still earn its
	// place.
	m.fixed = false
	m.fit()
	s.prune(m.loglik(), nil)
	if s.generalize() {
		s.prune(m.loglik(), nil)
	}
	s.answer(res)
	return res
}

// grow adds causes to the model, the best candidate first, while they earn their
// penalty; skip holds the combinations not to try, and it stops after patience
// candidates turned down. With relevel, it lowers the level to
// what the values outside the causes show when no candidate is left (see levelOutside).
func (s *search) grow(skip map[tried]bool, relevel bool, patience int) {
	m := &s.m
	ll := m.loglik()
	rejected := 0
	relevels := 0
	// fresh says the corrections still match the model: a candidate turned down leaves
	// the model as it was.
	fresh := false
	for len(m.causes) < s.opts.MaxCauses && rejected < patience && s.ctx.Err() == nil {
		if !fresh {
			s.correct()
			fresh = true
		}
		c, ok := s.best(skip)
		if !ok {
			// Causes in several dimensions lift every dimension's median: once some
			// are found, the level that the values outside them show may be lower,
			// and the smaller causes stand out from it.
			if !relevel || relevels == maxRelevels || !m.fixed || len(m.causes) == 0 {
				break
			}
			relevels++
			lower := s.levelOutside()
			if !(lower > 0 && lower < sigmoid(m.base()+m.beta0)*(1-relevelStep)) {
				break
			}
			m.beta0 = logit(lower) - m.base()
			m.refresh()
			m.fit()
			ll = s.prune(m.loglik(), nil)
			rejected = 0
			fresh = false
			clear(skip)
			for _, c := range m.causes {
				skip[tried{c.cb, c.slot}] = true
			}
			continue
		}
		skip[tried{c.cb, c.slot}] = true
		before := m.snapshot()
		cs := s.newCause(c)
		m.add(cs)
		gained := (m.loglik() - ll) / c.noise
		if gained <= s.penalty[len(c.cb.dims)] || 1+cs.delta < s.opts.MinRatio {
			m.restore(before)
			rejected++
			continue
		}
		ll = s.prune(m.loglik(), cs)
		fresh = false
	}
}

// specialize tries, for each cause of fewer dimensions than the most, the answer
// without it, in which the search looks again with that combination excluded, and keeps
// it when it is more likely for its penalties. Two incidents that share a pair of values
// (checkout in us-east-1, on two of its hosts) make that pair the best single candidate,
// which the greedy search takes first and the two narrower combinations then cannot
// improve on one at a time.
func (s *search) specialize() {
	m := &s.m
	budget := 2 * s.opts.MaxCauses
	for i := 0; i < len(m.causes) && budget > 0 && s.ctx.Err() == nil; i++ {
		c := m.causes[i]
		if len(c.cb.dims) >= s.opts.MaxDims {
			continue
		}
		budget--
		before := m.snapshot()
		was := s.objective()
		m.remove(i)
		skip := map[tried]bool{{c.cb, c.slot}: true}
		for _, o := range m.causes {
			skip[tried{o.cb, o.slot}] = true
		}
		s.grow(skip, false, specializePatience)
		if s.objective() > was {
			i-- // another cause is at i now
			continue
		}
		m.restore(before)
	}
}

// objective is what the search maximizes: the model's log-likelihood over the noise,
// less the causes' penalties.
func (s *search) objective() float64 {
	o := s.m.loglik() / s.phi
	for _, c := range s.m.causes {
		o -= s.penalty[len(c.cb.dims)]
	}
	return o
}

// prune drops the causes that no longer earn their place: whose removal costs the model
// less than their penalty, or whose rate ratio fell below the least. A broad combination
// found first (service = checkout) gives way to the narrower ones found after it that
// explain its rise (service = checkout ∧ region = us-east-1, and another region). The
// newest cause, just admitted, is kept.
func (s *search) prune(ll float64, newest *cause) float64 {
	m := &s.m
	for {
		worst, worstMargin := -1, 0.0
		for i, c := range m.causes {
			if c == newest {
				continue
			}
			if 1+c.delta < s.opts.MinRatio {
				worst, worstMargin = i, math.Inf(-1)
				break
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

// maxRelevels bounds how often the search lowers the level to what the values outside
// its causes show, and relevelStep is the least relative drop of the window's share that
// is worth another round.
const (
	maxRelevels = 3
	relevelStep = 0.02
)

// levelOutside is robustLevel over the leaves that no cause holds.
func (s *search) levelOutside() float64 {
	m := &s.m
	held := make([]bool, s.leaves)
	for _, l := range m.union {
		held[l] = true
	}
	level := math.Inf(1)
	for d := range s.dims {
		sum := make([]sums, s.card[d])
		for l := range int32(s.leaves) {
			if held[l] {
				continue
			}
			x := &sum[s.cols[d][l]]
			x.a += s.a[l]
			x.n += s.n[l]
		}
		if md := weightedMedianShare(sum); md > 0 {
			level = min(level, md)
		}
	}
	if math.IsInf(level, 1) {
		return 0
	}
	return level
}

// generalize replaces a cause by a broader combination, one of fewer of its dimensions,
// when the model with the broader one, each paying its penalty, is at least as likely.
// The greedy search takes the combination of largest gain first, and on a few tickets a
// narrower combination that holds most of an incident's tickets (the incident's service
// and the on-call group that almost always comes with it) can gain more by chance than
// the incident's own combination, which pays a smaller penalty. It reports whether it
// changed a cause.
func (s *search) generalize() bool {
	m := &s.m
	changed := false
	for i := 0; i < len(m.causes); i++ {
		c := m.causes[i]
		if len(c.cb.dims) < 2 {
			continue
		}
		ll := m.loglik()
		codes := c.cb.codes(c.key, s.card)
		full := make([]uint32, s.dims)
		for x, d := range c.cb.dims {
			full[d] = codes[x]
		}
		var best *cause
		bestMargin := 0.0
		for drop := range c.cb.dims {
			k := [3]int{-1, -1, -1}
			j := 0
			for x, d := range c.cb.dims {
				if x != drop {
					k[j] = d
					j++
				}
			}
			pcb := s.byDims[k]
			if pcb == nil {
				continue
			}
			key := pcb.key(full)
			sl := pcb.slot(key)
			if sl < 0 || s.inModel(pcb, key) {
				continue
			}
			pc := s.newCause(candidate{cb: pcb, slot: sl, noise: c.noise})
			sn := m.snapshot()
			m.causes[i] = pc
			m.rebuild()
			m.fit()
			margin := (m.loglik()-ll)/c.noise + s.penalty[len(c.cb.dims)] - s.penalty[len(pcb.dims)]
			ok := 1+pc.delta >= s.opts.MinRatio
			m.restore(sn)
			if ok && margin > bestMargin {
				best, bestMargin = pc, margin
			}
		}
		if best != nil {
			m.causes[i] = best
			best.delta = 0
			m.rebuild()
			m.fit()
			changed = true
			i-- // and perhaps broader still
		}
	}
	return changed
}

// inModel reports whether the combination of key in cb is a cause already.
func (s *search) inModel(cb *cuboid, key uint64) bool {
	for _, c := range s.m.causes {
		if c.cb == cb && c.key == key {
			return true
		}
	}
	return false
}

// robustLevel is the window's share of tickets that most values show: per dimension,
// the median share of its values, each weighing its baseline tickets (its usual size,
// which the window's causes do not inflate), and the least of those over the
// dimensions. A cause that is a value of one dimension lifts every value of the others
// alike, and their medians with them; in its own dimension the median stays with the
// values that did not rise.
func (s *search) robustLevel() float64 {
	level := math.Inf(1)
	for d := range s.dims {
		cb := s.byDims[[3]int{d, -1, -1}]
		if m := weightedMedianShare(cb.sum); m > 0 {
			level = min(level, m)
		}
	}
	if math.IsInf(level, 1) {
		return 0
	}
	return level
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

// specializePatience is maxRejected for the searches of specialize, which look for
// the narrower combinations that stand out at once.
const specializePatience = 4

// maxRejected is how many combinations the search turns down, after fitting them,
// before it stops looking: each costs a fit.
const maxRejected = 32

// riseZ is how many standard deviations above its expectation the window's total must
// lie to count as a rise.
const riseZ = 3
