package synth

import (
	"slices"

	"github.com/spacetime/tickets/pkg/localize"
)

// Tally scores answers against the truth as the Squeeze and RiskLoc evaluations do: a
// named combination is a true positive when it is exactly one of the truth's (same
// facets, same values), a false positive otherwise, and each truth combination not named
// is a false negative; F1 is computed from the counts summed over a class's cases.
type Tally struct {
	TP, FP, FN int
	Cases      int
	// Silent counts the cases answered with no combination.
	Silent int
}

// Add scores one case.
func (t *Tally) Add(truth, named []string) {
	t.Cases++
	if len(named) == 0 {
		t.Silent++
	}
	seen := map[string]bool{}
	for _, n := range named {
		if seen[n] {
			continue
		}
		seen[n] = true
		if slices.Contains(truth, n) {
			t.TP++
		} else {
			t.FP++
		}
	}
	for _, tr := range truth {
		if !seen[tr] {
			t.FN++
		}
	}
}

// AddSame scores one case as Add does, except that a named combination also counts as
// one of the truth's when it selects exactly the same tickets as that one in both
// periods (the same leaves, among those with tickets): no data can tell the two apart,
// as when a service runs only in one region and the truth is the service in that
// region. Each truth combination is matched once, by its own name first. This is a
// second score beside Add's, the strict one the papers report, never instead of it.
func (t *Tally) AddSame(c *localize.Cube, truth, named []string) {
	t.Cases++
	if len(named) == 0 {
		t.Silent++
	}
	var names []string
	for _, n := range named {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	matched := make([]bool, len(truth))
	right := make([]bool, len(names))
	for i, n := range names {
		if j := slices.Index(truth, n); j >= 0 {
			matched[j], right[i] = true, true
		}
	}
	for i, n := range names {
		if right[i] {
			continue
		}
		mine := selected(c, n)
		for j, tr := range truth {
			if !matched[j] && mine != nil && slices.Equal(mine, selected(c, tr)) {
				matched[j], right[i] = true, true
				break
			}
		}
	}
	for i := range names {
		if right[i] {
			t.TP++
		} else {
			t.FP++
		}
	}
	for j := range truth {
		if !matched[j] {
			t.FN++
		}
	}
}

// selected lists the leaves with tickets (in either period) that a combination written
// by Key selects, or nil when the key names a value the cube does not have.
func selected(c *localize.Cube, key string) []int {
	parsed, err := ParseKey(c.Dims, key)
	if err != nil {
		return nil
	}
	codes := make([]uint32, len(parsed))
	for i, x := range parsed {
		v := slices.Index(c.Dims[x.Dim].Values, x.Value)
		if v < 0 {
			return nil
		}
		codes[i] = uint32(v)
	}
	dims := len(c.Dims)
	out := []int{}
	for l := range c.Now {
		if c.Now[l] == 0 && c.Before[l] == 0 {
			continue
		}
		in := true
		for i, x := range parsed {
			if c.Codes[l*dims+x.Dim] != codes[i] {
				in = false
				break
			}
		}
		if in {
			out = append(out, l)
		}
	}
	return out
}

// Merge adds another tally's counts to t.
func (t *Tally) Merge(o Tally) {
	t.TP += o.TP
	t.FP += o.FP
	t.FN += o.FN
	t.Cases += o.Cases
	t.Silent += o.Silent
}

// F1 is 2TP/(2TP+FP+FN); 1 when there was nothing to find and nothing was named.
func (t Tally) F1() float64 {
	d := 2*t.TP + t.FP + t.FN
	if d == 0 {
		return 1
	}
	return float64(2*t.TP) / float64(d)
}

// Precision is TP/(TP+FP); 1 when nothing was named.
func (t Tally) Precision() float64 {
	if t.TP+t.FP == 0 {
		return 1
	}
	return float64(t.TP) / float64(t.TP+t.FP)
}

// Recall is TP/(TP+FN); 1 when there was nothing to find.
func (t Tally) Recall() float64 {
	if t.TP+t.FN == 0 {
		return 1
	}
	return float64(t.TP) / float64(t.TP+t.FN)
}

// Named writes an answer's combinations as Key does.
func Named(res *localize.Result) []string {
	out := make([]string, len(res.Causes))
	for i, c := range res.Causes {
		out[i] = Key(c.Terms)
	}
	return out
}

// TopMover is the single-dimension baseline: it ranks every value of every facet by
// score(now, expected), movers' ranking, and names the top one as the cause. (The score
// is passed in: the benchmark gives it engine.MoverScore, so that the baseline is the
// product's own movers.)
func TopMover(c *localize.Cube, score func(now int64, expected float64) float64) []string {
	dims := len(c.Dims)
	best, found := 0.0, false
	var top localize.Term
	for d, dim := range c.Dims {
		now := make([]int64, len(dim.Values))
		before := make([]int64, len(dim.Values))
		for l := range c.Now {
			v := c.Codes[l*dims+d]
			now[v] += c.Now[l]
			before[v] += c.Before[l]
		}
		for v := range dim.Values {
			if now[v] == 0 {
				continue
			}
			s := score(now[v], float64(before[v])*c.Scale)
			if !found || s > best {
				best, found = s, true
				top = localize.Term{Dim: d, Name: dim.Name, Value: dim.Values[v]}
			}
		}
	}
	if !found {
		return nil
	}
	return []string{Key([]localize.Term{top})}
}
