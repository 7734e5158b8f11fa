package binaryhost_test

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/binaryhost"
)

// syncBuffer is a log output that the test reads while the plugin writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLine waits for the first log line that holds text.
func waitLine(t *testing.T, logs *syncBuffer, text string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, text) {
				return line
			}
		}
	}
	t.Fatalf("no log line with %q in:\n%s", text, logs.String())
	return ""
}

// logField is the value of key in a log line as hclog writes it (key=value or key="...").
func logField(t *testing.T, line, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?:^|\s)` + regexp.QuoteMeta(key) + `=("[^"]*"|\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no %s= in the log line %q", key, line)
	}
	return strings.Trim(m[1], `"`)
}

// The plugin's log lines reach Grafana through go-plugin's client, which decodes each JSON
// line the plugin writes into a map[string]interface{} (go-plugin log_entry.go, parseJSON)
// and logs its fields again through Grafana's logger (Grafana's
// pkg/plugins/backendplugin/grpcplugin/log_wrapper.go): a number arrives as a float64 and
// is printed as one, so a duration logged as time.Duration read took=4.495e+09. The host
// here is built the same way, so what it prints is what Grafana's log shows.
func TestLogLinesWriteDurationsAndWholeCounts(t *testing.T) {
	var logs syncBuffer
	host, err := binaryhost.StartWith(built.bin, binaryhost.Options{WorkDir: t.TempDir(), Log: &logs,
		Env: []string{"GF_PATHS_DATA=" + filepath.Join(t.TempDir(), "grafana-data")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Stop)
	pc := sourceContext(t, "logs", map[string]any{
		"storePath": filepath.Join(t.TempDir(), "logs.db"),
		"source":    map[string]any{"type": "demo", "interval": "1m", "demo": map[string]any{"backfill": "6h"}},
	}, nil)
	if _, err := host.CheckHealth(context.Background(), pc); err != nil {
		t.Fatal(err)
	}
	line := waitLine(t, &logs, "Polled the ticket source")
	if took := logField(t, line, "took"); !regexp.MustCompile(`^[0-9.]+(ns|µs|ms|s|m|h)[0-9.a-zµ]*$`).MatchString(took) {
		t.Errorf("took=%s, want a duration such as 35ms or 4.495s, in %q", took, line)
	} else if _, err := time.ParseDuration(took); err != nil {
		t.Errorf("took=%s: %v", took, err)
	}
	whole := regexp.MustCompile(`^[0-9]+$`)
	for _, key := range []string{"records", "inserted", "updated", "unchanged", "stale", "rejected"} {
		if v := logField(t, line, key); !whole.MatchString(v) {
			t.Errorf("%s=%s, want a whole number, in %q", key, v, line)
		}
	}
	loaded := waitLine(t, &logs, "Tickets loaded")
	if v := logField(t, loaded, "tickets"); !whole.MatchString(v) {
		t.Errorf("tickets=%s, want a whole number, in %q", v, loaded)
	}
}
