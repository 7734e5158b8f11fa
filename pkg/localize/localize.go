package localize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/spacetime/tickets/pkg/filter"
)

// Cube is the input: tickets counted per leaf, a leaf being one combination of a value of
// every dimension.
type Cube struct {
	Dims []Dim
	// Codes holds each leaf's value of each dimension, leaf by leaf: Codes[l*len(Dims)+d]
	// is leaf l's index into Dims[d].Values.
	Codes []uint32
	// Now and Before count each leaf's tickets in the window and in the baseline period.
	Now, Before []int64
	// Early, when set, counts each leaf's tickets in the first half of the baseline
	// period. Comparing the two halves of the baseline, where nothing is being looked
	// for, measures how much noisier than Poisson counts the tickets are (see noise.go);
	// without it, that is measured on the window's values.
	Early []int64
	// Scale is the window's length divided by the baseline's: Before*Scale is what a leaf
	// would count in the window at its usual rate (its expected count, as movers has it).
	Scale float64
}

// Dim is one dimension of the cube: a field and the labels of its values.
type Dim struct {
	Name   string
	Values []string
	// Nulls, when set, marks the values that stand for "no value" (a null).
	Nulls []bool
}

// Options tune a search; the zero value is what the package recommends.
type Options struct {
	// MaxDims is the most dimensions a combination has: 1 to 3; 0 means 3.
	MaxDims int
	// MaxCauses is the most combinations the answer has; 0 means 5.
	MaxCauses int
	// Alpha is the chance, in a window where nothing happened, that the answer names a
	// combination anyway (a family-wise false alarm rate over every combination the
	// search looks at); 0 means 0.001.
	Alpha float64
	// MinRatio is the least rate ratio of a cause: its tickets in the window over what
	// the rest of the answer predicts for them. Rates wander by a share of themselves
	// (a region at its lunch hour), which no count of tickets tells from a cause; 0
	// means 1.5.
	MinRatio float64
	// tripleBudget replaces maxTripleEntries in tests, and workers the number of
	// goroutines that sum the cuboids (see parallel.go).
	tripleBudget int
	workers      int
	// profileBudget replaces maxProfileEntries in tests.
	profileBudget int
}

// Verdict sums the answer up.
type Verdict string

const (
	// Localized: Causes explain the rise (or part of it).
	Localized Verdict = "localized"
	// Spread: the tickets rose above their usual level, but evenly: no combination of
	// values stands out (Causes is empty).
	Spread Verdict = "spread"
	// NoRise: the window holds no significantly more tickets than usual, and no
	// combination stands out either.
	NoRise Verdict = "no rise"
)

// Term is one dimension's value in a combination.
type Term struct {
	// Dim indexes Cube.Dims; Name is its name.
	Dim   int
	Name  string
	Value string
	Null  bool
}

// Cause is one combination of the answer.
type Cause struct {
	// Terms are ANDed, in the order of the cube's dimensions.
	Terms []Term
	// Now and Before count the combination's tickets in the window and the baseline;
	// Expected is Before*Scale.
	Now, Before int64
	Expected    float64
	// Excess is how many of Now the combination holds beyond what the rest of the
	// answer predicts for it (the global level and any overlapping cause); Share is
	// Excess as a part of the whole rise (Now-Expected over every leaf), at most 1.
	Excess, Share float64
	// Ratio is the rate ratio (Now+1)/(Expected+1), smoothed as movers smooths it.
	Ratio float64
	// Score says how far the combination stands out, in standard deviations: the
	// square root of twice the log-likelihood the answer loses without it.
	Score float64
}

