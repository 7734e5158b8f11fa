// Package ticket holds the typed form of a ticket as it travels from ingest to the store and
// on to the engine: values with their kinds, records that share a column layout, and the
// compact binary encoding the stores keep.
package ticket

import (
	"math"
	"strings"
	"time"
)

// Kind says which of a Value's fields holds its value.
type Kind uint8

const (
	// Null is the absence of a value.
	Null Kind = iota
	// Str is a string (string and text columns); the value is in S.
	Str
	// Num is a float64 (number columns); the value is in F.
	Num
	// Time is an instant in milliseconds since the Unix epoch (time columns); the value is in I.
	Time
	// Bool is true or false (bool columns); the value is in I, 1 for true.
	Bool
)

// Value is one typed cell. The zero Value is null.
type Value struct {
	Kind Kind
	S    string
	F    float64
	I    int64
}

// String makes a string value.
func String(s string) Value { return Value{Kind: Str, S: s} }

// Number makes a number value.
func Number(f float64) Value { return Value{Kind: Num, F: f} }

// TimeMS makes a time value from milliseconds since the Unix epoch.
func TimeMS(ms int64) Value { return Value{Kind: Time, I: ms} }

// TimeOf makes a time value, truncated to the millisecond.
func TimeOf(t time.Time) Value { return Value{Kind: Time, I: t.UnixMilli()} }

// BoolOf makes a bool value.
func BoolOf(b bool) Value {
	if b {
		return Value{Kind: Bool, I: 1}
	}
	return Value{Kind: Bool}
}

// IsNull reports whether v has no value.
func (v Value) IsNull() bool { return v.Kind == Null }

// Time returns a time value as a UTC time.Time.
func (v Value) Time() time.Time { return time.UnixMilli(v.I).UTC() }

// Bool returns a bool value.
func (v Value) Bool() bool { return v.I != 0 }

// Equal reports whether two values are the same kind and value (NaN equals NaN, so that a
// record compares equal to its own copy).
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case Str:
		return v.S == w.S
	case Num:
		return v.F == w.F || (math.IsNaN(v.F) && math.IsNaN(w.F))
	case Time, Bool:
		return v.I == w.I
	}
	return true
}

// Layout names the columns of records, in order. Records built together share one Layout,
// so a million records carry one list of names rather than a million maps.
type Layout struct {
	names []string
	index map[string]int
	id    string
}

// NewLayout returns a layout for the given column names.
func NewLayout(names []string) *Layout {
	l := &Layout{names: append([]string(nil), names...), index: make(map[string]int, len(names))}
	for i, n := range l.names {
		l.index[n] = i
	}
	l.id = strings.Join(l.names, "\x00")
	return l
}

// Names returns the column names; the caller must not change the slice.
func (l *Layout) Names() []string { return l.names }

// Len is the number of columns.
func (l *Layout) Len() int { return len(l.names) }

// Index returns the position of name, or -1.
func (l *Layout) Index(name string) int {
	if i, ok := l.index[name]; ok {
		return i
	}
	return -1
}

// ID identifies the layout by its names: two layouts with the same names have the same ID,
// so a consumer can cache its column mapping per ID.
func (l *Layout) ID() string { return l.id }

// Record is one version of one ticket.
type Record struct {
	// Key identifies the ticket (the schema's key column).
	Key string
	// Version orders versions of a ticket: the schema's version column as milliseconds for
	// a time or as an integer for a number; 0 when the schema has no version column.
	Version int64
	// Layout names Values; len(Values) == Layout.Len().
	Layout *Layout
	Values []Value
}

// Get returns the value of the named column, or null when the layout has no such column.
func (r *Record) Get(name string) Value {
	if i := r.Layout.Index(name); i >= 0 && i < len(r.Values) {
		return r.Values[i]
	}
	return Value{}
}

// SameValues reports whether two records hold the same values under the same names.
func (r *Record) SameValues(o *Record) bool {
	if r.Layout.ID() != o.Layout.ID() || len(r.Values) != len(o.Values) {
		return false
	}
	for i := range r.Values {
		if !r.Values[i].Equal(o.Values[i]) {
			return false
		}
	}
	return true
}

// Clone returns a deep copy whose strings do not alias any buffer (records passed to a
// Store.Changes callback may alias the store's memory).
func (r *Record) Clone() Record {
	c := Record{Key: strings.Clone(r.Key), Version: r.Version, Layout: r.Layout, Values: make([]Value, len(r.Values))}
	for i, v := range r.Values {
		if v.Kind == Str {
			v.S = strings.Clone(v.S)
		}
		c.Values[i] = v
	}
	return c
}
