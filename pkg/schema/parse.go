package schema

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a schema: where (a path such as "columns[3].type" and,
// when the schema came from text, its line) and what.
type Problem struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
	Msg  string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Path, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.Path, p.Msg)
}

// Error lists every problem found in a schema, so a user fixes them in one go.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid schema: " + strings.Join(parts, "; ")
}

// Parse reads a schema from YAML or JSON (JSON is YAML too) and validates it. Unknown keys
// are errors, so a misspelt option is never silently ignored.
func Parse(text []byte) (*Schema, error) {
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, &Error{Problems: []Problem{{Path: "(schema)", Msg: "is empty"}}}
	}
	if !utf8.Valid(text) || bytes.IndexByte(text, 0) >= 0 {
		return nil, &Error{Problems: []Problem{{Path: "(schema)", Msg: "not a column schema: it is not a text file"}}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(text, &root); err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(err)}}
	}
	if p, ok := notASchema(&root); ok {
		return nil, &Error{Problems: []Problem{p}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	var s Schema
	if err := dec.Decode(&s); err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(err)}}
	}
	defaultTableFlags(&s, &root)
	if err := s.validate(); err != nil {
		var se *Error
		if errors.As(err, &se) {
			for i := range se.Problems {
				se.Problems[i].Line = lineOf(&root, se.Problems[i].Path)
			}
		}
		return nil, err
	}
	return &s, nil
}

// Load reads and validates the schema file at path.
func Load(path string) (*Schema, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schema file: %w", err)
	}
	s, err := Parse(text)
	if err != nil {
		return nil, fmt.Errorf("schema file %s: %w", path, err)
	}
	return s, nil
}

// topLevel are the options a schema mapping can have.
var topLevel = []string{"key", "version", "time", "open", "nulls", "columns", "table", "defaults", "patterns"}

// notASchema tells text that is no schema at all (another file named by mistake, such
// as /etc/passwd or a file of secrets) from a schema with mistakes, and says so without
// quoting it: the YAML decoder's own messages quote the text, and a schema file's
// problems reach the health check and the panels. Text whose top level is a mapping
// with at least one schema option is a schema with mistakes, and the decoder's messages
// (which name a misspelt option) help its author.
func notASchema(root *yaml.Node) (Problem, bool) {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	const expected = "a YAML or JSON mapping of the schema's options (key, time, columns, ...) is expected"
	p := Problem{Path: "(schema)", Line: n.Line}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if slices.Contains(topLevel, n.Content[i].Value) {
				return Problem{}, false
			}
		}
		p.Msg = "not a column schema: none of its top-level names is a schema option; " + expected
	case yaml.SequenceNode:
		p.Msg = "not a column schema: it is a list, where " + expected
	case yaml.ScalarNode:
		p.Msg = "not a column schema: it is a single value, where " + expected
	default:
		p.Msg = "not a column schema: " + expected
	}
	return p, true
}

// Validate checks a schema built in code and prepares its lookups.
func (s *Schema) Validate() error { return s.validate() }

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := Problem{Path: "(schema)", Msg: msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
	}
	return p
}

// defaultTableFlags makes a column without a "table" key visible in the table unless it is
// detail-only: the common case needs no flag at all.
func defaultTableFlags(s *Schema, root *yaml.Node) {
	cols := lookup(root, "columns")
	for i := range s.Columns {
		if cols == nil || cols.Kind != yaml.SequenceNode || i >= len(cols.Content) {
			continue
		}
		if lookup(cols.Content[i], "table") == nil {
			s.Columns[i].Table = !s.Columns[i].Detail
		}
	}
}

// lookup returns the value node of key in a mapping node (through a document node).
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

var pathPart = regexp.MustCompile(`^([A-Za-z]+)(?:\[(\d+)\])?$`)

// lineOf finds the line of a problem path such as "columns[2].type" in the parsed text; it
// returns the line of the deepest part it can find, or 0.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(path, ".") {
		m := pathPart.FindStringSubmatch(part)
		if m == nil {
			break
		}
		v := lookup(n, m[1])
		if v == nil {
			break
		}
		line, n = v.Line, v
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			if v.Kind != yaml.SequenceNode || i >= len(v.Content) {
				break
			}
			n = v.Content[i]
			line = n.Line
		}
	}
	return line
}

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