// Result is the answer.
type Result struct {
	Verdict Verdict
	Causes  []Cause
	// Now and Expected total every leaf; Rise is Now-Expected and RiseScore the rise in
	// standard deviations of its noise (negative for a fall).
	Now       int64
	Expected  float64
	Rise      float64
	RiseScore float64
	// Explained is the part of the rise the causes explain together (0 to 1).
	Explained float64
	// Level is the ratio of the window's rate to the usual rate outside the causes:
	// 1.3 says every leaf runs 30% above usual (time of day, a global trend).
	Level float64
	// Candidates is how many combinations the search weighed.
	Candidates int
	// Dispersion is the measured clumping of tickets: 1 for Poisson counts, 2 when the
	// counts vary twice as much (see noise.go).
	Dispersion float64
	// TriplesSkipped says that the window had too many combinations of three dimensions
	// with enough tickets to enter the answer to weigh them within the search's memory
	// bound (2M of them): only one and two were weighed.
	TriplesSkipped bool
}

// ErrBadCube marks a cube that does not hold together.
var ErrBadCube = errors.New("localize: bad cube")

func (c *Cube) check() error {
	d := len(c.Dims)
	if d == 0 {
		return fmt.Errorf("%w: no dimensions", ErrBadCube)
	}
	if d > maxDimensions {
		return fmt.Errorf("%w: %d dimensions, more than the %d a search takes", ErrBadCube, d, maxDimensions)
	}
	n := len(c.Now)
	if len(c.Before) != n || len(c.Codes) != n*d {
		return fmt.Errorf("%w: %d leaves now, %d before and %d codes for %d dimensions", ErrBadCube, n, len(c.Before), len(c.Codes), d)
	}
	if c.Early != nil && len(c.Early) != n {
		return fmt.Errorf("%w: %d leaves and %d counts of the baseline's first half", ErrBadCube, n, len(c.Early))
	}
	if !(c.Scale > 0) || math.IsInf(c.Scale, 0) {
		return fmt.Errorf("%w: the scale must be a positive number, got %v", ErrBadCube, c.Scale)
	}
	for i, dim := range c.Dims {
		if len(dim.Values) == 0 && n > 0 {
			return fmt.Errorf("%w: dimension %q has no values", ErrBadCube, dim.Name)
		}
		if dim.Nulls != nil && len(dim.Nulls) != len(dim.Values) {
			return fmt.Errorf("%w: dimension %q has %d values and %d null marks", ErrBadCube, dim.Name, len(dim.Values), len(dim.Nulls))
		}
		if len(dim.Values) > maxValues {
			return fmt.Errorf("%w: dimension %q has %d values, more than the %d a search takes", ErrBadCube, dim.Name, len(dim.Values), maxValues)
		}
		for j := range i {
			if c.Dims[j].Name == dim.Name {
				return fmt.Errorf("%w: dimension %q appears twice", ErrBadCube, dim.Name)
			}
		}
	}
	for l := range n {
		if c.Now[l] < 0 || c.Before[l] < 0 {
			return fmt.Errorf("%w: leaf %d has a negative count", ErrBadCube, l)
		}
		if c.Early != nil && (c.Early[l] < 0 || c.Early[l] > c.Before[l]) {
			return fmt.Errorf("%w: leaf %d has %d tickets in the baseline's first half, out of %d", ErrBadCube, l, c.Early[l], c.Before[l])
		}
		for k, code := range c.Codes[l*d : (l+1)*d] {
			if int(code) >= len(c.Dims[k].Values) {
				return fmt.Errorf("%w: leaf %d has value %d of dimension %q, which has %d values", ErrBadCube, l, code, c.Dims[k].Name, len(c.Dims[k].Values))
			}
		}
	}
	return nil
}

// MaxCauses bounds Options.MaxCauses: the model holds twice as many while it searches.
const MaxCauses = maxModelCauses / 2

// maxDimensions bounds the dimensions of a cube: the number of combinations of three
// grows as its cube (16 dimensions: 696 groups of up to three).
const maxDimensions = 16

// maxValues bounds the values of one dimension, so that a combination's key (three
// values and its group) fits in 64 bits.
const maxValues = 1 << 19

