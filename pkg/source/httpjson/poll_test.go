package httpjson_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/httpjson"
)

func TestPollsKeepTheStoreCurrentFromTheWatermark(t *testing.T) {
	tr := newTracker()
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i := range 7 {
		tr.put(fmt.Sprintf("T-%d", i), "first", base.Add(time.Duration(i)*time.Minute))
	}
	srv := startTracker(t, tr)
	r := newRig(t, openStore(t, tempStorePath(t)), srv.URL, nil)
	ctx := context.Background()

	rep, err := r.poller.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result.Inserted != 7 || ticketCount(t, r.st) != 7 {
		t.Fatalf("first poll: %+v, %d stored; want 7 inserted", rep.Result, ticketCount(t, r.st))
	}
	// 7 tickets in pages of 3: three calls.
	if n := len(tr.callLog()); n != 3 {
		t.Errorf("first poll made %d calls, want 3 pages", n)
	}
	cp, err := r.poller.Checkpoint(ctx)
	if err != nil || !cp.Watermark.Equal(rep.Start) {
		t.Fatalf("watermark = %v (%v), want the poll's start %v", cp.Watermark, err, rep.Start)
	}

	// A change after the first poll: the second poll asks from the watermark minus the
	// overlap and brings it.
	tr.put("T-3", "changed", time.Now().UTC())
	tr.put("T-new", "new", time.Now().UTC())
	rep, err = r.poller.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	calls := tr.callLog()
	wantSince := cp.Watermark.Add(-time.Minute).UTC().Format(time.RFC3339)
	if last := calls[len(calls)-1]; last.since != wantSince {
		t.Errorf("second poll asked since %q, want the watermark minus the overlap %q", last.since, wantSince)
	}
	if rep.Result.Inserted != 1 || rep.Result.Updated != 1 {
		t.Errorf("second poll: %+v, want 1 inserted and 1 updated", rep.Result)
	}
	if got := stored(t, r.st, "T-3", "T-new"); got["T-3"] != "changed" || got["T-new"] != "new" {
		t.Errorf("stored %v", got)
	}
	if st := r.poller.Status(); st.State != source.StateOK || st.Polls != 2 || st.Totals.Result.Inserted != 8 {
		t.Errorf("status = %+v", st)
	}
}

