package published_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/localize"
	"github.com/spacetime/tickets/pkg/localize/published"
	"github.com/spacetime/tickets/pkg/localize/synth"
)

// dataEnv names the folder holding the published data sets (B0, B1, ... each holding its
// class folders); casesEnv caps the cases read per class.
const (
	dataEnv  = "SPACETIME_PUBLISHED_DATA"
	casesEnv = "SPACETIME_PUBLISHED_CASES"
)

type evalRow struct {
	dataset string
	class   published.Class
	ours    synth.Tally
	movers  synth.Tally
	took    time.Duration
	leaves  int
	falls   int
}

// TestPublishedBenchmark scores localize on the Squeeze benchmark's cases, class by class,
// and prints the table that docs/incoming/papers.md reports. It is opt-in: the data are
// not ours to commit (see that note for how to fetch them).
//
//	SPACETIME_PUBLISHED_DATA=/tmp/papers-data go test -run TestPublishedBenchmark -v -timeout 60m ./pkg/localize/published
//
// SPACETIME_PUBLISHED_DIRECTION (auto, fall, rise), SPACETIME_PUBLISHED_MAXDIMS,
// SPACETIME_PUBLISHED_ALPHA and SPACETIME_PUBLISHED_MINRATIO set the adapter's direction
// and the search's options;
// SPACETIME_PUBLISHED_TRACE=1 with -v logs every case's truth and answer.
//
// Besides the figures, it checks every case's cube against the file it came from: its
// leaf totals must equal the file's sums within half a unit a leaf.
func TestPublishedBenchmark(t *testing.T) {
	root := os.Getenv(dataEnv)
	if root == "" {
		t.Skipf("%s is not set: it names the folder holding the published data sets (B0, ...); see docs/incoming/papers.md", dataEnv)
	}
	limit := math.MaxInt
	if s := os.Getenv(casesEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q is not a positive number", casesEnv, s)
		}
		limit = n
	}
	opts := localize.Options{}
	if s := os.Getenv("SPACETIME_PUBLISHED_MAXDIMS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		opts.MaxDims = n
	}
	if s := os.Getenv("SPACETIME_PUBLISHED_ALPHA"); s != "" {
		a, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		opts.Alpha = a
	}
	if s := os.Getenv("SPACETIME_PUBLISHED_MINRATIO"); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		opts.MinRatio = r
	}
	way, err := published.ParseDirection(os.Getenv("SPACETIME_PUBLISHED_DIRECTION"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var rows []evalRow
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		classes, err := published.Classes(filepath.Join(root, e.Name()))
		if err != nil {
			t.Logf("skipping %s: %v", e.Name(), err)
			continue
		}
		for _, class := range classes {
			r, err := evalClass(t, e.Name(), class, limit, opts, way)
			if errors.Is(err, published.ErrDerived) {
				t.Logf("skipping %s/%s: %v", e.Name(), class.Name, err)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		t.Fatalf("%s=%s holds no data set folder with class folders", dataEnv, root)
	}
	t.Logf("options %+v, direction %s\n%s", opts, way, evalTable(rows))
}

func evalClass(t *testing.T, dataset string, class published.Class, limit int, opts localize.Options, way published.Direction) (evalRow, error) {
	r := evalRow{dataset: dataset, class: class}
	injs, err := published.ReadInjections(class.Dir)
	if err != nil {
		return r, err
	}
	for i, inj := range injs {
		if i >= limit {
			break
		}
		c, err := published.ReadCaseAs(class.Dir, inj, way)
		if err != nil {
			return r, err
		}
		checkTotals(t, c)
		start := time.Now()
		res, err := localize.Localize(context.Background(), &c.Cube, opts)
		r.took += time.Since(start)
		if err != nil {
			return r, fmt.Errorf("%s/%s/%s: %w", dataset, class.Name, inj.Timestamp, err)
		}
		named := synth.Named(res)
		if testing.Verbose() && os.Getenv("SPACETIME_PUBLISHED_TRACE") != "" {
			t.Logf("%s/%s/%s truth %s named %s (%s, dispersion %.1f, level %.2f)", dataset, class.Name, inj.Timestamp,
				strings.Join(c.Truth, ";"), strings.Join(named, ";"), res.Verdict, res.Dispersion, res.Level)
		}
		r.ours.Add(c.Truth, named)
		r.movers.Add(c.Truth, synth.TopMover(&c.Cube, engine.MoverScore))
		r.leaves += len(c.Cube.Now)
		if c.Fall {
			r.falls++
		}
	}
	return r, nil
}

// checkTotals: the window and baseline totals are the file's forecast and real sums (or
// the other way round for a rise) within the rounding of each leaf.
func checkTotals(t *testing.T, c *published.Case) {
	t.Helper()
	var now, before int64
	for l := range c.Cube.Now {
		now += c.Cube.Now[l]
		before += c.Cube.Before[l]
	}
	wantNow, wantBefore := c.Real, c.Predict
	if c.Fall {
		wantNow, wantBefore = c.Predict, c.Real
	}
	tol := 0.5*float64(len(c.Cube.Now)) + 1e-6*(wantNow+wantBefore)
	if math.Abs(float64(now)-wantNow) > tol || math.Abs(float64(before)-wantBefore) > tol {
		t.Errorf("case %s: leaf totals %d and %d, file sums %.1f and %.1f", c.Name, now, before, wantNow, wantBefore)
	}
}

func evalTable(rows []evalRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| data set | class | causes × dims | cases | falls | F1 | precision | recall | silent | movers F1 | leaves | ms/case |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	var all synth.Tally
	for _, r := range rows {
		all.Merge(r.ours)
		fmt.Fprintf(&b, "| %s | %s | %d×%dd | %d | %d | %.3f | %.3f | %.3f | %d | %.3f | %d | %.1f |\n",
			r.dataset, r.class.Name, r.class.Elements, r.class.Layer, r.ours.Cases, r.falls,
			r.ours.F1(), r.ours.Precision(), r.ours.Recall(), r.ours.Silent, r.movers.F1(),
			r.leaves/max(r.ours.Cases, 1), float64(r.took.Microseconds())/1000/float64(max(r.ours.Cases, 1)))
	}
	fmt.Fprintf(&b, "| all | | | %d | | %.3f | %.3f | %.3f | %d | | | |\n", all.Cases, all.F1(), all.Precision(), all.Recall(), all.Silent)
	return b.String()
}
