package localize

import (
	"math"
	"slices"
)

// The model says, for every leaf, what share of its tickets (window and baseline
// together) falls in the window. At the usual rate that share is p0 = Scale/(1+Scale).
// The model moves a leaf's rate by a global level (the time of day, an even rise) and
// adds, for each cause that holds the leaf, delta times its usual rate:
//
//	logit p = logit p0 + beta0 + log(1 + sum of the deltas of the causes that hold it)
//
// so that a cause that alone holds a leaf makes its rate 1+delta times the level's (on
// the log-odds scale, a rate r times its usual adds log r). Two causes that share leaves
// add their tickets there, as two incidents do, rather than multiply them. Conditioning
// on each leaf's total (window plus baseline) makes the baseline's own noise part of the
// test: a window as long as its baseline is compared with a noisy expectation, and the
// binomial knows it where a Poisson with the baseline as its mean would not. The
// likelihood is maximized by Newton steps, one parameter at a time, each cause's on
// theta = log(1+delta), which is exactly a logistic regression's where causes do not
// overlap.

type cause struct {
	cb   *cuboid
	key  uint64
	slot int32
	// codes are the combination's values (of cb's dimensions); leaves are the leaves
	// the cause holds, a and n their window and total tickets, and groups the model's
	// groups of them.
	codes  []uint32
	leaves []int32
	a, n   float64
	groups []int32
	delta  float64
	// noise divides the log-likelihood the cause adds (see search.noise).
	noise float64
}

type model struct {
	s      *search
	causes []*cause
	// union lists the leaves some cause holds, and group[i] the group of union[i]. The
	// leaves that the same causes hold share one share of their tickets in the window,
	// so the model fits groups, of which there are a handful, not leaves.
	union  []int32
	group  []int32
	groups []group
	beta0  float64
	// fixed keeps beta0 where it is while fitting (see search.run).
	fixed bool
	// aOut and nOut total the window's and both periods' tickets of the other leaves.
	aOut, nOut float64
	// mask is scratch: per leaf, the causes that hold it, as bits.
	mask []uint64
}

// group is the leaves that the same causes hold.
type group struct {
	causes []int
	a, n   float64
	// u is 1 plus the causes' deltas, and p the group's share.
	u, p float64
}

