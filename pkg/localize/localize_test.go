package localize

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// testCube builds a cube of every combination of three dimensions (12 services, 5
// regions, 8 categories, one service value standing for null), each leaf with a usual
// rate drawn once, Poisson counts over a baseline four times as long as the window, and
// the window's rates multiplied by rise(codes).
func testCube(seed uint64, rise func(svc, reg, cat int) float64) *Cube {
	return testCubeOf(seed, 4, rise)
}

// testCubeOf is testCube with leaves of mean tickets per window, usually.
func testCubeOf(seed uint64, mean float64, rise func(svc, reg, cat int) float64) *Cube {
	r := rand.New(rand.NewPCG(seed, 7))
	c := &Cube{Scale: 0.25}
	svc := make([]string, 12)
	nulls := make([]bool, 12)
	for i := range svc {
		svc[i] = fmt.Sprintf("svc-%d", i)
	}
	svc[11], nulls[11] = "", true
	c.Dims = []Dim{
		{Name: "service", Values: svc, Nulls: nulls},
		{Name: "region", Values: []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"}},
		{Name: "category", Values: []string{"db", "network", "auth", "payments", "search", "email", "cdn", "queue"}},
	}
	for s := range 12 {
		for g := range 5 {
			for k := range 8 {
				usual := mean * r.ExpFloat64() // tickets per window, usually
				c.Codes = append(c.Codes, uint32(s), uint32(g), uint32(k))
				c.Before = append(c.Before, poisson(r, usual/c.Scale))
				c.Now = append(c.Now, poisson(r, usual*rise(s, g, k)))
			}
		}
	}
	return c
}

func poisson(r *rand.Rand, mean float64) int64 {
	// Knuth's method in pieces of at most 30, exact and fast enough for a test.
	var n int64
	for mean > 0 {
		m := min(mean, 30)
		mean -= m
		l, p := math.Exp(-m), 1.0
		for {
			p *= r.Float64()
			if p <= l {
				break
			}
			n++
		}
	}
	return n
}

func terms(c Cause) string {
	var parts []string
	for _, t := range c.Terms {
		parts = append(parts, t.Name+"="+t.Value)
	}
	return strings.Join(parts, " ∧ ")
}

func TestLocalizeFindsAPair(t *testing.T) {
	for seed := range uint64(5) {
		c := testCube(seed, func(s, g, _ int) float64 {
			if s == 3 && g == 0 {
				return 6
			}
			return 1
		})
		res, err := Localize(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != Localized || len(res.Causes) != 1 {
			t.Fatalf("seed %d: want one cause, got %s with %d: %+v", seed, res.Verdict, len(res.Causes), res.Causes)
		}
		cause := res.Causes[0]
		if got := terms(cause); got != "service=svc-3 ∧ region=us-east-1" {
			t.Fatalf("seed %d: the cause is %s", seed, got)
		}
		// Its counts are the sums of the leaves it holds.
		var now, before int64
		for l := range c.Now {
			if c.Codes[3*l] == 3 && c.Codes[3*l+1] == 0 {
				now += c.Now[l]
				before += c.Before[l]
			}
		}
		if cause.Now != now || cause.Before != before || cause.Expected != float64(before)*c.Scale {
			t.Fatalf("seed %d: cause counts %d/%d/%v, leaves sum to %d/%d", seed, cause.Now, cause.Before, cause.Expected, now, before)
		}
		if cause.Share < 0.5 || cause.Share > 1 || cause.Score < 3 {
			t.Fatalf("seed %d: share %v and score %v for the only cause", seed, cause.Share, cause.Score)
		}
		want := []string{"service|=|svc-3", "region|=|us-east-1"}
		if got := cause.URLFilters(); !slices.Equal(got, want) {
			t.Fatalf("seed %d: filters %q, want %q", seed, got, want)
		}
	}
}

func TestLocalizeTwoCausesAndNull(t *testing.T) {
	c := testCube(11, func(s, g, k int) float64 {
		switch {
		case k == 2: // category = auth, everywhere
			return 4
		case s == 11 && g == 4: // no service, in ap-south-1
			return 8
		}
		return 1
	})
	res, err := Localize(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cs := range res.Causes {
		got = append(got, terms(cs))
	}
	slices.Sort(got)
	want := []string{"category=auth", "service= ∧ region=ap-south-1"}
	if !slices.Equal(got, want) {
		t.Fatalf("causes %q, want %q", got, want)
	}
	for _, cs := range res.Causes {
		if cs.Terms[0].Name == "service" {
			if !cs.Terms[0].Null || cs.URLFilters()[0] != "service|=|(none)" {
				t.Fatalf("the null term is %+v, filter %q", cs.Terms[0], cs.URLFilters())
			}
		}
	}
	if res.Explained < 0.5 || res.Explained > 1 {
		t.Fatalf("the causes explain %v of the rise", res.Explained)
	}
}

func TestLocalizeSpreadAndQuiet(t *testing.T) {
	for seed := range uint64(5) {
		even := testCube(100+seed, func(int, int, int) float64 { return 1.8 })
		res, err := Localize(context.Background(), even, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != Spread || len(res.Causes) != 0 || res.Level < 1.5 {
			t.Fatalf("seed %d, an even rise: %s, level %v, causes %+v", seed, res.Verdict, res.Level, res.Causes)
		}
		quiet := testCube(200+seed, func(int, int, int) float64 { return 1 })
		res, err = Localize(context.Background(), quiet, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != NoRise || len(res.Causes) != 0 {
			t.Fatalf("seed %d, a quiet window: %s, causes %+v", seed, res.Verdict, res.Causes)
		}
	}
}

func TestLocalizeMaxDimsOne(t *testing.T) {
	c := testCube(3, func(s, g, _ int) float64 {
		if s == 3 && g == 0 {
			return 6
		}
		return 1
	})
	res, err := Localize(context.Background(), c, Options{MaxDims: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range res.Causes {
		if len(cs.Terms) != 1 {
			t.Fatalf("MaxDims 1 gave %s", terms(cs))
		}
	}
	if len(res.Causes) == 0 {
		t.Fatal("MaxDims 1 found nothing of a pair that rose sixfold")
	}
}

func TestLocalizeRejectsBadInput(t *testing.T) {
	good := func() *Cube { return testCube(1, func(int, int, int) float64 { return 1 }) }
	cubes := map[string]func(c *Cube){
		"no dimensions":  func(c *Cube) { c.Dims = nil },
		"short before":   func(c *Cube) { c.Before = c.Before[1:] },
		"negative count": func(c *Cube) { c.Now[3] = -1 },
		"zero scale":     func(c *Cube) { c.Scale = 0 },
		"code too big":   func(c *Cube) { c.Codes[1] = 5 },
		"twice a name":   func(c *Cube) { c.Dims[1].Name = "service" },
		"early > before": func(c *Cube) { c.Early = slices.Clone(c.Before); c.Early[0] = c.Before[0] + 1 },
	}
	for name, spoil := range cubes {
		c := good()
		spoil(c)
		if _, err := Localize(context.Background(), c, Options{}); !errors.Is(err, ErrBadCube) {
			t.Errorf("%s: got %v, want ErrBadCube", name, err)
		}
	}
	for _, o := range []Options{{MaxDims: 4}, {MaxCauses: -1}, {MaxCauses: 100}, {Alpha: 1}, {MinRatio: 0.5}} {
		if _, err := Localize(context.Background(), good(), o); err == nil {
			t.Errorf("options %+v: no error", o)
		}
	}
}

func TestLocalizeHonoursTheContext(t *testing.T) {
	c := testCube(5, func(s, g, _ int) float64 {
		if s == 3 && g == 0 {
			return 6
		}
		return 1
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Localize(ctx, c, Options{})
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("a cancelled search returned %v, %v", res, err)
	}
}

// The bound on combinations of three dimensions counts those the search keeps, the ones
// with enough window tickets to enter the answer: a window of many small leaves is
// searched in full, one where nearly every combination could enter past the budget is
// searched over one and two dimensions, and the result says so.
func TestLocalizeBoundsTriples(t *testing.T) {
	planted := func(s, g, k int) float64 {
		if s == 3 && g == 0 && k == 2 {
			return 20
		}
		return 1
	}
	c := testCube(9, planted)
	for _, budget := range []int{0, 100} {
		res, err := Localize(context.Background(), c, Options{tripleBudget: budget})
		if err != nil {
			t.Fatal(err)
		}
		if res.TriplesSkipped || len(res.Causes) != 1 || len(res.Causes[0].Terms) != 3 {
			t.Fatalf("budget %d: skipped %v, causes %v; want the triple", budget, res.TriplesSkipped, res.Causes)
		}
	}
	// Fifty times the tickets: most leaves (here combinations of three) can enter.
	big := testCubeOf(9, 200, planted)
	res, err := Localize(context.Background(), big, Options{tripleBudget: 100, workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TriplesSkipped {
		t.Fatal("480 combinations of three, most of which can enter, passed a budget of 100")
	}
	for _, cs := range res.Causes {
		if len(cs.Terms) > 2 {
			t.Fatalf("a triple past the budget: %s", terms(cs))
		}
	}
}

// buildTriples keeps exactly the combinations of three dimensions with at least minA
// window tickets, with their sums, whether a group is summed in an array or, past
// denseTripleCells combinations, in a hash table.
func TestTriplesMatchABruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cards := []int{400, 3, 90, 60, 7} // 400*90*60 > denseTripleCells
	c := &Cube{Scale: 1}
	for d, n := range cards {
		dim := Dim{Name: fmt.Sprint("d", d)}
		for v := range n {
			dim.Values = append(dim.Values, fmt.Sprint(v))
		}
		c.Dims = append(c.Dims, dim)
	}
	seen := map[[5]uint32]bool{}
	for range 20000 {
		var k [5]uint32
		for d, n := range cards {
			// Skewed values, so that some combinations gather many tickets.
			k[d] = uint32(min(n-1, int(r.ExpFloat64()*float64(n)/8)))
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		c.Codes = append(c.Codes, k[:]...)
		c.Now = append(c.Now, r.Int64N(4))
		c.Before = append(c.Before, r.Int64N(4))
	}
	const minA = 30
	s := newSearch(context.Background(), c, Options{MaxDims: 3, MaxCauses: 5, workers: 2})
	s.buildLow()
	if !s.buildTriples(minA) {
		t.Fatal("skipped")
	}
	dense, sparse := 0, 0
	for i := range cards {
		for j := i + 1; j < len(cards); j++ {
			for k := j + 1; k < len(cards); k++ {
				want := map[[3]uint32][2]float64{}
				for l := range len(c.Now) {
					codes := c.Codes[l*5 : l*5+5]
					key := [3]uint32{codes[i], codes[j], codes[k]}
					x := want[key]
					want[key] = [2]float64{x[0] + float64(c.Now[l]), x[1] + float64(c.Now[l]+c.Before[l])}
				}
				maps.DeleteFunc(want, func(_ [3]uint32, x [2]float64) bool { return x[0] < minA })
				cb := s.byDims[[3]int{i, j, k}]
				if len(cb.sum) != len(want) {
					t.Fatalf("%v: %d combinations kept, want %d", cb.dims, len(cb.sum), len(want))
				}
				for sl, x := range cb.sum {
					codes := cb.codes(cb.keyOf(int32(sl)), s.card)
					if w := want[[3]uint32(codes)]; w != [2]float64{x.a, x.n} {
						t.Fatalf("%v %v: sums %v, %v; want %v", cb.dims, codes, x.a, x.n, w)
					}
				}
				if cards[i]*cards[j]*cards[k] > denseTripleCells {
					sparse++
				} else {
					dense++
				}
			}
		}
	}
	if dense == 0 || sparse == 0 {
		t.Fatalf("%d groups summed in arrays, %d in hash tables: the test misses a path", dense, sparse)
	}
}

// The model lays out causes that share no leaf from their own sums; the layout is the
// one the general way makes, leaf for leaf, and causes that overlap take the general way.
func TestDisjointLayout(t *testing.T) {
	c := testCube(11, func(s, g, k int) float64 { return 1 })
	s := newSearch(context.Background(), c, Options{MaxDims: 3, MaxCauses: 5})
	s.buildLow()
	s.buildTriples(0)
	mk := func(dims []int, codes ...uint32) *cause {
		k := [3]int{-1, -1, -1}
		copy(k[:], dims)
		cb := s.byDims[k]
		key := uint64(0)
		for i := range dims {
			key += uint64(codes[i]) * cb.radix(i)
		}
		return s.newCause(candidate{cb: cb, slot: cb.slot(key), noise: 1})
	}
	type layout struct {
		union, group []int32
		groups       []group
		causeGroups  [][]int32
		aOut, nOut   float64
	}
	snap := func(m *model) layout {
		l := layout{union: slices.Clone(m.union), group: slices.Clone(m.group), groups: slices.Clone(m.groups), aOut: m.aOut, nOut: m.nOut}
		for _, c := range m.causes {
			l.causeGroups = append(l.causeGroups, slices.Clone(c.groups))
		}
		return l
	}
	for _, tc := range []struct {
		causes   []*cause
		disjoint bool
	}{
		{[]*cause{mk([]int{0}, 3), mk([]int{0}, 5), mk([]int{0, 1}, 1, 2)}, true},
		{[]*cause{mk([]int{1}, 4), mk([]int{0, 1, 2}, 2, 3, 7)}, true},
		{[]*cause{mk([]int{0}, 3), mk([]int{1}, 2)}, false},
		{[]*cause{mk([]int{0}, 3), mk([]int{0, 2}, 3, 1)}, false},
	} {
		m := &s.m
		m.causes = tc.causes
		for i, c := range m.causes {
			c.delta = 0.5 * float64(i+1)
		}
		if got := m.disjoint(); got != tc.disjoint {
			t.Fatalf("disjoint = %v, want %v", got, tc.disjoint)
		}
		m.union = m.union[:0]
		m.rebuild()
		fast := snap(m)
		m.union = m.union[:0]
		m.rebuildAny()
		if want := snap(m); !reflect.DeepEqual(fast, want) {
			t.Fatalf("layout %+v\nwant %+v", fast, want)
		}
	}
}

// The cuboids summed on several goroutines give the answer one gives (run with -race:
// the workers share nothing but what they only read).
func TestWorkersGiveOneAnswer(t *testing.T) {
	c := testCubeOf(13, 40, func(s, g, k int) float64 {
		switch {
		case s == 3 && g == 0:
			return 4
		case s == 7 && k == 2:
			return 3
		}
		return 1
	})
	one, err := Localize(context.Background(), c, Options{workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Causes) == 0 {
		t.Fatal("nothing found: the test compares nothing")
	}
	for _, w := range []int{2, 3} {
		got, err := Localize(context.Background(), c, Options{workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, one) {
			t.Fatalf("%d workers: %+v\none: %+v", w, got, one)
		}
	}
}

// Past the bound on the groups' profiles kept, corrections are made afresh, and the
// answer is the same.
func TestProfileBudgetGivesOneAnswer(t *testing.T) {
	c := testCubeOf(17, 40, func(s, g, k int) float64 {
		switch {
		case s == 2:
			return 3
		case g == 1 && k == 4:
			return 4
		}
		return 1
	})
	kept, err := Localize(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept.Causes) < 2 {
		t.Fatalf("%d causes: the test needs corrections for several", len(kept.Causes))
	}
	for _, w := range []int{1, 2} {
		fresh, err := Localize(context.Background(), c, Options{profileBudget: 1, workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fresh, kept) {
			t.Fatalf("%d workers, nothing kept: %+v\nkept: %+v", w, fresh, kept)
		}
	}
}

// The causes kept by combination hold at most four times the cube's leaves, and a cause
// made again has the leaves it had.
func TestFoundCausesBounded(t *testing.T) {
	c := testCube(19, func(s, g, k int) float64 { return 1 })
	s := newSearch(context.Background(), c, Options{MaxDims: 2, MaxCauses: 5})
	s.buildLow()
	var made []*cause
	for round := range 2 {
		i := 0
		for _, cb := range s.cuboids {
			for sl := range cb.sum {
				cs := s.newCause(candidate{cb: cb, slot: int32(sl), noise: 1})
				if round == 0 {
					made = append(made, cs)
				} else if !slices.Equal(cs.leaves, made[i].leaves) || cs.a != made[i].a || cs.n != made[i].n {
					t.Fatalf("%v slot %d made again: %d leaves, first %d", cb.dims, sl, len(cs.leaves), len(made[i].leaves))
				}
				i++
			}
		}
	}
	// Every single value and pair of values: six times the leaves, over three dimensions.
	if s.foundLeaves > 4*s.leaves || s.foundLeaves < 3*s.leaves {
		t.Fatalf("kept causes of %d leaves, for a cube of %d", s.foundLeaves, s.leaves)
	}
}
