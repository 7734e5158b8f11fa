package binaryhost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The push resource takes bodies up to 32 MiB and answers 413, naming the limit, above it.
// Grafana passes the body of a resource call to the plugin in one gRPC message (pkg/api/
// plugin_resource.go reads it whole into CallResourceRequest.Body), and its go-plugin
// client sends messages of any size (go-plugin grpc_client.go: MaxCallSendMsgSize
// math.MaxInt32); the SDK's server, though, refuses messages above 16 MiB unless told
// otherwise (backend/serve.go, defaultServerMaxReceiveMessageSize), and a 20 MiB push
// failed with ResourceExhausted before it reached the plugin.
func TestPushBodiesUpToTheDocumentedLimit(t *testing.T) {
	f := setup(t)
	pc := sourceContext(t, "push-limit", map[string]any{"storePath": filepath.Join(t.TempDir(), "push.db")}, nil)
	now := time.Now().UTC().Format(time.RFC3339)

	// 10,000 tickets (the most one push may carry) of about 2 KB: 20 MiB.
	var b bytes.Buffer
	b.WriteString("[")
	desc := strings.Repeat("d", 2000)
	for i := range 10_000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id": "BIG-%05d", "title": "t", "created": %q, "updated": %q, "description": %q}`, i, now, now, desc)
	}
	b.WriteString("]")
	if b.Len() <= 16<<20 || b.Len() >= 32<<20 {
		t.Fatalf("the body is %d bytes; the test wants between 16 and 32 MiB", b.Len())
	}
	status, out, err := f.host.CallResource(context.Background(), pc, http.MethodPost, "push", nil, b.Bytes())
	if err != nil {
		t.Fatalf("a push of %.1f MiB: %v", float64(b.Len())/(1<<20), err)
	}
	var res struct{ Accepted, Rejected int }
	if status != http.StatusOK || json.Unmarshal(out, &res) != nil || res.Accepted != 10_000 {
		t.Fatalf("a push of %.1f MiB: %d %.300s", float64(b.Len())/(1<<20), status, out)
	}

	// Just above the limit: 413, naming it.
	over := bytes.Repeat([]byte(" "), 32<<20+1)
	over[0] = '['
	status, out, err = f.host.CallResource(context.Background(), pc, http.MethodPost, "push", nil, over)
	if err != nil || status != http.StatusRequestEntityTooLarge || !strings.Contains(string(out), "32 MiB") {
		t.Fatalf("a push of 32 MiB and a byte: %d %.300s %v; want 413 naming the limit", status, out, err)
	}

	// Beyond the gRPC limit the message never reaches the plugin: Grafana would answer
	// 500 "Failed to call resource" with this error.
	huge := bytes.Repeat([]byte(" "), 64<<20+1)
	huge[0] = '['
	if _, _, err = f.host.CallResource(context.Background(), pc, http.MethodPost, "push", nil, huge); err == nil || !strings.Contains(err.Error(), "ResourceExhausted") {
		t.Errorf("a push of 64 MiB and a byte: %v; want gRPC's ResourceExhausted", err)
	}
}
