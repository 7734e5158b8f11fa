package plugin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/live"
)

const testWebhookSecret = "whsec-0123456789abcdef-0123"

// webhookInstance is a data source over an embedded store, with secure settings.
func webhookInstance(t *testing.T, uid string, jsonData map[string]any, secure map[string]string) *Datasource {
	t.Helper()
	if jsonData == nil {
		jsonData = map[string]any{}
	}
	jsonData["storePath"] = filepath.Join(t.TempDir(), "t.db")
	jd, err := json.Marshal(jsonData)
	if err != nil {
		t.Fatal(err)
	}
	d := newTestHub(hub.Options{}).newDatasource(context.Background(),
		backend.DataSourceInstanceSettings{UID: uid, JSONData: jd, DecryptedSecureJSONData: secure}, func(string) string { return "" })
	mustAttach(t, d)
	return d
}

func TestPushNeedsTheEditorOrAdminRole(t *testing.T) {
	d := webhookInstance(t, "roles", nil, nil)
	t.Cleanup(d.Dispose)
	now := time.Now().UTC()
	ticket := func(id string) []byte {
		return fmt.Appendf(nil, `[{"id": %q, "severity": 1, "created": %q, "updated": %q}]`, id,
			now.Add(-time.Minute).Format(time.RFC3339), now.Format(time.RFC3339))
	}
	tests := []struct {
		name   string
		user   *backend.User
		status int
	}{
		{"no user", nil, http.StatusForbidden},
		{"viewer", &backend.User{Login: "v", Role: "Viewer"}, http.StatusForbidden},
		{"no basic role", &backend.User{Login: "n", Role: "None"}, http.StatusForbidden},
		{"empty role", &backend.User{Login: "e"}, http.StatusForbidden},
		{"editor", &backend.User{Login: "ed", Role: "Editor"}, http.StatusOK},
		{"admin", &backend.User{Login: "ad", Role: "Admin"}, http.StatusOK},
	}
	written := int64(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := callResourceAs(t, d, tt.user, http.MethodPost, "push", ticket("R-"+tt.name), nil)
			if status != tt.status {
				t.Fatalf("%d %s, want %d", status, out, tt.status)
			}
			if status == http.StatusForbidden && !strings.Contains(string(out), "Editor or Admin") {
				t.Errorf("the refusal %s does not say which role is needed", out)
			}
			if status == http.StatusOK {
				written++
			}
			if n, _ := statsTotal(t, d); n != written {
				t.Errorf("%d tickets stored after %s's push, want %d", n, tt.name, written)
			}
		})
	}
}

