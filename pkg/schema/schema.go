// Package schema is the column schema: which fields a ticket has, their types, how they are
// shown, which are facets to chart, and the defaults of the table and the filter. It is the
// one source of truth about fields; every other package is handed a *Schema and never
// re-derives it.
package schema

import (
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
)

// Type is the type of a column.
type Type string

const (
	// String is a dimension: a short value from a small set (service, region, status).
	// Dimensions are dictionary-encoded, can be charted and filtered for equality.
	String Type = "string"
	// Text is free text (title, description): searched, not charted.
	Text Type = "text"
	// Number is a float64 (severity, priority, counts).
	Number Type = "number"
	// Time is an instant, kept in milliseconds since the Unix epoch.
	Time Type = "time"
	// Bool is true or false.
	Bool Type = "bool"
)

// Types lists the valid column types, in the order the documentation gives them.
var Types = []Type{String, Text, Number, Time, Bool}

// Valid reports whether t is one of Types.
func (t Type) Valid() bool {
	for _, v := range Types {
		if v == t {
			return true
		}
	}
	return false
}

// Column describes one field of a ticket.
type Column struct {
	// Name is the field's name in queries, filters and the store.
	Name string `json:"name" yaml:"name"`
	Type Type   `json:"type" yaml:"type"`
	// Title is the display name; empty means Name.
	Title string `json:"title,omitempty" yaml:"title,omitempty"`
	// Unit is a Grafana unit id (for example "none", "short", "dateTimeAsIso").
	Unit string `json:"unit,omitempty" yaml:"unit,omitempty"`
	// Format is a display hint: a time layout for time columns, a number of decimals for numbers.
	Format string `json:"format,omitempty" yaml:"format,omitempty"`
	// Order sorts columns for display; columns with equal order keep their position.
	Order int `json:"order,omitempty" yaml:"order,omitempty"`
	// Table says whether the ticket table shows the column by default.
	Table bool `json:"table" yaml:"table"`
	// Detail marks a column shown only when a ticket is expanded (a description). Detail
	// columns stay in the store and are not held in memory by the engine.
	Detail bool `json:"detail,omitempty" yaml:"detail,omitempty"`
	// Facet marks a dimension worth a chart of its own.
	Facet bool `json:"facet,omitempty" yaml:"facet,omitempty"`
	// Lifecycle marks a facet whose values follow a ticket's age rather than where it
	// comes from (a status: open, then resolved). A window of recent tickets always
	// differs from the period before it in such a field, so the dashboards' "where is
	// it?" search (the cause panel and the spike alert's culprit) leaves it out of its
	// dimensions. Only a facet can be one.
	Lifecycle bool `json:"lifecycle,omitempty" yaml:"lifecycle,omitempty"`
	// Link is a URL template to the ticket system; ${__value.raw} is the cell's value and
	// ${__data.fields.NAME} another field of the row (Grafana's data link variables).
	Link string `json:"link,omitempty" yaml:"link,omitempty"`
	// From lists the source column names that import maps onto this column (renames).
	From []string `json:"from,omitempty" yaml:"from,omitempty"`
	// Layouts are Go time layouts tried, in order, when a source value is not a number or
	// RFC 3339 (for example "2/1/2006 15:04" for day-first dates).
	Layouts []string `json:"layouts,omitempty" yaml:"layouts,omitempty"`
}

// DisplayName is the column's title, or its name when it has none.
func (c *Column) DisplayName() string {
	if c.Title != "" {
		return c.Title
	}
	return c.Name
}

// SortKey orders rows by one field.
type SortKey struct {
	Field string `json:"field" yaml:"field"`
	Desc  bool   `json:"desc,omitempty" yaml:"desc,omitempty"`
}

// TableDefaults are what the ticket table shows when a query names nothing.
type TableDefaults struct {
	Columns []string  `json:"columns,omitempty" yaml:"columns,omitempty"`
	Sort    []SortKey `json:"sort,omitempty" yaml:"sort,omitempty"`
	Limit   int       `json:"limit,omitempty" yaml:"limit,omitempty"`
}

// Defaults hold the filter that every query gets unless it switches it off.
type Defaults struct {
	Filter string `json:"filter,omitempty" yaml:"filter,omitempty"`
}

// Patterns names the text column whose patterns the engine mines, and the name of the
// dimension that holds each ticket's pattern id.
type Patterns struct {
	// Field is a string or text column held by the engine (not the key, not a detail);
	// empty means DefaultPatternField.
	Field string `json:"field,omitempty" yaml:"field,omitempty"`
	// Name is the dimension's name in filters, splits and breakdowns; empty means
	// DefaultPatternName. It must not be a column's name.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
}

// DefaultPatternName is the pattern dimension's name when the schema gives none.
const DefaultPatternName = "pattern"

// DefaultPatternField is the column mined when the schema's patterns option names none:
// the title, as the default schema calls it.
const DefaultPatternField = "title"

