package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/httpjson"
	"github.com/spacetime/tickets/pkg/source/webhook"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

const (
	secret    = "s3cret-0123456789-abcdefghij"
	oldSecret = "old-secret-9876543210-zyxwvu"
	wrong     = "not-the-secret-000000000000"
)

// rig is a receiver served over HTTP in front of a real embedded store.
type rig struct {
	t      *testing.T
	st     store.Store
	srv    *httptest.Server
	now    time.Time
	mu     sync.Mutex
	pushes int
	logs   []string
}

func newRig(t *testing.T, preset string, secrets ...string) *rig {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &rig{t: t, st: st, now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	s := schema.Default()
	rc, err := webhook.New(s, webhook.Config{
		Preset:  preset,
		Secrets: secrets,
		MaxBody: 64 << 10,
		Now:     func() time.Time { return r.now },
		Push: func(ctx context.Context, items []any) (source.PushResult, error) {
			r.mu.Lock()
			r.pushes++
			r.mu.Unlock()
			return source.Push(ctx, st, s, items, nil)
		},
		Log: func(msg string, kv ...any) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.logs = append(r.logs, fmt.Sprint(append([]any{msg}, kv...)...))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(rc)
	t.Cleanup(r.srv.Close)
	return r
}

// post sends body with the headers and returns the status and the answer.
func (r *rig) post(body []byte, h http.Header) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.srv.URL, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, s := range []string{secret, oldSecret, wrong} {
		if strings.Contains(string(b), s) {
			r.t.Fatalf("the answer quotes a secret: %s", b)
		}
	}
	return resp.StatusCode, string(b)
}

// stored reads the stored version of key by column name.
func (r *rig) stored(key string) map[string]ticket.Value {
	r.t.Helper()
	recs, err := r.st.Get(context.Background(), []string{key})
	if err != nil {
		r.t.Fatal(err)
	}
	if len(recs) == 0 {
		return nil
	}
	out := map[string]ticket.Value{}
	for i, n := range recs[0].Layout.Names() {
		out[n] = recs[0].Values[i]
	}
	return out
}

func (r *rig) count() int {
	r.t.Helper()
	info, err := r.st.Info(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return info.Tickets
}

func (r *rig) noSecretInLogs() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.logs {
		for _, s := range []string{secret, oldSecret, wrong} {
			if strings.Contains(l, s) {
				r.t.Fatalf("a log line quotes a secret: %s", l)
			}
		}
	}
}

func hubSig(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func pdSig(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

func status(t *testing.T, answer string) webhook.Response {
	t.Helper()
	var resp webhook.Response
	if err := json.Unmarshal([]byte(answer), &resp); err != nil {
		t.Fatalf("answer %q: %v", answer, err)
	}
	return resp
}

// githubIssue is an issue as GitHub's REST API and its issues event give it.
func githubIssue(updated string) map[string]any {
	return map[string]any{
		"number":         float64(42),
		"title":          "Checkout fails in eu-west",
		"state":          "open",
		"repository_url": "https://api.github.com/repos/acme/payments",
		"labels":         []any{map[string]any{"name": "sev2"}, map[string]any{"name": "outage"}},
		"assignee":       map[string]any{"login": "oncall-bot"},
		"created_at":     "2026-12-01T11:50:00Z",
		"updated_at":     updated,
		"closed_at":      nil,
		"body":           "Payments time out.",
	}
}

func githubBody(t *testing.T, action string, issue map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"action": action, "issue": issue,
		"repository": map[string]any{"full_name": "acme/payments"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func githubHeaders(event, delivery, sig string) http.Header {
	h := http.Header{}
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", delivery)
	if sig != "" {
		h.Set("X-Hub-Signature-256", sig)
	}
	return h
}

func TestGitHubIssuesEvent(t *testing.T) {
	r := newRig(t, "github", secret)
	body := githubBody(t, "opened", githubIssue("2026-12-01T11:55:00Z"))

	code, ans := r.post(body, githubHeaders("issues", "d-1", hubSig(secret, body)))
	if code != http.StatusOK || status(t, ans).Status != "accepted" {
		t.Fatalf("signed delivery: %d %s", code, ans)
	}
	got := r.stored("42")
	if got == nil {
		t.Fatal("issue 42 was not stored")
	}
	// The preset's lines: the service from the repository URL, the severity from a label.
	if got["service"].S != "payments" || got["severity"].F != 2 || got["title"].S != "Checkout fails in eu-west" {
		t.Errorf("stored %+v; want service payments, severity 2 and the title", got)
	}

	// GitHub's redelivery keeps the delivery id: answered, not written again.
	code, ans = r.post(body, githubHeaders("issues", "d-1", hubSig(secret, body)))
	if code != http.StatusOK || status(t, ans).Status != "duplicate" || r.pushes != 1 {
		t.Fatalf("redelivery: %d %s, %d pushes; want 200 duplicate and 1 push", code, ans, r.pushes)
	}
	// The same body under another id (a replay past the cache) is written, and changes
	// nothing: the store's version rule.
	code, ans = r.post(body, githubHeaders("issues", "d-2", hubSig(secret, body)))
	if res := status(t, ans); code != http.StatusOK || res.Push == nil || res.Push.Result.Unchanged != 1 {
		t.Fatalf("replay under a new id: %d %s; want unchanged", code, ans)
	}
	if r.count() != 1 {
		t.Errorf("%d tickets stored, want 1", r.count())
	}
	r.noSecretInLogs()
}

func TestGitHubRefusals(t *testing.T) {
	r := newRig(t, "github", secret)
	body := githubBody(t, "opened", githubIssue("2026-12-01T11:55:00Z"))
	tampered := bytes.Replace(body, []byte("eu-west"), []byte("us-east"), 1)
	tests := []struct {
		name string
		body []byte
		h    http.Header
		want int
	}{
		{"unsigned", body, githubHeaders("issues", "r-1", ""), http.StatusUnauthorized},
		{"another secret", body, githubHeaders("issues", "r-2", hubSig(wrong, body)), http.StatusUnauthorized},
		{"tampered body", tampered, githubHeaders("issues", "r-3", hubSig(secret, body)), http.StatusUnauthorized},
		{"sha1 form", body, githubHeaders("issues", "r-4", "sha1=abcdef"), http.StatusUnauthorized},
		{"not hex", body, githubHeaders("issues", "r-5", "sha256=zz"), http.StatusUnauthorized},
		{"short digest", body, githubHeaders("issues", "r-6", "sha256=abcd"), http.StatusUnauthorized},
		{"signed, not JSON", []byte("{"), githubHeaders("issues", "r-7", hubSig(secret, []byte("{"))), http.StatusBadRequest},
		{"too large", bytes.Repeat([]byte(" "), 65<<10), githubHeaders("issues", "r-8", "sha256=00"), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ans := r.post(tt.body, tt.h)
			if code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, ans, tt.want)
			}
		})
	}
	if r.count() != 0 || r.pushes != 0 {
		t.Fatalf("a refused delivery was written: %d tickets, %d pushes", r.count(), r.pushes)
	}
	resp, err := http.Get(r.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", resp.StatusCode)
	}
	r.noSecretInLogs()
}

func TestGitHubEventsWithoutTickets(t *testing.T) {
	r := newRig(t, "github", secret)
	ping := []byte(`{"zen": "Keep it logically awesome.", "hook_id": 1}`)
	code, ans := r.post(ping, githubHeaders("ping", "p-1", hubSig(secret, ping)))
	if code != http.StatusAccepted || status(t, ans).Status != "ignored" {
		t.Fatalf("ping: %d %s, want 202 ignored", code, ans)
	}
	pr := githubIssue("2026-12-01T11:55:00Z")
	pr["pull_request"] = map[string]any{"url": "https://api.github.com/repos/acme/payments/pulls/42"}
	body := githubBody(t, "created", pr)
	code, ans = r.post(body, githubHeaders("issue_comment", "p-2", hubSig(secret, body)))
	if code != http.StatusAccepted || r.count() != 0 {
		t.Fatalf("a comment on a pull request: %d %s, %d stored; want 202 and nothing stored", code, ans, r.count())
	}
}

// A webhook and a later poll of the same issue make the same record: the poll counts
// nothing a second time.
func TestGitHubWebhookThenPollCountsOnce(t *testing.T) {
	r := newRig(t, "github", secret)
	issue := githubIssue("2026-12-01T11:55:00Z")
	body := githubBody(t, "opened", issue)
	if code, ans := r.post(body, githubHeaders("issues", "w-1", hubSig(secret, body))); code != http.StatusOK {
		t.Fatalf("webhook: %d %s", code, ans)
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !strings.HasSuffix(req.URL.Path, "/repos/acme/payments/issues") {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([]any{issue})
	}))
	defer api.Close()
	src, err := httpjson.New(schema.Default(), httpjson.Config{Preset: "github", URL: api.URL + "/repos/acme/payments"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var total store.UpsertResult
	_, err = src.Poll(context.Background(), source.Window{Now: time.Now()}, func(ctx context.Context, b source.Batch) error {
		if len(b.Rejects) > 0 {
			t.Errorf("rejects: %v", b.Rejects)
		}
		res, err := r.st.Upsert(ctx, b.Records)
		total.Add(res)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if total.Unchanged != 1 || total.Inserted+total.Updated != 0 || r.count() != 1 {
		t.Fatalf("the poll after the webhook: %+v, %d stored; want 1 unchanged and 1 ticket", total, r.count())
	}
}

func pdBody(t *testing.T, id, eventType, occurred string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"event": map[string]any{
		"id": id, "event_type": eventType, "resource_type": "incident", "occurred_at": occurred,
		"agent": nil, "client": nil,
		"data": map[string]any{
			"id": "PGR0VU2", "type": "incident", "number": 2, "status": "triggered",
			"title": "A little bump in the road", "created_at": "2026-12-01T11:40:00Z",
			"service":           map[string]any{"id": "PF9KMXH", "summary": "API Service", "type": "service_reference"},
			"escalation_policy": map[string]any{"summary": "Default"},
			"teams":             []any{map[string]any{"summary": "Engineering"}},
			"priority":          map[string]any{"summary": "P1"},
			"urgency":           "high",
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pdHeaders(sig string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set("X-PagerDuty-Signature", sig)
	}
	return h
}

func TestPagerDutyIncidentEvents(t *testing.T) {
	r := newRig(t, "pagerduty", secret)
	body := pdBody(t, "ev-1", "incident.triggered", "2026-12-01T11:59:30.169Z")
	// During PagerDuty's rotation the header holds the old secret's signature too.
	code, ans := r.post(body, pdHeaders(pdSig(oldSecret, body)+","+pdSig(secret, body)))
	if code != http.StatusOK || status(t, ans).Status != "accepted" {
		t.Fatalf("signed delivery: %d %s", code, ans)
	}
	got := r.stored("PGR0VU2")
	if got["severity"].F != 1 || got["service"].S != "API Service" || got["category"].S != "Engineering" {
		t.Errorf("stored %+v; want severity 1 (P1), service and team", got)
	}
	// The event's time, cut to the second, stands for updated_at.
	if want := time.Date(2026, 12, 1, 11, 59, 30, 0, time.UTC); !got["updated"].Time().Equal(want) {
		t.Errorf("updated = %v, want %v", got["updated"].Time(), want)
	}
	if !got["resolved"].IsNull() {
		t.Errorf("resolved = %v before the incident is resolved", got["resolved"])
	}

	// PagerDuty retries a delivery whose answer it did not get: 200, no second write.
	code, ans = r.post(body, pdHeaders(pdSig(secret, body)))
	if code != http.StatusOK || status(t, ans).Status != "duplicate" || r.pushes != 1 {
		t.Fatalf("retry: %d %s, %d pushes", code, ans, r.pushes)
	}

	resolved := pdBody(t, "ev-2", "incident.resolved", "2026-12-01T11:59:50Z")
	resolved = bytes.Replace(resolved, []byte(`"status":"triggered"`), []byte(`"status":"resolved"`), 1)
	if code, ans := r.post(resolved, pdHeaders(pdSig(secret, resolved))); code != http.StatusOK {
		t.Fatalf("resolved: %d %s", code, ans)
	}
	got = r.stored("PGR0VU2")
	if got["status"].S != "resolved" || got["resolved"].IsNull() {
		t.Errorf("after incident.resolved: %+v", got)
	}
	if r.count() != 1 {
		t.Errorf("%d tickets, want 1", r.count())
	}
}

func TestPagerDutyRefusals(t *testing.T) {
	r := newRig(t, "pagerduty", secret)
	body := pdBody(t, "ev-9", "incident.triggered", "2026-12-01T11:59:00Z")
	stale := pdBody(t, "ev-10", "incident.triggered", "2026-12-01T10:30:00Z")
	future := pdBody(t, "ev-11", "incident.triggered", "2026-12-01T12:30:00Z")
	tests := []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"unsigned", body, "", http.StatusUnauthorized},
		{"another secret", body, pdSig(wrong, body), http.StatusForbidden},
		{"several, none right", body, pdSig(wrong, body) + "," + pdSig(oldSecret, body), http.StatusForbidden},
		{"no v1 signature", body, "v0=abc", http.StatusForbidden},
		{"too many signatures", body, strings.Repeat(pdSig(wrong, body)+",", 20) + pdSig(secret, body), http.StatusForbidden},
		{"stale", stale, pdSig(secret, stale), http.StatusForbidden},
		{"from the future", future, pdSig(secret, future), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, ans := r.post(tt.body, pdHeaders(tt.sig)); code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, ans, tt.want)
			}
		})
	}
	if r.count() != 0 {
		t.Fatalf("%d tickets stored from refused deliveries", r.count())
	}
	note := []byte(`{"event":{"id":"ev-12","event_type":"incident.annotated","resource_type":"incident","occurred_at":"2026-12-01T11:59:00Z","data":{"type":"incident_note","content":"x"}}}`)
	if code, ans := r.post(note, pdHeaders(pdSig(secret, note))); code != http.StatusAccepted {
		t.Fatalf("a note: %d %s, want 202", code, ans)
	}
	r.noSecretInLogs()
}

func TestReceiverTakesEitherOfItsSecrets(t *testing.T) {
	r := newRig(t, "pagerduty", secret, oldSecret)
	for i, key := range []string{oldSecret, secret} {
		body := pdBody(t, fmt.Sprintf("rot-%d", i), "incident.acknowledged", "2026-12-01T11:59:00Z")
		if code, ans := r.post(body, pdHeaders(pdSig(key, body))); code != http.StatusOK {
			t.Fatalf("secret %d: %d %s", i, code, ans)
		}
	}
}

func jiraBody(t *testing.T, event string, ts time.Time) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"timestamp": ts.UnixMilli(), "webhookEvent": event, "issue_event_type_name": "issue_created",
		"user": map[string]any{"displayName": "Ops"},
		"issue": map[string]any{"id": "10002", "key": "OPS-7", "fields": map[string]any{
			"summary":    "Database failover",
			"status":     map[string]any{"name": "Open"},
			"priority":   map[string]any{"name": "Highest"},
			"components": []any{map[string]any{"name": "db"}},
			"issuetype":  map[string]any{"name": "Incident"},
			"labels":     []any{"storage"},
			"created":    "2026-12-01T11:58:00.000+0000",
			"updated":    "2026-12-01T11:58:30.000+0000",
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jiraHeaders(id, sig string) http.Header {
	h := http.Header{}
	h.Set("X-Atlassian-Webhook-Identifier", id)
	if sig != "" {
		h.Set("X-Hub-Signature", sig)
	}
	return h
}

func TestJiraAdminWebhook(t *testing.T) {
	r := newRig(t, "jira", secret)
	body := jiraBody(t, "jira:issue_created", r.now.Add(-time.Minute))
	code, ans := r.post(body, jiraHeaders("j-1", hubSig(secret, body)))
	if code != http.StatusOK {
		t.Fatalf("signed delivery: %d %s", code, ans)
	}
	got := r.stored("OPS-7")
	if got["severity"].F != 1 || got["service"].S != "db" || got["title"].S != "Database failover" {
		t.Errorf("stored %+v", got)
	}
	// Jira's retry of the same delivery.
	h := jiraHeaders("j-1", hubSig(secret, body))
	h.Set("X-Atlassian-Webhook-Retry", "1")
	if code, ans := r.post(body, h); code != http.StatusOK || status(t, ans).Status != "duplicate" {
		t.Fatalf("retry: %d %s", code, ans)
	}
	stale := jiraBody(t, "jira:issue_updated", r.now.Add(-2*time.Hour))
	tests := []struct {
		name string
		body []byte
		h    http.Header
		want int
	}{
		{"unsigned", body, jiraHeaders("j-2", ""), http.StatusUnauthorized},
		{"another secret", body, jiraHeaders("j-3", hubSig(wrong, body)), http.StatusUnauthorized},
		// GitHub's header name is not Jira's.
		{"wrong header", body, http.Header{"X-Hub-Signature-256": {hubSig(secret, body)}}, http.StatusUnauthorized},
		{"stale", stale, jiraHeaders("j-4", hubSig(secret, stale)), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, ans := r.post(tt.body, tt.h); code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, ans, tt.want)
			}
		})
	}
	if r.pushes != 1 {
		t.Errorf("%d pushes, want 1", r.pushes)
	}
	r.noSecretInLogs()
}

func serviceNowRecord() map[string]any {
	f := func(v, d string) map[string]any { return map[string]any{"value": v, "display_value": d} }
	return map[string]any{
		"number":            f("INC0010001", "INC0010001"),
		"short_description": f("Email down", "Email down"),
		"state":             f("2", "In Progress"),
		"priority":          f("1", "1 - Critical"),
		"business_service":  f("a1b2", "Email"),
		"location":          f("c3d4", "Paris"),
		"opened_at":         f("2026-12-01 11:57:00", "2026-12-01 12:57:00"),
		"sys_updated_on":    f("2026-12-01 11:58:00", "2026-12-01 12:58:00"),
		"resolved_at":       f("", ""),
	}
}

func TestServiceNowBusinessRule(t *testing.T) {
	r := newRig(t, "servicenow", secret)
	body, _ := json.Marshal(map[string]any{"result": serviceNowRecord()})
	send := func(user, pass string, auth bool) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL, bytes.NewReader(body))
		if auth {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("a 401 without WWW-Authenticate")
		}
		if strings.Contains(string(b), secret) || strings.Contains(string(b), wrong) {
			t.Fatalf("the answer quotes a secret: %s", b)
		}
		return resp.StatusCode, string(b)
	}
	for _, tt := range []struct {
		name, user, pass string
		auth             bool
		want             int
	}{
		{"no authentication", "", "", false, http.StatusUnauthorized},
		{"wrong password", webhook.DefaultUser, wrong, true, http.StatusUnauthorized},
		{"wrong user", "admin", secret, true, http.StatusUnauthorized},
		{"right", webhook.DefaultUser, secret, true, http.StatusOK},
		// No delivery id: the same record again is written and changes nothing.
		{"again", webhook.DefaultUser, secret, true, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, ans := send(tt.user, tt.pass, tt.auth)
			if code != tt.want {
				t.Fatalf("status %d (%s), want %d", code, ans, tt.want)
			}
			if tt.name == "again" && status(t, ans).Push.Result.Unchanged != 1 {
				t.Errorf("the same record again: %s, want unchanged", ans)
			}
		})
	}
	got := r.stored("INC0010001")
	if got["service"].S != "Email" || got["status"].S != "In Progress" || got["region"].S != "Paris" || got["severity"].F != 1 {
		t.Errorf("stored %+v", got)
	}
	r.noSecretInLogs()
}

