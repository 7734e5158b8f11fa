package synth_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/localize"
	"github.com/spacetime/tickets/pkg/localize/synth"
)

// evalCases is the number of cases per class: SPACETIME_LOCALIZE_CASES, or a small
// number for the ordinary test run.
func evalCases(t *testing.T, def int) int {
	if s := os.Getenv("SPACETIME_LOCALIZE_CASES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("SPACETIME_LOCALIZE_CASES=%q is not a positive number", s)
		}
		return n
	}
	return def
}

type row struct {
	class       synth.Class
	ours, mover synth.Tally
	// same scores ours counting a combination that selects the same tickets as the
	// truth's as right (see Tally.AddSame).
	same   synth.Tally
	took   time.Duration
	leaves int
}

func evaluate(t *testing.T, classes []synth.Class, cases int) []row {
	var rows []row
	for ci, class := range classes {
		r := row{class: class}
		for i := range cases {
			c := synth.Generate(class, uint64(ci)<<32|uint64(i))
			start := time.Now()
			res, err := localize.Localize(context.Background(), &c.Cube, localize.Options{})
			r.took += time.Since(start)
			if err != nil {
				t.Fatalf("%s case %d: %v", class, i, err)
			}
			r.leaves += len(c.Cube.Now)
			r.ours.Add(c.Truth, synth.Named(res))
			r.same.AddSame(&c.Cube, c.Truth, synth.Named(res))
			r.mover.Add(c.Truth, synth.TopMover(&c.Cube, engine.MoverScore))
		}
		rows = append(rows, r)
	}
	return rows
}

// table writes the rows as Markdown. A class with no incident has no F1 (nothing to
// find): its "silent" column counts the cases answered, rightly, with no combination,
// and movers, which always names its top value, is wrong in every one of them. "F1,
// same tickets" also counts as right a combination that selects exactly the truth's
// tickets in both periods (Tally.AddSame), beside the strict F1, not instead of it.
func table(rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| class | cases | F1 | precision | recall | F1, same tickets | silent | movers F1 | leaves | ms/case |\n")
	fmt.Fprintf(&b, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		f1, p, rc, same, mv := "—", "—", "—", "—", "—"
		if r.class.Causes > 0 {
			f1 = fmt.Sprintf("%.3f", r.ours.F1())
			same = fmt.Sprintf("%.3f", r.same.F1())
			p = fmt.Sprintf("%.3f", r.ours.Precision())
			rc = fmt.Sprintf("%.3f", r.ours.Recall())
			mv = fmt.Sprintf("%.3f", r.mover.F1())
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %d | %s | %d | %.2f |\n", r.class, r.ours.Cases,
			f1, p, rc, same, r.ours.Silent, mv,
			r.leaves/r.ours.Cases, float64(r.took.Microseconds())/1000/float64(r.ours.Cases))
	}
	return b.String()
}

// TestEvaluation runs the benchmark over every class, prints the table, and fails when
// the search falls below floors well under what it scores (an F1 of 0.9 over every case
// with incidents, more than movers where incidents span several facets, and at most one
// quiet or evenly rising window in twenty with a culprit named): a change that breaks
// the search fails here, not only in the figures.
//
//	SPACETIME_LOCALIZE_CASES=200 go test -run TestEvaluation -v ./pkg/localize/synth
func TestEvaluation(t *testing.T) {
	def := 8
	if raceEnabled {
		def = 4
	}
	rows := evaluate(t, synth.Classes(), evalCases(t, def))
	t.Logf("\n%s", table(rows))
	var all, multi, multiMovers synth.Tally
	quiet, alarms := 0, 0
	for _, r := range rows {
		if r.class.Causes == 0 {
			quiet += r.ours.Cases
			alarms += r.ours.Cases - r.ours.Silent
			continue
		}
		all.Merge(r.ours)
		if r.class.Dims > 1 {
			multi.Merge(r.ours)
			multiMovers.Merge(r.mover)
		}
	}
	if f := all.F1(); f < 0.9 {
		t.Errorf("F1 over every case with incidents is %.3f, under 0.9", f)
	}
	if multi.F1() <= multiMovers.F1() {
		t.Errorf("on incidents of several facets the search scores %.3f, movers %.3f", multi.F1(), multiMovers.F1())
	}
	if alarms*20 > quiet {
		t.Errorf("%d of %d windows without a localized cause named one", alarms, quiet)
	}
}
