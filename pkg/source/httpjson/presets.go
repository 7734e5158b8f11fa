package httpjson

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// A preset knows one ticket system's API: which listings to read for "what changed since",
// how its pages follow each other, and how its tickets map onto the default schema's
// columns (a line of the user's mapping replaces the preset's line for that column, and
// lines for columns the schema lacks are left out).
type preset struct {
	title string
	// requests builds the listings from the user's base URL; its own path and query
	// parameters are kept (a JQL filter, a ServiceNow query, service ids).
	requests func(base *url.URL) ([]request, error)
	mapping  Mapping
	// skip: items with a value at this path are not tickets.
	skip        *Path
	headers     map[string]string
	tokenScheme string
}

// PresetNames lists the presets.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var presets = map[string]preset{
	"jira":       jira,
	"pagerduty":  pagerduty,
	"servicenow": servicenow,
	"github":     github,
}

// withPath appends the API path to the base URL unless the user gave it already.
func withPath(base *url.URL, path string) url.URL {
	u := *base
	trimmed := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(trimmed, path) {
		u.Path = trimmed + path
	}
	u.RawPath = ""
	return u
}

func setDefault(q url.Values, name, value string) {
	if q.Get(name) == "" {
		q.Set(name, value)
	}
}

var orderBy = regexp.MustCompile(`(?is)\s*\border\s+by\b.*$`)

// jira reads Jira Cloud's issue search, GET /rest/api/2/search/jql, which pages with a
// token: the answer is {"issues": [...], "nextPageToken": "...", "isLast": false}, and the
// next page is asked for with ?nextPageToken=... (see
// https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issue-search/,
// "Search for issues using JQL enhanced search"). Version 2 of the API gives the
// description as text; version 3 gives it as an Atlassian Document Format tree.
//
// JQL compares dates in the user's time zone, so the window is given relative to the
// server's now ("updated >= -15m"), which needs no zone. Issues come oldest update first.
// A jql parameter in the URL is kept, ANDed with the window.
var jira = preset{
	title: "Jira",
	requests: func(base *url.URL) ([]request, error) {
		u := withPath(base, "/rest/api/2/search/jql")
		q := u.Query()
		window := `updated >= "-{since_minutes}m" ORDER BY updated ASC`
		if user := strings.TrimSpace(orderBy.ReplaceAllString(q.Get("jql"), "")); user != "" {
			window = "(" + user + ") AND " + window
		}
		q.Set("jql", window)
		setDefault(q, "fields", "summary,status,priority,components,issuetype,labels,assignee,created,updated,resolutiondate,description")
		setDefault(q, "maxResults", "100")
		u.RawQuery = q.Encode()
		return []request{{
			url:    u.String(),
			items:  "issues",
			paging: Paging{Type: "cursor", Cursor: "nextPageToken", CursorParam: "nextPageToken", Last: "isLast"},
		}}, nil
	},
	mapping: mustMapping(`
id: key
title: fields.summary
status: fields.status.name
severity:
  path: fields.priority.name
  values: {Highest: 1, Blocker: 1, Critical: 1, High: 2, Major: 2, Medium: 3, Low: 4, Minor: 4, Lowest: 5, Trivial: 5}
  pattern: '([1-5])'
service: ['fields.components[0].name', fields.project.name]
category: fields.issuetype.name
item: fields.labels
assignee_group: fields.assignee.displayName
created: fields.created
updated: fields.updated
resolved: fields.resolutiondate
description: fields.description
`),
}

// pagerduty reads PagerDuty's incidents, GET /incidents, which pages by offset: the answer
// is {"incidents": [...], "limit": 100, "offset": 0, "more": true, "total": null} (see
// https://developer.pagerduty.com/api-reference/9d0b4b12e36f9-list-incidents and
// https://developer.pagerduty.com/docs/pagination). The listing filters on the creation
// time only (since/until), so three listings make up "what changed": the incidents
// created in the window, the incidents open now (whatever their age: their
// acknowledgements and priority changes), and the resolved incidents newest resolution
// first, read until one resolved before the window. Query parameters of the URL
// (service_ids[], team_ids[]) are kept in all three. An API key goes as
// "Authorization: Token token=KEY"; an OAuth token, given as "Bearer ...", is sent as is.
var pagerduty = preset{
	title: "PagerDuty",
	requests: func(base *url.URL) ([]request, error) {
		u := withPath(base, "/incidents")
		listing := func(set map[string][]string) string {
			v := u
			q := v.Query()
			for k, vals := range set {
				q[k] = vals
			}
			setDefault(q, "time_zone", "UTC")
			v.RawQuery = q.Encode()
			return v.String()
		}
		paging := Paging{Type: "offset", OffsetParam: "offset", LimitParam: "limit", Limit: 100, More: "more"}
		resolvedAt, err := ParsePath("resolved_at")
		if err != nil {
			return nil, err
		}
		return []request{
			{url: listing(map[string][]string{"since": {"{since}"}, "until": {"{now}"}, "sort_by": {"created_at:asc"}}), items: "incidents", paging: paging},
			{url: listing(map[string][]string{"date_range": {"all"}, "statuses[]": {"triggered", "acknowledged"}}), items: "incidents", paging: paging},
			{url: listing(map[string][]string{"date_range": {"all"}, "statuses[]": {"resolved"}, "sort_by": {"resolved_at:desc"}}), items: "incidents", paging: paging, stopBefore: &resolvedAt},
		}, nil
	},
	headers:     map[string]string{"Accept": "application/vnd.pagerduty+json;version=2"},
	tokenScheme: "Token token=",
	mapping: mustMapping(`
id: id
title: [title, summary]
status: status
severity:
  path: [priority.summary, urgency]
  values: {high: 2, low: 4}
  pattern: '([1-5])'
service: service.summary
category: teams[0].summary
type: incident_type.name
assignee_group: escalation_policy.summary
created: created_at
updated: [updated_at, last_status_change_at]
resolved: resolved_at
description: [description, title]
`),
}

