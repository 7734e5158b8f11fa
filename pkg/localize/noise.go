package localize

import (
	"math"
	"slices"
)

// Real ticket counts are noisier than Poisson counts. Tickets come in clumps: one alarm
// that flaps opens five tickets with the same values. A count of clumps has a variance
// phi times its mean (phi is the mean square of a clump's size over its mean size), at
// every level of aggregation, and without allowing for it a clump of ten tickets in a
// combination that usually has none reads as a cause. Every combination's log-likelihood
// gain is divided by phi (a quasi-likelihood).
//
// phi is best measured where nothing is being looked for: between the two halves of the
// baseline (see baselineNoise). Without them, it is measured on the window itself, on the values of each dimension, each against
// its own dimension's typical share of tickets in the window: a weighted median, which a
// few values that rose do not move (a cause that is one value of one dimension lifts
// every value of the other dimensions alike, and leaves each dimension's residuals
// honest), weighed by the values' baseline tickets, which the window's incident does not
// inflate. The estimate is the median of the values' absolute z-scores, squared and
// scaled (0.674 is the median of a standard normal's absolute value): it holds while
// fewer than half the values rose, where a mean of squares follows the causes.
//
// Rates also wander by a share of themselves (a region's tickets follow its own time of
// day; a service was busier last week), which grows with the count instead of its square
// root. That is not estimated: it varies by dimension and is hard to tell from the causes
// on the window's own values. Options.MinRatio handles it instead: a combination whose
// rate rose less than that many times what the rest of the answer predicts is no cause.

// estimateNoise sets phi: from the baseline's two halves when the cube has them, else
// from the window's values.
func (s *search) estimateNoise() {
	s.phi = 1
	if s.c.Early != nil {
		s.phi = s.baselineNoise()
		return
	}
	var absZ []float64
	for d := range s.dims {
		cb := s.byDims[[3]int{d, -1, -1}]
		level := weightedMedianShare(cb.sum)
		if level <= 0 || level >= 1 {
			continue
		}
		for _, v := range cb.sum {
			mu := v.n * level
			if mu < phiMinMean {
				continue
			}
			absZ = append(absZ, math.Abs(v.a-mu)/math.Sqrt(mu*(1-level)))
		}
	}
	if len(absZ) < minNoiseValues {
		return
	}
	slices.Sort(absZ)
	m := median(absZ) / 0.674
	s.phi = clamp(m*m, 1, maxPhi)
}

// baselineNoise measures phi on the baseline alone: each leaf's tickets split between
// the baseline's two halves as a binomial would split them if the counts were Poisson
// (at the halves' overall split, which allows for a trend), and clumps split them
// whole, one way or the other. Per value of every dimension, the leaves' Pearson
// chi-squares summed over their binomial variances estimate phi; the median over values
// of at least 20 tickets is the estimate, which an old incident in a few values does
// not move.
func (s *search) baselineNoise() float64 {
	early := 0.0
	for l := range s.leaves {
		early += float64(s.c.Early[l])
	}
	total := s.totalN - s.totalA
	if total == 0 || early == 0 || early == total {
		return 1
	}
	q := early / total
	num := make([][]float64, s.dims)
	den := make([][]float64, s.dims)
	for d := range s.dims {
		num[d] = make([]float64, s.card[d])
		den[d] = make([]float64, s.card[d])
	}
	allNum, allDen := 0.0, 0.0
	for l := range int32(s.leaves) {
		b := s.b[l]
		if b == 0 {
			continue
		}
		x := float64(s.c.Early[l]) - b*q
		r, w := x*x, b*q*(1-q)
		allNum += r
		allDen += w
		for d, code := range s.codesOf(l) {
			num[d][code] += r
			den[d][code] += w
		}
	}
	var ratios []float64
	for d := range s.dims {
		for v, w := range den[d] {
			if w >= phiMinTickets*q*(1-q) {
				ratios = append(ratios, num[d][v]/w)
			}
		}
	}
	if len(ratios) >= minNoiseValues {
		slices.Sort(ratios)
		return clamp(median(ratios), 1, maxPhi)
	}
	return clamp(allNum/allDen, 1, maxPhi)
}

// phiMinTickets is the fewest baseline tickets of a value that measures phi.
const phiMinTickets = 20

const (
	// phiMinMean is the smallest expected window count of a value that measures phi:
	// below it, a Poisson count is too far from normal for its median z to mean much.
	phiMinMean = 10
	// minNoiseValues is the fewest values that make an estimate; with fewer, the
	// counts are taken to be Poisson.
	minNoiseValues = 10
	maxPhi         = 20
)

// weightedMedianShare is the median of a/n over the values, each weighing its baseline
// tickets n-a: its usual size, which the window's incident does not inflate (weighing
// by n would let a cause that floods one value carry the median with it).
func weightedMedianShare(sum []sums) float64 {
	type v struct{ share, w float64 }
	var vs []v
	total := 0.0
	for _, x := range sum {
		if b := x.n - x.a; b > 0 {
			vs = append(vs, v{x.a / x.n, b})
			total += b
		}
	}
	if total == 0 {
		return 0
	}
	// No value weighs more than a quarter: under a Zipf law the busiest value can hold
	// half the tickets, and an incident there would be the median.
	capped := 0.0
	for i := range vs {
		vs[i].w = min(vs[i].w, total/4)
		capped += vs[i].w
	}
	total = capped
	slices.SortFunc(vs, func(x, y v) int {
		switch {
		case x.share < y.share:
			return -1
		case x.share > y.share:
			return 1
		}
		return 0
	})
	acc := 0.0
	for _, x := range vs {
		acc += x.w
		if acc >= total/2 {
			return x.share
		}
	}
	return vs[len(vs)-1].share
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
