package binaryhost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynamotest"
)

// replicaStatus is the part of GET status this test reads.
type replicaStatus struct {
	Tickets int            `json:"tickets"`
	Store   *store.Info    `json:"store"`
	Source  *source.Status `json:"source"`
	Summary string         `json:"summary"`
}

func statusOf(t *testing.T, h *binaryhost.Host, pc backend.PluginContext) replicaStatus {
	t.Helper()
	code, body, err := h.CallResource(context.Background(), pc, http.MethodGet, "status", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusOK {
		t.Fatalf("GET status: %d %s", code, body)
	}
	var st replicaStatus
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("GET status: %v in %s", err, body)
	}
	return st
}

func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for deadline := start.Add(60 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
	return time.Since(start)
}

// TestTwoReplicasShareATable: two plugin processes, as two Grafana servers of one HA
// setup, have the same data source on one DynamoDB table with a polled source. One polls,
// the other stands by and sees the tickets through the table; when the polling process
// is killed the other takes over, and a restarted process finds every ticket.
func TestTwoReplicasShareATable(t *testing.T) {
	ctx := context.Background()
	const table = "spacetime-replicas"
	cfg := dynamotest.Table(t, table)

	api := &githubAPI{}
	for i := 1; i <= 5; i++ {
		api.add(i, fmt.Sprintf("issue %d", i), "sev2")
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	const lease = 2 * time.Second
	pc := dynamoContextWith(t, "ha", table, cfg.Endpoint, map[string]any{
		"dynamodb": map[string]any{"table": table, "endpoint": cfg.Endpoint, "follow": "1s"},
		"source": map[string]any{"type": "http", "interval": "1s", "lease": lease.String(),
			"http": map[string]any{"preset": "github", "url": srv.URL + "/repos/acme/payments"}},
	})
	t.Setenv("AWS_CA_BUNDLE", "") // see TestDynamoDBThroughTheProtocol
	start := func() *binaryhost.Host {
		h, err := binaryhost.Start(built.bin, t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Stop)
		return h
	}

	a := start()
	res, err := a.CheckHealth(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "5 new") {
		t.Fatalf("health of the first replica = %v %q, want its first poll's 5 new tickets", res.Status, res.Message)
	}
	aSelf := statusOf(t, a, pc).Source.Lease.Self

	b := start()
	var bs replicaStatus
	eventually(t, "the second replica stands by", func() bool {
		bs = statusOf(t, b, pc)
		return bs.Source != nil && bs.Source.State == source.StateStandby && bs.Source.Lease.Holder != ""
	})
	if bs.Source.Lease.Holder != aSelf || bs.Tickets != 5 {
		t.Fatalf("second replica: holder %q with %d tickets, want %q with the 5 the first stored", bs.Source.Lease.Holder, bs.Tickets, aSelf)
	}
	t.Logf("the second replica's start read %.1f RCU for %d tickets", bs.Store.ReadUnits, bs.Tickets)
	res, err = b.CheckHealth(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "Standby: "+aSelf+" polls the GitHub at") {
		t.Errorf("health of the standby = %v %q, want OK naming the replica that polls", res.Status, res.Message)
	}

	// New tickets at the source: the first replica polls them, the second reads them
	// from the table.
	added := time.Now()
	for i := 6; i <= 8; i++ {
		api.add(i, fmt.Sprintf("issue %d", i), "sev1")
	}
	eventually(t, "the polling replica has the new tickets", func() bool { return statusOf(t, a, pc).Tickets == 8 })
	eventually(t, "the standby has the new tickets", func() bool { return statusOf(t, b, pc).Tickets == 8 })
	t.Logf("the standby saw new source tickets %s after they were added (poll 1s, follow 1s)", time.Since(added).Round(time.Millisecond))
	if ia, ib := ticketKeys(t, a, pc), ticketKeys(t, b, pc); !slices.Equal(ia, ib) || len(ia) != 8 {
		t.Fatalf("the replicas list different tickets: %v and %v", ia, ib)
	}
	if st := statusOf(t, b, pc).Source; st.Polls != 0 || st.State != source.StateStandby {
		t.Fatalf("the standby polled %d times (state %s) while the first replica held the lease", st.Polls, st.State)
	}

	// The polling replica dies without a word: the lease runs out and the standby polls.
	if err := a.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for i := 9; i <= 10; i++ {
		api.add(i, fmt.Sprintf("issue %d", i), "sev1")
	}
	eventually(t, "the standby takes over and polls the tickets added after the kill", func() bool {
		return statusOf(t, b, pc).Tickets == 10
	})
	t.Logf("takeover: the survivor had the tickets added after the kill %s later (lease %s)", time.Since(killed).Round(time.Millisecond), lease)
	bs = statusOf(t, b, pc)
	if l := bs.Source.Lease; !l.Held || l.Takeovers != 1 || bs.Source.State != source.StateOK {
		t.Fatalf("the survivor's status: state %s, lease %+v; want polling, holding, taken once", bs.Source.State, l)
	}

	// A restarted replica loses nothing: it loads all ten from the table and stands by.
	a2 := start()
	var as replicaStatus
	eventually(t, "the restarted replica stands by", func() bool {
		as = statusOf(t, a2, pc)
		return as.Source != nil && as.Source.State == source.StateStandby && as.Source.Lease.Holder != ""
	})
	if as.Tickets != 10 || as.Source.Lease.Holder != bs.Source.Lease.Self {
		t.Fatalf("restarted replica: %d tickets, holder %q; want 10 and %q", as.Tickets, as.Source.Lease.Holder, bs.Source.Lease.Self)
	}
	if ia, ib := ticketKeys(t, a2, pc), ticketKeys(t, b, pc); !slices.Equal(ia, ib) || len(ia) != 10 {
		t.Fatalf("the restarted replica lists %v, the survivor %v", ia, ib)
	}

	// Shut down as Grafana does, the holder gives its lease up on the way out rather than
	// leaving it to expire (it renewed it less than a lease ago).
	b.Stop()
	l, err := dynamotest.Open(t, cfg).AcquireLease(ctx, bs.Source.Lease.Name, "probe", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if l.Holder == bs.Source.Lease.Self {
		t.Errorf("after a clean shutdown %s still holds the lease (until %s)", l.Holder, l.Expires)
	}
}

// ticketKeys lists the keys of the tickets a replica's table panel shows, sorted.
func ticketKeys(t *testing.T, h *binaryhost.Host, pc backend.PluginContext) []string {
	t.Helper()
	now := time.Now()
	resp := (&fixture{host: h}).query(t, pc, now.Add(-24*time.Hour), now.Add(time.Hour), map[string]any{"queryType": "tickets", "limit": 100})
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	id := fieldByName(resp.Frames[0], "id")
	if id == nil {
		t.Fatalf("the tickets frame has no id field: %s", fieldList(resp.Frames[0]))
	}
	keys := make([]string, id.Len())
	for i := range keys {
		v, _ := id.ConcreteAt(i)
		keys[i] = fmt.Sprint(v)
	}
	slices.Sort(keys)
	return keys
}
