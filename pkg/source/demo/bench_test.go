package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/demo"
)

// BenchmarkSteadyPoll measures a steady poll (a minute and the 5 minutes' overlap, on a
// weekday afternoon) by rate, the records mapped but not stored: the time per poll and per
// ticket handed over.
//
//	go test -run '^$' -bench SteadyPoll -benchtime 5x ./pkg/source/demo/
func BenchmarkSteadyPoll(b *testing.B) {
	for _, rate := range []float64{10, 600, 3000} {
		b.Run(fmt.Sprintf("rate=%g", rate), func(b *testing.B) {
			src, err := demo.New(schema.Default(), demo.Options{Rate: rate, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for i := 0; b.Loop(); i++ {
				at := now.Add(time.Duration(i) * time.Minute)
				_, err := src.Poll(context.Background(), source.Window{Since: at.Add(-6 * time.Minute), Now: at},
					func(_ context.Context, batch source.Batch) error { n += len(batch.Records); return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/float64(b.N), "tickets/poll")
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(max(n, 1)), "ns/ticket")
		})
	}
}

// BenchmarkFirstPoll measures a first poll at 3000 tickets a minute with a day's
// backfill (about 4 million tickets), the records mapped but not stored.
//
//	go test -run '^$' -bench FirstPoll -benchtime 1x -timeout 30m ./pkg/source/demo/
func BenchmarkFirstPoll(b *testing.B) {
	src, err := demo.New(schema.Default(), demo.Options{Rate: 3000, Seed: 1, Backfill: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		_, err := src.Poll(context.Background(), source.Window{Now: now},
			func(_ context.Context, batch source.Batch) error { n += len(batch.Records); return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "tickets/poll")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(max(n, 1)), "ns/ticket")
}