func (s *Schema) validate() error {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	s.index = make(map[string]int, len(s.Columns))
	if len(s.Columns) == 0 {
		add("columns", "the schema needs at least one column")
	}
	for i := range s.Columns {
		c := &s.Columns[i]
		p := fmt.Sprintf("columns[%d]", i)
		switch {
		case c.Name == "":
			add(p+".name", "is missing")
		case !namePattern.MatchString(c.Name):
			add(p+".name", "%q is not a valid field name (letters, digits, _ . -; not starting with a digit)", c.Name)
		case isKeyword(c.Name):
			add(p+".name", "%q is a word of the filter language; choose another name", c.Name)
		default:
			if j, dup := s.index[c.Name]; dup {
				add(p+".name", "%q is already the name of columns[%d]", c.Name, j)
			} else {
				s.index[c.Name] = i
			}
		}
		if c.Type == "" {
			add(p+".type", "is missing (one of %s)", typeList())
		} else if !c.Type.Valid() {
			add(p+".type", "unknown type %q (want one of %s)", c.Type, typeList())
		}
		if c.Facet && c.Type != String && c.Type != Number && c.Type != Bool {
			add(p+".facet", "a %s column cannot be a facet (only string, number and bool columns can be charted)", c.Type)
		}
		if c.Detail && c.Facet {
			add(p+".detail", "a detail-only column cannot also be a facet")
		}
		if c.Lifecycle && !c.Facet {
			add(p+".lifecycle", "only a facet can be a lifecycle column (it is left out of the dimensions the dashboards search for a cause); set facet: true or remove lifecycle")
		}
		if len(c.Layouts) > 0 && c.Type != Time {
			add(p+".layouts", "only time columns take time layouts")
		}
	}
	checkRef := func(path, name string, required bool, types ...Type) {
		if name == "" {
			if required {
				add(path, "is missing: name the column")
			}
			return
		}
		i, ok := s.index[name]
		if !ok {
			add(path, "%s", s.unknown(name))
			return
		}
		if len(types) == 0 {
			return
		}
		for _, t := range types {
			if s.Columns[i].Type == t {
				return
			}
		}
		add(path, "column %q is a %s column; it must be %s", name, s.Columns[i].Type, joinTypes(types))
	}
	checkRef("key", s.Key, true, String)
	checkRef("version", s.Version, false, Number, Time)
	checkRef("time", s.Time, true, Time)
	if i, ok := s.index[s.Key]; ok && s.Columns[i].Detail {
		add("key", "the key column %q cannot be detail-only", s.Key)
	}
	if i, ok := s.index[s.Time]; ok && s.Columns[i].Detail {
		add("time", "the time column %q cannot be detail-only", s.Time)
	}
	if i, ok := s.index[s.Version]; ok && s.Columns[i].Detail {
		add("version", "the version column %q cannot be detail-only", s.Version)
	}
	for i, name := range s.Table.Columns {
		checkRef(fmt.Sprintf("table.columns[%d]", i), name, true)
	}
	for i, k := range s.Table.Sort {
		checkRef(fmt.Sprintf("table.sort[%d].field", i), k.Field, true)
	}
	if s.Table.Limit < 0 {
		add("table.limit", "must not be negative")
	}
	s.patternCol = nil
	if p := s.Patterns; p != nil {
		// The defaults are written out, so that a schema that leaves them out and one
		// that names them are the same schema (marshalled alike).
		p.Field, p.Name = p.SourceField(), p.DimensionName()
		problems := len(ps)
		field := p.SourceField()
		checkRef("patterns.field", field, true, String, Text)
		if i, ok := s.index[field]; ok && (s.Columns[i].Detail || field == s.Key) {
			add("patterns.field", "column %q is the key or a detail column, which the engine does not mine", field)
		}
		name := p.DimensionName()
		switch {
		case !namePattern.MatchString(name):
			add("patterns.name", "%q is not a valid field name (letters, digits, _ . -; not starting with a digit)", name)
		case isKeyword(name):
			add("patterns.name", "%q is a word of the filter language; choose another name", name)
		default:
			if j, dup := s.index[name]; dup {
				add("patterns.name", "%q is already the name of columns[%d]; name the pattern field otherwise", name, j)
			}
		}
		if len(ps) == problems {
			s.patternCol = &Column{Name: name, Type: String, Title: "Pattern", Facet: true}
		}
	}
	if len(ps) > 0 {
		return &Error{Problems: ps}
	}
	return nil
}

// unknown says that name is not a column, with the close matches.
func (s *Schema) unknown(name string) string {
	msg := fmt.Sprintf("unknown column %q", name)
	if c := s.Closest(name); len(c) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", quoteList(c))
	}
	return msg
}

// UnknownField is the error message for a field name the schema does not have, listing the
// close matches; the filter and query packages use it so every such message reads the same.
func (s *Schema) UnknownField(name string) string {
	msg := fmt.Sprintf("unknown field %q", name)
	if c := s.Closest(name); len(c) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", quoteList(c))
	} else {
		msg += fmt.Sprintf("; the fields are %s", quoteList(s.Names()))
	}
	return msg
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	switch len(q) {
	case 1:
		return q[0]
	case 2:
		return q[0] + " or " + q[1]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func typeList() string { return joinTypes(Types) }

func joinTypes(ts []Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// keywords are the words of the filter language; a column cannot be called one of them,
// or filters on it could not be parsed.
var keywords = []string{"and", "or", "not", "in", "is", "null", "true", "false", "contains"}

// Keywords returns the reserved words of the filter language.
func Keywords() []string { return append([]string(nil), keywords...) }

func isKeyword(name string) bool {
	l := strings.ToLower(name)
	for _, k := range keywords {
		if l == k {
			return true
		}
	}
	return false
}