// maxModelCauses bounds the causes of a model (they are bits of a mask).
const maxModelCauses = 64

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// logSigmoid is log(sigmoid(x)), accurate at both ends.
func logSigmoid(x float64) float64 {
	if x >= 0 {
		return -math.Log1p(math.Exp(-x))
	}
	return x - math.Log1p(math.Exp(x))
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// base is logit p0.
func (m *model) base() float64 { return logit(m.s.p0) }

// pOut is the share of the leaves no cause holds.
func (m *model) pOut() float64 { return sigmoid(m.base() + m.beta0) }

// rebuild lays out the union of the causes' leaves, in groups, after a cause came or
// went.
func (m *model) rebuild() {
	if m.mask == nil {
		m.mask = make([]uint64, m.s.leaves)
	}
	m.union = m.union[:0]
	if m.disjoint() {
		m.rebuildDisjoint()
		return
	}
	m.rebuildAny()
}

// rebuildAny is rebuild for causes that may share leaves.
func (m *model) rebuildAny() {
	s := m.s
	for j, c := range m.causes {
		bit := uint64(1) << j
		for _, l := range c.leaves {
			if m.mask[l] == 0 {
				m.union = append(m.union, l)
			}
			m.mask[l] |= bit
		}
	}
	index := map[uint64]int32{}
	m.groups = m.groups[:0]
	m.group = m.group[:0]
	m.aOut, m.nOut = s.totalA, s.totalN
	// The union lists a cause's leaves together, so most leaves have the mask of the
	// leaf before: the map is asked only when it changes.
	lastMask, lastG := uint64(0), int32(-1)
	for _, l := range m.union {
		mask := m.mask[l]
		m.mask[l] = 0
		g, ok := lastG, mask == lastMask && lastG >= 0
		if !ok {
			g, ok = index[mask]
		}
		if !ok {
			g = int32(len(m.groups))
			index[mask] = g
			gr := group{u: 1}
			for j := range m.causes {
				if mask&(1<<j) != 0 {
					gr.causes = append(gr.causes, j)
				}
			}
			m.groups = append(m.groups, gr)
		}
		lastMask, lastG = mask, g
		m.group = append(m.group, g)
		m.groups[g].a += s.a[l]
		m.groups[g].n += s.n[l]
		m.aOut -= s.a[l]
		m.nOut -= s.n[l]
	}
	for _, c := range m.causes {
		c.groups = c.groups[:0]
	}
	for g := range m.groups {
		gr := &m.groups[g]
		for _, j := range gr.causes {
			gr.u += m.causes[j].delta
			m.causes[j].groups = append(m.causes[j].groups, int32(g))
		}
	}
	m.refresh()
}

// disjoint reports whether no two causes share a leaf: each pair differs in the value
// of a dimension they both have (service = checkout and service = search; or status =
// acknowledged and status = resolved ∧ region = eu-west-1), which is the usual answer.
func (m *model) disjoint() bool {
	for i, c := range m.causes {
		if len(c.leaves) == 0 {
			return false
		}
		for _, o := range m.causes[:i] {
			if !conflict(c, o) {
				return false
			}
		}
	}
	return true
}

// conflict reports whether two causes have different values of a dimension.
func conflict(c, o *cause) bool {
	for i, d := range c.cb.dims {
		for j, e := range o.cb.dims {
			if d == e && c.codes[i] != o.codes[j] {
				return true
			}
		}
	}
	return false
}

// rebuildDisjoint is rebuild for causes that share no leaf: each is a group of its own,
// whose tickets the cause has summed already. It lays out the union as rebuild would
// (the causes' leaves in turn), and as every count is a whole number the sums are
// exactly rebuild's.
func (m *model) rebuildDisjoint() {
	s := m.s
	m.groups = m.groups[:0]
	m.group = m.group[:0]
	m.aOut, m.nOut = s.totalA, s.totalN
	for j, c := range m.causes {
		m.union = append(m.union, c.leaves...)
		for range c.leaves {
			m.group = append(m.group, int32(j))
		}
		m.groups = append(m.groups, group{causes: []int{j}, a: c.a, n: c.n, u: 1 + c.delta})
		m.aOut -= c.a
		m.nOut -= c.n
		c.groups = append(c.groups[:0], int32(j))
	}
	m.refresh()
}

// refresh recomputes the groups' shares.
func (m *model) refresh() {
	b := m.base() + m.beta0
	for g := range m.groups {
		m.groups[g].p = sigmoid(b + math.Log(m.groups[g].u))
	}
}

// maxTheta bounds a cause's log rate ratio: a combination with no baseline at all has
// an infinite one, and e^12 (160 000 times) says as much.
const maxTheta = 12

// fit finds the parameters that maximize the likelihood, a Newton step per parameter in
// turn.
func (m *model) fit() {
	for range 500 {
		moved := 0.0
		if !m.fixed {
			// The global level, over every leaf.
			pOut := m.pOut()
			grad := m.aOut - m.nOut*pOut
			hess := m.nOut * pOut * (1 - pOut)
			for _, g := range m.groups {
				grad += g.a - g.n*g.p
				hess += g.n * g.p * (1 - g.p)
			}
			if hess > 0 {
				step := clamp(grad/hess, -4, 4)
				m.beta0 += step
				moved = max(moved, math.Abs(step))
				m.refresh()
			}
		}
		for _, c := range m.causes {
			// On theta = log(1+delta): d eta / d theta = (1+delta)/u.
			grad, hess := 0.0, 0.0
			for _, g := range c.groups {
				gr := &m.groups[g]
				w := (1 + c.delta) / gr.u
				grad += (gr.a - gr.n*gr.p) * w
				hess += gr.n * gr.p * (1 - gr.p) * w * w
			}
			if hess <= 0 {
				continue
			}
			theta := math.Log1p(c.delta)
			nt := clamp(theta+clamp(grad/hess, -4, 4), 0, maxTheta)
			if nt == theta {
				continue
			}
			moved = max(moved, math.Abs(nt-theta))
			nd := math.Expm1(nt)
			step := nd - c.delta
			c.delta = nd
			b := m.base() + m.beta0
			for _, g := range c.groups {
				gr := &m.groups[g]
				gr.u += step
				gr.p = sigmoid(b + math.Log(gr.u))
			}
		}
		if moved < 1e-10 {
			break
		}
	}
}

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

// loglik is the binomial log-likelihood of the window's share of every leaf's tickets
// (without the constant binomial coefficients).
func (m *model) loglik() float64 {
	b := m.base() + m.beta0
	ll := m.aOut*logSigmoid(b) + (m.nOut-m.aOut)*logSigmoid(-b)
	for _, g := range m.groups {
		eta := b + math.Log(g.u)
		ll += g.a*logSigmoid(eta) + (g.n-g.a)*logSigmoid(-eta)
	}
	return ll
}

// add puts a cause in the model and fits it.
func (m *model) add(c *cause) {
	c.delta = 0
	m.causes = append(m.causes, c)
	m.rebuild()
	m.fit()
}

// remove takes the i-th cause out and fits what remains.
func (m *model) remove(i int) *cause {
	c := m.causes[i]
	m.causes = append(m.causes[:i:i], m.causes[i+1:]...)
	m.rebuild()
	m.fit()
	return c
}

// snapshot and restore let the search try a change and take it back. A snapshot keeps
// the layout of the union too: restoring copies it back instead of laying it out again
// from the causes' leaves (the search restores after nearly every change it tries).
type snapshot struct {
	causes []*cause
	deltas []float64
	beta0  float64
	union  []int32
	group  []int32
	groups []group
	// causeGroups are the causes' groups.
	causeGroups [][]int32
	aOut, nOut  float64
}

func (m *model) snapshot() snapshot {
	sn := snapshot{causes: append([]*cause(nil), m.causes...), beta0: m.beta0,
		union: slices.Clone(m.union), group: slices.Clone(m.group), groups: slices.Clone(m.groups),
		aOut: m.aOut, nOut: m.nOut}
	for _, c := range m.causes {
		sn.deltas = append(sn.deltas, c.delta)
		sn.causeGroups = append(sn.causeGroups, slices.Clone(c.groups))
	}
	return sn
}

func (m *model) restore(sn snapshot) {
	m.causes = append(m.causes[:0], sn.causes...)
	for i, c := range m.causes {
		c.delta = sn.deltas[i]
		c.groups = append(c.groups[:0], sn.causeGroups[i]...)
	}
	m.beta0 = sn.beta0
	m.union = append(m.union[:0], sn.union...)
	m.group = append(m.group[:0], sn.group...)
	m.groups = append(m.groups[:0], sn.groups...)
	m.aOut, m.nOut = sn.aOut, sn.nOut
	// The groups' rates follow the causes' deltas, as rebuild sets them.
	for g := range m.groups {
		gr := &m.groups[g]
		gr.u = 1
		for _, j := range gr.causes {
			gr.u += m.causes[j].delta
		}
	}
	m.refresh()
}

// excess is how many window tickets cause c holds beyond what the model predicts for its
// leaves without it.
func (m *model) excess(c *cause) float64 {
	b := m.base() + m.beta0
	x := 0.0
	for _, g := range c.groups {
		gr := &m.groups[g]
		x += gr.a - gr.n*sigmoid(b+math.Log(gr.u-c.delta))
	}
	return x
}

// share is the model's share of union[i]'s tickets in the window.
func (m *model) share(i int) float64 { return m.groups[m.group[i]].p }
