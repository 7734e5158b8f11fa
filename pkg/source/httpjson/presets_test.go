package httpjson_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/httpjson"
	"github.com/spacetime/tickets/pkg/ticket"
)

// The answers below are written for these tests in the shape that each API's public
// documentation shows (the pages are cited in presets.go): the same members, nesting,
// time formats and paging, with our own values.

// replay serves a preset's API: check inspects each request (and fails the test on a
// wrong one), answer gives the status, headers and body.
type replay struct {
	t      *testing.T
	mu     sync.Mutex
	calls  []*http.Request
	answer func(r *http.Request) (http.Header, string)
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rp.mu.Lock()
	rp.calls = append(rp.calls, r)
	rp.mu.Unlock()
	h, body := rp.answer(r)
	for k, vs := range h {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if body == "" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

func pollPreset(t *testing.T, rp *replay, cfg httpjson.Config) (map[string]ticket.Record, *replay) {
	t.Helper()
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	cfg.URL = strings.ReplaceAll(cfg.URL, "SERVER", srv.URL)
	cfg.Retry = fastRetry
	src, err := httpjson.New(schema.Default(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, tempStorePath(t))
	p := source.NewPoller(src, st, source.Options{Key: cfg.Preset})
	rep, err := p.PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected > 0 {
		t.Errorf("rejects: %+v", p.Status().RecentRejects)
	}
	out := map[string]ticket.Record{}
	_, err = st.Changes(context.Background(), "", func(rec *ticket.Record) error {
		out[rec.Key] = rec.Clone()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, rp
}

// want checks mapped values: column -> text (times as RFC 3339, numbers plain, "" null).
func checkTicket(t *testing.T, recs map[string]ticket.Record, key string, want map[string]string) {
	t.Helper()
	rec, ok := recs[key]
	if !ok {
		t.Errorf("ticket %s was not stored", key)
		return
	}
	for col, w := range want {
		v := rec.Get(col)
		var got string
		switch v.Kind {
		case ticket.Str:
			got = v.S
		case ticket.Num:
			got = fmt.Sprint(v.F)
		case ticket.Time:
			got = v.Time().Format(time.RFC3339)
		}
		if got != w {
			t.Errorf("%s.%s = %q, want %q", key, col, got, w)
		}
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestJiraPreset(t *testing.T) {
	issue := func(key, summary, priority, status, component, updated, resolved string) string {
		res := "null"
		if resolved != "" {
			res = `"` + resolved + `"`
		}
		return fmt.Sprintf(`{
			"expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
			"id": "1%s", "self": "https://example.atlassian.net/rest/api/2/issue/1%s", "key": %q,
			"fields": {
				"summary": %q,
				"status": {"self": "https://example.atlassian.net/rest/api/2/status/3", "name": %q, "id": "3",
					"statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"}},
				"priority": {"self": "https://example.atlassian.net/rest/api/2/priority/2", "name": %q, "id": "2"},
				"components": [{"self": "https://example.atlassian.net/rest/api/2/component/10000", "id": "10000", "name": %q}],
				"issuetype": {"id": "10004", "name": "Incident", "subtask": false},
				"labels": ["eu-west-1", "customer-facing"],
				"assignee": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof", "active": true},
				"created": "2026-11-20T06:03:00.833+0000",
				"updated": %q,
				"resolutiondate": %s,
				"description": "Checkout returns 502 for a third of requests."
			}}`, key[4:], key[4:], key, summary, status, priority, component, updated, res)
	}
	rp := &replay{t: t}
	rp.answer = func(r *http.Request) (http.Header, string) {
		q := r.URL.Query()
		if r.URL.Path != "/rest/api/2/search/jql" {
			t.Errorf("path %s, want /rest/api/2/search/jql", r.URL.Path)
			return nil, ""
		}
		if got := r.Header.Get("Authorization"); got != basic("ops@example.com", "api-token") {
			t.Errorf("Authorization = %q", got)
		}
		jql := q.Get("jql")
		if jql != `(project = OPS) AND updated >= "-10080m" ORDER BY updated ASC` {
			t.Errorf("jql = %q: want the URL's filter ANDed with the 7-day window, oldest update first", jql)
		}
		if !strings.Contains(q.Get("fields"), "resolutiondate") {
			t.Errorf("fields = %q", q.Get("fields"))
		}
		switch q.Get("nextPageToken") {
		case "":
			return nil, `{"issues": [` +
				issue("OPS-1", "Checkout 502s", "Highest", "In Progress", "checkout-api", "2026-11-20T06:10:00.000+0000", "") + "," +
				issue("OPS-2", "Slow search", "Medium", "Done", "search-api", "2026-11-20T07:00:00.000+0000", "2026-11-20T07:00:00.000+0000") +
				`], "nextPageToken": "CAEaAggD", "isLast": false}`
		case "CAEaAggD":
			return nil, `{"issues": [` + issue("OPS-3", "Login fails", "P2", "Open", "auth-api", "2026-11-20T08:00:00.000+0000", "") + `], "isLast": true}`
		}
		t.Errorf("unexpected token %q", q.Get("nextPageToken"))
		return nil, ""
	}
	recs, rp := pollPreset(t, rp, httpjson.Config{Preset: "jira", URL: "SERVER/?jql=project%20%3D%20OPS%20ORDER%20BY%20created",
		Auth: httpjson.Auth{Kind: "basic", Username: "ops@example.com", Password: "api-token"}})
	if len(rp.calls) != 2 || len(recs) != 3 {
		t.Fatalf("%d calls, %d tickets; want 2 pages and 3 tickets", len(rp.calls), len(recs))
	}
	checkTicket(t, recs, "OPS-1", map[string]string{"title": "Checkout 502s", "severity": "1", "status": "In Progress",
		"service": "checkout-api", "category": "Incident", "item": "eu-west-1, customer-facing", "assignee_group": "Mia Krystof",
		"created": "2026-11-20T06:03:00Z", "updated": "2026-11-20T06:10:00Z", "resolved": "",
		"description": "Checkout returns 502 for a third of requests."})
	checkTicket(t, recs, "OPS-2", map[string]string{"severity": "3", "status": "Done", "resolved": "2026-11-20T07:00:00Z"})
	checkTicket(t, recs, "OPS-3", map[string]string{"severity": "2", "service": "auth-api"})
}

func TestPagerDutyPreset(t *testing.T) {
	now := time.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	incident := func(id string, number int, status, priority, urgency, created, updated, resolved string) string {
		prio := "null"
		if priority != "" {
			prio = fmt.Sprintf(`{"id": "P53ZZH5", "type": "priority_reference", "summary": %q, "self": "https://api.pagerduty.com/priorities/P53ZZH5"}`, priority)
		}
		res := "null"
		if resolved != "" {
			res = `"` + resolved + `"`
		}
		return fmt.Sprintf(`{
			"id": %q, "type": "incident", "summary": "[#%d] The server is on fire.",
			"self": "https://api.pagerduty.com/incidents/%s", "html_url": "https://subdomain.pagerduty.com/incidents/%s",
			"incident_number": %d, "title": "The server is on fire.",
			"created_at": %q, "updated_at": %q, "status": %q, "resolved_at": %s,
			"incident_key": "baf7cf21b1da41b4b0221008339ff357",
			"service": {"id": "PIJ90N7", "type": "service_reference", "summary": "My Mail Service",
				"self": "https://api.pagerduty.com/services/PIJ90N7", "html_url": "https://subdomain.pagerduty.com/service-directory/PIJ90N7"},
			"priority": %s, "urgency": %q,
			"escalation_policy": {"id": "PT20YPA", "type": "escalation_policy_reference", "summary": "Another Escalation Policy"},
			"teams": [{"id": "PQ9K7I8", "type": "team_reference", "summary": "Engineering"}],
			"incident_type": {"name": "incident_default"},
			"last_status_change_at": %q}`,
			id, number, id, id, number, created, updated, status, res, prio, urgency, updated)
	}
	page := func(items []string, offset int, more bool) string {
		return fmt.Sprintf(`{"incidents": [%s], "limit": 100, "offset": %d, "total": null, "more": %v}`, strings.Join(items, ","), offset, more)
	}
	created := []string{
		incident("PT4KHLK", 1234, "triggered", "P1", "high", ts(50*time.Minute), ts(40*time.Minute), ""),
		incident("PT4KHLL", 1235, "acknowledged", "", "low", ts(30*time.Minute), ts(20*time.Minute), ""),
	}
	resolved := []string{
		incident("PRES001", 1200, "resolved", "P3", "high", ts(3*time.Hour), ts(2*time.Hour), ts(2*time.Hour)),
		incident("PRES000", 1100, "resolved", "P2", "high", ts(20*24*time.Hour), ts(9*24*time.Hour), ts(9*24*time.Hour)),
	}
	rp := &replay{t: t}
	rp.answer = func(r *http.Request) (http.Header, string) {
		q := r.URL.Query()
		if r.URL.Path != "/incidents" {
			t.Errorf("path %s", r.URL.Path)
			return nil, ""
		}
		if got := r.Header.Get("Authorization"); got != "Token token=y_NbAkKc66ryYTWUXYEu" {
			t.Errorf("Authorization = %q, want PagerDuty's Token token=", got)
		}
		if got := r.Header.Get("Accept"); got != "application/vnd.pagerduty+json;version=2" {
			t.Errorf("Accept = %q", got)
		}
		if got := q["service_ids[]"]; len(got) != 1 || got[0] != "PIJ90N7" {
			t.Errorf("service_ids[] = %v, want the URL's filter kept", got)
		}
		off := atoi(q.Get("offset"))
		switch {
		case q.Get("since") != "":
			// New incidents, one a page as far as the answer's "more" says.
			return nil, page(created[off:off+1], off, off+1 < len(created))
		case strings.Join(q["statuses[]"], ",") == "triggered,acknowledged":
			return nil, page(created[:1], 0, false)
		case q.Get("sort_by") == "resolved_at:desc":
			if off >= len(resolved) {
				t.Errorf("the resolved listing was read past an incident resolved before the window")
				return nil, page(nil, off, false)
			}
			return nil, page(resolved[off:off+1], off, true)
		}
		t.Errorf("unexpected listing %s", r.URL.RawQuery)
		return nil, ""
	}
	recs, rp := pollPreset(t, rp, httpjson.Config{Preset: "pagerduty", URL: "SERVER?service_ids[]=PIJ90N7",
		Auth: httpjson.Auth{Kind: "bearer", Token: "y_NbAkKc66ryYTWUXYEu"}})
	// 2 pages of new incidents, 1 of open ones, 2 of resolved (the second one ends it).
	if len(rp.calls) != 5 {
		t.Errorf("%d calls, want 5", len(rp.calls))
	}
	if len(recs) != 3 {
		t.Fatalf("%d incidents stored, want 3 (the one resolved before the window is left alone)", len(recs))
	}
	checkTicket(t, recs, "PT4KHLK", map[string]string{"title": "The server is on fire.", "severity": "1", "status": "triggered",
		"service": "My Mail Service", "assignee_group": "Another Escalation Policy", "category": "Engineering"})
	checkTicket(t, recs, "PT4KHLL", map[string]string{"severity": "4", "status": "acknowledged"}) // no priority: urgency low
	checkTicket(t, recs, "PRES001", map[string]string{"severity": "3", "status": "resolved", "resolved": ts(2 * time.Hour)})
}

func TestServiceNowPreset(t *testing.T) {
	field := func(v, dv string) string { return fmt.Sprintf(`{"display_value": %q, "value": %q}`, dv, v) }
	record := func(number, short, state, stateName, prio, service, updated, resolved string) string {
		return fmt.Sprintf(`{
			"number": %s, "short_description": %s, "state": %s, "priority": %s,
			"business_service": %s, "cmdb_ci": %s, "location": %s, "category": %s, "subcategory": %s,
			"assignment_group": %s, "opened_at": %s, "sys_updated_on": %s, "resolved_at": %s, "closed_at": %s,
			"description": %s}`,
			field(number, number), field(short, short), field(state, stateName), field(prio, prio+" - Critical"),
			field("27d32778c0a8000b00db970eeaa60f16", service), field("", ""), field("a3d1c4b2", "Paris"),
			field("network", "Network"), field("vpn", "VPN"), field("8a5055c9c61122780043563ef53438e3", "Network CAB Managers"),
			field("2026-11-20 06:03:00", "2026-11-20 07:03:00"), field(updated, updated), field(resolved, resolved), field("", ""),
			field("VPN drops every few minutes", "VPN drops every few minutes"))
	}
	rp := &replay{t: t}
	rp.answer = func(r *http.Request) (http.Header, string) {
		q := r.URL.Query()
		if r.URL.Path != "/api/now/table/incident" {
			t.Errorf("path %s", r.URL.Path)
			return nil, ""
		}
		if got := r.Header.Get("Authorization"); got != basic("integration", "secret") {
			t.Errorf("Authorization = %q", got)
		}
		sq := q.Get("sysparm_query")
		since := time.Now().UTC().Add(-httpjson.DefaultBackfill)
		want := fmt.Sprintf("active=true^sys_updated_on>=javascript:gs.dateGenerate('%s','", since.Format("2006-01-02"))
		if !strings.HasPrefix(sq, want) || !strings.HasSuffix(sq, "^ORDERBYsys_updated_on") {
			t.Errorf("sysparm_query = %q, want the URL's query ANDed with the window, by update time", sq)
		}
		if q.Get("sysparm_display_value") != "all" {
			t.Errorf("sysparm_display_value = %q", q.Get("sysparm_display_value"))
		}
		h := http.Header{}
		switch q.Get("sysparm_offset") {
		case "":
			next := *r.URL
			nq := next.Query()
			nq.Set("sysparm_offset", "100")
			next.RawQuery = nq.Encode()
			// ServiceNow's Link header: absolute URLs, first/next/last.
			h.Set("Link", fmt.Sprintf(`<http://%s%s>;rel="first",<http://%s%s>;rel="next",<http://%s%s>;rel="last"`,
				r.Host, r.URL.RequestURI(), r.Host, next.RequestURI(), r.Host, next.RequestURI()))
			h.Set("X-Total-Count", "2")
			return h, `{"result": [` + record("INC0010001", "VPN down", "2", "In Progress", "1", "Remote Access", "2026-11-20 08:00:00", "") + `]}`
		case "100":
			return h, `{"result": [` + record("INC0010002", "Mail slow", "6", "Resolved", "3", "Email", "2026-11-20 09:00:00", "2026-11-20 09:00:00") + `]}`
		}
		return nil, ""
	}
	recs, rp := pollPreset(t, rp, httpjson.Config{Preset: "servicenow", URL: "SERVER?sysparm_query=active%3Dtrue",
		Auth: httpjson.Auth{Kind: "basic", Username: "integration", Password: "secret"}})
	if len(rp.calls) != 2 || len(recs) != 2 {
		t.Fatalf("%d calls, %d tickets", len(rp.calls), len(recs))
	}
	checkTicket(t, recs, "INC0010001", map[string]string{"title": "VPN down", "status": "In Progress", "severity": "1",
		"service": "Remote Access", "region": "Paris", "category": "Network", "type": "VPN", "assignee_group": "Network CAB Managers",
		"created": "2026-11-20T06:03:00Z", "updated": "2026-11-20T08:00:00Z", "resolved": "", "description": "VPN drops every few minutes"})
	checkTicket(t, recs, "INC0010002", map[string]string{"status": "Resolved", "severity": "3", "resolved": "2026-11-20T09:00:00Z"})
}

func TestGitHubPreset(t *testing.T) {
	issue := func(n int, title, state string, labels []string, pr bool, updated, closed string) string {
		var ls []string
		for _, l := range labels {
			ls = append(ls, fmt.Sprintf(`{"id": 208045946, "name": %q, "color": "f29513", "default": true}`, l))
		}
		extra := ""
		if pr {
			extra = `"pull_request": {"url": "https://api.github.com/repos/octocat/Hello-World/pulls/1347"},`
		}
		cl := "null"
		if closed != "" {
			cl = `"` + closed + `"`
		}
		return fmt.Sprintf(`{
			"id": 1, "node_id": "MDU6SXNzdWUx", "url": "https://api.github.com/repos/octocat/Hello-World/issues/%d",
			"repository_url": "https://api.github.com/repos/octocat/Hello-World",
			"html_url": "https://github.com/octocat/Hello-World/issues/%d", "number": %d, "state": %q, "title": %q,
			"body": "I'm having a problem with this.", "user": {"login": "octocat", "id": 1},
			"labels": [%s], "assignee": {"login": "hubot", "id": 2}, "locked": false, "comments": 0, %s
			"closed_at": %s, "created_at": "2026-11-20T06:00:00Z", "updated_at": %q}`,
			n, n, n, state, title, strings.Join(ls, ","), extra, cl, updated)
	}
	rp := &replay{t: t}
	rp.answer = func(r *http.Request) (http.Header, string) {
		q := r.URL.Query()
		if r.URL.Path != "/repos/octocat/Hello-World/issues" {
			t.Errorf("path %s", r.URL.Path)
			return nil, ""
		}
		if got := r.Header.Get("Authorization"); got != "Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a" {
			t.Errorf("Authorization = %q", got)
		}
		if r.Header.Get("X-GitHub-Api-Version") == "" || q.Get("sort") != "updated" || q.Get("direction") != "asc" || q.Get("state") != "all" {
			t.Errorf("request %s %v", r.URL.RawQuery, r.Header)
		}
		if _, err := time.Parse(time.RFC3339, q.Get("since")); err != nil {
			t.Errorf("since = %q, want ISO 8601", q.Get("since"))
		}
		h := http.Header{}
		if q.Get("page") == "" {
			next := *r.URL
			nq := next.Query()
			nq.Set("page", "2")
			next.RawQuery = nq.Encode()
			h.Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next", <http://%s%s>; rel="last"`, r.Host, next.RequestURI(), r.Host, next.RequestURI()))
			return h, "[" + issue(1347, "Found a bug", "open", []string{"bug", "sev2"}, false, "2026-11-20T07:00:00Z", "") + "," +
				issue(1348, "Fix the bug", "open", []string{"sev1"}, true, "2026-11-20T07:30:00Z", "") + "]"
		}
		return h, "[" + issue(1349, "Outage in eu", "closed", []string{"severity:1", "incident"}, false, "2026-11-20T08:00:00Z", "2026-11-20T08:00:00Z") + "]"
	}
	recs, rp := pollPreset(t, rp, httpjson.Config{Preset: "github", URL: "SERVER/repos/octocat/Hello-World",
		Auth: httpjson.Auth{Kind: "bearer", Token: "ghp_16C7e42F292c6912E7710c838347Ae178B4a"}})
	if len(rp.calls) != 2 {
		t.Errorf("%d calls, want 2 pages", len(rp.calls))
	}
	if len(recs) != 2 {
		t.Fatalf("%d tickets, want 2 (the pull request is left out)", len(recs))
	}
	checkTicket(t, recs, "1347", map[string]string{"title": "Found a bug", "severity": "2", "status": "open", "service": "Hello-World",
		"item": "bug, sev2", "assignee_group": "hubot", "created": "2026-11-20T06:00:00Z", "resolved": ""})
	checkTicket(t, recs, "1349", map[string]string{"severity": "1", "status": "closed", "resolved": "2026-11-20T08:00:00Z"})
}

func TestPresetMappingIsOverriddenLineByLine(t *testing.T) {
	m, err := httpjson.ParseMapping("severity: fields.customfield_10010.value\nregion: {value: eu-west-1}")
	if err != nil {
		t.Fatal(err)
	}
	rp := &replay{t: t, answer: func(r *http.Request) (http.Header, string) {
		return nil, `{"issues": [{"key": "OPS-9", "fields": {"summary": "x", "priority": {"name": "Highest"},
			"customfield_10010": {"value": "4"}, "updated": "2026-11-20T06:10:00.000+0000"}}], "isLast": true}`
	}}
	recs, _ := pollPreset(t, rp, httpjson.Config{Preset: "jira", URL: "SERVER", Mapping: m})
	checkTicket(t, recs, "OPS-9", map[string]string{"severity": "4", "region": "eu-west-1", "title": "x"})
}
