package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/patterns"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// BenchmarkPatterns measures what the pattern dimension costs an engine of the generated
// tickets (the default schema mines the titles): the heap per ticket with the option and
// without it, the difference (the pattern column and the miner, amortized), the time to
// apply the tickets both ways, and the miner alone over the same titles in arrival order
// (titles per second on one goroutine). Updates are included: the generator rewrites
// tickets, and an update of a title is mined again.
//
//	go test ./pkg/engine -run '^$' -bench Patterns -benchtime 1x
func BenchmarkPatterns(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			var batches [][]ticket.Record
			generate(b, n, func(recs []ticket.Record) { batches = append(batches, recs) })
			var titles []string
			for _, batch := range batches {
				for i := range batch {
					if k := batch[i].Layout.Index("title"); k >= 0 && !batch[i].Values[k].IsNull() {
						titles = append(titles, batch[i].Values[k].S)
					}
				}
			}
			with := schema.Default()
			without := schema.Default()
			without.Patterns = nil
			if err := without.Validate(); err != nil {
				b.Fatal(err)
			}
			// Times are CPU times of the process (see processCPU): the machine is shared.
			load := func(s *schema.Schema) (heap int64, took time.Duration, e *engine.Engine) {
				before := heapInUse()
				start := processCPU(b)
				e = engine.New(s, nil, engine.Options{})
				for _, batch := range batches {
					e.Apply(batch)
				}
				took = processCPU(b) - start
				return heapInUse() - before, took, e
			}
			var heapWith, heapWithout int64
			var tookWith, tookWithout, tookMiner, tookQuery time.Duration
			var found int
			env, err := query.NewEnv(with)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				var e *engine.Engine
				heapWithout, tookWithout, e = load(without)
				runtime.KeepAlive(e)
				e = nil
				heapWith, tookWith, e = load(with)
				// The patterns query over the whole month, as the overview's panel asks
				// it with a 30-day range: the top 10, their counts over time, first and
				// last tickets.
				start := processCPU(b)
				fs, err := query.Run(context.Background(), e, env, query.Request{Query: &query.PatternsQuery{Bucket: "1d"},
					From: benchEnd.Add(-gen.DefaultSpan), To: benchEnd})
				tookQuery = processCPU(b) - start
				if err != nil || len(fs) != 2 || fs[0].Rows() != 10 {
					b.Fatalf("the patterns query: %v, %v", fs, err)
				}
				runtime.KeepAlive(e)
				e = nil
				m := patterns.New(patterns.Options{})
				start = processCPU(b)
				for _, t := range titles {
					m.Add(t)
				}
				tookMiner = processCPU(b) - start
				found = m.Len()
			}
			tickets := float64(n)
			b.ReportMetric(float64(heapWith)/tickets, "B/ticket-with")
			b.ReportMetric(float64(heapWithout)/tickets, "B/ticket-without")
			b.ReportMetric(float64(heapWith-heapWithout)/tickets, "B/ticket-patterns")
			b.ReportMetric(float64(tookWith-tookWithout)/tickets, "cpu-ns/ticket-patterns")
			b.ReportMetric(float64(tookWithout)/tickets, "cpu-ns/ticket-without")
			b.ReportMetric(float64(len(titles))/tookMiner.Seconds(), "titles/cpu-s-miner")
			b.ReportMetric(float64(tookQuery.Milliseconds()), "cpu-ms/patterns-query")
			b.ReportMetric(float64(len(titles)), "titles")
			b.ReportMetric(float64(found), "patterns")
		})
	}
}

// processCPU is the CPU time the process has used, every thread (the garbage collector's
// work included): on a machine shared with other work it measures our own cost where
// the wall time would add the others'.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
