package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

const benchTickets = 100_000

func benchFile(b *testing.B, name string, write func(context.Context, *os.File, gen.Options) error) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	opts := gen.Options{Tickets: benchTickets, End: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Seed: 1, Outages: 3}
	if err := write(context.Background(), f, opts); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkImport measures import throughput from generated files: parsing and mapping
// alone (a sink that discards) and into the embedded store (without fsync, as the disk
// of a benchmark machine says little).
//
//	go test -run '^$' -bench Import -benchtime 3x ./pkg/ingest/
func BenchmarkImport(b *testing.B) {
	files := map[string]string{
		"csv": benchFile(b, "tickets.csv", func(ctx context.Context, f *os.File, o gen.Options) error {
			return gen.WriteCSV(ctx, f, o)
		}),
		"jsonl": benchFile(b, "tickets.jsonl", func(ctx context.Context, f *os.File, o gen.Options) error {
			return gen.WriteJSONL(ctx, f, o)
		}),
	}
	s := schema.Default()
	for _, format := range []string{"csv", "jsonl"} {
		for _, sinkName := range []string{"discard", "bolt"} {
			b.Run(fmt.Sprintf("%s/%s", format, sinkName), func(b *testing.B) {
				path := files[format]
				fi, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(fi.Size())
				var total time.Duration
				for b.Loop() {
					var sink ingest.Sink = func(_ context.Context, recs []ticket.Record) (store.UpsertResult, error) {
						return store.UpsertResult{Inserted: len(recs)}, nil
					}
					var st *bolt.Store
					if sinkName == "bolt" {
						b.StopTimer()
						st, err = bolt.Open(filepath.Join(b.TempDir(), "tickets.db"), bolt.Options{NoSync: true})
						if err != nil {
							b.Fatal(err)
						}
						sink = st.Upsert
						b.StartTimer()
					}
					start := time.Now()
					rep, err := ingest.ImportFile(context.Background(), path, s, ingest.Options{}, sink)
					total += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					if rep.Result.Inserted != benchTickets {
						b.Fatalf("inserted %d of %d", rep.Result.Inserted, benchTickets)
					}
					if st != nil {
						b.StopTimer()
						_ = st.Close()
						b.StartTimer()
					}
				}
				b.ReportMetric(float64(benchTickets*b.N)/total.Seconds(), "records/s")
			})
		}
	}
}
