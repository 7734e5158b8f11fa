package plugin

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/hub"
)

// exportResponse is a resource answer with its headers, as Grafana passes it to a browser.
type exportResponse struct {
	status  int
	headers map[string][]string
	body    string
	// messages is how many resource responses carried the answer.
	messages int
}

func callExport(t *testing.T, d *Datasource, params url.Values) exportResponse {
	t.Helper()
	var res exportResponse
	u := "export?" + params.Encode()
	err := d.CallResource(context.Background(), &backend.CallResourceRequest{Method: http.MethodGet, Path: "export", URL: u},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error {
			if res.status == 0 {
				res.status, res.headers = r.Status, r.Headers
			}
			res.body += string(r.Body)
			res.messages++
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (r exportResponse) header(name string) string {
	if v := r.headers[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// exportInstance is a data source holding five pushed tickets, four of them within an
// hour of base, with values that TSV and CSV must escape.
func exportInstance(t *testing.T, base time.Time) *Datasource {
	t.Helper()
	d := newInstance(t, newTestHub(hub.Options{}), "ds", filepath.Join(t.TempDir(), "t.db"), nil)
	t.Cleanup(d.Dispose)
	at := func(d time.Duration) string { return base.Add(d).Format(time.RFC3339) }
	body := fmt.Sprintf(`[
		{"id": "E-1", "title": "disk full, again", "severity": 1, "service": "checkout", "region": "eu-west", "created": %q},
		{"id": "E-2", "title": "tab\there", "severity": 2, "service": "checkout", "region": "us-east", "created": %q},
		{"id": "E-3", "title": "quote \"x\"", "severity": 1, "service": "payments", "region": "eu-west", "created": %q},
		{"id": "E-4", "title": "line\nbreak", "severity": 3, "service": "search", "region": "eu-west", "created": %q},
		{"id": "E-5", "title": "long ago", "severity": 1, "service": "checkout", "region": "eu-west", "created": %q}]`,
		at(time.Minute), at(2*time.Minute), at(3*time.Minute), at(4*time.Minute), at(-2*time.Hour))
	if status, out := callResource(t, d, http.MethodPost, "push", []byte(body)); status != http.StatusOK {
		t.Fatalf("push: %d %s", status, out)
	}
	return d
}

func TestExportResource(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	d := exportInstance(t, base)
	rangeParams := func(kv ...string) url.Values {
		v := url.Values{"from": {fmt.Sprint(base.UnixMilli())}, "to": {fmt.Sprint(base.Add(time.Hour).UnixMilli())}}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name        string
		params      url.Values
		contentType string
		file        string
		// records are the expected rows, header first; the tickets' order is the
		// schema's table sort, newest first.
		records [][]string
	}{
		{
			name:        "tsv with an ad hoc filter from the URL, escapes inside values",
			params:      rangeParams("format", "tsv", "columns", "id,title,service", "var-filters", "service|=|checkout"),
			contentType: "text/tab-separated-values; charset=utf-8", file: "spacetime-tickets.tsv",
			records: [][]string{{"id", "title", "service"}, {"E-2", `tab\there`, "checkout"}, {"E-1", "disk full, again", "checkout"}},
		},
		{
			name: "csv with several URL filters, a filter expression and a search",
			params: rangeParams("format", "CSV", "columns", "title,id", "var-filters", "region|=|eu-west", "var-filters", "severity|=__gfp__|1|3",
				"filter", `service != "search"`, "search", "disk"),
			contentType: "text/csv; charset=utf-8", file: "spacetime-tickets.csv",
			// The columns in the order asked, as in the table; match says which ticket holds the search.
			records: [][]string{{"title", "id", "match"}, {`quote "x"`, "E-3", "false"}, {"disk full, again", "E-1", "true"}},
		},
		{
			name:        "ad hoc filters as JSON, tsv by default",
			params:      rangeParams("columns", "id", "adhoc", `[{"key": "service", "operator": "=~", "value": "^pay"}]`, "var-filters", ""),
			contentType: "text/tab-separated-values; charset=utf-8", file: "spacetime-tickets.tsv",
			records: [][]string{{"id"}, {"E-3"}},
		},
		{
			name:        "no filters: every ticket of the range, the schema's table columns",
			params:      rangeParams("format", "csv"),
			contentType: "text/csv; charset=utf-8", file: "spacetime-tickets.csv",
			records: [][]string{
				{"id", "severity", "title", "status", "service", "region", "category", "assignee_group", "created"},
				{"E-4", "3", "line\nbreak", "", "search", "eu-west", "", "", "2026-11-20T10:04:00Z"},
				{"E-3", "1", `quote "x"`, "", "payments", "eu-west", "", "", "2026-11-20T10:03:00Z"},
				{"E-2", "2", "tab\there", "", "checkout", "us-east", "", "", "2026-11-20T10:02:00Z"},
				{"E-1", "1", "disk full, again", "", "checkout", "eu-west", "", "", "2026-11-20T10:01:00Z"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := callExport(t, d, tt.params)
			if res.status != http.StatusOK {
				t.Fatalf("export: %d %s", res.status, res.body)
			}
			if got := res.header("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if got, want := res.header("Content-Disposition"), `attachment; filename="`+tt.file+`"`; got != want {
				t.Errorf("Content-Disposition %q, want %q", got, want)
			}
			var got [][]string
			if strings.HasSuffix(tt.file, ".csv") {
				var err error
				if got, err = csv.NewReader(strings.NewReader(res.body)).ReadAll(); err != nil {
					t.Fatalf("the CSV does not parse: %v\n%s", err, res.body)
				}
			} else {
				for _, line := range strings.Split(strings.TrimSuffix(res.body, "\n"), "\n") {
					got = append(got, strings.Split(line, "\t"))
				}
			}
			if !slices.EqualFunc(got, tt.records, slices.Equal) {
				t.Errorf("records\n%q\nwant\n%q", got, tt.records)
			}
		})
	}
}

func TestExportResourceRejectsBadParameters(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	d := exportInstance(t, base)
	from, to := fmt.Sprint(base.UnixMilli()), fmt.Sprint(base.Add(time.Hour).UnixMilli())
	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"unknown format", url.Values{"format": {"xlsx"}}, `format: unknown export format "xlsx"`},
		{"from not milliseconds", url.Values{"from": {"yesterday"}}, `from: "yesterday" is not a time in milliseconds`},
		{"to not milliseconds", url.Values{"from": {from}, "to": {"1.5"}}, `to: "1.5" is not a time`},
		{"empty range", url.Values{"from": {to}, "to": {from}}, "the time range is empty"},
		{"bad filter expression", url.Values{"filter": {`service =`}}, "filter: position"},
		{"unknown filter field", url.Values{"filter": {`nope = "x"`}}, "filter: "},
		{"unknown column", url.Values{"columns": {"id,nope"}}, `columns: unknown column "nope"`},
		{"URL filter without operator", url.Values{"var-filters": {"service"}}, `var-filters: filter 1 "service": no operator`},
		{"URL filter on an unknown field", url.Values{"var-filters": {"service|=|a", "nope|=|x"}}, `var-filters: ad hoc filter 2 (key "nope")`},
		{"URL filter with an unknown operator", url.Values{"var-filters": {"service|~|a"}}, `var-filters: ad hoc filter 1 (key "service"): unknown operator "~"`},
		{"adhoc not JSON", url.Values{"adhoc": {"service=a"}}, "adhoc: want a JSON array"},
		{"adhoc bad regex", url.Values{"adhoc": {`[{"key": "region", "operator": "=~", "value": "("}]`}}, `adhoc: ad hoc filter 1 (key "region")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := callExport(t, d, tt.params)
			var answer struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal([]byte(res.body), &answer); err != nil {
				t.Fatalf("the answer is not the JSON error: %v: %s", err, res.body)
			}
			if res.status != http.StatusBadRequest || !strings.Contains(answer.Error, tt.want) {
				t.Fatalf("export %s: %d %q, want 400 saying %q", tt.params.Encode(), res.status, answer.Error, tt.want)
			}
			if res.header("Content-Disposition") != "" || !strings.HasPrefix(res.header("Content-Type"), "application/json") {
				t.Errorf("an error must not be offered as a file: headers %v", res.headers)
			}
		})
	}
}

// TestExportResourceStreams checks that a large export reaches Grafana in several messages
// rather than as one body held whole in memory.
func TestExportResourceStreams(t *testing.T) {
	d := newInstance(t, newTestHub(hub.Options{}), "ds", filepath.Join(t.TempDir(), "t.db"), nil)
	defer d.Dispose()
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	const n = 3000
	title := strings.Repeat("x", 300)
	var tickets []string
	for i := range n {
		tickets = append(tickets, fmt.Sprintf(`{"id": "S-%d", "title": %q, "created": %q}`, i, title, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339)))
	}
	if status, out := callResource(t, d, http.MethodPost, "push", []byte("["+strings.Join(tickets, ",")+"]")); status != http.StatusOK {
		t.Fatalf("push: %d %.300s", status, out)
	}
	res := callExport(t, d, url.Values{"columns": {"id,title"}})
	if res.status != http.StatusOK {
		t.Fatalf("export: %d %.300s", res.status, res.body)
	}
	if lines := strings.Count(res.body, "\n"); lines != n+1 {
		t.Errorf("%d lines, want a header and %d tickets", lines, n)
	}
	if min := len(res.body) / exportChunk; res.messages < min {
		t.Errorf("%d bytes came in %d messages, want at least %d", len(res.body), res.messages, min)
	}
}
