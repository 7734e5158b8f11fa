package binaryhost_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/live"
)

const liveSecret = "live-secret-0123456789abcdef"

// A signed webhook delivery and a push, sent to the binary over gRPC as Grafana sends
// resource calls, reach a RunStream of the binary as frames; a Viewer's push is refused
// and streams nothing; PublishStream is refused.
func TestWebhookAndPushReachALiveStreamThroughTheBinary(t *testing.T) {
	f := setup(t)
	pc := sourceContext(t, "live", map[string]any{"storePath": filepath.Join(t.TempDir(), "live.db")},
		map[string]string{"webhookSecret": liveSecret})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	spec := live.Spec{Kind: live.Logs, Range: "1h", Columns: []string{"id", "title"}}
	path, err := live.Path(spec)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(spec)
	sub, err := f.host.SubscribeStream(ctx, &backend.SubscribeStreamRequest{PluginContext: pc, Path: path, Data: raw})
	if err != nil || sub.Status != backend.SubscribeStreamStatusOK {
		t.Fatalf("subscribe: %+v %v", sub, err)
	}
	bad, err := f.host.SubscribeStream(ctx, &backend.SubscribeStreamRequest{PluginContext: pc, Path: "v1/logs/../../x", Data: raw})
	if err != nil || bad.Status == backend.SubscribeStreamStatusOK {
		t.Errorf("a made-up path: %+v %v", bad, err)
	}
	pub, err := f.host.PublishStream(ctx, &backend.PublishStreamRequest{PluginContext: pc, Path: path, Data: []byte(`{}`)})
	if err != nil || pub.Status != backend.PublishStreamStatusPermissionDenied {
		t.Errorf("publish: %+v %v", pub, err)
	}
	frames := make(chan []byte, 16)
	done := make(chan error, 1)
	go func() {
		done <- f.host.RunStream(ctx, &backend.RunStreamRequest{PluginContext: pc, Path: path, Data: raw}, func(b []byte) { frames <- b })
	}()
	// The RunStream joins asynchronously; a first write before it does is not its to
	// send. Writes are repeated (new tickets each time) until one arrives.
	now := time.Now().UTC()
	var got []string
	for i := 0; len(got) == 0; i++ {
		if i == 100 {
			t.Fatal("no frame after 100 pushes")
		}
		body := fmt.Sprintf(`[{"id": "P-%d", "title": "pushed %d", "severity": 1, "created": %q, "updated": %q}]`, i, i,
			now.Format(time.RFC3339), now.Format(time.RFC3339))
		if status, out, err := f.host.CallResource(ctx, pc, http.MethodPost, "push", nil, []byte(body)); err != nil || status != http.StatusOK {
			t.Fatalf("push: %d %s %v", status, out, err)
		}
		select {
		case b := <-frames:
			got = titles(t, b)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !strings.HasPrefix(got[0], "pushed") {
		t.Fatalf("the pushed ticket's frame has titles %q", got)
	}

	viewer := pc
	viewer.User = &backend.User{Login: "viewer", Role: "Viewer"}
	body := fmt.Sprintf(`[{"id": "V-1", "title": "by a viewer", "created": %q, "updated": %q}]`, now.Format(time.RFC3339), now.Format(time.RFC3339))
	if status, out, err := f.host.CallResource(ctx, viewer, http.MethodPost, "push", nil, []byte(body)); err != nil || status != http.StatusForbidden {
		t.Fatalf("a viewer's push: %d %s %v, want 403", status, out, err)
	}

	issue := map[string]any{"number": 99, "title": "Webhook issue", "state": "open",
		"repository_url": "https://api.github.com/repos/acme/payments", "labels": []any{map[string]any{"name": "sev1"}},
		"created_at": now.Format(time.RFC3339), "updated_at": now.Format(time.RFC3339)}
	delivery, _ := json.Marshal(map[string]any{"action": "opened", "issue": issue})
	mac := hmac.New(sha256.New, []byte(liveSecret))
	mac.Write(delivery)
	resp, err := f.host.CallResourceRequest(ctx, &backend.CallResourceRequest{PluginContext: viewer, Method: http.MethodPost,
		Path: "webhooks/github", URL: "webhooks/github", Body: delivery, Headers: map[string][]string{
			"Content-Type": {"application/json"}, "X-Github-Event": {"issues"}, "X-Github-Delivery": {"live-1"},
			"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("webhook: %+v %v", resp, err)
	}
	// The next frame is the webhook's: the viewer's push wrote nothing to stream.
	select {
	case b := <-frames:
		if got := titles(t, b); len(got) != 1 || !strings.Contains(got[0], "Webhook issue") {
			t.Fatalf("the frame after the webhook has titles %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no frame within 10 s of the webhook")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunStream: %v", err)
	}
}

func titles(t *testing.T, b []byte) []string {
	t.Helper()
	var fr data.Frame
	if err := json.Unmarshal(b, &fr); err != nil {
		t.Fatalf("frame %.200s: %v", b, err)
	}
	var out []string
	for _, f := range fr.Fields {
		if f.Name == "title" {
			for i := range f.Len() {
				v, _ := f.ConcreteAt(i)
				out = append(out, fmt.Sprint(v))
			}
		}
	}
	return out
}
