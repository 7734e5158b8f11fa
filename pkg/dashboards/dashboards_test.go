package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/spacetime/tickets/pkg/dashboards"
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

// board is the part of a committed dashboard this test reads: what the plugin and the
// repository decide (ids, data sources, the query JSON, where links go). How Grafana shows
// and interpolates it is the TypeScript contract suite's part (contract/), which runs
// Grafana's own code.
type board struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Links  []link  `json:"links"`
	Panels []panel `json:"panels"`
}

type link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets     []json.RawMessage `json:"targets"`
	Links       []link            `json:"links"`
	FieldConfig struct {
		Defaults struct {
			Links []link `json:"links"`
		} `json:"defaults"`
		Overrides []struct {
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Panels []panel `json:"panels"`
}

// links lists every link of a panel: its header links, its data links and those of its
// overrides.
func (p panel) links(t *testing.T) []link {
	out := append(append([]link{}, p.Links...), p.FieldConfig.Defaults.Links...)
	for _, o := range p.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			if prop.ID != "links" {
				continue
			}
			var ls []link
			if err := json.Unmarshal(prop.Value, &ls); err != nil {
				t.Fatalf("panel %q: override links: %v", p.Title, err)
			}
			out = append(out, ls...)
		}
	}
	return out
}

func loadBoard(t *testing.T, path string) board {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	var b board
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// dataPanels are the panels that query, rows' panels included.
func dataPanels(b board) []panel {
	var out []panel
	for _, p := range b.Panels {
		if p.Type == "row" {
			out = append(out, p.Panels...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// TestBoardsAreConsistent checks what the plugin and the repository decide: panel ids are
// unique, every panel queries the Spacetime plugin through the data source variable, every
// target is a query the plugin decodes, on fields of the schema, and every link goes to a
// Spacetime dashboard, the export resource or the ticket system.
func TestBoardsAreConsistent(t *testing.T) {
	s := schema.Default()
	paths := []string{dashboards.OverviewPath, dashboards.TicketPath}
	for _, file := range []string{dashboards.OverviewFile, dashboards.TicketFile} {
		b := loadBoard(t, file)
		t.Run(b.Title, func(t *testing.T) {
			ids := map[int]bool{}
			for _, p := range b.Panels {
				if ids[p.ID] {
					t.Errorf("panel id %d used twice", p.ID)
				}
				ids[p.ID] = true
			}
			for _, l := range b.Links {
				checkLinkTarget(t, "dashboard link "+l.Title, l.URL, paths)
			}
			for _, p := range dataPanels(b) {
				if p.Datasource == nil || p.Datasource.Type != dashboards.PluginID || p.Datasource.UID != dashboards.DatasourceRef {
					t.Errorf("panel %q: datasource %+v, want %s of type %s", p.Title, p.Datasource, dashboards.DatasourceUID, dashboards.PluginID)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no target", p.Title)
				}
				for _, raw := range p.Targets {
					if _, err := query.Decode(raw); err != nil {
						t.Errorf("panel %q: %v", p.Title, err)
					}
					// The fields a target names, whatever its type.
					var named struct{ Field, SplitBy, TimeField string }
					if err := json.Unmarshal(raw, &named); err != nil {
						t.Fatal(err)
					}
					for _, f := range []string{named.Field, named.SplitBy, named.TimeField} {
						if f != "" && !strings.HasPrefix(f, "$") {
							if _, ok := s.Column(f); !ok {
								t.Errorf("panel %q: field %q is not in the schema", p.Title, f)
							}
						}
					}
				}
				for _, l := range p.links(t) {
					checkLinkTarget(t, "panel "+p.Title+" link "+l.Title, l.URL, paths)
				}
			}
		})
	}
}

// checkLinkTarget checks that a link goes to one of the dashboards, to the export
// resource, or to the ticket system (the schema key's link).
func checkLinkTarget(t *testing.T, what, link string, paths []string) {
	t.Helper()
	path, _, _ := strings.Cut(link, "?")
	if path == dashboards.ExportPath || slices.Contains(paths, path) {
		return
	}
	if key, _ := schema.Default().Column(schema.Default().Key); key.Link != "" {
		if site, _, _ := strings.Cut(key.Link, "${"); strings.HasPrefix(link, site) {
			return
		}
	}
	t.Errorf("%s goes to %q, which is neither a Spacetime dashboard, the export resource nor the ticket system", what, path)
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
		raw := overviewOf(t, teamPrioSchema)
		for _, want := range []string{`"field":"team"`, `"field":"prio"`, `"type":"piechart"`, `"type":"barchart"`} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("overview for a schema with facets team and prio lacks %s", want)
			}
		}
	})
}

// TestPatternsPanel: the overview of a schema that mines patterns has the Patterns panel,
// a patterns query whose template links narrow the dashboard through the frame's filter
// field; a schema without the option has none.
func TestPatternsPanel(t *testing.T) {
	b := loadBoard(t, dashboards.OverviewFile)
	var found *panel
	for i := range b.Panels {
		if b.Panels[i].Title == "Patterns" {
			found = &b.Panels[i]
		}
	}
	if found == nil {
		t.Fatal("the overview has no Patterns panel")
	}
	if len(found.Targets) != 1 {
		t.Fatalf("the Patterns panel has %d targets", len(found.Targets))
	}
	m, err := query.Decode(found.Targets[0])
	if err != nil || m.Type() != query.Patterns {
		t.Fatalf("the Patterns panel's target: %v, %v", m, err)
	}
	links := found.links(t)
	if len(links) != 1 || links[0].URL != dashboards.NarrowURL(dashboards.OverviewPath) {
		t.Errorf("the Patterns panel's links %+v, want the narrowing link", links)
	}
	plain, err := schema.Parse([]byte("key: id\ntime: t\ncolumns:\n  - {name: id, type: string}\n  - {name: t, type: time}\n  - {name: title, type: text}\n  - {name: team, type: string, facet: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := dashboards.Overview(dashboards.Options{Schema: plain})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(d)
	if strings.Contains(string(raw), `"queryType":"patterns"`) {
		t.Error("the overview of a schema without patterns has a patterns query")
	}
}

// TestCausePanel: the overview opens with the "Most likely cause" panel, then the "what
// changed" tables; its query is a localize over the schema's facets but its lifecycle
// columns (status in the default schema), with the
// filter fields, and every link of the panel applies a whole combination (CauseURL: one
// var-filters parameter per filter field). The contract suite follows those links.
func TestCausePanel(t *testing.T) {
	b := loadBoard(t, dashboards.OverviewFile)
	ps := dataPanels(b)
	if len(ps) < 2 || ps[0].Title != "Most likely cause" || ps[1].Title != "What changed: ${changed}" {
		t.Fatalf("the overview's first panels are %q and %q, want the cause panel, then the movers", ps[0].Title, ps[1].Title)
	}
	m, err := query.Decode(ps[0].Targets[0])
	if err != nil {
		t.Fatal(err)
	}
	q, ok := m.(*query.LocalizeQuery)
	if !ok || !q.FilterField || q.Baseline != "24h" {
		t.Fatalf("the cause panel's query is %#v, want a localize query against the day before, with filterField", m)
	}
	var want []string
	for _, c := range schema.Default().Facets() {
		if !c.Lifecycle {
			want = append(want, c.Name)
		}
	}
	if !slices.Equal(q.Dimensions, want) || len(want) != len(schema.Default().Facets())-1 {
		t.Errorf("the cause panel's dimensions are %v, want the facets but status, %v", q.Dimensions, want)
	}
	links := ps[0].links(t)
	if len(links) == 0 {
		t.Fatal("the cause panel has no link")
	}
	for _, l := range links {
		if l.URL != dashboards.CauseURL(dashboards.OverviewPath) {
			t.Errorf("the cause panel links to %q, want CauseURL", l.URL)
		}
	}
	url := dashboards.CauseURL(dashboards.OverviewPath)
	for _, f := range []string{"adhocFilter", "adhocFilter2", "adhocFilter3"} {
		if n := strings.Count(url, "&var-filters=${__data.fields."+f+":percentencode}"); n != 1 {
			t.Errorf("CauseURL has %d parameters for %s, want 1: %s", n, f, url)
		}
	}

	t.Run("a schema without status combines every facet", func(t *testing.T) {
		raw := overviewOf(t, teamPrioSchema)
		if !strings.Contains(string(raw), `"queryType":"localize"`) || !strings.Contains(string(raw), `"dimensions":["team","prio"]`) {
			t.Error("the overview of a schema with facets team and prio has no localize over both")
		}
	})

	// The lifecycle columns come from the schema, not from a name: a status that is not
	// marked is combined, a marked column of another name is left out, in the cause panel
	// and in the spike alert's culprit query alike.
	t.Run("the schema's lifecycle flag, not a name, leaves a facet out", func(t *testing.T) {
		s, err := schema.Parse([]byte("key: id\ntime: t\ncolumns:\n  - {name: id, type: string}\n  - {name: t, type: time}\n" +
			"  - {name: status, type: string, facet: true}\n  - {name: stage, type: string, facet: true, lifecycle: true}\n  - {name: team, type: string, facet: true}\n"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := dashboards.Overview(dashboards.Options{Schema: s})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(d)
		if !strings.Contains(string(raw), `"dimensions":["status","team"]`) {
			t.Error("the cause panel of a schema whose lifecycle column is stage does not combine status and team alone")
		}
		rules, err := dashboards.AlertRules(dashboards.Options{Schema: s})
		if err != nil {
			t.Fatal(err)
		}
		var file dashboards.AlertFile
		if err := yaml.Unmarshal(rules, &file); err != nil {
			t.Fatal(err)
		}
		var dims any
		for _, q := range file.Groups[0].Rules[0].Data {
			if q.QueryType == string(query.Localize) {
				dims = q.Model["dimensions"]
			}
		}
		if fmt.Sprint(dims) != "[status team]" {
			t.Errorf("the spike rule's culprit query combines %v, want [status team]", dims)
		}
	})
}

// teamPrioSchema has two facets, team and prio, and no status.
const teamPrioSchema = "key: id\ntime: t\ncolumns:\n  - {name: id, type: string}\n  - {name: t, type: time}\n  - {name: team, type: string, facet: true}\n  - {name: prio, type: number, facet: true}\n"

// overviewOf returns the overview generated for the schema in YAML, as JSON.
func overviewOf(t *testing.T, yaml string) string {
	t.Helper()
	s, err := schema.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	d, err := dashboards.Overview(dashboards.Options{Schema: s})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
