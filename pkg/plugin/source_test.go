package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/hub"
)

// ticketAPI is a ticket system over HTTP for the tests: a list of tickets it serves whole
// (the poll's since is not needed here), or a failure while down.
type ticketAPI struct {
	mu      sync.Mutex
	tickets []map[string]any
	down    bool
	calls   atomic.Int64
}

func (a *ticketAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		http.Error(w, "maintenance", http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"items": a.tickets})
}

func (a *ticketAPI) add(n int, service string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now().UTC()
	for range n {
		id := fmt.Sprintf("%s-%d", service, len(a.tickets)+1)
		a.tickets = append(a.tickets, map[string]any{"id": id, "title": "api " + id, "service": service, "severity": 2,
			"created": now.Add(-time.Minute).Format(time.RFC3339), "updated": now.Format(time.RFC3339)})
	}
}

func (a *ticketAPI) setDown(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down = down
}

func httpSource(url string) map[string]any {
	return map[string]any{"type": "http", "interval": "1s", "http": map[string]any{"preset": "custom", "url": url + "/tickets?since={since}"}}
}

func newInstance(t *testing.T, h *testHub, uid, storePath string, src map[string]any) *Datasource {
	t.Helper()
	jd, err := json.Marshal(map[string]any{"storePath": storePath, "source": src})
	if err != nil {
		t.Fatal(err)
	}
	d := h.newDatasource(context.Background(), backend.DataSourceInstanceSettings{UID: uid, JSONData: jd}, func(string) string { return "" })
	mustAttach(t, d)
	return d
}

// statsTotal runs a stats query over the last day.
func statsTotal(t *testing.T, d *Datasource) (int64, *data.Frame) {
	t.Helper()
	now := time.Now()
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{
		RefID: "A", JSON: []byte(`{"queryType": "stats"}`), TimeRange: backend.TimeRange{From: now.Add(-24 * time.Hour), To: now.Add(time.Hour)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses["A"]
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	return r.Frames[0].Fields[0].At(0).(int64), r.Frames[0]
}

// eventually retries cond until it holds or the deadline passes: polls run on their own
// schedule, so the test waits for an outcome rather than for a time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInstancePollsItsSourceAndAnswersWhileItIsDown(t *testing.T) {
	api := &ticketAPI{}
	api.add(5, "checkout")
	srv := httptest.NewServer(api)
	defer srv.Close()
	h := newTestHub(hub.Options{})
	d := newInstance(t, h, "ds", filepath.Join(t.TempDir(), "t.db"), httpSource(srv.URL))
	defer d.Dispose()

	eventually(t, "the first poll's tickets are queryable", func() bool { n, _ := statsTotal(t, d); return n == 5 })
	res, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "HTTP API at "+srv.URL+"/tickets was polled") {
		t.Errorf("health = %v %q", res.Status, res.Message)
	}

	// A new ticket shows up at the next poll.
	api.add(1, "search")
	eventually(t, "the new ticket is queryable", func() bool { n, _ := statsTotal(t, d); return n == 6 })

	// The source goes down: queries keep answering from the store, the health check and
	// the stats panel say what is wrong.
	api.setDown(true)
	eventually(t, "the poller notices", func() bool { st := d.sourceStatus(); return st != nil && st.State == "failing" })
	n, frame := statsTotal(t, d)
	if n != 6 {
		t.Errorf("while the source is down the stats say %d tickets, want the 6 stored", n)
	}
	if len(frame.Meta.Notices) != 1 || !strings.Contains(frame.Meta.Notices[0].Text, "500 Internal Server Error") {
		t.Errorf("stats notices = %+v, want a warning naming the failure", frame.Meta.Notices)
	}
	custom, _ := json.Marshal(frame.Meta.Custom)
	if !strings.Contains(string(custom), `"state":"failing"`) || !strings.Contains(string(custom), `"tickets":`) {
		t.Errorf("stats custom metadata = %s, want the source state beside the builder's own", custom)
	}
	// What the API answered is for an admin's eyes only (it may echo credentials).
	res, err = d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"6 tickets", "answered 500 Internal Server Error.", "The last successful poll was"} {
		if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, want) {
			t.Errorf("health = %v %q, want an error saying %q", res.Status, res.Message, want)
		}
	}
	if strings.Contains(res.Message, "maintenance") {
		t.Errorf("a health check without a user shows what the API answered: %q", res.Message)
	}
	res, err = d.CheckHealth(context.Background(), &backend.CheckHealthRequest{PluginContext: backend.PluginContext{User: &backend.User{Role: "Admin"}}})
	if err != nil || !strings.Contains(res.Message, `The answer began: "maintenance".`) {
		t.Errorf("an admin's health = %q (%v), want the answer's start", res.Message, err)
	}
	var details map[string]map[string]any
	if err := json.Unmarshal(res.JSONDetails, &details); err != nil || details["source"]["state"] != "failing" {
		t.Errorf("health details %s (%v)", res.JSONDetails, err)
	}

	// It comes back.
	api.setDown(false)
	eventually(t, "the poller recovers", func() bool { st := d.sourceStatus(); return st.State == "ok" })
	status, body := callResource(t, d, http.MethodGet, "status", nil)
	var st statusResponse
	if err := json.Unmarshal(body, &st); err != nil || status != http.StatusOK {
		t.Fatalf("status: %d %s", status, body)
	}
	if st.SourceType != "http" || st.Tickets != 6 || st.Source == nil || st.Source.Failures == 0 || st.Source.LastSuccess == nil {
		t.Errorf("status = %s", body)
	}
}

