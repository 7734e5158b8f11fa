package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
)

// TestImportAndIngestOnDynamoDB: `spacetime import` and `spacetime ingest --once` work on
// a DynamoDB table, and a scheduled `ingest --once` leaves the polling to a process that
// holds the lease (a plugin replica, here a running `spacetime ingest`), then polls once
// that one has stopped.
func TestImportAndIngestOnDynamoDB(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CA_BUNDLE", "")
	spec := "dynamodb://tickets?region=eu-west-1&endpoint=" + server.Endpoint
	if code, stdout, stderr := runCmd(t, "migrate", "--store", spec); code != 0 {
		t.Fatalf("migrate: exit %d: %s %s", code, stdout, stderr)
	}
	dir := t.TempDir()

	csv := writeTemp(t, dir, "tickets.csv", "id,title,severity,created\nD-1,disk full,2,2026-11-20T10:00:00Z\nD-2,link down,1,2026-11-20T10:05:00Z\n")
	if code, stdout, stderr := runCmd(t, "import", "--store", spec, csv); code != 0 || !strings.Contains(stdout+stderr, "2 inserted") {
		t.Fatalf("import: exit %d: %s %s", code, stdout, stderr)
	}
	if d2 := storedTickets(t, spec, "D-1", "D-2")["D-2"]; d2.Get("title").S != "link down" {
		t.Fatalf("after import D-2 is %+v", d2)
	}
	// --bulk: a newer D-2 replaces the stored one, an identical D-1 changes nothing, D-3 is new.
	csv2 := writeTemp(t, dir, "more.csv", "id,title,severity,created,updated\nD-1,disk full,2,2026-11-20T10:00:00Z,\n"+
		"D-2,link down again,1,2026-11-20T10:05:00Z,2026-11-20T12:00:00Z\nD-3,dns,3,2026-11-20T11:00:00Z,\n")
	code, stdout, stderr := runCmd(t, "import", "--bulk", "--store", spec, csv2)
	if code != 0 || !strings.Contains(stdout+stderr, "1 inserted, 1 updated") {
		t.Fatalf("import --bulk: exit %d: %s %s", code, stdout, stderr)
	}
	got := storedTickets(t, spec, "D-1", "D-2", "D-3")
	if d2 := got["D-2"]; len(got) != 3 || d2.Get("title").S != "link down again" {
		t.Fatalf("after import --bulk the table holds %v", got)
	}
	code, _, stderr = runCmd(t, "import", "--bulk", "--store", filepath.Join(dir, "file.db"), csv2)
	if code != 2 || !strings.Contains(stderr, "--bulk is for a DynamoDB store") {
		t.Errorf("import --bulk into a file: exit %d, stderr %q", code, stderr)
	}

	api := &fakeAPI{}
	api.set(map[string]any{"ref": "X-1", "subject": "first", "modified": "2026-11-20T10:00:00Z"})
	srv := httptest.NewServer(api)
	defer srv.Close()
	t.Setenv("TEST_INGEST_TOKEN", "s3cret")
	config := writeTemp(t, dir, "ingest.yaml", fmt.Sprintf(`
store: %s
source: {type: http, interval: 1s, lease: 1s, http: {url: "%s/x", auth: bearer, mapping: "id: ref\ntitle: subject\nupdated: modified"}}
secrets: {httpToken: env:TEST_INGEST_TOKEN}
`, spec, srv.URL))

	code, stdout, stderr = runCmd(t, "ingest", "--config", config, "--once")
	if code != 0 || !strings.Contains(stdout, "1 records: 1 inserted") {
		t.Fatalf("ingest --once: exit %d: %s %s", code, stdout, stderr)
	}
	if x1 := storedTickets(t, spec, "X-1")["X-1"]; x1.Get("title").S != "first" {
		t.Fatalf("after ingest --once X-1 is %+v", x1)
	}

	// A long-running ingest takes the lease; the scheduled job stands aside.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	var runOut, runErr bytes.Buffer
	go func() { done <- run(ctx, []string{"ingest", "--config", config}, &runOut, &runErr) }()
	for deadline := time.Now().Add(20 * time.Second); api.calls.Load() < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the running ingest never polled")
		}
	}
	code, stdout, stderr = runCmd(t, "ingest", "--config", config, "--once")
	host, _ := os.Hostname()
	if code != 0 || !strings.Contains(stdout, "not polled: "+host+"/") || !strings.Contains(stdout, "holds the polling lease") {
		t.Fatalf("ingest --once beside a running ingest: exit %d: %q %q", code, stdout, stderr)
	}

	// Stopped, the running ingest gives the lease up, and the job polls again at once.
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("the running ingest: exit %d: %s", code, runErr.String())
	}
	if !strings.Contains(runErr.String(), "Took the polling lease") {
		t.Errorf("the running ingest's log does not say it took the lease: %s", runErr.String())
	}
	api.set(map[string]any{"ref": "X-1", "subject": "first, again", "modified": "2026-11-20T11:00:00Z"})
	code, stdout, stderr = runCmd(t, "ingest", "--config", config, "--once")
	if code != 0 || !strings.Contains(stdout, "1 updated") {
		t.Fatalf("ingest --once after the other stopped: exit %d: %q %q", code, stdout, stderr)
	}
	if x1 := storedTickets(t, spec, "X-1")["X-1"]; x1.Get("title").S != "first, again" {
		t.Fatalf("the job's update is not stored: X-1 is %+v", x1)
	}
}
