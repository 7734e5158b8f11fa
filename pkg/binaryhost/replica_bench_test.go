package binaryhost_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynamotest"
	"github.com/spacetime/tickets/pkg/ticket"
)

// BenchmarkReplicaStart measures what a new Grafana server costs when it joins a table:
// the plugin binary is started as Grafana starts it, over a table holding
// SPACETIME_BENCH_TICKETS tickets (default 100 000, seeded with BulkLoad), and each
// operation is one start up to the first answered query, which loads the table. It
// reports the seconds to that answer and the read units the load consumed (from GET
// status), per start and per million tickets.
//
//	SPACETIME_BENCH_TICKETS=1000000 go test -run '^$' -bench ReplicaStart -benchtime 1x -timeout 60m ./pkg/binaryhost
func BenchmarkReplicaStart(b *testing.B) {
	n := benchTickets(b)
	ctx := context.Background()
	const table = "spacetime-replica-start"
	cfg := dynamotest.Table(b, table)
	st := dynamotest.Open(b, cfg)
	seeded := time.Now()
	err := gen.Batches(ctx, gen.Options{Tickets: n, End: time.Now(), Span: 30 * 24 * time.Hour, Seed: 5}, 5000, func(batch []ticket.Record) error {
		_, err := st.BulkLoad(ctx, batch)
		return err
	})
	if err != nil {
		b.Fatalf("seed the table: %v", err)
	}
	b.Logf("seeded %d tickets with BulkLoad in %s", n, time.Since(seeded).Round(time.Millisecond))

	b.Setenv("AWS_CA_BUNDLE", "")
	var units float64
	starts := 0
	// b.Loop runs the function body once, so the table above is seeded once however many
	// starts are measured (it also starts the timer here).
	for b.Loop() {
		pc := dynamoContextWith(b, "start-"+strconv.Itoa(starts), table, cfg.Endpoint, nil)
		starts++
		h, err := binaryhost.Start(built.bin, b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		code, body, err := h.CallResource(ctx, pc, http.MethodGet, "status", nil, nil)
		if err != nil || code != http.StatusOK {
			b.Fatalf("GET status: %d %s %v", code, body, err)
		}
		var rs replicaStatus
		if err := json.Unmarshal(body, &rs); err != nil {
			b.Fatal(err)
		}
		if rs.Tickets != n {
			b.Fatalf("the replica loaded %d tickets, want %d", rs.Tickets, n)
		}
		units += rs.Store.ReadUnits
		h.Stop()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(starts), "s/start")
	b.ReportMetric(units/float64(starts), "RCU/start")
	b.ReportMetric(units/float64(starts)/float64(n)*1e6, "RCU/Mtickets")
}