func TestDisposeStopsThePollerWithoutLeaks(t *testing.T) {
	api := &ticketAPI{}
	api.add(3, "checkout")
	srv := httptest.NewServer(api)
	defer srv.Close()
	before := ourGoroutines()
	baseline := runtime.NumGoroutine()
	// The hub's pollers and loops wait on a clock the test moves: it proves that nothing
	// polls after Dispose however much time passes, without sleeping.
	fake := clock.NewFake(time.Now())
	h := newTestHub(hub.Options{Clock: fake})
	d := newInstance(t, h, "ds", filepath.Join(t.TempDir(), "t.db"), httpSource(srv.URL))
	eventually(t, "two polls", func() bool { fake.Advance(time.Second); return api.calls.Load() >= 2 })
	if len(ourGoroutines()) <= len(before) {
		t.Fatal("no poller goroutine is running; the test would prove nothing")
	}
	d.Dispose()
	calls := api.calls.Load()
	eventually(t, "the poller's goroutines end", func() bool { return len(ourGoroutines()) == len(before) })
	eventually(t, "the goroutine count is back", func() bool { return runtime.NumGoroutine() <= baseline })
	if n := fake.Timers(); n != 0 {
		t.Errorf("%d timers still wait after Dispose: something could still poll", n)
	}
	fake.Advance(time.Hour) // an hour of intervals
	if got := api.calls.Load(); got != calls {
		t.Errorf("the source was called %d times after Dispose", got-calls)
	}
	if stores, indexes := h.Held(); stores != 0 || indexes != 0 {
		t.Errorf("the hub still holds %d stores and %d indexes", stores, indexes)
	}
}

// ourGoroutines lists the goroutines running code of this module (the pollers, the index
// loads), by the first function of ours on their stacks.
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		s := string(g)
		if strings.Contains(s, "spacetime/tickets/pkg/source") || strings.Contains(s, "spacetime/tickets/pkg/hub.") {
			if !strings.Contains(s, "testing.tRunner") {
				out = append(out, strings.SplitN(s, "\n", 2)[0])
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestNewSettingsReplaceThePollerOfTheStore(t *testing.T) {
	old, new := &ticketAPI{}, &ticketAPI{}
	old.add(2, "old")
	new.add(4, "new")
	oldSrv, newSrv := httptest.NewServer(old), httptest.NewServer(new)
	defer oldSrv.Close()
	defer newSrv.Close()
	// The pollers wait on a clock the test moves (by the interval, 1s, at each check).
	fake := clock.NewFake(time.Now())
	tick := func() { fake.Advance(time.Second) }
	h := newTestHub(hub.Options{Clock: fake})
	path := filepath.Join(t.TempDir(), "t.db")
	a := newInstance(t, h, "ds", path, httpSource(oldSrv.URL))
	eventually(t, "the old source is polled", func() bool { n, _ := statsTotal(t, a); return n == 2 })

	// Grafana makes the instance of the new settings, then disposes of the old one.
	b := newInstance(t, h, "ds", path, httpSource(newSrv.URL))
	oldCalls := old.calls.Load()
	// Replaced, the old poller was stopped before the new one started.
	if st := a.sourceStatus(); st == nil || st.State != "stopped" {
		t.Errorf("the replaced poller's status %+v, want stopped", st)
	}
	eventually(t, "the new source is polled", func() bool { n, _ := statsTotal(t, b); return n == 6 })
	a.Dispose()
	newCalls := new.calls.Load()
	// Several of the new poller's intervals pass, and the old source is not called.
	eventually(t, "the new poller goes on after the old instance is disposed", func() bool { tick(); return new.calls.Load() > newCalls+2 })
	if got := old.calls.Load(); got != oldCalls {
		t.Errorf("the replaced poller called its source %d more times", got-oldCalls)
	}
	if st := b.sourceStatus(); st == nil || !strings.Contains(st.Source, newSrv.URL) {
		t.Errorf("status of the new instance: %+v", st)
	}
	b.Dispose()

	// An instance without a source does not stop another's poller over the same store.
	c := newInstance(t, h, "ds", path, httpSource(newSrv.URL))
	quiet := newInstance(t, h, "other", path, nil)
	quiet.Dispose()
	before := new.calls.Load()
	eventually(t, "polling goes on", func() bool { tick(); return new.calls.Load() > before })
	c.Dispose()
}

func TestBadSourceSettingsLeaveQueriesWorking(t *testing.T) {
	tests := []struct {
		name   string
		source any
		want   string
	}{
		{"unknown type", map[string]any{"type": "kafka"}, `unknown source "kafka"`},
		{"not an object", "demo", "jsonData.source"},
		{"bad interval", map[string]any{"type": "demo", "interval": "often"}, "source.interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHub(hub.Options{})
			jd, _ := json.Marshal(map[string]any{"storePath": filepath.Join(t.TempDir(), "t.db"), "source": tt.source})
			d := h.newDatasource(context.Background(), backend.DataSourceInstanceSettings{UID: "x", JSONData: jd}, func(string) string { return "" })
			defer d.Dispose()
			if _, err := d.attached(context.Background()); err != nil {
				t.Fatalf("a bad source setting stopped the data source: %v", err)
			}
			if n, _ := statsTotal(t, d); n != 0 {
				t.Errorf("stats = %d", n)
			}
			res, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
			if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, tt.want) {
				t.Errorf("health = %v %q, want an error saying %q", res.Status, res.Message, tt.want)
			}
		})
	}
}

