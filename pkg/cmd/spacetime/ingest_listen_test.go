package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
)

const listenSecret = "ingest-hook-secret-0123456789"

// issuesAPI is GitHub's issues listing as the github preset polls it: every issue it
// holds, in one page.
type issuesAPI struct {
	mu     sync.Mutex
	issues []map[string]any
	calls  atomic.Int64
}

func (a *issuesAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/repos/acme/payments/issues") {
		http.NotFound(w, r)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(append([]map[string]any{}, a.issues...))
}

func (a *issuesAPI) add(issues ...map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.issues = append(a.issues, issues...)
}

func issueAt(number int, title string, at time.Time) map[string]any {
	return map[string]any{"number": number, "title": title, "state": "open",
		"repository_url": "https://api.github.com/repos/acme/payments", "labels": []any{map[string]any{"name": "sev1"}},
		"created_at": at.Format(time.RFC3339), "updated_at": at.Format(time.RFC3339), "closed_at": nil, "body": "details"}
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// deliver posts an issues event to the receiver, signed unless sig is false.
func deliver(t *testing.T, url, delivery string, issue map[string]any, sig bool) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"action": "opened", "issue": issue})
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", delivery)
	if sig {
		m := hmac.New(sha256.New, []byte(listenSecret))
		m.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// syncBuffer is a buffer that the command's goroutines write and the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `spacetime ingest --listen` takes a real signed delivery over HTTP into the store while
// it polls the same ticket system: the webhook's issue, polled again afterwards, is
// counted once; the issue whose webhook never came is brought by the next poll; a
// redelivery and an unsigned delivery write nothing.
func TestIngestListenTakesWebhooksAndPollsAsTheSafetyNet(t *testing.T) {
	ingestListen(t, filepath.Join(t.TempDir(), "tickets.db"))
}

// The same in front of a DynamoDB table (dynalite), as for several Grafana replicas.
func TestIngestListenOnDynamoDB(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CA_BUNDLE", "")
	spec := "dynamodb://hooks?region=eu-west-1&endpoint=" + server.Endpoint
	if code, stdout, stderr := runCmd(t, "migrate", "--store", spec); code != 0 {
		t.Fatalf("migrate: exit %d: %s %s", code, stdout, stderr)
	}
	ingestListen(t, spec)
}

func ingestListen(t *testing.T, db string) {
	api := &issuesAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	t.Setenv("TEST_WEBHOOK_SECRET", listenSecret)
	config := writeTemp(t, dir, "ingest.yaml", fmt.Sprintf(`
store: "%s"
source: {type: http, interval: 1s, http: {preset: github, url: "%s/repos/acme/payments"}}
secrets: {webhookSecret: env:TEST_WEBHOOK_SECRET}
`, db, srv.URL))
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	defer func() {
		if t.Failed() {
			t.Logf("the command's log:\n%s", stderr.String())
		}
	}()
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"ingest", "--config", config, "--listen", addr}, &stdout, &stderr) }()
	url := "http://" + addr
	eventually(t, "the receiver answers and the first poll is done", func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && api.calls.Load() >= 1
	})

	now := time.Now().UTC().Truncate(time.Second)
	one := issueAt(1, "Checkout is down", now)
	if code, ans := deliver(t, url, "d-1", one, false); code != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d %s", code, ans)
	}
	code, ans := deliver(t, url, "d-1", one, true)
	if code != http.StatusOK || !strings.Contains(ans, `"inserted":1`) {
		t.Fatalf("signed: %d %s, want issue 1 inserted", code, ans)
	}
	// The ticket system now lists issue 1 and issue 2, whose webhook was lost.
	api.add(one, issueAt(2, "Payments slow", now))
	polls := api.calls.Load()
	eventually(t, "two more polls", func() bool { return api.calls.Load() >= polls+2 })
	if code, ans := deliver(t, url, "d-1", one, true); code != http.StatusOK || !strings.Contains(ans, "duplicate") {
		t.Errorf("redelivery: %d %s, want duplicate", code, ans)
	}
	if code, ans := deliver(t, url, "d-9", one, true); code != http.StatusOK || !strings.Contains(ans, `"unchanged":1`) {
		t.Errorf("the same issue under a new delivery id: %d %s, want unchanged", code, ans)
	}
	cancel() // as SIGTERM does
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	log := stderr.String()
	// Across every poll: issue 2 inserted once, issue 1 never inserted nor updated again.
	inserted, updated, unchanged := 0, 0, 0
	for _, m := range regexp.MustCompile(`Polled the ticket source .*inserted=(\d+) updated=(\d+) unchanged=(\d+)`).FindAllStringSubmatch(log, -1) {
		i, _ := strconv.Atoi(m[1])
		u, _ := strconv.Atoi(m[2])
		c, _ := strconv.Atoi(m[3])
		inserted, updated, unchanged = inserted+i, updated+u, unchanged+c
	}
	if inserted != 1 || updated != 0 || unchanged < 2 {
		t.Errorf("the polls inserted %d, updated %d and left %d unchanged; want 1, 0 and at least 2 (issue 1 each poll)\n%s",
			inserted, updated, unchanged, log)
	}
	got := storedTickets(t, db, "1", "2", "3")
	r1, r2 := got["1"], got["2"]
	if len(got) != 2 || r1.Get("title").S != "Checkout is down" || r2.Get("title").S != "Payments slow" {
		t.Errorf("stored %v, want issues 1 and 2", got)
	}
	if strings.Contains(log+stdout.String(), listenSecret) {
		t.Error("the secret is in the output")
	}
}

func TestIngestListenRefusals(t *testing.T) {
	dir := t.TempDir()
	config := writeTemp(t, dir, "ingest.yaml", fmt.Sprintf("store: %s\nsource: {type: demo}\n", filepath.Join(dir, "t.db")))
	if code, _, stderr := runCmd(t, "ingest", "--config", config, "--listen", "127.0.0.1:0"); code == 0 || !strings.Contains(stderr, "secrets.webhookSecret") {
		t.Errorf("without a secret: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "ingest", "--config", config, "--listen", "127.0.0.1:0", "--once"); code != 2 || !strings.Contains(stderr, "choose one") {
		t.Errorf("--once with --listen: exit %d, %q", code, stderr)
	}
	short := writeTemp(t, dir, "short.yaml", fmt.Sprintf("store: %s\nsource: {type: demo}\nsecrets: {webhookSecret: short}\n", filepath.Join(dir, "t.db")))
	if code, _, stderr := runCmd(t, "ingest", "--config", short, "--listen", "127.0.0.1:0"); code == 0 || !strings.Contains(stderr, "5 characters") || strings.Contains(stderr, "short\n") {
		t.Errorf("a short secret: exit %d, %q", code, stderr)
	}
}

// eventually retries cond until it holds, for at most 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
