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
	took        time.Duration
	leaves      int
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
			r.mover.Add(c.Truth, synth.TopMover(&c.Cube, engine.MoverScore))
		}
		rows = append(rows, r)
	}
	return rows
}

func table(rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| class | cases | F1 | precision | recall | silent | movers F1 | leaves | ms/case |\n")
	fmt.Fprintf(&b, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %.3f | %.3f | %.3f | %d | %.3f | %d | %.2f |\n", r.class, r.ours.Cases,
			r.ours.F1(), r.ours.Precision(), r.ours.Recall(), r.ours.Silent, r.mover.F1(),
			r.leaves/r.ours.Cases, float64(r.took.Microseconds())/1000/float64(r.ours.Cases))
	}
	return b.String()
}

// TestEvaluation runs the benchmark over every class and prints the table.
//
//	SPACETIME_LOCALIZE_CASES=200 go test -run TestEvaluation -v ./pkg/localize/synth
func TestEvaluation(t *testing.T) {
	rows := evaluate(t, synth.Classes(), evalCases(t, 10))
	t.Logf("\n%s", table(rows))
}