// servicenow reads the Table API, GET /api/now/table/incident, with
// sysparm_display_value=all so that each field is {"display_value": ..., "value": ...}:
// reference fields (service, group) are read by their display names and times by their
// values, which are UTC. It pages by the Link header (rel="next"), which carries the next
// sysparm_offset (see https://docs.servicenow.com/bundle/geneva-servicenow-platform/page/integrate/inbound_rest/reference/r_TableAPI-GET.html).
// The window goes into sysparm_query; a sysparm_query in the URL is kept, ANDed with it.
// gs.dateGenerate reads the date in the API user's time zone: give that user UTC.
var servicenow = preset{
	title: "ServiceNow",
	requests: func(base *url.URL) ([]request, error) {
		u := withPath(base, "/api/now/table/incident")
		q := u.Query()
		window := "sys_updated_on>=javascript:gs.dateGenerate('{since:2006-01-02}','{since:15:04:05}')^ORDERBYsys_updated_on"
		if user := strings.TrimSpace(q.Get("sysparm_query")); user != "" {
			window = user + "^" + window
		}
		q.Set("sysparm_query", window)
		q.Set("sysparm_display_value", "all")
		q.Set("sysparm_exclude_reference_link", "true")
		setDefault(q, "sysparm_limit", "100")
		setDefault(q, "sysparm_fields", "number,short_description,state,priority,business_service,cmdb_ci,location,category,subcategory,assignment_group,opened_at,sys_updated_on,resolved_at,closed_at,description")
		u.RawQuery = q.Encode()
		return []request{{url: u.String(), items: "result", paging: Paging{Type: "link"}}}, nil
	},
	mapping: mustMapping(`
id: number.value
title: short_description.value
status: state.display_value
severity: priority.value
service: [business_service.display_value, cmdb_ci.display_value]
region: location.display_value
category: category.display_value
type: subcategory.display_value
assignee_group: assignment_group.display_value
created: opened_at.value
updated: sys_updated_on.value
resolved: [resolved_at.value, closed_at.value]
description: description.value
`),
}

// github reads a repository's issues, GET /repos/OWNER/REPO/issues, oldest update first
// from since (which filters on the update time), and pages by the Link header (see
// https://docs.github.com/en/rest/issues/issues#list-repository-issues and
// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
// The listing holds pull requests too, marked by a pull_request member: they are left
// out. A severity comes from a label such as "sev1" or "severity:2"; the service is the
// repository's name.
var github = preset{
	title: "GitHub",
	requests: func(base *url.URL) ([]request, error) {
		u := withPath(base, "/issues")
		q := u.Query()
		q.Set("since", "{since}")
		q.Set("sort", "updated")
		q.Set("direction", "asc")
		setDefault(q, "state", "all")
		setDefault(q, "per_page", "100")
		u.RawQuery = q.Encode()
		return []request{{url: u.String(), items: "", paging: Paging{Type: "link"}}}, nil
	},
	skip:        mustPath("pull_request"),
	headers:     map[string]string{"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
	tokenScheme: "Bearer",
	mapping: mustMapping(`
id: number
title: title
status: state
severity: {path: labels.name, pattern: '(?i)\bsev(?:erity)?[-_: ]?([1-5])\b'}
service: {path: repository_url, pattern: '/repos/[^/]+/([^/?#]+)'}
item: labels.name
assignee_group: assignee.login
created: created_at
updated: updated_at
resolved: closed_at
description: body
`),
}

func mustPath(s string) *Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return &p
}
