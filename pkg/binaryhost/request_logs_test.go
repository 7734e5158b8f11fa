package binaryhost_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/binaryhost"
)

// requestLogs is a log output that go-plugin's relay writes and the test reads.
type requestLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *requestLogs) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *requestLogs) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRequestLogsOnlyWhenAsked: the plugin does not log every request unless grafana.ini
// asks for it ([plugin.ID] log_requests = true, passed as GF_PLUGIN_LOG_REQUESTS); its own
// lines are logged either way.
func TestRequestLogsOnlyWhenAsked(t *testing.T) {
	if built.err != nil {
		t.Fatal(built.err)
	}
	for _, asked := range []bool{false, true} {
		var env []string
		if asked {
			env = append(env, "GF_PLUGIN_LOG_REQUESTS=true")
		}
		logs := &requestLogs{}
		host, err := binaryhost.StartWith(built.bin, binaryhost.Options{WorkDir: t.TempDir(), Env: env, Log: logs})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := binaryhost.Context("logs", map[string]any{"storePath": built.store})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := host.CheckHealth(ctx, pc); err != nil {
			t.Fatal(err)
		}
		resp, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
			RefID: "A", JSON: []byte(`{"queryType":"stats"}`), TimeRange: backend.TimeRange{From: end.Add(-span), To: end},
		}}})
		if err != nil || resp.Responses["A"].Error != nil {
			t.Fatalf("query: %v %v", err, resp.Responses["A"].Error)
		}
		host.Stop()
		// The relay reads the plugin's output on its own goroutine: wait for our own
		// line, logged before the query, to be sure the output was read.
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(logs.String(), "Tickets loaded") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		out := logs.String()
		if !strings.Contains(out, "Tickets loaded") {
			t.Fatalf("the plugin's own log lines are missing:\n%s", out)
		}
		if got := strings.Contains(out, "Plugin Request Completed"); got != asked {
			t.Errorf("log_requests %v: request lines logged = %v\n%s", asked, got, out)
		}
	}
}
