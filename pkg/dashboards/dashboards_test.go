package dashboards_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/dashboards"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

// repoRoot is where the committed files are, from this package's directory.
const repoRoot = "../.."

// TestCommittedFilesAreGenerated regenerates the dashboards and alert rules from the
// default schema and fails on any difference with the committed files.
func TestCommittedFilesAreGenerated(t *testing.T) {
	files, err := dashboards.Generate(dashboards.Options{Schema: schema.Default()})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("generated %d files, want the overview, the ticket dashboard and the alert rules", len(files))
	}
	for _, f := range files {
		have, err := os.ReadFile(filepath.Join(repoRoot, f.Path))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./pkg/dashboards)", f.Path, err)
			continue
		}
		if !bytes.Equal(have, f.Data) {
			t.Errorf("%s differs from what the generator writes, first at line %d (run go generate ./pkg/dashboards)", f.Path, firstDiffLine(have, f.Data))
		}
	}
}

func firstDiffLine(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

func loadBoard(t *testing.T, path string) *dashboards.Board {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	b, err := dashboards.ParseBoard(data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBoardsAreConsistent checks what can be checked without the plugin: every panel is
// on the provisioned data source with a known query type and fields of the schema, panel
// ids are unique, and every variable reference and link points at something that exists.
func TestBoardsAreConsistent(t *testing.T) {
	s := schema.Default()
	uids := map[string]string{dashboards.OverviewUID: dashboards.OverviewPath, dashboards.TicketUID: dashboards.TicketPath}
	for _, path := range []string{dashboards.OverviewFile, dashboards.TicketFile} {
		b := loadBoard(t, path)
		t.Run(b.Title, func(t *testing.T) {
			if uids[b.UID] == "" {
				t.Fatalf("uid %q is not one of the dashboards the links point at", b.UID)
			}
			ids := map[int]bool{}
			for _, p := range b.Panels {
				if ids[p.ID] {
					t.Errorf("panel id %d used twice", p.ID)
				}
				ids[p.ID] = true
			}
			for _, l := range b.Links {
				checkLinkTarget(t, b, "dashboard link "+l.Title, l.URL, uids)
			}
			for _, p := range b.AllPanels() {
				if p.Datasource == nil || p.Datasource.UID != dashboards.DatasourceUID || p.Datasource.Type != dashboards.PluginID {
					t.Errorf("panel %q: datasource %+v, want the provisioned %s", p.Title, p.Datasource, dashboards.DatasourceUID)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no target", p.Title)
				}
				if p.Repeat != "" {
					if v, ok := b.Variable(p.Repeat); !ok || !v.Multi {
						t.Errorf("panel %q repeats over %q, which is not a multi-value variable", p.Title, p.Repeat)
					}
				}
				for _, bad := range b.CheckReferences(p.Title) {
					t.Errorf("panel %q: title refers to %s, which does not exist", p.Title, bad)
				}
				for _, tg := range p.Targets {
					raw, _ := json.Marshal(tg)
					for _, bad := range b.CheckReferences(string(raw)) {
						t.Errorf("panel %q: target refers to %s, which does not exist", p.Title, bad)
					}
					if _, err := query.Decode(raw); err != nil {
						t.Errorf("panel %q: %v", p.Title, err)
					}
					for _, f := range []string{tg.Field, tg.SplitBy, tg.TimeField} {
						if f != "" && !strings.HasPrefix(f, "$") {
							if _, ok := s.Column(f); !ok {
								t.Errorf("panel %q: field %q is not in the schema", p.Title, f)
							}
						}
					}
				}
				links := append(append([]dashboards.BoardLink{}, p.Links...), p.FieldConfig.Defaults.Links...)
				overrides, err := p.OverrideLinks()
				if err != nil {
					t.Fatal(err)
				}
				for _, ls := range overrides {
					links = append(links, ls...)
				}
				for _, l := range links {
					for _, bad := range b.CheckReferences(l.URL + " " + l.Title) {
						t.Errorf("panel %q: link %q refers to %s, which does not exist", p.Title, l.Title, bad)
					}
					checkLinkTarget(t, b, "panel "+p.Title+" link "+l.Title, l.URL, uids)
				}
			}
		})
	}
}

// checkLinkTarget checks that a link goes to one of the dashboards, to the export
// resource of the provisioned data source, or to the ticket system (the schema key's link).
func checkLinkTarget(t *testing.T, b *dashboards.Board, what, link string, paths map[string]string) {
	t.Helper()
	path, _, _ := strings.Cut(link, "?")
	if path == dashboards.ExportPath {
		return
	}
	if key, _ := schema.Default().Column(schema.Default().Key); key.Link != "" {
		if site, _, _ := strings.Cut(key.Link, "${"); strings.HasPrefix(link, site) {
			return
		}
	}
	for _, p := range paths {
		if path == p {
			return
		}
	}
	t.Errorf("%s goes to %q, which is neither a Spacetime dashboard nor the export resource", what, path)
}

func TestInterpolate(t *testing.T) {
	from := time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)
	scope := dashboards.Scope{
		From: from, To: from.Add(time.Hour), Interval: time.Minute,
		Variables: []*dashboards.Variable{
			{Name: "filters", Type: "adhoc", Filters: []filter.AdHocFilter{{Key: "service", Operator: "=", Value: "a&b"}, {Key: "sev", Operator: "=|", Values: []string{"1", "2"}}}},
			{Name: "filter", Type: "textbox", Values: []string{`service = "x" or region =~ "^eu"`}},
			{Name: "search", Type: "textbox", Values: []string{"disk full"}},
			{Name: "columns", Type: "custom", Multi: true, Values: []string{"id", "title"}},
			{Name: "stack", Type: "custom", Values: []string{"severity"}},
		},
		Row: &dashboards.Row{Fields: map[string]string{"service": "pay & go", "count": "12"}, Field: "count"},
	}
	tests := []struct {
		text   string
		format dashboards.Format
		want   string
	}{
		{"${filter:raw}", dashboards.FilterFormat, `service = "x" or region =~ "^eu"`},
		{`id = "$filter"`, dashboards.FilterFormat, `id = "service = \"x\" or region =~ \"^eu\""`},
		{"$search", dashboards.SearchFormat, "disk full"},
		{"${columns}", dashboards.ListFormat, "id,title"},
		{"service in ($columns)", dashboards.FilterFormat, `service in ("id", "title")`},
		{"[[stack]]", nil, "severity"},
		{"${columns:csv}", nil, "id,title"},
		{"${search:percentencode}", nil, "disk%20full"},
		{"${__data.fields.service:percentencode}", dashboards.URIEncodeFormat, "pay%20%26%20go"},
		{"${__data.fields.service}", dashboards.URIEncodeFormat, "pay%20&%20go"},
		{"${__value.text}", nil, "12"},
		{"${__field.name}", nil, "count"},
		{"${__from}-${__to}", nil, "1795089600000-1795093200000"},
		{"${__url_time_range}", dashboards.URIEncodeFormat, "from=1795089600000&to=1795093200000"},
		{"${filters:queryparam}", nil, "var-filters=service%7C%3D%7Ca%26b&var-filters=sev%7C%3D__gfp__%7C1%7C2"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			ip := &dashboards.Interpolator{Scope: scope}
			if got := ip.Interpolate(tt.text, tt.format); got != tt.want {
				t.Errorf("Interpolate(%q) = %q, want %q", tt.text, got, tt.want)
			}
			if len(ip.Unresolved) > 0 {
				t.Errorf("unresolved: %v", ip.Unresolved)
			}
		})
	}
	t.Run("unknown variables stay and are reported", func(t *testing.T) {
		ip := &dashboards.Interpolator{Scope: scope}
		if got := ip.Interpolate("a $nope b ${__data.fields.missing}", nil); got != "a $nope b ${__data.fields.missing}" {
			t.Errorf("got %q", got)
		}
		if len(ip.Unresolved) != 2 {
			t.Errorf("unresolved = %v, want both references", ip.Unresolved)
		}
	})
	t.Run("all variables keep the ad hoc filters in the URL format", func(t *testing.T) {
		ip := &dashboards.Interpolator{Scope: scope}
		u, err := ip.FollowLink(dashboards.AddFilterURL(dashboards.OverviewPath, "region", "${__data.fields.service:percentencode}"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := filter.ParseURLFilters(u.Query()["var-filters"])
		if err != nil {
			t.Fatal(err)
		}
		want := append(append([]filter.AdHocFilter{}, scope.Variables[0].Filters...), filter.AdHocFilter{Key: "region", Operator: "=", Value: "pay & go"})
		want[1].Value = "1" // updateFromUrl sets value to the first of the values
		if !reflect.DeepEqual(got, want) {
			t.Errorf("filters after the link = %+v, want %+v", got, want)
		}
		if u.Query().Get("var-filter") != scope.Variables[1].Values[0] || u.Query().Get("from") != "1795089600000" {
			t.Errorf("the link lost the other variables or the time range: %s", u)
		}
	})
}

func TestOptions(t *testing.T) {
	noFacets, err := schema.Parse([]byte("key: id\ntime: t\ncolumns:\n  - {name: id, type: string}\n  - {name: t, type: time}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts dashboards.Options
		want string
	}{
		{"no schema", dashboards.Options{}, "no schema"},
		{"no facet", dashboards.Options{Schema: noFacets}, "no facet"},
		{"chart of a non-facet", dashboards.Options{Schema: schema.Default(), Charts: []dashboards.Chart{{Field: "title", Kind: dashboards.Pie}}}, `"title" is not a facet`},
		{"unknown chart kind", dashboards.Options{Schema: schema.Default(), Charts: []dashboards.Chart{{Field: "service", Kind: "donut"}}}, `unknown kind "donut"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dashboards.Generate(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one saying %q", err, tt.want)
			}
		})
	}
	t.Run("charts follow the schema's facets", func(t *testing.T) {
		s, err := schema.Parse([]byte("key: id\ntime: t\ncolumns:\n  - {name: id, type: string}\n  - {name: t, type: time}\n  - {name: team, type: string, facet: true}\n  - {name: prio, type: number, facet: true}\n"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := dashboards.Overview(dashboards.Options{Schema: s})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(d)
		for _, want := range []string{`"field":"team"`, `"field":"prio"`, `"type":"piechart"`, `"type":"barchart"`} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("overview for a schema with facets team and prio lacks %s", want)
			}
		}
	})
}