// SourceField is the name of the column mined.
func (p *Patterns) SourceField() string {
	if p.Field == "" {
		return DefaultPatternField
	}
	return p.Field
}

// DimensionName is the pattern dimension's name.
func (p *Patterns) DimensionName() string {
	if p.Name == "" {
		return DefaultPatternName
	}
	return p.Name
}

// PatternField returns the name of the pattern dimension and the column it is mined
// from, or empty strings when the schema mines no patterns.
func (s *Schema) PatternField() (name, source string) {
	if s.Patterns == nil {
		return "", ""
	}
	return s.Patterns.DimensionName(), s.Patterns.SourceField()
}

// Schema is a validated column schema. Build it with Parse, Load or Default; a Schema made
// by hand must go through Validate before use.
type Schema struct {
	// Key names the column that identifies a ticket.
	Key string `json:"key" yaml:"key"`
	// Version names a number or time column; a record with an older version than the
	// stored one is ignored. Empty means the latest write wins.
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
	// Time names the default time column for ranges and buckets.
	Time string `json:"time" yaml:"time"`
	// Open is a filter expression that says which tickets are open (for "open now").
	Open string `json:"open,omitempty" yaml:"open,omitempty"`
	// Nulls are source tokens that mean "no value" on import ("", "?", "N/A").
	Nulls    []string      `json:"nulls,omitempty" yaml:"nulls,omitempty"`
	Columns  []Column      `json:"columns" yaml:"columns"`
	Table    TableDefaults `json:"table,omitempty" yaml:"table,omitempty"`
	Defaults Defaults      `json:"defaults,omitempty" yaml:"defaults,omitempty"`
	// Patterns, when set, has the engine group the texts of a column into patterns (see
	// package patterns) and keep each ticket's pattern as a dimension of its own.
	Patterns *Patterns `json:"patterns,omitempty" yaml:"patterns,omitempty"`

	index map[string]int
	// patternCol describes the pattern dimension as a column, for Column: filters,
	// splits, breakdowns and ad hoc filters name it like any string facet. It is not in
	// Columns, since the records do not carry it (the engine derives it).
	patternCol *Column
}

// Column returns the column called name, or the pattern dimension described as a
// string facet when name is its name.
func (s *Schema) Column(name string) (*Column, bool) {
	i, ok := s.index[name]
	if !ok {
		if s.patternCol != nil && name == s.patternCol.Name {
			return s.patternCol, true
		}
		return nil, false
	}
	return &s.Columns[i], true
}

// PatternColumn is the pattern dimension described as a column, or nil when the schema
// mines no patterns.
func (s *Schema) PatternColumn() *Column { return s.patternCol }

// Index returns the position of the column called name in Columns, or -1.
func (s *Schema) Index(name string) int {
	if i, ok := s.index[name]; ok {
		return i
	}
	return -1
}

// Names returns the column names in schema order.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Columns))
	for i := range s.Columns {
		out[i] = s.Columns[i].Name
	}
	return out
}

// Facets returns the facet columns in display order.
func (s *Schema) Facets() []*Column {
	var out []*Column
	for _, c := range s.Ordered() {
		if c.Facet {
			out = append(out, c)
		}
	}
	return out
}

// Lifecycle returns the lifecycle columns (Column.Lifecycle) in display order.
func (s *Schema) Lifecycle() []*Column {
	var out []*Column
	for _, c := range s.Ordered() {
		if c.Lifecycle {
			out = append(out, c)
		}
	}
	return out
}

// Ordered returns the columns sorted by Order, ties kept in schema order.
func (s *Schema) Ordered() []*Column {
	out := make([]*Column, len(s.Columns))
	for i := range s.Columns {
		out[i] = &s.Columns[i]
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out
}

// TableColumns are the columns the table shows by default, in order.
func (s *Schema) TableColumns() []string {
	if len(s.Table.Columns) > 0 {
		return append([]string(nil), s.Table.Columns...)
	}
	var out []string
	for _, c := range s.Ordered() {
		if c.Table && !c.Detail {
			out = append(out, c.Name)
		}
	}
	return out
}

// Closest returns up to three column names near name, best first, for "did you mean"
// messages. It matches case-insensitively, by prefix, and by edit distance.
func (s *Schema) Closest(name string) []string {
	type cand struct {
		name string
		dist int
	}
	lower := strings.ToLower(name)
	var cands []cand
	for _, c := range s.Columns {
		cl := strings.ToLower(c.Name)
		d := levenshtein.ComputeDistance(lower, cl)
		switch {
		case cl == lower:
			d = 0
		case strings.HasPrefix(cl, lower) || strings.HasPrefix(lower, cl):
			d = min(d, 1)
		}
		limit := max(2, len(name)/3)
		if d <= limit {
			cands = append(cands, cand{c.Name, d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	var out []string
	for i := 0; i < len(cands) && i < 3; i++ {
		out = append(out, cands[i].name)
	}
	return out
}
