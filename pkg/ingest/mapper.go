// Package ingest turns raw ticket records (CSV, TSV and JSONL files, or decoded JSON objects)
// into typed ticket records through the column schema: it maps source columns onto schema
// columns, converts each value to its column's type, rejects records that do not fit with a
// reason, and streams the rest in batches to a store.
package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// MaxKeyLen is the longest key a record may have. Ticket ids are short; a long one is a
// column mix-up, and the store refuses much longer keys for the whole batch.
const MaxKeyLen = 1024

// maxTrackedNames bounds the source names a mapper remembers for keyed sources (JSON), so
// that a source whose keys are themselves data (ids as object keys) cannot grow memory
// without end.
const maxTrackedNames = 4096

// MapOptions change how source columns and values become schema columns and typed values.
type MapOptions struct {
	// Renames maps a source column name to a schema column name ("SRC=DST" on the command
	// line). An empty destination drops the source column without reporting it.
	Renames map[string]string
	// Nulls are source values that mean "no value", in addition to the schema's.
	Nulls []string
	// Layouts are Go time layouts tried for every time column after the column's own.
	Layouts []string
	// Location is the time zone of times written without one; nil means UTC.
	Location *time.Location
	// Now is the clock that a time version is checked against (MaxVersionSkew); nil
	// means time.Now.
	Now func() time.Time
}

// MaxVersionSkew is how far ahead of now a record's version may be when the version
// column is a time: clocks differ, and a ticket system may stamp in a zone it does not
// say, but a version further ahead (9999-12-31, a unix time in the wrong unit) would
// freeze its ticket, as every real update after it would be older and ignored.
const MaxVersionSkew = 24 * time.Hour

// ParseRename splits a "SRC=DST" rename. DST may be empty (drop SRC); SRC may not.
func ParseRename(s string) (src, dst string, err error) {
	src, dst, ok := strings.Cut(s, "=")
	src, dst = strings.TrimSpace(src), strings.TrimSpace(dst)
	if !ok || src == "" {
		return "", "", fmt.Errorf("rename %q: write SOURCE=COLUMN (or SOURCE= to drop a source column)", s)
	}
	return src, dst, nil
}

// Unmapped is a source column that no schema column takes, and why.
type Unmapped struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// RecordError says why a record was rejected.
type RecordError struct {
	// Key is the record's key when it could be read.
	Key    string
	Reason string
}

func (e *RecordError) Error() string { return e.Reason }

// How well a source name matches a schema column: a lower rank wins when two source
// columns map onto the same schema column.
const (
	rankRename = iota
	rankExact
	rankFrom
	rankLooseName
	rankLooseFrom
	rankNone
)

var rankWords = [...]string{"is renamed to", "is the name of", "is a source name of", "is a near name of", "is a near source name of"}

type target struct {
	col  int
	rank int
}

// A Mapper maps the records of one source onto a schema. It is not safe for concurrent
// use: it keeps per-record scratch space and learns the names of keyed sources as it goes.
type Mapper struct {
	schema  *schema.Schema
	layout  *ticket.Layout
	cols    []column
	key     int
	version int // -1 without a version column
	nulls   map[string]struct{}
	// maxNull is the length of the longest null token: a longer value without
	// surrounding spaces (a title, a description) needs no lookup.
	maxNull int
	loc     *time.Location
	now     func() time.Time

	renames                   map[string]string
	exact, from, loose, loosF map[string]int

	// Positional sources (CSV, TSV): the header position of each column's source, or -1.
	header []string
	srcPos []int
	// Keyed sources (JSON): targets of the names seen so far.
	targets map[string]target

	unmapped    []Unmapped
	unmappedSet map[string]struct{}

	// scratch for keyed records
	best []int
	pick []int
	// filled marks the columns some keyed record had a source for.
	filled []bool
}

