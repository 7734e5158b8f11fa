package httpjson

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Path is a compiled JSON path: names separated by dots, with [N] (or .N) to pick an
// element of an array and [] to go into every element. Going into an array without an
// index goes into every element too, so "fields.components.name" gives the names of all
// components and "labels.name" those of all labels.
type Path struct {
	text  string
	steps []step
}

type step struct {
	name  string
	index int // >= 0: an element; -1: a name; -2: every element
}

// ParsePath compiles a path. The empty path is the value itself.
func ParsePath(text string) (Path, error) {
	p := Path{text: text}
	text = strings.TrimSpace(text)
	if text == "" || text == "$" || text == "." {
		return p, nil
	}
	text = strings.TrimPrefix(strings.TrimPrefix(text, "$"), ".")
	for _, part := range strings.Split(text, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			if n, err := strconv.Atoi(name); err == nil && n >= 0 {
				p.steps = append(p.steps, step{index: n})
			} else {
				p.steps = append(p.steps, step{name: name, index: -1})
			}
		} else if rest == "" {
			return p, fmt.Errorf("path %q: an empty name between dots", p.text)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				return p, fmt.Errorf("path %q: a [ without its ]", p.text)
			}
			switch n, err := strconv.Atoi(idx); {
			case idx == "" || idx == "*":
				p.steps = append(p.steps, step{index: -2})
			case err != nil || n < 0:
				return p, fmt.Errorf("path %q: [%s] is not an array index", p.text, idx)
			default:
				p.steps = append(p.steps, step{index: n})
			}
			rest = strings.TrimPrefix(after, "[")
			if after != "" && !strings.HasPrefix(after, "[") {
				return p, fmt.Errorf("path %q: %q after ] (write a dot before a name)", p.text, after)
			}
		}
	}
	return p, nil
}

func (p Path) String() string { return p.text }

// Get returns the value at the path in v (as encoding/json decodes it), nil when it is
// not there. Going into every element of an array gives an array of the results, with
// nested arrays flattened and missing values left out.
func (p Path) Get(v any) any { return get(v, p.steps) }

func get(v any, steps []step) any {
	for i, s := range steps {
		switch x := v.(type) {
		case map[string]any:
			if s.index != -1 {
				return nil
			}
			v = x[s.name]
		case []any:
			if s.index >= 0 {
				if s.index >= len(x) {
					return nil
				}
				v = x[s.index]
				continue
			}
			rest := steps[i:]
			if s.index == -2 {
				rest = steps[i+1:]
			}
			out := make([]any, 0, len(x))
			for _, e := range x {
				switch r := get(e, rest).(type) {
				case nil:
				case []any:
					out = append(out, r...)
				default:
					out = append(out, r)
				}
			}
			return out
		default:
			return nil
		}
	}
	return v
}

// Field says how one schema column is read from an item of the API's answer.
type Field struct {
	// Paths are tried in order; the first that gives a value (not null, not "") wins.
	Paths []Path
	// Values translate the text found ("High" to "2"): an exact match first, then one
	// ignoring case.
	Values map[string]string
	// Pattern keeps the first group (or the whole match) of a regular expression.
	Pattern *regexp.Regexp
	// Const is a fixed value for every item, when Paths is empty.
	Const *string
}

// A translated field (Values or Pattern) whose text matches neither gives no value rather
// than text the column may refuse: a translation says which values it knows.
func (f *Field) extract(item any) any {
	if f.Const != nil {
		return *f.Const
	}
	var v any
	for _, p := range f.Paths {
		v = p.Get(item)
		if !isEmpty(v) {
			break
		}
	}
	if isEmpty(v) {
		return nil
	}
	if f.Values == nil && f.Pattern == nil {
		if m, ok := v.(map[string]any); ok {
			// An object into a column is kept as its JSON text (ingest would spread its
			// members over dotted names, which no column has).
			b, err := json.Marshal(m)
			if err != nil {
				return nil
			}
			return string(b)
		}
		return v
	}
	text := textOf(v)
	if f.Values != nil {
		if t, ok := f.Values[text]; ok {
			return t
		}
		for k, t := range f.Values {
			if strings.EqualFold(k, text) {
				return t
			}
		}
	}
	if f.Pattern != nil {
		m := f.Pattern.FindStringSubmatch(text)
		switch {
		case m == nil:
		case len(m) > 1:
			return m[1]
		default:
			return m[0]
		}
	}
	return nil
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// textOf is the text a value is matched as: scalars as they read, arrays joined by ", ".
func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, textOf(e))
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Mapping maps schema column names to fields.
type Mapping map[string]*Field