func TestFaultsAreRetriedOrReportedAndTheNextPollRecovers(t *testing.T) {
	tests := []struct {
		name string
		// faults are queued before the first poll.
		faults []fault
		// firstFails says whether the first poll fails (retries exhausted or a fault that
		// is not retried), and wantErr what its error says.
		firstFails bool
		wantErr    string
		// retries is how many retries the first poll made.
		retries int
	}{
		{"503 twice, then the answer", []fault{{status: 503, body: "busy"}, {status: 502}}, false, "", 2},
		{"500 on every try", []fault{{status: 500, body: "boom"}, {status: 500}, {status: 500}, {status: 500}}, true, "500 Internal Server Error", 3},
		{"timeouts, then the answer", []fault{{delay: 3 * time.Second}, {delay: 3 * time.Second}}, false, "", 2},
		{"timeouts on every try", []fault{{delay: 3 * time.Second}, {delay: 3 * time.Second}, {delay: 3 * time.Second}, {delay: 3 * time.Second}}, true, "did not answer within", 3},
		{"malformed JSON", []fault{{body: `{"items": [{"id": "X"`}}, true, "not valid JSON", 0},
		{"an HTML page", []fault{{body: "<html><body>Log in</body></html>"}}, true, "not valid JSON", 0},
		{"401 is not retried", []fault{{status: 401, body: "no"}}, true, "credentials were refused", 0},
		{"404 is not retried", []fault{{status: 404}}, true, "check the URL", 0},
		{"429 with Retry-After", []fault{{status: 429, retryAfter: "1"}}, false, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker()
			tr.put("A", "a", time.Now().Add(-time.Minute))
			srv := startTracker(t, tr)
			r := newRig(t, openStore(t, tempStorePath(t)), srv.URL, func(c *httpjson.Config) { c.Timeout = 300 * time.Millisecond })
			tr.fail(tt.faults...)
			rep, err := r.poller.PollOnce(context.Background())
			st := r.poller.Status()
			if tt.firstFails {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				if st.State != source.StateFailing || st.LastError == nil || !strings.Contains(st.LastError.Message, tt.wantErr) {
					t.Errorf("status = %+v, want failing with the error", st)
				}
				if !strings.Contains(st.Summary(time.Now()), tt.wantErr) {
					t.Errorf("summary %q does not say %q", st.Summary(time.Now()), tt.wantErr)
				}
				if cp, _ := r.poller.Checkpoint(context.Background()); !cp.Watermark.IsZero() {
					t.Errorf("a failed poll moved the watermark to %v", cp.Watermark)
				}
				// The source recovers: the next poll reads what the failed one missed.
				if _, err := r.poller.PollOnce(context.Background()); err != nil {
					t.Fatalf("after recovery: %v", err)
				}
			} else if err != nil {
				t.Fatalf("poll failed: %v", err)
			}
			if rep.Retries != tt.retries {
				t.Errorf("retries = %d, want %d", rep.Retries, tt.retries)
			}
			if got := stored(t, r.st, "A"); got["A"] != "a" {
				t.Errorf("after recovery the store has %v, want ticket A", got)
			}
			if st := r.poller.Status(); st.State != source.StateOK || st.ConsecutiveFailures != 0 {
				t.Errorf("after recovery status = %s with %d failures in a row", st.State, st.ConsecutiveFailures)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	tr := newTracker()
	tr.put("A", "a", time.Now().Add(-time.Minute))
	srv := startTracker(t, tr)
	var waits []time.Duration
	r := newRig(t, openStore(t, tempStorePath(t)), srv.URL, nil)
	tr.fail(fault{status: 429, retryAfter: "1", body: `{"message": "rate limited"}`})
	w := source.Window{Now: time.Now(), Retrying: func(err error, d time.Duration) { waits = append(waits, d) }}
	if _, err := r.src.Poll(context.Background(), w, func(context.Context, source.Batch) error { return nil }); err != nil {
		t.Fatal(err)
	}
	calls := tr.callLog()
	if len(calls) != 2 || len(waits) != 1 {
		t.Fatalf("%d calls and waits %v; want 2 calls and one wait", len(calls), waits)
	}
	// The wait is what the server asked for, exactly (no backoff, no jitter), and the
	// second call came no earlier.
	if waits[0] != time.Second {
		t.Errorf("waited %s, want the Retry-After of 1s", waits[0])
	}
	if gap := calls[1].at.Sub(calls[0].at); gap < time.Second {
		t.Errorf("the retry came %s after the 429, before its Retry-After", gap)
	}
}

func TestRetryAfterBeyondTheBudgetPostponesTheNextPoll(t *testing.T) {
	tr := newTracker()
	srv := startTracker(t, tr)
	r := newRig(t, openStore(t, tempStorePath(t)), srv.URL, nil)
	tr.fail(fault{status: 429, retryAfter: "3600"})
	_, err := r.poller.PollOnce(context.Background())
	var later *source.RetryLaterError
	if !errors.As(err, &later) {
		t.Fatalf("err = %v, want a RetryLaterError", err)
	}
	if d := time.Until(later.Until); d < 59*time.Minute || d > time.Hour {
		t.Errorf("asked to wait until %v (%s from now), want about an hour", later.Until, d)
	}
	if len(tr.callLog()) != 1 {
		t.Errorf("%d calls: a Retry-After longer than the budget must not be retried within the poll", len(tr.callLog()))
	}
}

func TestRefusedConnectionsThenRecovery(t *testing.T) {
	// Take a free port and close it: calls to it are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := newRig(t, openStore(t, tempStorePath(t)), "http://"+addr, nil)
	rep, err := r.poller.PollOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refused the connection") {
		t.Fatalf("err = %v, want refused", err)
	}
	if rep.Retries != fastRetry.Tries-1 {
		t.Errorf("retries = %d, want %d", rep.Retries, fastRetry.Tries-1)
	}
	// The service comes up on the same address.
	tr := newTracker()
	tr.put("A", "a", time.Now().Add(-time.Minute))
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	srv := httptest.NewUnstartedServer(tr)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	if _, err := r.poller.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, r.st, "A"); got["A"] != "a" {
		t.Errorf("stored %v", got)
	}
	st := r.poller.Status()
	if st.Failures != 1 || st.State != source.StateOK || st.LastError == nil {
		t.Errorf("status %+v: want one failure kept in the history and state ok", st)
	}
}

func TestMalformedRecordsAreRejectedAndThePollGoesOn(t *testing.T) {
	body := `{"items": [
		{"id": "OK-1", "title": "fine", "created": "2026-11-20T10:00:00Z", "updated": "2026-11-20T10:00:00Z"},
		{"title": "no key", "created": "2026-11-20T10:00:00Z"},
		{"id": "BAD-TIME", "created": "yesterday", "updated": "2026-11-20T10:00:00Z"},
		{"id": "BAD-SEV", "severity": "very", "updated": "2026-11-20T10:00:00Z"},
		"not an object",
		{"id": "OK-2", "title": "fine too", "updated": "2026-11-20T11:00:00Z"}
	]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
	defer srv.Close()
	r := newRig(t, openStore(t, tempStorePath(t)), srv.URL, func(c *httpjson.Config) { c.Paging = httpjson.Paging{Type: "none"} })
	rep, err := r.poller.PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 2 || rep.Rejected != 4 {
		t.Fatalf("records %d, rejected %d; want 2 and 4", rep.Records, rep.Rejected)
	}
	st := r.poller.Status()
	want := []string{"the key is missing", `"yesterday" is not a time`, `"very" is not a number`, "not a JSON object"}
	if len(st.RecentRejects) != len(want) {
		t.Fatalf("rejects %+v", st.RecentRejects)
	}
	for i, w := range want {
		if rj := st.RecentRejects[i]; !strings.Contains(rj.Reason, w) || !strings.Contains(rj.Where, "item") {
			t.Errorf("reject %d = %+v, want a reason with %q and where it was", i, rj, w)
		}
	}
	if st.RecentRejects[1].Key != "BAD-TIME" {
		t.Errorf("the reject of BAD-TIME does not name its key: %+v", st.RecentRejects[1])
	}
	if got := stored(t, r.st, "OK-1", "OK-2", "BAD-TIME"); len(got) != 2 {
		t.Errorf("stored %v, want OK-1 and OK-2 only", got)
	}
}

func TestDuplicatesAndOutOfOrderUpdates(t *testing.T) {
	// One answer holds the same ticket three times, its newest version in the middle, and
	// a second poll replays an older version: the newest stays.
	pages := []string{
		`{"items": [
			{"id": "D", "title": "v1", "updated": "2026-11-20T10:00:00Z"},
			{"id": "D", "title": "v3", "updated": "2026-11-20T10:30:00Z"},
			{"id": "D", "title": "v2", "updated": "2026-11-20T10:15:00Z"},
			{"id": "E", "title": "e", "updated": "2026-11-20T10:00:00Z"}]}`,
		`{"items": [
			{"id": "D", "title": "v2", "updated": "2026-11-20T10:15:00Z"},
			{"id": "E", "title": "e", "updated": "2026-11-20T10:00:00Z"}]}`,
	}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, pages[min(n, len(pages)-1)])
		n++
	}))
	defer srv.Close()
	r := newRig(t, openStore(t, tempStorePath(t)), srv.URL, func(c *httpjson.Config) { c.Paging = httpjson.Paging{Type: "none"} })
	rep, err := r.poller.PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result.Inserted != 2 || rep.Result.Stale != 1 {
		t.Errorf("first poll %+v, want 2 inserted and the older v2 stale", rep.Result)
	}
	rep, err = r.poller.PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result.Stale != 1 || rep.Result.Unchanged != 1 || rep.Result.Updated+rep.Result.Inserted != 0 {
		t.Errorf("replay %+v, want 1 stale and 1 unchanged, nothing written", rep.Result)
	}
	if got := stored(t, r.st, "D", "E"); got["D"] != "v3" || ticketCount(t, r.st) != 2 {
		t.Errorf("stored %v (%d tickets), want D at v3 and 2 tickets", got, ticketCount(t, r.st))
	}
}

func TestRestartInTheMiddleOfAPoll(t *testing.T) {
	tr := newTracker()
	base := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	const n = 10
	for i := range n {
		tr.put(fmt.Sprintf("R-%02d", i), "v1", base.Add(time.Duration(i)*time.Minute))
	}
	srv := startTracker(t, tr)
	path := tempStorePath(t)

	// The first process: page 3 of 4 hangs until the process stops (the poller's context
	// is cancelled, as a SIGTERM or a Dispose does) and the store is closed.
	st := openStore(t, path)
	r := newRig(t, st, srv.URL, nil)
	tr.mu.Lock()
	tr.blockPage, tr.release, tr.blocked = 3, make(chan struct{}), make(chan struct{})
	blocked := tr.blocked
	tr.mu.Unlock()
	run := r.poller.Start()
	<-blocked
	run.Stop()
	if got := ticketCount(t, st); got != 6 {
		t.Fatalf("before the restart the store has %d tickets, want the 6 of pages 1 and 2", got)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	tr.blockPage = 0
	tr.mu.Unlock()

	// Meanwhile the source changes tickets of every page: one already stored, one not yet.
	tr.put("R-01", "v2", time.Now().UTC())
	tr.put("R-08", "v2", time.Now().UTC())

	// The second process reads from the old watermark (none: the poll never finished).
	st = openStore(t, path)
	defer st.Close()
	r = newRig(t, st, srv.URL, nil)
	if cp, err := r.poller.Checkpoint(context.Background()); err != nil || !cp.Watermark.IsZero() {
		t.Fatalf("the interrupted poll left a watermark %v (%v)", cp.Watermark, err)
	}
	if _, err := r.poller.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ticketCount(t, st); got != n {
		t.Fatalf("after the restart the store has %d tickets, want each of the %d once", got, n)
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("R-%02d", i)
	}
	got := stored(t, st, keys...)
	for _, k := range keys {
		want := "v1"
		if k == "R-01" || k == "R-08" {
			want = "v2"
		}
		if got[k] != want {
			t.Errorf("%s is %q, want its latest version %q", k, got[k], want)
		}
	}
}

func TestPaginationStyles(t *testing.T) {
	// 7 tickets, 3 a page, served in each paging style.
	item := func(i int) string {
		return fmt.Sprintf(`{"id": "P-%d", "title": "t", "updated": "2026-11-20T10:0%d:00Z"}`, i, i)
	}
	items := func(from, to int) string {
		var parts []string
		for i := from; i < min(to, 7); i++ {
			parts = append(parts, item(i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	tests := []struct {
		name   string
		paging httpjson.Paging
		serve  func(w http.ResponseWriter, r *http.Request)
	}{
		{"link header", httpjson.Paging{Type: "link"}, func(w http.ResponseWriter, r *http.Request) {
			p := atoi(r.URL.Query().Get("p"))
			if (p+1)*3 < 7 {
				w.Header().Set("Link", fmt.Sprintf(`<%s?p=%d>; rel="next", <%s?p=2>; rel="last"`, r.URL.Path, p+1, r.URL.Path))
			}
			fmt.Fprintf(w, `{"items": %s}`, items(p*3, p*3+3))
		}},
		{"next URL in the body", httpjson.Paging{Type: "next", Next: "paging.next"}, func(w http.ResponseWriter, r *http.Request) {
			p := atoi(r.URL.Query().Get("p"))
			next := ""
			if (p+1)*3 < 7 {
				next = fmt.Sprintf(`"next": "http://%s/t?p=%d"`, r.Host, p+1)
			}
			fmt.Fprintf(w, `{"items": %s, "paging": {%s}}`, items(p*3, p*3+3), next)
		}},
		{"cursor", httpjson.Paging{Type: "cursor", Cursor: "cursor", CursorParam: "after", Last: "done"}, func(w http.ResponseWriter, r *http.Request) {
			p := 0
			if c := r.URL.Query().Get("after"); c != "" {
				p = atoi(strings.TrimPrefix(c, "c"))
			}
			fmt.Fprintf(w, `{"items": %s, "cursor": "c%d", "done": %v}`, items(p*3, p*3+3), p+1, (p+1)*3 >= 7)
		}},
		{"offset and limit", httpjson.Paging{Type: "offset", Limit: 3}, func(w http.ResponseWriter, r *http.Request) {
			off, lim := atoi(r.URL.Query().Get("offset")), atoi(r.URL.Query().Get("limit"))
			fmt.Fprintf(w, `{"items": %s}`, items(off, off+lim))
		}},
		{"page numbers", httpjson.Paging{Type: "page", PageParam: "pg"}, func(w http.ResponseWriter, r *http.Request) {
			p := atoi(r.URL.Query().Get("pg"))
			fmt.Fprintf(w, `{"items": %s}`, items((p-1)*3, p*3))
		}},
		{"detected: Link header", httpjson.Paging{}, func(w http.ResponseWriter, r *http.Request) {
			p := atoi(r.URL.Query().Get("p"))
			if (p+1)*3 < 7 {
				w.Header().Set("Link", fmt.Sprintf(`<%s?p=%d>; rel="next"`, r.URL.Path, p+1))
			}
			fmt.Fprintf(w, `{"items": %s}`, items(p*3, p*3+3))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				tt.serve(w, r)
			}))
			defer srv.Close()
			r := newRig(t, openStore(t, tempStorePath(t)), srv.URL, func(c *httpjson.Config) {
				c.URL = srv.URL + "/t"
				c.Paging = tt.paging
			})
			if _, err := r.poller.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := ticketCount(t, r.st); got != 7 {
				t.Errorf("%d tickets stored, want 7", got)
			}
			if calls < 3 || calls > 4 {
				t.Errorf("%d calls, want 3 pages (4 when the end shows as an empty page)", calls)
			}
		})
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

func TestEmptyAnswers(t *testing.T) {
	tests := []struct {
		name, items, body, err string
	}{
		{"null list, detected", "", `{"items": null}`, ""},
		{"empty list, detected", "", `{"data": []}`, ""},
		{"null list at the items path", "issues", `{"issues": null, "isLast": true}`, ""},
		{"no list at the items path", "issues", `{"errorMessages": ["bad JQL"]}`, `no array of tickets at "issues"`},
		{"ambiguous", "", `{"a": [], "b": []}`, "cannot tell which member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tt.body) }))
			defer srv.Close()
			r := newRig(t, openStore(t, tempStorePath(t)), srv.URL, func(c *httpjson.Config) {
				c.Items, c.Paging = tt.items, httpjson.Paging{Type: "none"}
			})
			_, err := r.poller.PollOnce(context.Background())
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
}
