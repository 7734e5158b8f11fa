// Package published reads the semi-synthetic benchmark cases that the Squeeze paper (Li et
// al., ISSRE 2019) released and the RiskLoc paper (Kalander, arXiv 2205.10004) reran its
// baselines on, and turns each into a localize.Cube, so that our search can be scored on
// the same cases and by the same rule as the published methods.
//
// # Their format
//
// A data set (A, B0 to B4, D) holds one folder per class, e.g. B_cuboid_layer_2_n_ele_3
// (three root causes of two dimensions each). A folder holds injection_info.csv, whose
// "timestamp" and "set" columns name each case and its root causes
// ("a=a1&b=b2;c=c3&d=d4"), and one <timestamp>.csv per case: one row per leaf, with the
// measure's "real" value, its forecast "predict", and a column per dimension. (The
// "derived" data set D holds <timestamp>.a.csv and .b.csv, two measures whose ratio is
// looked at; a ratio is not a count, and this package refuses it.)
//
// # The mapping onto a cube of counts, and why
//
// Our model counts tickets in a window against a baseline scaled by Cube.Scale. Their
// leaves hold a KPI's real value against its forecast. The honest mapping is the one that
// keeps the forecast as the expectation: the baseline is the forecast, with Scale 1 so
// that expected = predict exactly, and the window is the real value.
//
// Every injected anomaly in B0 is a fall: each of its 1,793 root causes holds 0 to 60% of
// its forecast (measured; see docs/incoming/papers.md). Our search explains a rise. A
// fall is the mirror of a rise: the forecast is what should have come and the real is
// what came, so where the total fell short of its forecast the window is
// the forecast and the baseline the real value (Case.Fall). By default (Auto) the
// direction is read from the totals alone, as an alert on the total would know it, never
// from the truth; Fall takes every case as a fall, as a monitor of a KPI whose harm is a
// drop would.
//
// Their values are not integers: forecasts and real values are real numbers (in a B0 case,
// 64% of the leaves are non-zero; of those the median forecast is 18, a quarter are 2 or
// less, the largest about 10^5). The likelihood of localize is written for counts, so each
// value is rounded to the nearest integer. Rounding moves a leaf by at most half a unit
// and a normal leaf's real value lies within about 1% of its forecast, so the two periods
// of a normal leaf round alike; the leaves below one half, which hold a negligible part of
// the total, become empty. A negative value (RiskLoc's generator leaves a few, adding
// normal noise to a non-negative measure) is read as 0 and counted (Case.Clamped).
// What rounding cannot fix is the kind of noise: a KPI's noise grows with its value (a
// share of it), a count's with its square root. The search measures one over-dispersion
// factor (noise.go), which fits one size of leaf and not all; that mismatch, not the
// rounding, is what this mapping costs.
//
// Scoring (synth.Tally) is theirs: a predicted combination is a true positive only if it
// equals a true root cause exactly, F1 = 2TP/(2TP+FP+FN) with TP, FP and FN summed over a
// class's cases (Squeeze's run_evaluation.py; RiskLoc's utils/evaluation.py scores each
// case the same way and sums). The truth is deduplicated as they deduplicate it: a few
// labels name the same combination twice.
package published

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spacetime/tickets/pkg/localize"
	"github.com/spacetime/tickets/pkg/localize/synth"
)

// Case is one benchmark case as a cube.
type Case struct {
	// Name is the case's timestamp, as their files name it.
	Name string
	Cube localize.Cube
	// Truth holds the root causes in synth.Key's form ("a=a1&b=b2", the cube's dimension
	// order), deduplicated.
	Truth []string
	// Fall says the case is read as a fall (by its totals, or because the Direction
	// says so): the cube's window holds the forecast and its baseline the real values
	// (see the package comment).
	Fall bool
	// Real and Predict are the file's sums before rounding (negative values read as 0).
	Real, Predict float64
	// Clamped counts the leaves with a negative value, read as 0.
	Clamped int
}

