package schema

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultSchemaIsValidAndComplete(t *testing.T) {
	s := Default()
	for _, name := range []string{"id", "title", "severity", "status", "service", "region", "category", "type", "item", "assignee_group", "created", "updated", "resolved", "description"} {
		if _, ok := s.Column(name); !ok {
			t.Errorf("default schema lacks column %q", name)
		}
	}
	if s.Key != "id" || s.Version != "updated" || s.Time != "created" {
		t.Errorf("key/version/time = %q/%q/%q", s.Key, s.Version, s.Time)
	}
	desc, _ := s.Column("description")
	if !desc.Detail || desc.Table {
		t.Errorf("description should be detail-only and not in the table: %+v", desc)
	}
	if got := len(s.Facets()); got < 4 {
		t.Errorf("default schema has %d facets, want at least 4", got)
	}
	// status follows a ticket's age: the dashboards' search for a cause leaves it out.
	if lc := s.Lifecycle(); len(lc) != 1 || lc[0].Name != "status" {
		t.Errorf("default schema's lifecycle columns %v, want status", lc)
	}
	for _, c := range s.TableColumns() {
		if _, ok := s.Column(c); !ok {
			t.Errorf("table column %q is not a column", c)
		}
	}
}

func TestParseJSONAndYAMLAgree(t *testing.T) {
	yamlText := "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: body, type: text, detail: true}\n"
	jsonText := `{"key":"id","time":"at","columns":[{"name":"id","type":"string"},{"name":"at","type":"time"},{"name":"body","type":"text","detail":true}]}`
	a, err := Parse([]byte(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte(jsonText))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(a.TableColumns(), ",") != "id,at" || strings.Join(b.TableColumns(), ",") != "id,at" {
		t.Errorf("table columns: yaml %v, json %v; want id,at (detail columns hidden by default)", a.TableColumns(), b.TableColumns())
	}
}

func TestParseErrorsNameFieldAndLine(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantPath string
		wantLine int
		wantMsg  string
	}{
		{"unknown type", "key: id\ntime: at\ncolumns:\n  - name: id\n    type: string\n  - name: at\n    type: tme\n", "columns[1].type", 7, `unknown type "tme"`},
		{"missing key", "time: at\ncolumns:\n  - {name: at, type: time}\n", "key", 0, "is missing"},
		{"key not a column", "key: idd\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n", "key", 1, `did you mean "id"`},
		{"time of wrong type", "key: id\ntime: id\ncolumns:\n  - {name: id, type: string}\n", "time", 2, "must be time"},
		{"duplicate column", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: id, type: text}\n", "columns[2].name", 6, "already the name"},
		{"keyword name", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: and, type: text}\n", "columns[2].name", 6, "word of the filter language"},
		{"text facet", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: t, type: text, facet: true}\n", "columns[2].facet", 6, "cannot be a facet"},
		{"lifecycle not a facet", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: st, type: string, lifecycle: true}\n", "columns[2].lifecycle", 6, "only a facet can be a lifecycle column"},
		{"lifecycle of a time column", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time, lifecycle: true}\n", "columns[1].lifecycle", 5, "set facet: true"},
		{"unknown option", "key: id\ntime: at\ncolums: []\n", "(schema)", 3, "colums"},
		{"bad table column", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\ntable:\n  columns: [id, att]\n", "table.columns[1]", 7, `unknown column "att"`},
		{"patterns of a number", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: n, type: number}\npatterns: {field: n}\n", "patterns.field", 7, "must be string or text"},
		{"patterns of no column", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\npatterns: {field: titel}\n", "patterns.field", 6, `unknown column "titel"`},
		{"patterns of a detail", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: d, type: text, detail: true}\npatterns: {field: d}\n", "patterns.field", 7, "detail"},
		{"pattern name taken", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: pattern, type: text}\npatterns: {field: pattern}\n", "patterns.name", 0, "already the name"},
		{"pattern name keyword", "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: t, type: text}\npatterns: {field: t, name: or}\n", "patterns.name", 0, "word of the filter language"},
		{"not yaml", "key: [\n", "(schema)", 0, ""},
		{"empty", "  \n", "(schema)", 0, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.text))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse() error = %v, want *schema.Error", err)
			}
			for _, p := range se.Problems {
				if p.Path == tt.wantPath && strings.Contains(p.Msg, tt.wantMsg) && (tt.wantLine == 0 || p.Line == tt.wantLine) {
					return
				}
			}
			t.Errorf("problems %+v lack path %q line %d message containing %q", se.Problems, tt.wantPath, tt.wantLine, tt.wantMsg)
		})
	}
}

func TestClosest(t *testing.T) {
	s := Default()
	tests := []struct{ in, want string }{
		{"servce", "service"},
		{"Region", "region"},
		{"sev", "severity"},
		{"assignee", "assignee_group"},
	}
	for _, tt := range tests {
		got := s.Closest(tt.in)
		if len(got) == 0 || got[0] != tt.want {
			t.Errorf("Closest(%q) = %v, want %q first", tt.in, got, tt.want)
		}
	}
	if got := s.Closest("zzzzzzzz"); len(got) != 0 {
		t.Errorf("Closest of nonsense = %v, want none", got)
	}
	if msg := s.UnknownField("zzzzzzzz"); !strings.Contains(msg, `"service"`) {
		t.Errorf("UnknownField without close matches should list the fields: %s", msg)
	}
}

// The patterns option: the default schema mines the title; a schema that names no field
// mines the title too; the dimension is a string facet for Column (filters, splits, ad
// hoc filters) but not a column of the records.
func TestPatternsOption(t *testing.T) {
	name, field := Default().PatternField()
	if name != "pattern" || field != "title" {
		t.Errorf("default schema: pattern field %q from %q, want pattern from title", name, field)
	}
	base := "key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: title, type: text}\n  - {name: summary, type: string}\n"
	cases := []struct{ option, name, field string }{
		{"", "", ""},
		{"patterns: {}\n", "pattern", "title"},
		{"patterns: {field: summary}\n", "pattern", "summary"},
		{"patterns: {field: summary, name: alarm}\n", "alarm", "summary"},
	}
	for _, c := range cases {
		s, err := Parse([]byte(base + c.option))
		if err != nil {
			t.Fatalf("%q: %v", c.option, err)
		}
		name, field := s.PatternField()
		if name != c.name || field != c.field {
			t.Errorf("%q: pattern field %q from %q, want %q from %q", c.option, name, field, c.name, c.field)
		}
		col, ok := s.Column(c.name)
		if c.name == "" {
			if s.PatternColumn() != nil {
				t.Errorf("%q: a pattern column without the option", c.option)
			}
			continue
		}
		if !ok || col.Type != String || !col.Facet || col != s.PatternColumn() {
			t.Errorf("%q: Column(%q) = %+v, %v; want the pattern dimension as a string facet", c.option, c.name, col, ok)
		}
		if s.Patterns.Field != c.field || s.Patterns.Name != c.name {
			t.Errorf("%q: the option reads %+v, want its defaults written out", c.option, *s.Patterns)
		}
		for _, n := range s.Names() {
			if n == c.name {
				t.Errorf("%q: the pattern dimension is listed among the record's columns", c.option)
			}
		}
	}
	// With no title column, the default field is an unknown column: said so.
	_, err := Parse([]byte("key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\npatterns: {}\n"))
	if err == nil || !strings.Contains(err.Error(), "patterns.field") || !strings.Contains(err.Error(), `"title"`) {
		t.Errorf("patterns: {} without a title column: %v, want a patterns.field error naming title", err)
	}
}
