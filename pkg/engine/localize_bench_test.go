package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/localize"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

// BenchmarkLocalize measures a localize query as the plugin answers it, on a fresh cache:
// the engine's leaves of the six facets (engine.Leaves, one pass over the window's and
// the baseline's rows), then the search (localize.Localize). The tickets are generated
// over 14 days, so that "7d" (the last 7 days against the 7 before) holds all n of them;
// "1h" is the hour of the newest outage against the day before it, an alert's question;
// "10m" its first 10 minutes against the day before, the Ticket spike rule's culprit query,
// which runs every minute.
//
//	go test -run '^$' -bench Localize -benchtime 10x ./pkg/engine
//	SPACETIME_BENCH_10M=1 go test -run '^$' -bench 'Localize/tickets=10000000' -benchtime 5x -timeout 30m ./pkg/engine
func BenchmarkLocalize(b *testing.B) {
	for _, n := range benchSizes() {
		opts := gen.Options{Tickets: n, End: benchEnd, Span: 14 * 24 * time.Hour, Seed: 1, Outages: 6}
		s := schema.Default()
		env, err := query.NewEnv(s)
		if err != nil {
			b.Fatal(err)
		}
		e := engine.New(s, nil, engine.Options{Open: env.Open})
		generateWith(b, opts, e.Apply)
		outages := gen.PlanOutages(opts)
		last := outages[len(outages)-1]
		ctx := context.Background()
		for _, w := range []struct {
			name     string
			from, to time.Time
			baseline time.Duration
		}{
			{"7d", benchEnd.Add(-7 * 24 * time.Hour), benchEnd.Add(time.Minute), 7 * 24 * time.Hour},
			{"1h", last.Start, last.Start.Add(time.Hour), 24 * time.Hour},
			{"10m", last.Start.Add(10 * time.Minute), last.Start.Add(20 * time.Minute), 24 * time.Hour},
		} {
			// Every facet, the lifecycle column status included: issue 14's six.
			var facets []string
			for _, c := range s.Facets() {
				facets = append(facets, c.Name)
			}
			req := engine.LeavesRequest{Scope: engine.Scope{From: w.from, To: w.to}, Baseline: w.baseline, Fields: facets}
			b.Run(fmt.Sprintf("tickets=%d/window=%s", n, w.name), func(b *testing.B) {
				var leaves, search time.Duration
				var res *localize.Result
				var cells int
				for b.Loop() {
					engine.DropCaches(e)
					start := time.Now()
					lv, err := e.Leaves(ctx, req)
					if err != nil {
						b.Fatal(err)
					}
					mid := time.Now()
					cube := localize.Cube{Codes: lv.Codes, Now: lv.Now, Before: lv.Before, Early: lv.Early,
						Scale: float64(lv.Length) / float64(lv.BaselineLength)}
					for _, f := range lv.Fields {
						cube.Dims = append(cube.Dims, localize.Dim{Name: f.Name, Values: f.Values, Nulls: f.Nulls})
					}
					res, err = localize.Localize(context.Background(), &cube, localize.Options{})
					if err != nil {
						b.Fatal(err)
					}
					search += time.Since(mid)
					leaves += mid.Sub(start)
					cells = len(lv.Now)
				}
				iters := float64(b.N)
				b.ReportMetric(float64(leaves.Microseconds())/1000/iters, "ms-leaves")
				b.ReportMetric(float64(search.Microseconds())/1000/iters, "ms-search")
				b.ReportMetric(float64((leaves+search).Microseconds())/1000/iters, "ms-total")
				b.ReportMetric(float64(cells), "leaves")
				var named []string
				for _, c := range res.Causes {
					named = append(named, c.String())
				}
				b.Logf("%s: %s, %d tickets now, %.0f expected, triples skipped %v; causes: %s (the outage: service %s, region %s)",
					w.name, res.Verdict, res.Now, res.Expected, res.TriplesSkipped, strings.Join(named, "; "), last.Service, last.Region)
			})
		}
		runtime.KeepAlive(e)
	}
}