// Class is one folder of a data set: its cases' class as the folder names it.
type Class struct {
	Name string
	// Layer is the number of dimensions of each root cause and Elements the number of
	// root causes, read from the folder's name (0 when the name does not say).
	Layer, Elements int
	Dir             string
}

// ErrDerived marks a case of a derived measure (the D data set), which this mapping does
// not take.
var ErrDerived = errors.New("published: a derived measure (ratio of two files) is not a count")

// Classes lists the class folders of one data set folder (each holding an
// injection_info.csv), by name.
func Classes(dataset string) ([]Class, error) {
	entries, err := os.ReadDir(dataset)
	if err != nil {
		return nil, fmt.Errorf("published: reading data set %s: %w", dataset, err)
	}
	var out []Class
	for _, e := range entries {
		dir := filepath.Join(dataset, e.Name())
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() { // a link to a folder counts
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "injection_info.csv")); err != nil {
			continue
		}
		c := Class{Name: e.Name(), Dir: dir}
		c.Layer, c.Elements = classOf(e.Name())
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("published: %s holds no class folder with an injection_info.csv", dataset)
	}
	return out, nil
}

var (
	layerRe    = regexp.MustCompile(`layers?_(\d+)`)
	elementsRe = regexp.MustCompile(`n_ele(?:ments)?_(\d+)`)
)

// classOf reads the layer and number of elements from a folder's name:
// B_cuboid_layer_2_n_ele_3 or new_dataset_A_week_12_n_elements_3_layers_2.
func classOf(name string) (layer, elements int) {
	if m := layerRe.FindStringSubmatch(name); m != nil {
		layer, _ = strconv.Atoi(m[1])
	}
	if m := elementsRe.FindStringSubmatch(name); m != nil {
		elements, _ = strconv.Atoi(m[1])
	}
	return layer, elements
}

// Injection is one row of injection_info.csv.
type Injection struct {
	Timestamp string
	Set       string
}

// ReadInjections reads a class folder's injection_info.csv.
func ReadInjections(dir string) ([]Injection, error) {
	path := filepath.Join(dir, "injection_info.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("published: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("published: %s: reading the header: %w", path, err)
	}
	ts, set := slices.Index(header, "timestamp"), slices.Index(header, "set")
	if ts < 0 || set < 0 {
		return nil, fmt.Errorf("published: %s: no timestamp or set column in %q", path, header)
	}
	var out []Injection
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("published: %s: %w", path, err)
		}
		out = append(out, Injection{Timestamp: rec[ts], Set: rec[set]})
	}
	return out, nil
}

// Direction says which way a case's anomaly is sought.
type Direction int

const (
	// Auto reads it from the totals: a fall where the real total is below the
	// forecast's, else a rise. It knows nothing of the truth, as an alert on the total
	// would not; it is wrong where a small anomaly is outweighed by the noise of the rest.
	Auto Direction = iota
	// Fall: every case is a fall (the window is the forecast), as for a KPI whose harm is
	// a drop, which is what every anomaly of B0 is.
	Fall
	// Rise: every case is a rise (the window is the real value).
	Rise
)

// ParseDirection reads "auto", "fall" or "rise".
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "", "auto":
		return Auto, nil
	case "fall":
		return Fall, nil
	case "rise":
		return Rise, nil
	}
	return Auto, fmt.Errorf("published: direction %q is none of auto, fall, rise", s)
}

func (d Direction) String() string {
	if d < Auto || d > Rise {
		return "Direction(" + strconv.Itoa(int(d)) + ")"
	}
	return [...]string{"auto", "fall", "rise"}[d]
}

// maxLeaves bounds the rows of one case (the published cases have 21,600): a larger file
// is refused rather than read whole into memory.
const maxLeaves = 1 << 24

// ReadCase reads one case of a class folder: <dir>/<timestamp>.csv, with inj's root
// causes as its truth, its direction read from its totals (Auto).
func ReadCase(dir string, inj Injection) (*Case, error) {
	return ReadCaseAs(dir, inj, Auto)
}