func TestPushResource(t *testing.T) {
	h := newTestHub(hub.Options{})
	d := newInstance(t, h, "ds", filepath.Join(t.TempDir(), "t.db"), nil)
	defer d.Dispose()
	now := time.Now().UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`{"tickets": [
		{"id": "W-1", "title": "from a webhook", "severity": 1, "service": "checkout", "created": %q, "updated": %q},
		{"id": "W-2", "severity": "urgent", "created": %q},
		{"key": "W-3", "summary": "by source names", "created_at": %q}]}`, now, now, now, now)
	status, out := callResource(t, d, http.MethodPost, "push", []byte(body))
	if status != http.StatusOK {
		t.Fatalf("push: %d %s", status, out)
	}
	var res struct {
		Accepted, Rejected int
		Records            []struct {
			Index               int
			Key, Status, Reason string
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || res.Rejected != 1 || res.Records[1].Status != "rejected" || !strings.Contains(res.Records[1].Reason, `"urgent" is not a number`) {
		t.Errorf("push result %s", out)
	}
	// The pushed tickets are queryable at once.
	if n, _ := statsTotal(t, d); n != 2 {
		t.Errorf("stats after the push = %d, want 2", n)
	}
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`[{"title": "no key"}]`, http.StatusUnprocessableEntity},
		// Stale is not rejected: a webhook that sends an old update again is answered 200.
		{`[{"id": "W-1", "updated": "2020-01-01T00:00:00Z"}]`, http.StatusOK},
		{`{"tickets": `, http.StatusBadRequest},
		{``, http.StatusBadRequest},
	} {
		if status, out := callResource(t, d, http.MethodPost, "push", []byte(tt.body)); status != tt.status {
			t.Errorf("push %q: %d %s, want %d", tt.body, status, out, tt.status)
		}
	}
}

func callResource(t *testing.T, d *Datasource, method, path string, body []byte) (int, []byte) {
	t.Helper()
	var status int
	var out []byte
	err := d.CallResource(context.Background(), &backend.CallResourceRequest{Method: method, Path: path, URL: path, Body: body},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error {
			status = r.Status
			out = append(out, r.Body...)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return status, out
}

func TestLoadSettingsReadsTheSource(t *testing.T) {
	jd := `{"source": {"type": "http", "interval": "5s", "demo": {"backfill": "7d"},
		"http": {"preset": "jira", "url": "https://x.atlassian.net", "auth": "basic", "username": "me", "headerName": "X-K",
		"mapping": "severity: fields.priority.id"}, "files": {"dir": "/in"}}}`
	set, err := loadSettings(backend.DataSourceInstanceSettings{UID: "u", JSONData: []byte(jd)}, func(string) string { return "/data" })
	if err != nil || set.sourceErr != nil {
		t.Fatal(err, set.sourceErr)
	}
	s := set.Source
	if s.Kind() != "http" || s.Interval != "5s" || s.Demo.Backfill != "7d" || s.HTTP.Preset != "jira" || s.HTTP.URL != "https://x.atlassian.net" ||
		s.HTTP.Auth != "basic" || s.HTTP.Username != "me" || s.HTTP.HeaderName != "X-K" || s.HTTP.Mapping != "severity: fields.priority.id" || s.Files.Dir != "/in" {
		t.Errorf("source settings %+v", s)
	}
	set, err = loadSettings(backend.DataSourceInstanceSettings{UID: "u", JSONData: []byte(`{}`)}, func(string) string { return "/data" })
	if err != nil || set.Source.Kind() != "none" {
		t.Errorf("without a source: %v %q", err, set.Source.Kind())
	}
}
