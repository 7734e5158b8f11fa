package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/bench"
	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// The benchmarks run at 1M tickets, and also at 10M with SPACETIME_BENCH_10M=1. They
// report their numbers with b.ReportMetric; nothing here asserts a timing.
//
//	go test -run '^$' -bench . -benchtime 5x ./pkg/engine

func benchSizes() []int {
	sizes := []int{1_000_000}
	if os.Getenv("SPACETIME_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

// benchEnd is "now" for the generated data, fixed so that runs compare.
var benchEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func genOptions(n int) gen.Options {
	return gen.Options{Tickets: n, End: benchEnd, Span: gen.DefaultSpan, Seed: 1, Outages: 12}
}

// generate calls fn with the generated records in batches it may keep.
func generate(b *testing.B, n int, fn func([]ticket.Record)) {
	b.Helper()
	generateWith(b, genOptions(n), fn)
}

// generateWith is generate with other options.
func generateWith(b *testing.B, opts gen.Options, fn func([]ticket.Record)) {
	b.Helper()
	err := gen.Batches(context.Background(), opts, 8192, func(batch []ticket.Record) error {
		fn(batch)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func loadedEngine(b *testing.B, n int) (*engine.Engine, *query.Env) {
	b.Helper()
	s := schema.Default()
	env, err := query.NewEnv(s)
	if err != nil {
		b.Fatal(err)
	}
	e := engine.New(s, nil, engine.Options{Open: env.Open})
	generate(b, n, e.Apply)
	return e, env
}

// panel is one engine call of a refresh, prepared outside the timed loop: parsing and
// checking filters is the query layer's work, not the engine's.
type panel func(ctx context.Context) error

func prepare(b *testing.B, e *engine.Engine, env *query.Env, rf bench.Refresh) []panel {
	b.Helper()
	var out []panel
	for _, m := range rf.Queries {
		base := m.Base()
		where, err := env.Where(base)
		if err != nil {
			b.Fatal(err)
		}
		sc := engine.Scope{From: rf.From, To: rf.To, TimeField: base.TimeField, Where: where, Search: base.Search}
		switch q := m.(type) {
		case *query.CountsQuery:
			bucket, err := query.ChooseBucket(q.Bucket, time.Minute, rf.To.Sub(rf.From), 1000)
			if err != nil {
				b.Fatal(err)
			}
			req := engine.CountsRequest{Scope: sc, Bucket: bucket, SplitBy: q.SplitBy, Top: q.Top}
			out = append(out, func(ctx context.Context) error { _, err := e.Counts(ctx, req); return err })
		case *query.BreakdownQuery:
			req := engine.BreakdownRequest{Scope: sc, Field: q.Field, Top: q.Top}
			out = append(out, func(ctx context.Context) error { _, err := e.Breakdown(ctx, req); return err })
		case *query.TicketsQuery:
			req := engine.TicketsRequest{Scope: sc, Columns: q.Columns, Sort: q.Sort, Limit: q.Limit}
			out = append(out, func(ctx context.Context) error { _, err := e.Tickets(ctx, req); return err })
		case *query.StatsQuery:
			req := engine.StatsRequest{Scope: sc}
			out = append(out, func(ctx context.Context) error { _, err := e.Stats(ctx, req); return err })
		default:
			b.Fatalf("the workload has a %s query", m.Type())
		}
	}
	return out
}

// focus is what a responder clicks on: the top service and region of the whole span.
func focus(b *testing.B, e *engine.Engine) (service, regionRegex string) {
	b.Helper()
	ctx := context.Background()
	top := func(field string) string {
		res, err := e.Breakdown(ctx, engine.BreakdownRequest{Field: field, Top: 1})
		if err != nil || len(res.Buckets) == 0 {
			b.Fatalf("breakdown by %s: %v", field, err)
		}
		return res.Buckets[0].Value
	}
	service, region := top("service"), top("region")
	regionRegex = "^eu-"
	if i := strings.Index(region, "-"); i > 0 {
		regionRegex = "^" + region[:i+1]
	}
	return service, regionRegex
}

// BenchmarkRefresh runs the drill-down of package bench (nine refreshes of the seven
// overview panels, 0 to 4 filters with a regex, a search, a zoom) against the engine
// alone, for the last 24 hours, the last 7 days and the whole 30 days. One iteration is
// the nine refreshes; the caches are dropped between iterations, as a write would.
func BenchmarkRefresh(b *testing.B) {
	for _, n := range benchSizes() {
		e, env := loadedEngine(b, n)
		service, region := focus(b, e)
		b.Logf("%d tickets; drilling into service %q and regions %q", e.Len(), service, region)
		ctx := context.Background()
		for _, w := range []struct {
			name   string
			window time.Duration
		}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"all", gen.DefaultSpan + time.Minute}} {
			var panels []panel
			for _, rf := range bench.Drilldown(benchEnd.Add(time.Minute), w.window, service, region) {
				panels = append(panels, prepare(b, e, env, rf)...)
			}
			b.Run(fmt.Sprintf("tickets=%d/range=%s", n, w.name), func(b *testing.B) {
				for b.Loop() {
					engine.DropCaches(e)
					for _, p := range panels {
						if err := p(ctx); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/9refreshes")
			})
		}
		runtime.KeepAlive(e)
	}
}

// BenchmarkPasses runs passes of a workload (the nine refreshes of a drill-down, seven
// panels each) and reports the median, 95th percentile and longest pass: warm (every
// cache kept from pass to pass, as when nothing is written between two refreshes),
// selections (the cached answers dropped, the selections kept: what the filters cost no
// more) and without reuse (both dropped before each pass, as after a write; the answers
// of string tests per value are kept, as they are across writes). One iteration is one
// pass: -benchtime 40x gives 40 passes.
//
//	go test -run '^$' -bench Passes -benchtime 40x ./pkg/engine
//	SPACETIME_BENCH_10M=1 go test -run '^$' -bench Passes -benchtime 40x -timeout 30m ./pkg/engine
func BenchmarkPasses(b *testing.B) {
	for _, n := range benchSizes() {
		e, env := loadedEngine(b, n)
		service, region := focus(b, e)
		ctx := context.Background()
		end := benchEnd.Add(time.Minute)
		for _, wl := range []struct {
			name      string
			refreshes func(time.Duration) []bench.Refresh
		}{
			{"drilldown", func(w time.Duration) []bench.Refresh { return bench.Drilldown(end, w, service, region) }},
			{"investigation", func(w time.Duration) []bench.Refresh { return bench.Investigation(end, w, service, region) }},
		} {
			for _, w := range []struct {
				name   string
				window time.Duration
			}{{"7d", 7 * 24 * time.Hour}, {"all", gen.DefaultSpan + time.Minute}} {
				var panels []panel
				for _, rf := range wl.refreshes(w.window) {
					panels = append(panels, prepare(b, e, env, rf)...)
				}
				pass := func() {
					for _, p := range panels {
						if err := p(ctx); err != nil {
							b.Fatal(err)
						}
					}
				}
				for _, mode := range []string{"warm", "selections", "noreuse"} {
					b.Run(fmt.Sprintf("tickets=%d/%s/range=%s/%s", n, wl.name, w.name, mode), func(b *testing.B) {
						engine.DropCaches(e)
						pass() // the first pass fills the caches, in every mode
						var took []time.Duration
						for b.Loop() {
							switch mode {
							case "selections":
								engine.DropResults(e)
							case "noreuse":
								engine.DropCaches(e)
							}
							start := time.Now()
							pass()
							took = append(took, time.Since(start))
						}
						reportPasses(b, took)
					})
				}
			}
		}
		runtime.KeepAlive(e)
	}
}

// reportPasses reports the median, 95th percentile and longest of the passes, in ms.
func reportPasses(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(q float64) float64 {
		return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.5), "ms-median")
	b.ReportMetric(at(0.95), "ms-p95")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "ms-max")
}

// BenchmarkChange measures the queries about change on a fresh cache, as an alert rule
// evaluation or the first refresh after a write meets them: the spike of every service
// over the last hour (10m window, 24h baseline, a point a minute) and the movers of the
// last 24 hours against the day before.
func BenchmarkChange(b *testing.B) {
	for _, n := range benchSizes() {
		e, _ := loadedEngine(b, n)
		ctx := context.Background()
		now := benchEnd.Add(time.Minute)
		tests := []struct {
			name string
			run  func() error
		}{
			{"spike/service", func() error {
				_, err := e.Spike(ctx, engine.SpikeRequest{Scope: engine.Scope{From: now.Add(-time.Hour), To: now},
					Window: 10 * time.Minute, Baseline: 24 * time.Hour, Step: time.Minute, SplitBy: "service", Top: 50})
				return err
			}},
			{"spike/total", func() error {
				_, err := e.Spike(ctx, engine.SpikeRequest{Scope: engine.Scope{From: now.Add(-time.Hour), To: now},
					Window: 10 * time.Minute, Baseline: 7 * 24 * time.Hour, Step: time.Minute})
				return err
			}},
			{"movers/service", func() error {
				_, err := e.Movers(ctx, engine.MoversRequest{Scope: engine.Scope{From: now.Add(-24 * time.Hour), To: now}, Field: "service"})
				return err
			}},
		}
		for _, tt := range tests {
			b.Run(fmt.Sprintf("tickets=%d/%s", n, tt.name), func(b *testing.B) {
				for b.Loop() {
					engine.DropCaches(e)
					if err := tt.run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		runtime.KeepAlive(e)
	}
}

// BenchmarkMemory reports the Go heap that the loaded engine holds per ticket.
func BenchmarkMemory(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			var perTicket float64
			for b.Loop() {
				before := heapInUse()
				e, _ := loadedEngine(b, n)
				after := heapInUse()
				perTicket = float64(after-before) / float64(e.Len())
				b.Logf("engine's own estimate: %.0f bytes per ticket", float64(e.MemoryBytes())/float64(e.Len()))
				runtime.KeepAlive(e)
			}
			b.ReportMetric(perTicket, "bytes/ticket")
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// BenchmarkLoad measures start-up: a new engine syncing every ticket from a bolt store.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		path := filepath.Join(b.TempDir(), "bench.db")
		st, err := bolt.Open(path, bolt.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		generate(b, n, func(recs []ticket.Record) {
			if _, err := st.Upsert(ctx, recs); err != nil {
				b.Fatal(err)
			}
		})
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		st, err = bolt.Open(path, bolt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s := schema.Default()
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			for b.Loop() {
				e := engine.New(s, st, engine.Options{})
				got, err := e.Sync(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("loaded %d of %d tickets", got, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
			// What a load from the store leaves on the heap, which a load through Apply
			// does not show: the row capacity reserved from the store's count.
			before := heapInUse()
			e := engine.New(s, st, engine.Options{})
			if _, err := e.Sync(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(heapInUse()-before)/float64(e.Len()), "bytes/ticket")
			runtime.KeepAlive(e)
		})
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrim measures the hourly trim of an engine with a window of 30 days over the
// generated month, three days after its end: a tenth of the tickets has aged out and the
// rest is copied into new columns. The engine is loaded again, untimed, for each round.
// Meanwhile a writer applies a ticket every 5 ms, as a poller would in an outage; the
// longest of its writes is what a trim holds ingestion up.
func BenchmarkTrim(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			s := schema.Default()
			var mu sync.Mutex
			now := benchEnd
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			setClock := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
			opts := engine.Options{Window: 30 * 24 * time.Hour, Now: clock}
			var before, after, dropped, kept int
			var longestWrite time.Duration
			for b.Loop() {
				b.StopTimer()
				setClock(benchEnd)
				e := engine.New(s, nil, opts)
				var last ticket.Record
				generate(b, n, func(recs []ticket.Record) { e.Apply(recs); last = recs[len(recs)-1] })
				before = e.MemoryBytes()
				setClock(benchEnd.Add(3 * 24 * time.Hour))
				done := make(chan struct{})
				var writer sync.WaitGroup
				writer.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-done:
							return
						case <-time.After(5 * time.Millisecond):
						}
						rec := last.Clone()
						rec.Key = fmt.Sprintf("NEW-%d", i)
						start := time.Now()
						e.Apply([]ticket.Record{rec})
						longestWrite = max(longestWrite, time.Since(start))
					}
				})
				b.StartTimer()
				d, err := e.Trim(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				close(done)
				writer.Wait()
				dropped, kept, after = d, e.Len(), e.MemoryBytes()
				b.StartTimer()
			}
			b.ReportMetric(float64(dropped), "dropped")
			b.ReportMetric(float64(kept), "kept")
			b.ReportMetric(float64(before)/(1<<20), "MiB-before")
			b.ReportMetric(float64(after)/(1<<20), "MiB-after")
			b.ReportMetric(float64(longestWrite.Microseconds())/1000, "ms-longest-write")
		})
	}
}

// BenchmarkImage measures a restart from an engine image: a new engine reading the image
// written after a load from the store, then syncing (nothing changed since). It reports
// the save too, and the image's size.
func BenchmarkImage(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		dir := b.TempDir()
		path := filepath.Join(dir, "bench.db")
		st, err := bolt.Open(path, bolt.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		generate(b, n, func(recs []ticket.Record) {
			if _, err := st.Upsert(ctx, recs); err != nil {
				b.Fatal(err)
			}
		})
		s := schema.Default()
		loaded := engine.New(s, st, engine.Options{})
		if _, err := loaded.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		image := filepath.Join(dir, "bench.image")
		saved, err := loaded.SaveImage(ctx, image)
		if err != nil {
			b.Fatal(err)
		}
		loaded = nil
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			for b.Loop() {
				e := engine.New(s, st, engine.Options{})
				if _, err := e.LoadImage(ctx, image); err != nil {
					b.Fatal(err)
				}
				if _, err := e.Sync(ctx); err != nil {
					b.Fatal(err)
				}
				if e.Len() != n {
					b.Fatalf("loaded %d of %d tickets", e.Len(), n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
			b.ReportMetric(float64(saved.Took.Milliseconds()), "ms/save")
			b.ReportMetric(float64(saved.Bytes)/float64(n), "image-bytes/ticket")
			before := heapInUse()
			e := engine.New(s, st, engine.Options{})
			if _, err := e.LoadImage(ctx, image); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(heapInUse()-before)/float64(e.Len()), "bytes/ticket")
			runtime.KeepAlive(e)
		})
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
