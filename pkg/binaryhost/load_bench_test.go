package binaryhost_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/plugin"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// BenchmarkUnderLoad measures what heavy queries do to everyone else, through the plugin
// binary over gRPC on loopback: the latency of a small query (a breakdown of the last
// hour) and of a write (a push of one ticket, stored with fsync and indexed) when the
// plugin is idle, and again while 16 clients send heavy queries without pause (a month of
// tickets sorted by title with every column, a title regex no query has run before, the
// values of every title) and tickets are pushed ten times a second. It reports the
// medians and 99th percentiles and their ratios, loaded to idle. It is bounded: each
// phase lasts SPACETIME_LOAD_SECONDS (default 10), and heavy queries are what any
// dashboard user may send.
//
//	SPACETIME_BENCH_TICKETS=1000000 go test -run '^$' -bench UnderLoad -benchtime 1x -timeout 30m ./pkg/binaryhost
//
// The query-in-plugin figures are the plugin's own time on each small query (the stat
// the plugin adds to every answer), so that what the engine does under load is told apart
// from the wait for a core and the transport, which carries the heavy answers on the
// same connection, as Grafana's one connection to a plugin does.
// SPACETIME_LOAD_HEAVY_ROWS sets the rows of the heavy answers (default 50000, the frame
// cap), and SPACETIME_PLUGIN_ENV adds variables to the plugin's environment (for example
// "GF_PLUGIN_PROFILING_ENABLED=true GF_PLUGIN_PROFILING_PORT=6061" to profile it).
func BenchmarkUnderLoad(b *testing.B) {
	n := benchTickets(b)
	ctx := context.Background()
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(b.TempDir(), "load.db")
	writeBenchStore(b, path, n, end)
	host, err := binaryhost.Start(built.bin, b.TempDir(), strings.Fields(os.Getenv("SPACETIME_PLUGIN_ENV")))
	if err != nil {
		b.Fatal(err)
	}
	defer host.Stop()
	pc, err := binaryhost.Context("load", map[string]any{"storePath": path})
	if err != nil {
		b.Fatal(err)
	}
	if res, err := host.CheckHealth(ctx, pc); err != nil || res.Status != backend.HealthStatusOk {
		b.Fatalf("health: %v %v", res, err)
	}
	phase := benchSeconds(b, "SPACETIME_LOAD_SECONDS", 10)

	// query returns the plugin's own time on the query (the stat plugin.PluginTimeStat):
	// the rest of the round trip is the transport and the wait for a core.
	query := func(ctx context.Context, raw string, from, to time.Time) (time.Duration, error) {
		resp, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
			RefID: "A", JSON: []byte(raw), TimeRange: backend.TimeRange{From: from, To: to}, Interval: time.Minute, MaxDataPoints: 1000,
		}}})
		if err != nil {
			return 0, err
		}
		a := resp.Responses["A"]
		if a.Error != nil {
			return 0, a.Error
		}
		if len(a.Frames) > 0 && a.Frames[0].Meta != nil {
			for _, st := range a.Frames[0].Meta.Stats {
				if st.DisplayName == plugin.PluginTimeStat {
					return time.Duration(st.Value * float64(time.Millisecond)), nil
				}
			}
		}
		return 0, fmt.Errorf("the answer has no %q stat", plugin.PluginTimeStat)
	}
	small := func() (time.Duration, error) {
		return query(ctx, `{"queryType":"breakdown","field":"service"}`, end.Add(-time.Hour), end)
	}
	pushed := 0
	push := func() error {
		pushed++
		body := fmt.Sprintf(`{"id":"LOAD-%d","title":"pushed under load %d","service":"load","severity":2,"created":%q,"updated":%q}`,
			pushed, pushed, end.Add(-time.Minute).Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339Nano))
		status, out, err := host.CallResource(ctx, pc, "POST", "push", nil, []byte(body))
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("push: %d %s", status, out)
		}
		return nil
	}
	// measure runs small queries one after the other and a push every 100 ms, for the
	// phase, and returns their latencies.
	measure := func() (queries, inPlugin, writes []time.Duration) {
		stop := time.Now().Add(phase)
		var wg sync.WaitGroup
		wg.Go(func() {
			for time.Now().Before(stop) {
				start := time.Now()
				if err := push(); err != nil {
					b.Error(err)
					return
				}
				writes = append(writes, time.Since(start))
				time.Sleep(100*time.Millisecond - time.Since(start))
			}
		})
		for time.Now().Before(stop) {
			start := time.Now()
			took, err := small()
			if err != nil {
				b.Fatal(err)
			}
			queries = append(queries, time.Since(start))
			inPlugin = append(inPlugin, took)
			time.Sleep(10 * time.Millisecond)
		}
		wg.Wait()
		return queries, inPlugin, writes
	}

	b.ResetTimer()
	for b.Loop() {
		idleQ, idleP, idleW := measure()

		heavyCtx, stopHeavy := context.WithCancel(ctx)
		// Fewer heavy rows keep the engine's work (the sort, the values of every title)
		// and cut what travels back over the connection.
		heavyRows := benchCount(b, "SPACETIME_LOAD_HEAVY_ROWS", 50_000)
		heavy := []string{
			`{"queryType":"tickets","limit":%[2]d,"sort":[{"field":"title"}],"columns":["id","severity","title","service","region","category","status","created","updated","resolved","description"],"noDefaultFilter":true}`,
			`{"queryType":"stats","filter":"title =~ \"(?i)x%[1]d.*[0-9]+ (ms|hosts)\"","noDefaultFilter":true}`,
			`{"queryType":"values","field":"title","limit":%[2]d,"noDefaultFilter":true}`,
		}
		var heavyDone sync.WaitGroup
		var heavyCount int
		var mu sync.Mutex
		for c := range 16 {
			heavyDone.Go(func() {
				for i := c; heavyCtx.Err() == nil; i += 16 {
					raw := heavy[i%len(heavy)]
					// i makes a regex no query ran before.
					raw = fmt.Sprintf(raw, i, heavyRows)
					// The answer stays encoded: decoding it would load this process, which
					// also measures the small queries, not the plugin.
					resp, err := host.QueryDataRaw(heavyCtx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
						RefID: "A", JSON: []byte(raw), TimeRange: backend.TimeRange{From: end.Add(-31 * 24 * time.Hour), To: end}, Interval: time.Minute, MaxDataPoints: 1000,
					}}})
					if err == nil && resp.Responses["A"].Error != "" {
						err = errors.New(resp.Responses["A"].Error)
					}
					if err != nil && heavyCtx.Err() == nil {
						b.Error(err)
						return
					}
					mu.Lock()
					heavyCount++
					mu.Unlock()
				}
			})
		}
		time.Sleep(2 * time.Second) // let the heavy queries get going
		loadQ, loadP, loadW := measure()
		stopHeavy()
		heavyDone.Wait()

		report := func(name string, idle, loaded []time.Duration) {
			for _, q := range []struct {
				name string
				q    float64
			}{{"p50", 0.5}, {"p95", 0.95}, {"p99", 0.99}} {
				i, l := quantile(idle, q.q), quantile(loaded, q.q)
				b.ReportMetric(i, name+"-idle-"+q.name+"-ms")
				b.ReportMetric(l, name+"-loaded-"+q.name+"-ms")
				b.ReportMetric(l/i, name+"-"+q.name+"-ratio")
			}
		}
		report("query", idleQ, loadQ)
		report("query-in-plugin", idleP, loadP)
		report("write", idleW, loadW)
		b.ReportMetric(float64(heavyCount), "heavy-queries")
		b.Logf("%d tickets; %d small queries and %d writes idle, %d and %d under %d heavy queries",
			n, len(idleQ), len(idleW), len(loadQ), len(loadW), heavyCount)
	}
}

// quantile returns the q-quantile of ds in milliseconds.
func quantile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(q*float64(len(s))))].Microseconds()) / 1000
}

// writeBenchStore writes n generated tickets over the 30 days before end into a new
// embedded store at path.
func writeBenchStore(b *testing.B, path string, n int, end time.Time) {
	b.Helper()
	ctx := context.Background()
	st, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	err = gen.Batches(ctx, gen.Options{Tickets: n, End: end, Span: 30 * 24 * time.Hour, Seed: 1, Outages: 12}, 10_000, func(batch []ticket.Record) error {
		_, err := st.Upsert(ctx, batch)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
}

// benchSeconds reads a duration in seconds from the environment variable name, def when
// it is unset.
func benchSeconds(b *testing.B, name string, def int) time.Duration {
	b.Helper()
	return time.Duration(benchCount(b, name, def)) * time.Second
}

// benchCount reads a positive number from the environment variable name, or def.
func benchCount(b *testing.B, name string, def int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}
