package binaryhost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/binaryhost"
)

// githubAPI answers the GitHub issues listing the way the GitHub preset reads it: an array
// of issues, pages linked by the Link header. Issues can be added while the plugin polls.
type githubAPI struct {
	mu     sync.Mutex
	issues []string
	auth   []string
}

func (g *githubAPI) add(n int, title string, labels ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC3339)
	var ls []string
	for _, l := range labels {
		ls = append(ls, fmt.Sprintf(`{"name": %q}`, l))
	}
	g.issues = append(g.issues, fmt.Sprintf(`{"number": %d, "title": %q, "state": "open", "labels": [%s],
		"repository_url": "https://api.github.com/repos/acme/payments", "created_at": %q, "updated_at": %q, "closed_at": null,
		"body": "details"}`, n, title, strings.Join(ls, ","), now, now))
}

func (g *githubAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.auth = append(g.auth, r.Header.Get("Authorization"))
	page := 1
	fmt.Sscan(r.URL.Query().Get("page"), &page)
	const per = 2
	from, to := (page-1)*per, min(page*per, len(g.issues))
	if to < len(g.issues) {
		q := r.URL.Query()
		q.Set("page", fmt.Sprint(page+1))
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?%s>; rel="next"`, r.Host, r.URL.Path, q.Encode()))
	}
	fmt.Fprintf(w, "[%s]", strings.Join(g.issues[min(from, to):to], ","))
}

// sourceContext is the plugin context of a data source with source settings and a
// decrypted secret, as Grafana sends it.
func sourceContext(t *testing.T, uid string, jsonData map[string]any, secure map[string]string) backend.PluginContext {
	t.Helper()
	pc, err := binaryhost.Context(uid, jsonData)
	if err != nil {
		t.Fatal(err)
	}
	pc.DataSourceInstanceSettings.DecryptedSecureJSONData = secure
	return pc
}

func ticketCountOf(t *testing.T, f *fixture, pc backend.PluginContext) int64 {
	t.Helper()
	now := time.Now()
	resp := f.query(t, pc, now.Add(-24*time.Hour), now.Add(time.Hour), map[string]any{"queryType": "stats"})
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	return resp.Frames[0].Fields[0].At(0).(int64)
}

func TestThePluginPollsAGitHubSource(t *testing.T) {
	f := setup(t)
	api := &githubAPI{}
	for i := 1; i <= 5; i++ {
		api.add(i, fmt.Sprintf("issue %d", i), "sev2")
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	pc := sourceContext(t, "gh", map[string]any{
		"storePath": filepath.Join(t.TempDir(), "gh.db"),
		"source": map[string]any{"type": "http", "interval": "1s",
			"http": map[string]any{"preset": "github", "url": srv.URL + "/repos/acme/payments", "auth": "bearer"}},
	}, map[string]string{"httpToken": "ghp_test"})

	// The first health check starts the instance and waits for its first poll.
	res, err := f.host.CheckHealth(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "GitHub at "+srv.URL) || !strings.Contains(res.Message, "5 new") {
		t.Fatalf("health = %v %q", res.Status, res.Message)
	}
	if n := ticketCountOf(t, f, pc); n != 5 {
		t.Fatalf("%d tickets after the first poll, want 5", n)
	}
	api.add(6, "a new one", "sev1")
	deadline := time.Now().Add(20 * time.Second)
	for ticketCountOf(t, f, pc) != 6 {
		if time.Now().After(deadline) {
			t.Fatal("the new issue never became queryable")
		}
		time.Sleep(100 * time.Millisecond)
	}
	now := time.Now()
	resp := f.query(t, pc, now.Add(-time.Hour), now.Add(time.Hour), map[string]any{"queryType": "breakdown", "field": "severity"})
	if got := keyCounts(t, resp); got["2"] != 5 || got["1"] != 1 {
		t.Errorf("severities %v, want five sev2 and one sev1 from the labels", got)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	for _, a := range api.auth {
		if a != "Bearer ghp_test" {
			t.Fatalf("Authorization %q: the secure setting did not reach the source", a)
		}
	}
}

func TestThePushResource(t *testing.T) {
	f := setup(t)
	pc := sourceContext(t, "push", map[string]any{"storePath": filepath.Join(t.TempDir(), "push.db")}, nil)
	now := time.Now().UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`[{"id": "HOOK-1", "title": "from a webhook", "service": "payments-api", "created": %q, "updated": %q},
		{"id": "HOOK-2", "created": "not a time"}]`, now, now)
	status, out, err := f.host.CallResource(context.Background(), pc, http.MethodPost, "push", nil, []byte(body))
	if err != nil || status != http.StatusOK {
		t.Fatalf("push: %d %s %v", status, out, err)
	}
	var res struct {
		Accepted, Rejected int
		Records            []struct{ Status, Reason string }
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Accepted != 1 || res.Rejected != 1 || !strings.Contains(res.Records[1].Reason, "not a time") {
		t.Fatalf("push answer %s (%v)", out, err)
	}
	if n := ticketCountOf(t, f, pc); n != 1 {
		t.Errorf("%d tickets after the push, want 1", n)
	}
	status, out, err = f.host.CallResource(context.Background(), pc, http.MethodGet, "status", nil, nil)
	if err != nil || status != http.StatusOK || !strings.Contains(string(out), `"sourceType":"none"`) || !strings.Contains(string(out), `"tickets":1`) {
		t.Errorf("status: %d %s %v", status, out, err)
	}
}
