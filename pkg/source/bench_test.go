package source_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/httpjson"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// batches is a source that hands over prepared records in batches of a given size.
type batches struct {
	recs []ticket.Record
	size int
}

func (b *batches) Describe() string { return "prepared batches" }

func (b *batches) Poll(ctx context.Context, _ source.Window, emit source.Emit) (json.RawMessage, error) {
	for i := 0; i < len(b.recs); i += b.size {
		if err := emit(ctx, source.Batch{Records: b.recs[i:min(i+b.size, len(b.recs))]}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func generated(b *testing.B, n int) []ticket.Record {
	b.Helper()
	out := make([]ticket.Record, 0, n)
	err := gen.Generate(context.Background(), gen.Options{Tickets: n, End: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Span: 7 * 24 * time.Hour, Seed: 1},
		func(r *ticket.Record) error { out = append(out, r.Clone()); return nil })
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkIngest measures the poller's write path into the embedded store, with fsync,
// and the engine's sync after each batch, as the plugin runs it: tickets per second by
// the number of tickets a source hands over at once. A minute of ordinary load is about
// 10 tickets; an outage's minute a few hundred; a backfill or a drop-box file thousands.
//
//	go test -run '^$' -bench Ingest -benchtime 3x ./pkg/source
func BenchmarkIngest(b *testing.B) {
	for _, size := range []int{10, 100, 1000, 5000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			n := min(50_000, size*200)
			recs := generated(b, n)
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				st, err := bolt.Open(filepath.Join(b.TempDir(), "t.db"), bolt.Options{})
				if err != nil {
					b.Fatal(err)
				}
				eng := engine.New(schema.Default(), st, engine.Options{})
				p := source.NewPoller(&batches{recs: recs, size: size}, st, source.Options{
					AfterWrite: func(ctx context.Context) error { _, err := eng.Sync(ctx); return err },
				})
				b.StartTimer()
				start := time.Now()
				if _, err := p.PollOnce(context.Background()); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				b.StopTimer()
				if eng.Len() != n {
					b.Fatalf("the engine holds %d tickets, want %d", eng.Len(), n)
				}
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "tickets/s")
			b.ReportMetric(float64(total.Microseconds())/float64(b.N*((n+size-1)/size))/1000, "ms/batch")
		})
	}
}

// BenchmarkHTTPPoll measures one whole poll of an HTTP source in the steady state: a
// page of the minute's tickets fetched from a local server, mapped through the schema,
// written with fsync, and synced into an engine of a week of tickets.
//
//	go test -run '^$' -bench HTTPPoll -benchtime 200x ./pkg/source
func BenchmarkHTTPPoll(b *testing.B) {
	for _, perPoll := range []int{10, 500} {
		b.Run(fmt.Sprintf("tickets=%d", perPoll), func(b *testing.B) {
			version := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				version++
				items := make([]map[string]any, perPoll)
				upd := time.Now().UTC().Format(time.RFC3339Nano)
				for i := range items {
					items[i] = map[string]any{"id": fmt.Sprintf("H-%d-%d", version, i), "title": "disk full on a host", "severity": 3,
						"service": "checkout-api", "region": "eu-west-1", "status": "open", "created": upd, "updated": upd}
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
			}))
			defer srv.Close()
			st, err := bolt.Open(filepath.Join(b.TempDir(), "t.db"), bolt.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Upsert(context.Background(), generated(b, 100_000)); err != nil {
				b.Fatal(err)
			}
			eng := engine.New(schema.Default(), st, engine.Options{})
			if _, err := eng.Sync(context.Background()); err != nil {
				b.Fatal(err)
			}
			src, err := httpjson.New(schema.Default(), httpjson.Config{URL: srv.URL + "/t?since={since}", Items: "items", Paging: httpjson.Paging{Type: "none"}})
			if err != nil {
				b.Fatal(err)
			}
			p := source.NewPoller(src, st, source.Options{AfterWrite: func(ctx context.Context) error { _, err := eng.Sync(ctx); return err }})
			for b.Loop() {
				if _, err := p.PollOnce(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/poll")
		})
	}
}
