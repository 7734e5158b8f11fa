package gen_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ticket"
)

// BenchmarkGenerate measures generation alone and with each writer, 1M tickets an
// operation. 10M tickets take ten times as long (generation is linear).
//
//	go test -run '^$' -bench Generate -benchtime 2x ./pkg/gen/
func BenchmarkGenerate(b *testing.B) {
	const n = 1_000_000
	opts := gen.Options{Tickets: n, End: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Seed: 1, Outages: 5}
	run := func(b *testing.B, f func() error) {
		var total time.Duration
		for b.Loop() {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
		}
		b.ReportMetric(float64(n*b.N)/total.Seconds(), "tickets/s")
	}
	b.Run("records", func(b *testing.B) {
		run(b, func() error {
			return gen.Generate(context.Background(), opts, func(*ticket.Record) error { return nil })
		})
	})
	b.Run("updates", func(b *testing.B) {
		o := opts
		o.Updates = true
		run(b, func() error {
			return gen.Generate(context.Background(), o, func(*ticket.Record) error { return nil })
		})
	})
	b.Run("jsonl", func(b *testing.B) {
		run(b, func() error { return gen.WriteJSONL(context.Background(), io.Discard, opts) })
	})
	b.Run("csv", func(b *testing.B) {
		run(b, func() error { return gen.WriteCSV(context.Background(), io.Discard, opts) })
	})
}