func TestNewRefusesWeakConfigurations(t *testing.T) {
	push := func(context.Context, []any) (source.PushResult, error) { return source.PushResult{}, nil }
	for _, tt := range []struct {
		name string
		cfg  webhook.Config
		want string
	}{
		{"no secret", webhook.Config{Preset: "github", Push: push}, "needs a secret"},
		{"short secret", webhook.Config{Preset: "github", Push: push, Secrets: []string{"tiny-secret"}}, "at least 16"},
		{"unknown sender", webhook.Config{Preset: "zendesk", Push: push, Secrets: []string{secret}}, "no webhook receiver"},
		{"no push", webhook.Config{Preset: "jira", Secrets: []string{secret}}, "push function"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.New(schema.Default(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "tiny-secret") {
				t.Fatalf("the error quotes the secret: %v", err)
			}
		})
	}
}

// A failed write is answered 5xx (the senders retry those) and the delivery id is not
// remembered, so the retry is written.
func TestFailedWriteIsRetried(t *testing.T) {
	fail := true
	rc, err := webhook.New(schema.Default(), webhook.Config{Preset: "github", Secrets: []string{secret},
		Push: func(context.Context, []any) (source.PushResult, error) {
			if fail {
				return source.PushResult{}, store.ErrClosed
			}
			return source.PushResult{Received: 1, Accepted: 1}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	body := githubBody(t, "opened", githubIssue("2026-12-01T11:55:00Z"))
	send := func() int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(body))
		req.Header = githubHeaders("issues", "f-1", hubSig(secret, body))
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		return w.Code
	}
	if code := send(); code != http.StatusServiceUnavailable {
		t.Fatalf("failed write: %d, want 503", code)
	}
	fail = false
	if code := send(); code != http.StatusOK {
		t.Fatalf("the retry: %d, want 200", code)
	}
}
