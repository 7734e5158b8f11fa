package synth_test

import (
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/spacetime/tickets/pkg/localize"
	"github.com/spacetime/tickets/pkg/localize/synth"
)

func TestDebugCases(t *testing.T) {
	ci, _ := strconv.Atoi(os.Getenv("CI_"))
	class := synth.Classes()[ci]
	t.Logf("class %s", class)
	for i := range 20 {
		c := synth.Generate(class, uint64(ci)<<32|uint64(i))
		res, _ := localize.Localize(&c.Cube, localize.Options{})
		named := synth.Named(res)
		ok := len(named) == len(c.Truth)
		for _, n := range named {
			ok = ok && slices.Contains(c.Truth, n)
		}
		if ok && os.Getenv("ALL") == "" {
			continue
		}
		t.Logf("case %d: truth %v ratios %.2f; now %d exp %.1f scale %.3f leaves %d -> %s level %.2f phi %.2f ", i, c.Truth, c.Ratios, res.Now, res.Expected, c.Cube.Scale, len(c.Cube.Now), res.Verdict, res.Level, res.Dispersion)
		for _, k := range res.Causes {
			t.Logf("    %s now %d exp %.1f excess %.1f score %.1f", synth.Key(k.Terms), k.Now, k.Expected, k.Excess, k.Score)
		}
	}
}