// ReadCaseAs is ReadCase with the direction given.
func ReadCaseAs(dir string, inj Injection, way Direction) (*Case, error) {
	path := filepath.Join(dir, inj.Timestamp+".csv")
	f, err := os.Open(path)
	if err != nil {
		if _, derr := os.Stat(filepath.Join(dir, inj.Timestamp+".a.csv")); derr == nil {
			return nil, fmt.Errorf("%w: %s", ErrDerived, filepath.Join(dir, inj.Timestamp+".a.csv"))
		}
		return nil, fmt.Errorf("published: %w", err)
	}
	defer f.Close()
	c, err := readLeaves(f, way)
	if err != nil {
		return nil, fmt.Errorf("published: %s: %w", path, err)
	}
	c.Name = inj.Timestamp
	c.Truth, err = c.truth(inj.Set)
	if err != nil {
		return nil, fmt.Errorf("published: %s: root causes %q: %w", path, inj.Set, err)
	}
	return c, nil
}

// readLeaves builds the cube from a case's rows.
func readLeaves(r io.Reader, way Direction) (*Case, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	header = slices.Clone(header)
	realCol, predCol := slices.Index(header, "real"), slices.Index(header, "predict")
	if realCol < 0 || predCol < 0 {
		return nil, fmt.Errorf("no real or predict column in %q", header)
	}
	var dimCols []int
	c := &Case{}
	for i, name := range header {
		if i != realCol && i != predCol {
			dimCols = append(dimCols, i)
			c.Cube.Dims = append(c.Cube.Dims, localize.Dim{Name: name})
		}
	}
	if len(dimCols) == 0 {
		return nil, errors.New("no dimension columns")
	}
	index := make([]map[string]uint32, len(dimCols))
	for i := range index {
		index[i] = map[string]uint32{}
	}
	var reals, preds []float64
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(reals) == maxLeaves {
			return nil, fmt.Errorf("more than %d leaves", maxLeaves)
		}
		re, err1 := strconv.ParseFloat(rec[realCol], 64)
		pr, err2 := strconv.ParseFloat(rec[predCol], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if math.IsNaN(re) || math.IsNaN(pr) || math.IsInf(re, 0) || math.IsInf(pr, 0) {
			return nil, fmt.Errorf("line %d: real %v and predict %v must be finite numbers", line, re, pr)
		}
		if re < 0 || pr < 0 {
			// RiskLoc's generator adds normal noise to a non-negative measure and does
			// not clamp the real value: a count cannot be negative, so it is read as 0.
			c.Clamped++
			re, pr = max(re, 0), max(pr, 0)
		}
		reals = append(reals, re)
		preds = append(preds, pr)
		c.Real += re
		c.Predict += pr
		for d, col := range dimCols {
			v := rec[col]
			code, ok := index[d][v]
			if !ok {
				code = uint32(len(c.Cube.Dims[d].Values))
				index[d][v] = code
				c.Cube.Dims[d].Values = append(c.Cube.Dims[d].Values, v)
			}
			c.Cube.Codes = append(c.Cube.Codes, code)
		}
	}
	if len(reals) == 0 {
		return nil, errors.New("no leaves")
	}
	switch way {
	case Auto:
		c.Fall = c.Real < c.Predict
	case Fall:
		c.Fall = true
	}
	now, before := reals, preds
	if c.Fall {
		now, before = preds, reals
	}
	c.Cube.Now = rounded(now)
	c.Cube.Before = rounded(before)
	c.Cube.Scale = 1
	return c, nil
}

func rounded(xs []float64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(math.Round(x))
	}
	return out
}

// truth turns a set of root causes ("a=a1&b=b2;c=c3") into synth.Key's form in this
// cube's dimension order, deduplicated.
func (c *Case) truth(set string) ([]string, error) {
	var out []string
	for _, rc := range strings.Split(set, ";") {
		rc = strings.TrimSpace(rc)
		if rc == "" {
			continue
		}
		terms, err := synth.ParseKey(c.Cube.Dims, rc)
		if err != nil {
			return nil, err
		}
		key := synth.Key(terms)
		if !slices.Contains(out, key) {
			out = append(out, key)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no root cause")
	}
	return out, nil
}
