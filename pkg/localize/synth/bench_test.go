package synth_test

import (
	"context"
	"testing"

	"github.com/spacetime/tickets/pkg/localize"
	"github.com/spacetime/tickets/pkg/localize/synth"
)

// BenchmarkLocalize measures the search alone on big cubes: 100 tickets a minute (a
// million a week), a window of an hour against the day before, and a day against the
// six days before, with three incidents of two facets.
//
//	go test -run '^$' -bench Localize -benchtime 20x ./pkg/localize/synth
func BenchmarkLocalize(b *testing.B) {
	for _, size := range []struct {
		name string
		size synth.Size
	}{
		{"hour-vs-day", synth.Size{Rate: 100, Window: 60, Baseline: 1440}},
		{"day-vs-6days", synth.Size{Rate: 100, Window: 1440, Baseline: 6 * 1440}},
	} {
		c := synth.GenerateSized(synth.Class{Causes: 3, Dims: 2}, 7, size.size)
		b.Run(size.name, func(b *testing.B) {
			b.ReportMetric(float64(len(c.Cube.Now)), "leaves")
			for b.Loop() {
				if _, err := localize.Localize(context.Background(), &c.Cube, localize.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
