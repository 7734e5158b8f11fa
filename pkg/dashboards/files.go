package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spacetime/tickets/pkg/schema"
)

// Options say what the dashboards are built for.
type Options struct {
	// Schema is the column schema of the provisioned data source.
	Schema *schema.Schema
	// Charts are the overview's charts by dimension; empty: DefaultCharts, those of them
	// that are facets of the schema, else the schema's first four facets.
	Charts []Chart
}

// DefaultCharts are the charts by dimension of the default schema.
var DefaultCharts = []Chart{
	{Field: "severity", Kind: Pie},
	{Field: "service", Kind: Bar},
	{Field: "region", Kind: Pie},
	{Field: "category", Kind: Bar},
}

// charts are the charts by dimension, each checked to be a facet of the schema.
func (o Options) charts() ([]Chart, error) {
	s := o.Schema
	if s == nil {
		return nil, errors.New("dashboards: no schema")
	}
	if len(s.Facets()) == 0 {
		return nil, errors.New("dashboards: the schema has no facet (a column with facet: true) to chart")
	}
	if len(o.Charts) > 0 {
		for _, c := range o.Charts {
			col, ok := s.Column(c.Field)
			if !ok || !col.Facet {
				return nil, fmt.Errorf("dashboards: chart field %q is not a facet of the schema", c.Field)
			}
			if c.Kind != Pie && c.Kind != Bar {
				return nil, fmt.Errorf("dashboards: chart %q: unknown kind %q (want pie or bar)", c.Field, c.Kind)
			}
		}
		return o.Charts, nil
	}
	var out []Chart
	for _, c := range DefaultCharts {
		if col, ok := s.Column(c.Field); ok && col.Facet {
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for i, c := range s.Facets() {
		if i == 4 {
			break
		}
		kind := Pie
		if i%2 == 1 {
			kind = Bar
		}
		out = append(out, Chart{Field: c.Name, Kind: kind})
	}
	return out, nil
}

// File is one generated file, by its path from the repository root.
type File struct {
	Path string
	Data []byte
}

// Paths of the generated files, from the repository root.
const (
	OverviewFile = "dashboards/spacetime-overview.json"
	TicketFile   = "dashboards/spacetime-ticket.json"
	AlertsFile   = "provisioning/alerting/spacetime-rules.yml"
)

// Generate builds every provisioned file that is generated: the two dashboards and the
// alert rules.
func Generate(opts Options) ([]File, error) {
	overview, err := Overview(opts)
	if err != nil {
		return nil, fmt.Errorf("build the overview: %w", err)
	}
	ticket, err := Ticket(opts)
	if err != nil {
		return nil, fmt.Errorf("build the ticket dashboard: %w", err)
	}
	var files []File
	for _, d := range []struct {
		path  string
		board any
	}{{OverviewFile, overview}, {TicketFile, ticket}} {
		data, err := marshalJSON(d.board)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", d.path, err)
		}
		files = append(files, File{Path: d.path, Data: data})
	}
	alerts, err := AlertRules(opts)
	if err != nil {
		return nil, err
	}
	return append(files, File{Path: AlertsFile, Data: alerts}), nil
}

// marshalJSON writes indented JSON without HTML escapes, so that the links in the
// committed dashboards read as written ("&", not "\u0026").
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the files under root, each to its path (dashboards and alert rules can be
// sent elsewhere with dirs: path -> directory, by the path's directory).
func Write(root string, files []File, dirs map[string]string) error {
	for _, f := range files {
		dir := filepath.Join(root, filepath.Dir(f.Path))
		if d, ok := dirs[filepath.Dir(f.Path)]; ok {
			dir = d
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.Path)), f.Data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}