func (o Options) withDefaults(dims int) (Options, error) {
	switch {
	case o.MaxDims < 0 || o.MaxDims > 3:
		return o, fmt.Errorf("localize: a combination has 1 to 3 dimensions, not %d", o.MaxDims)
	case o.MaxDims == 0:
		o.MaxDims = 3
	}
	o.MaxDims = min(o.MaxDims, dims)
	switch {
	case o.MaxCauses < 0:
		return o, fmt.Errorf("localize: the most causes must not be negative, got %d", o.MaxCauses)
	case o.MaxCauses == 0:
		o.MaxCauses = 5
	case o.MaxCauses > MaxCauses:
		return o, fmt.Errorf("localize: at most %d causes, not %d", MaxCauses, o.MaxCauses)
	}
	switch {
	case o.MinRatio < 0 || math.IsNaN(o.MinRatio) || math.IsInf(o.MinRatio, 0):
		return o, fmt.Errorf("localize: the least ratio must be a number of at least 1, got %v", o.MinRatio)
	case o.MinRatio == 0:
		o.MinRatio = 1.5
	case o.MinRatio < 1:
		return o, fmt.Errorf("localize: the least ratio must be at least 1, got %v", o.MinRatio)
	}
	switch {
	case o.Alpha < 0 || o.Alpha >= 1 || math.IsNaN(o.Alpha):
		return o, fmt.Errorf("localize: alpha must lie in (0, 1), got %v", o.Alpha)
	case o.Alpha == 0:
		o.Alpha = 0.001
	}
	return o, nil
}

// Localize searches the cube for the combinations that explain the window's rise. It
// stops with the context's error when the context ends (it looks between the steps of
// the search: a few milliseconds apart on a million leaves).
func Localize(ctx context.Context, c *Cube, opts Options) (*Result, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults(len(c.Dims))
	if err != nil {
		return nil, err
	}
	s := newSearch(ctx, c, opts)
	res := s.run()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("localize: %w", err)
	}
	return res, nil
}

// label builds the terms of a combination.
func (c *Cube) terms(dims []int, codes []uint32) []Term {
	out := make([]Term, len(dims))
	for i, d := range dims {
		dim := &c.Dims[d]
		out[i] = Term{Dim: d, Name: dim.Name, Value: dim.Values[codes[i]], Null: dim.Nulls != nil && dim.Nulls[codes[i]]}
	}
	return out
}

// String writes a combination as the filter language would: service = "checkout" and
// region = "us-east-1".
func (c Cause) String() string {
	s := ""
	for i, t := range c.Terms {
		if i > 0 {
			s += " and "
		}
		if t.Null {
			s += t.Name + " is null"
			continue
		}
		s += fmt.Sprintf("%s = %q", t.Name, t.Value)
	}
	return s
}

// AdHocFilters are the ad hoc filters that select the combination, one per term
// (Grafana ANDs a dashboard's ad hoc filters, as the terms are ANDed).
func (c Cause) AdHocFilters() []filter.AdHocFilter {
	out := make([]filter.AdHocFilter, len(c.Terms))
	for i, t := range c.Terms {
		out[i] = filter.ValueFilter(t.Name, t.Value, t.Null)
	}
	return out
}

// URLFilters writes AdHocFilters as Grafana's dashboard URLs carry ad hoc filters, one
// var-NAME parameter value per term (filter.FormatURLFilter), as a breakdown's
// filterField does for one value.
func (c Cause) URLFilters() []string {
	fs := c.AdHocFilters()
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = filter.FormatURLFilter(f)
	}
	return out
}

// sortCauses orders causes by excess, largest first, then by their terms.
func sortCauses(cs []Cause) {
	slices.SortStableFunc(cs, func(a, b Cause) int {
		if a.Excess != b.Excess {
			if a.Excess > b.Excess {
				return -1
			}
			return 1
		}
		return 0
	})
}