func hubSignature(body []byte) string {
	m := hmac.New(sha256.New, []byte(testWebhookSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// githubDelivery is an issues event as GitHub sends it, and its headers signed with
// testWebhookSecret (sig false: unsigned).
func githubDelivery(t *testing.T, number int, title, delivery string, sig bool) ([]byte, http.Header) {
	t.Helper()
	now := time.Now().UTC()
	body, err := json.Marshal(map[string]any{"action": "opened", "repository": map[string]any{"full_name": "acme/payments"},
		"issue": map[string]any{"number": number, "title": title, "state": "open",
			"repository_url": "https://api.github.com/repos/acme/payments",
			"labels":         []any{map[string]any{"name": "sev1"}},
			"created_at":     now.Add(-time.Minute).Format(time.RFC3339), "updated_at": now.Format(time.RFC3339)}})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Github-Event": {"issues"}, "X-Github-Delivery": {delivery}}
	if sig {
		h.Set("X-Hub-Signature-256", hubSignature(body))
	}
	return body, h
}

// streamRecorder keeps the frames a RunStream sends, as Grafana would publish them.
type streamRecorder struct{ ch chan []byte }

func (r *streamRecorder) Send(p *backend.StreamPacket) error {
	r.ch <- append([]byte(nil), p.Data...)
	return nil
}

func (r *streamRecorder) frame(t *testing.T) *data.Frame {
	t.Helper()
	select {
	case b := <-r.ch:
		var fr data.Frame
		if err := json.Unmarshal(b, &fr); err != nil {
			t.Fatalf("frame %s: %v", b, err)
		}
		return &fr
	case <-time.After(10 * time.Second):
		t.Fatal("no frame within 10 s")
	}
	return nil
}

// runStream starts a RunStream on d as Grafana does and returns its frames and its end.
func runStream(t *testing.T, d *Datasource, spec live.Spec) (*streamRecorder, <-chan error, context.CancelFunc) {
	t.Helper()
	path, err := live.Path(spec)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(spec)
	pc := backend.PluginContext{DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{UID: d.instance.UID}}
	sub, err := d.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{PluginContext: pc, Path: path, Data: raw})
	if err != nil || sub.Status != backend.SubscribeStreamStatusOK {
		t.Fatalf("subscribe: %+v %v", sub, err)
	}
	rec := &streamRecorder{ch: make(chan []byte, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- d.RunStream(ctx, &backend.RunStreamRequest{PluginContext: pc, Path: path, Data: raw}, backend.NewStreamSender(rec))
	}()
	m, err := d.liveManager(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the RunStream joins its stream", func() bool { return m.Subscribers() == 1 })
	return rec, done, cancel
}

// A signed GitHub delivery to the resource endpoint is written through the hub and
// reaches a live subscriber of the feed; refused deliveries write nothing.
func TestWebhookDeliveryReachesALiveStream(t *testing.T) {
	d := webhookInstance(t, "hooks", nil, map[string]string{secureWebhookSecret: testWebhookSecret})
	t.Cleanup(d.Dispose)
	rec, done, cancel := runStream(t, d, live.Spec{Kind: live.Logs, Filter: `severity <= 2`, Range: "1h"})

	body, h := githubDelivery(t, 7, "Checkout is down", "d-1", false)
	// The webhook routes take no Grafana user: the signature is the credential.
	if status, out := callResourceAs(t, d, nil, http.MethodPost, "webhooks/github", body, h); status != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d %s, want 401", status, out)
	}
	h.Set("X-Hub-Signature-256", hubSignature(append([]byte(" "), body...)))
	if status, out := callResourceAs(t, d, nil, http.MethodPost, "webhooks/github", body, h); status != http.StatusUnauthorized {
		t.Fatalf("signature of another body: %d %s, want 401", status, out)
	}
	if n, _ := statsTotal(t, d); n != 0 {
		t.Fatalf("%d tickets stored after refused deliveries", n)
	}
	body, h = githubDelivery(t, 7, "Checkout is down", "d-2", true)
	status, out := callResourceAs(t, d, nil, http.MethodPost, "webhooks/github", body, h)
	if status != http.StatusOK || !strings.Contains(string(out), `"accepted"`) {
		t.Fatalf("signed: %d %s", status, out)
	}
	fr := rec.frame(t)
	var titles []string
	for _, f := range fr.Fields {
		if f.Name == "title" {
			for i := range f.Len() {
				v, _ := f.ConcreteAt(i)
				titles = append(titles, fmt.Sprint(v))
			}
		}
	}
	if len(titles) != 1 || !strings.Contains(titles[0], "Checkout is down") {
		t.Fatalf("the stream's frame has titles %q, want the delivered issue", titles)
	}
	// The redelivery is answered and writes nothing: no second frame.
	if status, out := callResourceAs(t, d, nil, http.MethodPost, "webhooks/github", body, h); status != http.StatusOK || !strings.Contains(string(out), "duplicate") {
		t.Fatalf("redelivery: %d %s", status, out)
	}
	if n, _ := statsTotal(t, d); n != 1 {
		t.Errorf("%d tickets stored, want 1", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunStream after Grafana cancels it: %v", err)
	}
	select {
	case b := <-rec.ch:
		t.Errorf("a frame after the duplicate: %.200s", b)
	default:
	}
}

func TestWebhookRoutesWithoutASecretOrSender(t *testing.T) {
	d := webhookInstance(t, "nohooks", nil, nil)
	t.Cleanup(d.Dispose)
	body, h := githubDelivery(t, 1, "x", "d-1", true)
	status, out := callResourceAs(t, d, nil, http.MethodPost, "webhooks/github", body, h)
	if status != http.StatusNotFound || !strings.Contains(string(out), "secureJsonData.webhookSecret") {
		t.Errorf("no secret: %d %s, want 404 naming the setting", status, out)
	}
	d2 := webhookInstance(t, "short", nil, map[string]string{secureWebhookSecret: "short"})
	t.Cleanup(d2.Dispose)
	status, out = callResourceAs(t, d2, nil, http.MethodPost, "webhooks/jira", body, h)
	if status != http.StatusServiceUnavailable || !strings.Contains(string(out), "5 characters") || strings.Contains(string(out), `"short"`) {
		t.Errorf("short secret: %d %s, want 503 giving its length, not the secret", status, out)
	}
	status, out = callResourceAs(t, d2, nil, http.MethodPost, "webhooks/zendesk", body, h)
	if status != http.StatusNotFound || !strings.Contains(string(out), "github, jira, pagerduty, servicenow") {
		t.Errorf("unknown sender: %d %s", status, out)
	}
}

// PublishStream is refused, a channel of another data source is refused, and disposing
// of the instance (new settings) ends its RunStreams with an error, which makes Grafana
// start them again on the new instance.
func TestStreamsOfTheDatasource(t *testing.T) {
	d := webhookInstance(t, "streams", nil, nil)
	pub, err := d.PublishStream(context.Background(), &backend.PublishStreamRequest{Path: "v1/logs/00"})
	if err != nil || pub.Status != backend.PublishStreamStatusPermissionDenied {
		t.Errorf("publish: %+v %v", pub, err)
	}
	spec := live.Spec{Kind: live.Stats, Range: "1h"}
	path, _ := live.Path(spec)
	raw, _ := json.Marshal(spec)
	other := backend.PluginContext{DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{UID: "someone-else"}}
	sub, err := d.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{PluginContext: other, Path: path, Data: raw})
	if err != nil || sub.Status != backend.SubscribeStreamStatusPermissionDenied {
		t.Errorf("another data source's channel: %+v %v", sub, err)
	}
	_, done, cancel := runStream(t, d, spec)
	defer cancel()
	d.Dispose()
	select {
	case err := <-done:
		if !errors.Is(err, errReplaced) {
			t.Errorf("RunStream after Dispose: %v, want errReplaced", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunStream goes on after Dispose")
	}
}

// POST live gives the frontend the channel path of a live query, the one SubscribeStream
// then accepts, or says why the query cannot stream.
func TestLiveRouteGivesTheChannelPath(t *testing.T) {
	d := webhookInstance(t, "route", nil, nil)
	t.Cleanup(d.Dispose)
	spec := live.Spec{Kind: live.Counts, Filter: `severity <= 2`, Range: "6h", Bucket: "1m"}
	want, _ := live.Path(spec)
	// Members in another order and spacing, as a browser may send them: the same path.
	body := []byte(`{"range": "6h", "bucket": "1m", "kind": "counts",  "filter": "severity <= 2"}`)
	status, out := callResourceAs(t, d, &backend.User{Login: "v", Role: "Viewer"}, http.MethodPost, "live", body, nil)
	var res struct{ Path string }
	if status != http.StatusOK || json.Unmarshal(out, &res) != nil || res.Path != want {
		t.Fatalf("%d %s, want path %s", status, out, want)
	}
	// The frontend's form (live.ts liveSpec): durations in seconds.
	fromBrowser := `{"kind": "counts", "range": "21600s", "bucket": "60s", "filter": "(severity <= 2) and (service = \"db\")"}`
	if status, out := callResourceAs(t, d, nil, http.MethodPost, "live", []byte(fromBrowser), nil); status != http.StatusOK {
		t.Errorf("the frontend's live query: %d %s", status, out)
	}
	for _, tt := range []struct{ body, want string }{
		{`{"kind": "counts", "range": "6h"}`, "bucket"},
		{`{"kind": "logs", "range": "6h", "filter": "severity <="}`, "expected"},
		{`{"kind": "logs", "range": "30d"}`, "range"},
		{`{"kind": "breakdown", "range": "1h"}`, "not a live query"},
		{`{"kind": "logs", "range": "1h", "splitBy": "service"}`, "splitBy"},
		{``, "empty"},
	} {
		status, out := callResourceAs(t, d, nil, http.MethodPost, "live", []byte(tt.body), nil)
		if status != http.StatusBadRequest || !strings.Contains(string(out), tt.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", tt.body, status, out, tt.want)
		}
	}
}
