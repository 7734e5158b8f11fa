package binaryhost_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/bench"
	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/query"
)

// BenchmarkDrilldownGRPC runs the drill-down workload (package bench) through the plugin
// binary over gRPC, one request per panel as Grafana sends them. The data set has
// SPACETIME_BENCH_TICKETS tickets (default 100 000) over 30 days; the window is 24 h.
//
//	SPACETIME_BENCH_TICKETS=1000000 go test -run '^$' -bench DrilldownGRPC -benchtime 20x ./pkg/binaryhost
func BenchmarkDrilldownGRPC(b *testing.B) {
	n := benchTickets(b)
	ctx := context.Background()
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.db")
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	writeBenchStore(b, path, n, end)

	bin := built.bin
	host, err := binaryhost.Start(bin, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer host.Stop()
	pc, err := binaryhost.Context("bench", map[string]any{"storePath": path})
	if err != nil {
		b.Fatal(err)
	}
	// The health check waits for the load, so the timing below is of queries only.
	if res, err := host.CheckHealth(ctx, pc); err != nil || res.Status != backend.HealthStatusOk {
		b.Fatalf("health: %v %v", res, err)
	}
	// Drill into the busiest service, as a responder clicking the biggest slice would.
	top, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
		RefID: "A", JSON: []byte(`{"queryType":"breakdown","field":"service","top":1}`),
		TimeRange: backend.TimeRange{From: end.Add(-24 * time.Hour), To: end},
	}}})
	if err != nil || top.Responses["A"].Error != nil {
		b.Fatalf("top service: %v %v", err, top.Responses["A"].Error)
	}
	service := top.Responses["A"].Frames[0].Fields[0].At(0).(string)
	refreshes := bench.Drilldown(end, 24*time.Hour, service, "^eu-")
	type req struct {
		raw      []byte
		from, to time.Time
	}
	var reqs []req
	for _, rf := range refreshes {
		for _, q := range rf.Queries {
			raw, err := query.Encode(q)
			if err != nil {
				b.Fatal(err)
			}
			reqs = append(reqs, req{raw, rf.From, rf.To})
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range reqs {
			resp, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
				RefID: "A", JSON: r.raw, TimeRange: backend.TimeRange{From: r.from, To: r.to}, Interval: time.Minute, MaxDataPoints: 1000,
			}}})
			if err != nil {
				b.Fatal(err)
			}
			if e := resp.Responses["A"].Error; e != nil {
				b.Fatal(e)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/drilldown")
}

// benchTickets is the size of a benchmark's data set: SPACETIME_BENCH_TICKETS, default
// 100 000.
func benchTickets(b *testing.B) int {
	b.Helper()
	s := os.Getenv("SPACETIME_BENCH_TICKETS")
	if s == "" {
		return 100_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("SPACETIME_BENCH_TICKETS=%q: want a positive number", s)
	}
	return n
}
