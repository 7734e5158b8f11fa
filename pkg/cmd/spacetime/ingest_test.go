package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAPI serves tickets as a custom JSON API and checks the token.
type fakeAPI struct {
	mu      sync.Mutex
	tickets []map[string]any
	calls   atomic.Int64
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		http.Error(w, "who are you", http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"data": f.tickets})
}

func (f *fakeAPI) set(tickets ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tickets = tickets
}

func TestIngestOnceAndAgain(t *testing.T) {
	api := &fakeAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "tickets.db")
	secret := writeTemp(t, dir, "token", "s3cret\n")
	config := writeTemp(t, dir, "ingest.yaml", fmt.Sprintf(`
store: %s
source:
  type: http
  interval: 5s
  http:
    url: %s/api/tickets?updated_since={since}
    auth: bearer
    mapping: |
      id: ref
      title: subject
      severity: {path: level, values: {critical: 1, major: 2}}
      updated: modified
secrets:
  httpToken: file:%s
`, db, srv.URL, secret))
	api.set(
		map[string]any{"ref": "X-1", "subject": "first", "level": "critical", "modified": "2026-11-20T10:00:00Z"},
		map[string]any{"ref": "X-2", "subject": "second", "level": "major", "modified": "2026-11-20T10:00:00Z"},
		map[string]any{"subject": "no ref"},
	)
	code, stdout, stderr := runCmd(t, "ingest", "--config", config, "--once")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "2 records: 2 inserted, 0 updated, 0 unchanged, 0 stale, 1 rejected") {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(stdout, "rejected: ") || !strings.Contains(stdout, "the key is missing") {
		t.Errorf("stdout %q should list the reject", stdout)
	}
	got := storedTickets(t, db, "X-1", "X-2")
	x1, x2 := got["X-1"], got["X-2"]
	if x1.Get("severity").F != 1 || x2.Get("title").S != "second" {
		t.Fatalf("stored %+v", got)
	}

	// The second run reads from the watermark the first kept in the store.
	api.set(map[string]any{"ref": "X-1", "subject": "first, again", "level": "major", "modified": "2026-11-20T11:00:00Z"})
	if code, stdout, stderr := runCmd(t, "ingest", "--config", config, "--once"); code != 0 || !strings.Contains(stdout, "1 updated") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	x1 = storedTickets(t, db, "X-1")["X-1"]
	if x1.Get("title").S != "first, again" {
		t.Errorf("X-1 = %q", x1.Get("title").S)
	}
}

func TestIngestRunsUntilStopped(t *testing.T) {
	api := &fakeAPI{}
	api.set(map[string]any{"ref": "Y-1", "modified": "2026-11-20T10:00:00Z"})
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "tickets.db")
	config := writeTemp(t, dir, "ingest.yaml", fmt.Sprintf(`
store: %s
source: {type: http, interval: 1s, http: {url: "%s/x", auth: bearer, mapping: "id: ref\nupdated: modified"}}
secrets: {httpToken: env:TEST_INGEST_TOKEN}
`, db, srv.URL))
	t.Setenv("TEST_INGEST_TOKEN", "s3cret")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var stdout, stderr bytes.Buffer
	go func() { done <- run(ctx, []string{"ingest", "--config", config}, &stdout, &stderr) }()
	deadline := time.Now().Add(15 * time.Second)
	for api.calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel() // as SIGTERM does
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if api.calls.Load() < 2 {
		t.Fatalf("%d polls in 15 s at a 1 s interval", api.calls.Load())
	}
	log := stderr.String()
	if !strings.Contains(log, "Polled the ticket source") || !strings.Contains(log, "Stopped after") {
		t.Errorf("log %q", log)
	}
	if got := storedTickets(t, db, "Y-1"); len(got) != 1 {
		t.Errorf("stored %v", got)
	}
}

func TestIngestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	tests := []struct {
		name, config, want string
	}{
		{"empty", "", "is empty"},
		{"no store", "source: {type: demo}", "store is missing"},
		{"unknown field", "store: " + db + "\nsorce: {type: demo}", "field sorce not found"},
		{"no source", "store: " + db, "nothing to poll"},
		{"bad source", "store: " + db + "\nsource: {type: http, http: {preset: jira}}", "needs a URL"},
		{"unknown secret", "store: " + db + "\nsource: {type: demo}\nsecrets: {token: x}", "unknown secret"},
		{"missing env secret", "store: " + db + "\nsource: {type: demo}\nsecrets: {httpToken: env:SPACETIME_TEST_UNSET}", "SPACETIME_TEST_UNSET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeTemp(t, t.TempDir(), "c.yaml", tt.config)
			code, _, stderr := runCmd(t, "ingest", "--config", cfg, "--once")
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", code, stderr, tt.want)
			}
		})
	}
	if code, _, stderr := runCmd(t, "ingest"); code != 2 || !strings.Contains(stderr, "--config is required") {
		t.Errorf("without --config: exit %d, %q", code, stderr)
	}
}

func TestIngestDemoOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	cfg := writeTemp(t, dir, "c.yaml", "store: "+db+"\nsource: {type: demo, demo: {backfill: 2h}}\n")
	code, stdout, stderr := runCmd(t, "ingest", "--config", cfg, "--once")
	if code != 0 || !strings.Contains(stdout, "demo generator") || !strings.Contains(stdout, "0 rejected") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	var n int
	if _, err := fmt.Sscanf(stdout[strings.Index(stdout, ": ")+2:], "%d records", &n); err != nil || n < 600 {
		t.Errorf("stdout %q: want about 1200 tickets for two hours (%v)", stdout, err)
	}
}
