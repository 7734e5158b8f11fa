package localize

import "math"

// The model says, for every leaf, what share of its tickets (window and baseline
// together) falls in the window. At the usual rate that share is p0 = Scale/(1+Scale);
// the model moves it by a global level (beta0: the time of day, an even rise) and by one
// factor per cause (beta), on the log-odds scale:
//
//	logit p = logit p0 + beta0 + sum of the betas of the causes that hold the leaf
//
// A rate that is r times its usual in the window adds log r to the log-odds, so a beta is
// the log of a cause's rate ratio. Conditioning on each leaf's total (window plus
// baseline) makes the baseline's own noise part of the test: a window as long as its
// baseline is compared with a noisy expectation, and the binomial knows it where a Poisson
// with the baseline as its mean would not. Fitting the betas is a logistic regression on
// indicator features, solved by Newton steps one parameter at a time.

type cause struct {
	cb   *cuboid
	key  uint64
	slot int32
	// leaves are the leaves the cause holds, and pos their positions in the model's
	// union.
	leaves []int32
	pos    []int32
	beta   float64
	// noise divides the log-likelihood the cause adds (see search.noise).
	noise float64
}

type model struct {
	s      *search
	causes []*cause
	// union lists the leaves some cause holds; eta[i] sums the betas of the causes that
	// hold union[i], and p[i] is its share.
	union []int32
	eta   []float64
	p     []float64
	beta0 float64
	// aOut and nOut total the window's and both periods' tickets of the other leaves.
	aOut, nOut float64
}

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

// rebuild lays out the union of the causes' leaves after a cause came or went.
func (m *model) rebuild() {
	s := m.s
	at := make(map[int32]int32)
	m.union = m.union[:0]
	for _, c := range m.causes {
		c.pos = c.pos[:0]
		for _, l := range c.leaves {
			i, ok := at[l]
			if !ok {
				i = int32(len(m.union))
				at[l] = i
				m.union = append(m.union, l)
			}
			c.pos = append(c.pos, i)
		}
	}
	m.eta = make([]float64, len(m.union))
	m.p = make([]float64, len(m.union))
	m.aOut, m.nOut = s.totalA, s.totalN
	for _, l := range m.union {
		m.aOut -= s.a[l]
		m.nOut -= s.n[l]
	}
	for _, c := range m.causes {
		for _, i := range c.pos {
			m.eta[i] += c.beta
		}
	}
	m.refresh()
}

// refresh recomputes the union's shares from the betas.
func (m *model) refresh() {
	b := m.base() + m.beta0
	for i := range m.p {
		m.p[i] = sigmoid(b + m.eta[i])
	}
}

// maxBeta bounds a cause's log rate ratio: a combination with no baseline at all has an
// infinite one, and e^12 (160 000 times) says as much.
const maxBeta = 12

// fit finds the betas that maximize the likelihood, a Newton step per parameter in turn.
func (m *model) fit() {
	s := m.s
	for range 200 {
		moved := 0.0
		// The global level, over every leaf.
		pOut := m.pOut()
		grad := m.aOut - m.nOut*pOut
		hess := m.nOut * pOut * (1 - pOut)
		for i, l := range m.union {
			p := m.p[i]
			grad += s.a[l] - s.n[l]*p
			hess += s.n[l] * p * (1 - p)
		}
		if hess > 0 {
			step := clamp(grad/hess, -4, 4)
			m.beta0 += step
			moved = max(moved, math.Abs(step))
			m.refresh()
		}
		for _, c := range m.causes {
			grad, hess := 0.0, 0.0
			for _, i := range c.pos {
				l, p := m.union[i], m.p[i]
				grad += s.a[l] - s.n[l]*p
				hess += s.n[l] * p * (1 - p)
			}
			if hess <= 0 {
				continue
			}
			step := clamp(grad/hess, -4, 4)
			nb := clamp(c.beta+step, -maxBeta, maxBeta)
			step = nb - c.beta
			if step == 0 {
				continue
			}
			c.beta = nb
			moved = max(moved, math.Abs(step))
			b := m.base() + m.beta0
			for _, i := range c.pos {
				m.eta[i] += step
				m.p[i] = sigmoid(b + m.eta[i])
			}
		}
		if moved < 1e-9 {
			break
		}
	}
}

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

// loglik is the binomial log-likelihood of the window's share of every leaf's tickets
// (without the constant binomial coefficients).
func (m *model) loglik() float64 {
	s := m.s
	b := m.base() + m.beta0
	ll := m.aOut*logSigmoid(b) + (m.nOut-m.aOut)*logSigmoid(-b)
	for i, l := range m.union {
		eta := b + m.eta[i]
		ll += s.a[l]*logSigmoid(eta) + s.b[l]*logSigmoid(-eta)
	}
	return ll
}

// add puts a cause in the model and fits it.
func (m *model) add(c *cause) {
	c.beta = 0
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

// snapshot and restore let the search try a change and take it back.
type snapshot struct {
	causes []*cause
	betas  []float64
	beta0  float64
}

func (m *model) snapshot() snapshot {
	sn := snapshot{causes: append([]*cause(nil), m.causes...), beta0: m.beta0}
	for _, c := range m.causes {
		sn.betas = append(sn.betas, c.beta)
	}
	return sn
}

func (m *model) restore(sn snapshot) {
	m.causes = append(m.causes[:0], sn.causes...)
	for i, c := range m.causes {
		c.beta = sn.betas[i]
	}
	m.beta0 = sn.beta0
	m.rebuild()
}

// excess is how many window tickets cause c holds beyond what the model predicts for its
// leaves without it.
func (m *model) excess(c *cause) float64 {
	s := m.s
	b := m.base() + m.beta0
	x := 0.0
	for _, i := range c.pos {
		l := m.union[i]
		x += s.a[l] - s.n[l]*sigmoid(b+m.eta[i]-c.beta)
	}
	return x
}
