package published_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/localize"
	"github.com/spacetime/tickets/pkg/localize/published"
	"github.com/spacetime/tickets/pkg/localize/synth"
)

// The sample under testdata/S is ours (testdata/gen.go), in their format: nothing of the
// published data sets is committed.
const sample = "testdata/S"

// rows parses a case file by hand, independently of the package: real, predict and the
// leaf's values joined.
func rows(t *testing.T, path string) (reals, preds []float64, leaves []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		re, err1 := strconv.ParseFloat(f[0], 64)
		pr, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %q", path, line)
		}
		reals = append(reals, re)
		preds = append(preds, pr)
		leaves = append(leaves, strings.Join(f[2:], ","))
	}
	return reals, preds, leaves
}

func readSample(t *testing.T, class, ts string) *published.Case {
	t.Helper()
	dir := filepath.Join(sample, class)
	injs, err := published.ReadInjections(dir)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(injs, func(in published.Injection) bool { return in.Timestamp == ts })
	if i < 0 {
		t.Fatalf("no case %s in %s", ts, dir)
	}
	c, err := published.ReadCase(dir, injs[i])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReadCaseFall checks the cube against the file: one leaf per row with its values,
// the window holding the forecast and the baseline the real values (the total fell), each
// rounded, so that the leaf totals equal the file's sums within half a unit a leaf.
func TestReadCaseFall(t *testing.T) {
	c := readSample(t, "B_cuboid_layer_2_n_ele_1", "1000")
	reals, preds, leaves := rows(t, filepath.Join(sample, "B_cuboid_layer_2_n_ele_1", "1000.csv"))
	n := len(reals)
	if len(c.Cube.Now) != n || len(c.Cube.Before) != n {
		t.Fatalf("%d leaves now and %d before, the file has %d rows", len(c.Cube.Now), len(c.Cube.Before), n)
	}
	if !c.Fall {
		t.Fatalf("the sample's real total %.1f is below its forecast's %.1f, but Fall is false", c.Real, c.Predict)
	}
	if c.Cube.Scale != 1 {
		t.Errorf("scale %v, want 1 (expected = forecast)", c.Cube.Scale)
	}
	var sumReal, sumPred float64
	var now, before int64
	d := len(c.Cube.Dims)
	for l := range n {
		sumReal += reals[l]
		sumPred += preds[l]
		now += c.Cube.Now[l]
		before += c.Cube.Before[l]
		if c.Cube.Now[l] != int64(math.Round(preds[l])) || c.Cube.Before[l] != int64(math.Round(reals[l])) {
			t.Fatalf("leaf %d: now %d before %d, file real %v predict %v", l, c.Cube.Now[l], c.Cube.Before[l], reals[l], preds[l])
		}
		var vals []string
		for k := range d {
			vals = append(vals, c.Cube.Dims[k].Values[c.Cube.Codes[l*d+k]])
		}
		if got := strings.Join(vals, ","); got != leaves[l] {
			t.Fatalf("leaf %d is %s, the file's row %s", l, got, leaves[l])
		}
	}
	if math.Abs(float64(now)-sumPred) > 0.5*float64(n) || math.Abs(float64(before)-sumReal) > 0.5*float64(n) {
		t.Errorf("leaf totals now %d before %d, file sums predict %.1f real %.1f", now, before, sumPred, sumReal)
	}
	if math.Abs(c.Real-sumReal) > 1e-6*sumReal || math.Abs(c.Predict-sumPred) > 1e-6*sumPred {
		t.Errorf("case totals real %v predict %v, file sums %v %v", c.Real, c.Predict, sumReal, sumPred)
	}
	if want := []string{"a=a2&b=b3"}; !slices.Equal(c.Truth, want) {
		t.Errorf("truth %q, want %q (their label is b=b3&a=a2)", c.Truth, want)
	}
}

// TestReadCaseRise: where the real total exceeds the forecast's, the window is the real.
func TestReadCaseRise(t *testing.T) {
	dir := t.TempDir()
	body := "real,predict,x,y\n30.4,10,x1,y1\n9.6,10,x1,y2\n10.2,10,x2,y1\n"
	if err := os.WriteFile(filepath.Join(dir, "7.csv"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := published.ReadCase(dir, published.Injection{Timestamp: "7", Set: "y=y1&x=x1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Fall || !slices.Equal(c.Cube.Now, []int64{30, 10, 10}) || !slices.Equal(c.Cube.Before, []int64{10, 10, 10}) {
		t.Errorf("fall %v now %v before %v", c.Fall, c.Cube.Now, c.Cube.Before)
	}
	if !slices.Equal(c.Truth, []string{"x=x1&y=y1"}) {
		t.Errorf("truth %q", c.Truth)
	}
}

// TestDirection: Fall and Rise override what the totals say.
func TestDirection(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "7.csv"), []byte("real,predict,x\n12,10,x1\n9,10,x2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inj := published.Injection{Timestamp: "7", Set: "x=x2"}
	for _, tc := range []struct {
		name      string
		fall      bool
		now, want []int64
	}{
		{"auto", false, []int64{12, 9}, []int64{10, 10}},
		{"fall", true, []int64{10, 10}, []int64{12, 9}},
		{"rise", false, []int64{12, 9}, []int64{10, 10}},
	} {
		way, err := published.ParseDirection(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := published.ReadCaseAs(dir, inj, way)
		if err != nil {
			t.Fatal(err)
		}
		if c.Fall != tc.fall || !slices.Equal(c.Cube.Now, tc.now) || !slices.Equal(c.Cube.Before, tc.want) {
			t.Errorf("%s: fall %v now %v before %v", tc.name, c.Fall, c.Cube.Now, c.Cube.Before)
		}
	}
	if _, err := published.ParseDirection("down"); err == nil {
		t.Error("direction down gave no error")
	}
}

// TestNegativeClamped: a negative value (RiskLoc's generator leaves some) is read as 0
// and counted.
func TestNegativeClamped(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "7.csv"), []byte("real,predict,x\n-3.2,10,x1\n20,-0.4,x2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := published.ReadCaseAs(dir, published.Injection{Timestamp: "7", Set: "x=x1"}, published.Rise)
	if err != nil {
		t.Fatal(err)
	}
	if c.Clamped != 2 || c.Real != 20 || c.Predict != 10 || !slices.Equal(c.Cube.Now, []int64{0, 20}) || !slices.Equal(c.Cube.Before, []int64{10, 0}) {
		t.Errorf("clamped %d real %v predict %v now %v before %v", c.Clamped, c.Real, c.Predict, c.Cube.Now, c.Cube.Before)
	}
}

func TestTruthDeduplicated(t *testing.T) {
	c := readSample(t, "B_cuboid_layer_1_n_ele_2", "3000")
	if want := []string{"a=a1", "c=c2"}; !slices.Equal(c.Truth, want) {
		t.Errorf("truth %q from a=a1;c=c2;a=a1, want %q", c.Truth, want)
	}
}

func TestClasses(t *testing.T) {
	cs, err := published.Classes(sample)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Name+":"+strconv.Itoa(c.Layer)+"x"+strconv.Itoa(c.Elements))
	}
	want := []string{"B_cuboid_layer_1_n_ele_2:1x2", "B_cuboid_layer_2_n_ele_1:2x1"}
	if !slices.Equal(got, want) {
		t.Errorf("classes %q, want %q", got, want)
	}
	if _, err := published.Classes(t.TempDir()); err == nil {
		t.Error("an empty folder gave no error")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1.csv", "real,predict,a\nNaN,2,a1\n")
	write("2.csv", "real,a\n1,a1\n")
	write("3.csv", "real,predict,a\n1,2,a1\n")
	write("4.a.csv", "real,predict,a\n1,2,a1\n")
	for _, tc := range []struct {
		ts, set, want string
	}{
		{"1", "a=a1", "must be finite numbers"},
		{"2", "a=a1", "no real or predict column"},
		{"3", "b=b1", `no dimension "b"`},
		{"3", "a", "is not dimension=value"},
		{"4", "a=a1", "derived measure"},
	} {
		_, err := published.ReadCase(dir, published.Injection{Timestamp: tc.ts, Set: tc.set})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("case %s set %q: error %v, want one saying %q", tc.ts, tc.set, err, tc.want)
		}
	}
	_, err := published.ReadCase(dir, published.Injection{Timestamp: "4", Set: "a=a1"})
	if !errors.Is(err, published.ErrDerived) {
		t.Errorf("a derived case's error %v is not ErrDerived", err)
	}
}

// TestScoring scores a hand-made answer as the papers do: exact matches only, counts
// summed over cases.
func TestScoring(t *testing.T) {
	c := readSample(t, "B_cuboid_layer_1_n_ele_2", "3000")
	var tally synth.Tally
	tally.Add(c.Truth, []string{"a=a1", "a=a1&c=c2"}) // one exact, one wrong: a descendant of the truth
	tally.Add(c.Truth, nil)                           // silent: two misses
	if tally.TP != 1 || tally.FP != 1 || tally.FN != 3 {
		t.Fatalf("tp %d fp %d fn %d, want 1 1 3", tally.TP, tally.FP, tally.FN)
	}
	if f := tally.F1(); math.Abs(f-2.0/6) > 1e-12 {
		t.Errorf("F1 %v, want 2/(2+1+3)", f)
	}
}

// TestLocalizeSample runs the search on the sample's three cases, whose falls (to 0-40%
// of the forecast) are plain: it must name exactly the truth.
func TestLocalizeSample(t *testing.T) {
	for _, tc := range []struct{ class, ts string }{
		{"B_cuboid_layer_2_n_ele_1", "1000"},
		{"B_cuboid_layer_2_n_ele_1", "2000"},
		{"B_cuboid_layer_1_n_ele_2", "3000"},
	} {
		c := readSample(t, tc.class, tc.ts)
		res, err := localize.Localize(context.Background(), &c.Cube, localize.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := synth.Named(res)
		slices.Sort(got)
		if !slices.Equal(got, c.Truth) {
			t.Errorf("%s/%s: named %q, truth %q", tc.class, tc.ts, got, c.Truth)
		}
	}
}
