package binaryhost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/binaryhost"
)

// BenchmarkSourceToQuery measures the delay from a ticket appearing at a ticket system to
// a query through the plugin binary seeing it: the ticket is added at a random moment of
// the poll cycle, and a stats query is sent every 20 ms until its count includes it. The
// poll interval is SPACETIME_BENCH_INTERVAL (default 5s); each operation is one ticket,
// so the run takes about b.N intervals.
//
//	go test -run '^$' -bench SourceToQuery -benchtime 20x ./pkg/binaryhost
//	SPACETIME_BENCH_INTERVAL=1m go test -run '^$' -bench SourceToQuery -benchtime 6x -timeout 30m ./pkg/binaryhost
func BenchmarkSourceToQuery(b *testing.B) {
	interval := os.Getenv("SPACETIME_BENCH_INTERVAL")
	if interval == "" {
		interval = "5s"
	}
	every, err := time.ParseDuration(interval)
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var tickets []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"items": tickets})
	}))
	defer srv.Close()
	host, err := binaryhost.Start(built.bin, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer host.Stop()
	pc, err := binaryhost.Context("latency", map[string]any{
		"storePath": filepath.Join(b.TempDir(), "latency.db"),
		"source":    map[string]any{"type": "http", "interval": interval, "http": map[string]any{"url": srv.URL + "/t?since={since}"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := host.CheckHealth(ctx, pc); err != nil { // starts the instance and its poller
		b.Fatal(err)
	}
	count := func() int64 {
		now := time.Now()
		resp, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
			RefID: "A", JSON: []byte(`{"queryType": "stats"}`), TimeRange: backend.TimeRange{From: now.Add(-time.Hour), To: now.Add(time.Hour)}}}})
		if err != nil {
			b.Fatal(err)
		}
		r := resp.Responses["A"]
		if r.Error != nil {
			b.Fatal(r.Error)
		}
		return r.Frames[0].Fields[0].At(0).(int64)
	}
	delays := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		time.Sleep(time.Duration(rand.Int64N(int64(every))))
		now := time.Now().UTC()
		mu.Lock()
		tickets = append(tickets, map[string]any{"id": fmt.Sprintf("L-%d", i), "title": "latency probe",
			"created": now.Format(time.RFC3339Nano), "updated": now.Format(time.RFC3339Nano)})
		mu.Unlock()
		for count() < int64(i+1) {
			if time.Since(now) > 3*every+time.Minute {
				b.Fatalf("ticket %d not visible after %s", i, time.Since(now))
			}
			time.Sleep(20 * time.Millisecond)
		}
		delays = append(delays, time.Since(now))
	}
	b.StopTimer()
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	b.ReportMetric(delays[len(delays)/2].Seconds(), "s-median")
	b.ReportMetric(delays[len(delays)*9/10].Seconds(), "s-p90")
	b.ReportMetric(delays[len(delays)-1].Seconds(), "s-max")
	var sum time.Duration
	for _, d := range delays {
		sum += d
	}
	b.ReportMetric((sum / time.Duration(len(delays))).Seconds(), "s-mean")
}