// fieldSpec is a mapping line's value when it is more than a path.
type fieldSpec struct {
	Path    yaml.Node         `yaml:"path"`
	Values  map[string]string `yaml:"values"`
	Pattern string            `yaml:"pattern"`
	Value   *string           `yaml:"value"`
}

// ParseMapping reads the YAML mapping of the settings: one line per schema column, whose
// value is a JSON path, a list of paths (the first with a value wins), or an object with
// path (or value, a constant), values (a translation table) and pattern (a regular
// expression whose first group is kept):
//
//	id: key
//	title: fields.summary
//	service: [fields.components[0].name, fields.project.name]
//	severity: {path: fields.priority.name, values: {Highest: 1, High: 2}, pattern: 'P(\d)'}
func ParseMapping(text string) (Mapping, error) {
	m := Mapping{}
	if strings.TrimSpace(text) == "" {
		return m, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("the mapping is not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return m, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the mapping must be YAML lines \"column: json.path\" (line %d)", root.Line)
	}
	var problems []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		f, err := parseField(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %s: %v", k.Line, k.Value, err))
			continue
		}
		m[k.Value] = f
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the mapping: %s", strings.Join(problems, "; "))
	}
	return m, nil
}

func parseField(n *yaml.Node) (*Field, error) {
	switch n.Kind {
	case yaml.ScalarNode, yaml.SequenceNode:
		paths, err := parsePaths(n)
		if err != nil {
			return nil, err
		}
		return &Field{Paths: paths}, nil
	case yaml.MappingNode:
		var spec fieldSpec
		if err := n.Decode(&spec); err != nil {
			return nil, err
		}
		f := &Field{Values: spec.Values, Const: spec.Value}
		if spec.Path.Kind != 0 {
			paths, err := parsePaths(&spec.Path)
			if err != nil {
				return nil, err
			}
			f.Paths = paths
		}
		if spec.Pattern != "" {
			re, err := regexp.Compile(spec.Pattern)
			if err != nil {
				return nil, fmt.Errorf("pattern: %w", err)
			}
			f.Pattern = re
		}
		if len(f.Paths) == 0 && f.Const == nil {
			return nil, fmt.Errorf("give a path (or a fixed value)")
		}
		return f, nil
	}
	return nil, fmt.Errorf("write a JSON path, a list of paths, or {path: ..., values: ..., pattern: ...}")
}

func parsePaths(n *yaml.Node) ([]Path, error) {
	var texts []string
	switch n.Kind {
	case yaml.ScalarNode:
		texts = []string{n.Value}
	case yaml.SequenceNode:
		if err := n.Decode(&texts); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("a path is text, or a list of texts")
	}
	paths := make([]Path, 0, len(texts))
	for _, t := range texts {
		if strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("the path is empty")
		}
		p, err := ParsePath(t)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// mustMapping parses a preset's mapping, which is part of the program.
func mustMapping(text string) Mapping {
	m, err := ParseMapping(text)
	if err != nil {
		panic(err)
	}
	return m
}

// Columns lists the mapped columns in order.
func (m Mapping) Columns() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// apply builds the flat object of one item: mapped column -> value.
func (m Mapping) apply(item any) map[string]any {
	obj := make(map[string]any, len(m))
	for col, f := range m {
		if v := f.extract(item); v != nil {
			obj[col] = v
		}
	}
	return obj
}