// NewMapper returns a mapper from a source with the given header onto s. A nil header
// means a keyed source (JSON objects) whose names are resolved as records arrive.
// A header without a column for the schema's key is an error.
func NewMapper(s *schema.Schema, header []string, opts MapOptions) (*Mapper, error) {
	m := &Mapper{
		schema:      s,
		layout:      ticket.NewLayout(s.Names()),
		key:         s.Index(s.Key),
		version:     s.Index(s.Version),
		nulls:       make(map[string]struct{}),
		loc:         opts.Location,
		now:         opts.Now,
		renames:     make(map[string]string, len(opts.Renames)),
		exact:       make(map[string]int),
		from:        make(map[string]int),
		loose:       make(map[string]int),
		loosF:       make(map[string]int),
		targets:     make(map[string]target),
		unmappedSet: make(map[string]struct{}),
	}
	if m.key < 0 {
		return nil, fmt.Errorf("the schema's key column %q does not exist (was the schema validated?)", s.Key)
	}
	if s.Version == "" {
		m.version = -1
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.loc == nil {
		m.loc = time.UTC
	}
	for _, n := range s.Nulls {
		m.nulls[n] = struct{}{}
	}
	for _, n := range opts.Nulls {
		m.nulls[n] = struct{}{}
	}
	for n := range m.nulls {
		m.maxNull = max(m.maxNull, len(n))
	}
	var problems []string
	for src, dst := range opts.Renames {
		if dst != "" && s.Index(dst) < 0 {
			problems = append(problems, fmt.Sprintf("rename %s=%s: %s", src, dst, s.UnknownField(dst)))
			continue
		}
		m.renames[src] = dst
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New(strings.Join(problems, "; "))
	}
	m.cols = make([]column, len(s.Columns))
	for i := range s.Columns {
		c := &s.Columns[i]
		m.cols[i] = newColumn(c, opts.Layouts)
		addFirst(m.exact, c.Name, i)
		addFirst(m.loose, looseName(c.Name), i)
		for _, f := range c.From {
			addFirst(m.from, f, i)
			addFirst(m.loosF, looseName(f), i)
		}
	}
	m.best = make([]int, len(m.cols))
	m.pick = make([]int, len(m.cols))
	m.filled = make([]bool, len(m.cols))
	if header != nil {
		if err := m.setHeader(header); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func addFirst(idx map[string]int, name string, col int) {
	if _, ok := idx[name]; !ok {
		idx[name] = col
	}
}

// looseName folds case and treats spaces, dashes and underscores alike, so that
// "Assignee Group", "assignee-group" and "ASSIGNEE_GROUP" all find assignee_group.
func looseName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// resolve finds the schema column a source name maps onto.
func (m *Mapper) resolve(name string) target {
	if dst, ok := m.renames[name]; ok {
		if dst == "" {
			return target{col: -1, rank: rankRename}
		}
		return target{col: m.schema.Index(dst), rank: rankRename}
	}
	if i, ok := m.exact[name]; ok {
		return target{i, rankExact}
	}
	if i, ok := m.from[name]; ok {
		return target{i, rankFrom}
	}
	l := looseName(name)
	if i, ok := m.loose[l]; ok {
		return target{i, rankLooseName}
	}
	if i, ok := m.loosF[l]; ok {
		return target{i, rankLooseFrom}
	}
	return target{col: -1, rank: rankNone}
}

// setHeader resolves a positional source's columns. Where several source columns map onto
// one schema column the best match wins (rename, exact name, source name, near name) and
// the others are reported as unmapped.
func (m *Mapper) setHeader(header []string) error {
	m.header = append([]string(nil), header...)
	m.srcPos = make([]int, len(m.cols))
	ranks := make([]int, len(m.cols))
	for i := range m.srcPos {
		m.srcPos[i], ranks[i] = -1, rankNone
	}
	targets := make([]target, len(header))
	for p, name := range header {
		t := m.resolve(name)
		targets[p] = t
		if t.col >= 0 && t.rank < ranks[t.col] {
			m.srcPos[t.col], ranks[t.col] = p, t.rank
		}
	}
	if m.srcPos[m.key] < 0 {
		return m.noKeyError(header)
	}
	for p, name := range header {
		t := targets[p]
		switch {
		case t.col < 0 && t.rank == rankRename:
			// dropped on purpose
		case name == "":
			m.addUnmapped(fmt.Sprintf("(column %d)", p+1), "the header cell is empty")
		case t.col < 0:
			m.addUnmapped(name, "no schema column has this name")
		case m.srcPos[t.col] != p:
			winner := header[m.srcPos[t.col]]
			m.addUnmapped(name, fmt.Sprintf("%q %s column %q and takes it", winner, rankWords[ranks[t.col]], m.cols[t.col].name))
		}
	}
	return nil
}

func (m *Mapper) noKeyError(header []string) error {
	key := &m.schema.Columns[m.key]
	names := append([]string{key.Name}, key.From...)
	quoted := make([]string, len(header))
	for i, h := range header {
		quoted[i] = strconv.Quote(h)
	}
	list := strings.Join(quoted, ", ")
	if len(header) == 0 {
		list = "(none)"
	}
	return fmt.Errorf("no source column maps to the key column %q (the names it takes, in any letter case: %s); the source has %s; map one onto it with the rename SOURCE=%s",
		key.Name, strings.Join(names, ", "), list, key.Name)
}

func (m *Mapper) addUnmapped(name, reason string) {
	if _, seen := m.unmappedSet[name]; seen || len(m.unmapped) >= maxTrackedNames {
		return
	}
	m.unmappedSet[name] = struct{}{}
	m.unmapped = append(m.unmapped, Unmapped{Name: name, Reason: reason})
}

// Layout is the layout of every record the mapper makes: the schema's column names.
func (m *Mapper) Layout() *ticket.Layout { return m.layout }

// Unmapped lists the source columns that no schema column takes, each once, in the order
// they were first seen.
func (m *Mapper) Unmapped() []Unmapped { return append([]Unmapped(nil), m.unmapped...) }

// Missing lists the schema columns that no source column fills: for a positional source
// those its header lacks, for a keyed source those no record so far had.
func (m *Mapper) Missing() []string {
	var out []string
	for i := range m.cols {
		if m.srcPos != nil && m.srcPos[i] < 0 || m.srcPos == nil && !m.filled[i] {
			out = append(out, m.cols[i].name)
		}
	}
	return out
}

// MapRow maps one row of a positional source (its fields in header order) to a record.
// A rejected row returns a *RecordError.
func (m *Mapper) MapRow(fields []string) (ticket.Record, error) {
	if m.srcPos == nil {
		return ticket.Record{}, errors.New("MapRow needs a mapper made with a header")
	}
	vals := make([]ticket.Value, len(m.cols))
	key, version, err := m.mapRow(vals, fields)
	if err != nil {
		return ticket.Record{}, err
	}
	return ticket.Record{Key: key, Version: version, Layout: m.layout, Values: vals}, nil
}

// MapObject maps one decoded JSON object (as encoding/json decodes into any, ideally with
// UseNumber so numbers stay exact) to a record. Nested objects are flattened to dot paths
// ("fields.status.name") and arrays of scalars joined with ", ".
func (m *Mapper) MapObject(obj map[string]any) (ticket.Record, error) {
	pairs := flatten(nil, "", obj)
	vals := make([]ticket.Value, len(m.cols))
	key, version, err := m.mapPairs(vals, pairs)
	if err != nil {
		return ticket.Record{}, err
	}
	return ticket.Record{Key: key, Version: version, Layout: m.layout, Values: vals}, nil
}

// mapRow fills vals (one per schema column) from a positional row.
func (m *Mapper) mapRow(vals []ticket.Value, fields []string) (string, int64, error) {
	if len(fields) != len(m.header) {
		return "", 0, &RecordError{Reason: fmt.Sprintf("the row has %d fields, the header has %d", len(fields), len(m.header))}
	}
	var problems []string
	for i := range m.cols {
		p := m.srcPos[i]
		if p < 0 {
			vals[i] = ticket.Value{}
			continue
		}
		v, err := m.convert(&m.cols[i], fields[p], false)
		if err != nil {
			problems = append(problems, err.Error())
		}
		vals[i] = v
	}
	return m.finish(vals, problems)
}

// pair is one cell of a keyed source: a flattened name and its text, or a null.
type pair struct {
	name string
	raw  string
	null bool
}

// mapPairs fills vals from the cells of a keyed record.
func (m *Mapper) mapPairs(vals []ticket.Value, pairs []pair) (string, int64, error) {
	for i := range m.best {
		m.best[i], m.pick[i] = rankNone, -1
	}
	for j := range pairs {
		t := m.target(pairs[j].name)
		// A later name of the same rank wins, as the last of duplicate JSON keys does.
		if t.col >= 0 && t.rank <= m.best[t.col] {
			m.best[t.col], m.pick[t.col] = t.rank, j
		}
	}
	var problems []string
	for i := range m.cols {
		j := m.pick[i]
		if j < 0 {
			vals[i] = ticket.Value{}
			continue
		}
		m.filled[i] = true
		v, err := m.convert(&m.cols[i], pairs[j].raw, pairs[j].null)
		if err != nil {
			problems = append(problems, err.Error())
		}
		vals[i] = v
	}
	return m.finish(vals, problems)
}

// target resolves a keyed source's name once and remembers it, noting unmapped names.
func (m *Mapper) target(name string) target {
	if t, ok := m.targets[name]; ok {
		return t
	}
	t := m.resolve(name)
	if t.col < 0 && t.rank != rankRename {
		m.addUnmapped(name, "no schema column has this name")
	}
	if len(m.targets) < maxTrackedNames {
		m.targets[name] = t
	}
	return t
}

// checkKeyed checks the names of a keyed source's first record the way a header is
// checked: a source whose first record has no key is most likely mapped wrongly.
func (m *Mapper) checkKeyed(pairs []pair) error {
	names := make([]string, len(pairs))
	for j := range pairs {
		names[j] = pairs[j].name
		if t := m.target(pairs[j].name); t.col == m.key {
			return nil
		}
	}
	sort.Strings(names)
	return m.noKeyError(names)
}

// finish checks the key and computes the version of a mapped record.
func (m *Mapper) finish(vals []ticket.Value, problems []string) (string, int64, error) {
	kv := vals[m.key]
	key := kv.S
	switch {
	case kv.IsNull():
		problems = append([]string{fmt.Sprintf("%s: the key is missing", m.cols[m.key].name)}, problems...)
		key = ""
	case key == "":
		problems = append([]string{fmt.Sprintf("%s: the key is empty", m.cols[m.key].name)}, problems...)
	case len(key) > MaxKeyLen:
		problems = append([]string{fmt.Sprintf("%s: the key is %d bytes long (at most %d)", m.cols[m.key].name, len(key), MaxKeyLen)}, problems...)
		key = key[:40] + "..."
	}
	var version int64
	if m.version >= 0 {
		v := vals[m.version]
		switch v.Kind {
		case ticket.Time:
			version = v.I
			if now := m.now(); version > now.Add(MaxVersionSkew).UnixMilli() {
				problems = append(problems, fmt.Sprintf("%s: the version %s is more than %s ahead of now (%s): it would freeze the ticket, every later update being older",
					m.cols[m.version].name, time.UnixMilli(version).UTC().Format(time.RFC3339), durationText(MaxVersionSkew), now.UTC().Format(time.RFC3339)))
			}
		case ticket.Num:
			if v.F != math.Trunc(v.F) || math.Abs(v.F) >= 1<<63 {
				problems = append(problems, fmt.Sprintf("%s: %v is not a whole number, so it cannot order versions", m.cols[m.version].name, v.F))
			} else {
				version = int64(v.F)
			}
		}
	}
	if len(problems) > 0 {
		return "", 0, &RecordError{Key: key, Reason: strings.Join(problems, "; ")}
	}
	return key, version, nil
}

// flatten appends the cells of a JSON object to dst: nested objects become dot paths,
// arrays of scalars one text joined with ", ", other arrays their JSON text.
func flatten(dst []pair, prefix string, obj map[string]any) []pair {
	for k, v := range obj {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		switch x := v.(type) {
		case map[string]any:
			dst = flatten(dst, name, x)
		default:
			raw, null := scalarText(x)
			dst = append(dst, pair{name: name, raw: raw, null: null})
		}
	}
	return dst
}

// scalarText is the text of a decoded JSON value, or null.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, false
	case json.Number:
		return string(x), false
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), false
	case bool:
		return strconv.FormatBool(x), false
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				b, err := json.Marshal(x)
				if err != nil {
					return fmt.Sprint(x), false
				}
				return string(b), false
			}
			if s, null := scalarText(e); !null {
				parts = append(parts, s)
			}
		}
		if len(parts) == 0 {
			return "", true
		}
		return strings.Join(parts, ", "), false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v), false
	}
	return string(b), false
}

// durationText writes whole hours as "24h", else as Go does.
func durationText(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
