package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Definition is one query type in the registry.
type Definition struct {
	Type Type
	// About says in a line what the type answers, for the command line's help and the
	// documentation's lists.
	About string
	// New returns an empty model of the type, to decode into.
	New func() Model
}

// registry lists the query types, in documentation order. It is the one list of them:
// Decode, Run, the command line's flags and help (`spacetime query -h`) and the tests
// that check the documentation are made from it.
//
// To add a query type: write its model in a file of its own (NAME.go: the constant, the
// struct embedding Common with its JSON fields and their help tags, Check, run, and its
// tests in NAME_test.go), add one line here, and give the frontend its editor
// (src/, the frontend's registry). Nothing else in Go needs to change.
var registry = []Definition{
	{Counts, "tickets per time bucket, optionally split by a field (time series; alerting)", func() Model { return &CountsQuery{} }},
	{Breakdown, "tickets per value of a field, the top N plus \"other\" (pie and bar charts)", func() Model { return &BreakdownQuery{} }},
	{Tickets, "rows with chosen columns, sorted and limited; the rows holding the search are marked", func() Model { return &TicketsQuery{} }},
	{Stats, "the total, the tickets open now, the rate per minute and its usual rate before (stat panels)", func() Model { return &StatsQuery{} }},
	{Values, "the distinct values of a field with their counts (variables, ad hoc filter values)", func() Model { return &ValuesQuery{} }},
	{Logs, "the newest tickets as log lines with every field (Grafana's logs panel)", func() Model { return &LogsQuery{} }},
	{Spike, "the recent ticket rate against its trailing baseline, over time (alerting)", func() Model { return &SpikeQuery{} }},
	{Movers, "the values of a field that rose most above their baseline (\"what changed?\")", func() Model { return &MoversQuery{} }},
	{Patterns, "the top patterns of the titles in scope: template, count, first and last seen, an example, counts over time and the ad hoc filter of each", func() Model { return &PatternsQuery{} }},
	{Localize, "the combinations of up to three fields' values that explain a rise against the baseline (\"where is it?\")", func() Model { return &LocalizeQuery{} }},
}

// Definitions returns the registry, in documentation order.
func Definitions() []Definition { return append([]Definition(nil), registry...) }

// Types returns the query types, in documentation order.
func Types() []Type {
	out := make([]Type, len(registry))
	for i, d := range registry {
		out[i] = d.Type
	}
	return out
}

// Lookup returns the definition of a query type.
func Lookup(t Type) (Definition, bool) {
	for _, d := range registry {
		if d.Type == t {
			return d, true
		}
	}
	return Definition{}, false
}

func typeNames() string {
	names := make([]string, len(registry))
	for i, d := range registry {
		names[i] = string(d.Type)
	}
	return strings.Join(names, ", ")
}

// Decode reads a query's JSON into the model of its type, and checks it. Unknown query
// types are an error that lists the valid ones; an empty type means counts, the first
// thing a new panel should show. Fields that the type does not have are ignored: an
// editor keeps the fields of the type it showed before, and Grafana adds its own.
func Decode(raw []byte) (Model, error) {
	empty := len(strings.TrimSpace(string(raw))) == 0
	var head struct {
		QueryType Type `json:"queryType"`
	}
	if !empty {
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, jsonError(err)
		}
	}
	if head.QueryType == "" {
		head.QueryType = Counts
	}
	def, ok := Lookup(head.QueryType)
	if !ok {
		return nil, invalidf("unknown queryType %q; use one of %s", head.QueryType, typeNames())
	}
	m := def.New()
	if !empty {
		if err := json.Unmarshal(raw, m); err != nil {
			return nil, jsonError(err)
		}
	}
	m.Base().QueryType = def.Type
	if err := m.Check(); err != nil {
		return nil, err
	}
	return m, nil
}

// jsonError says what is wrong with a query's JSON, naming the field when a value has
// the wrong type.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return invalidf("%s: want %s, not a JSON %s", te.Field, kindName(te.Type), te.Value)
	}
	return invalidf("the query is not valid JSON for Spacetime: %w", err)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// Encode writes a model as the query JSON, with its queryType.
func Encode(m Model) ([]byte, error) {
	m.Base().QueryType = m.Type()
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode a %s query: %w", m.Type(), err)
	}
	return b, nil
}

// Field is one field of the query JSON, for the command line's flags and help.
type Field struct {
	// Name is the field's JSON name.
	Name string
	// Flag is the command line's flag that sets it.
	Flag string
	// Arg names the flag's value in the help (DURATION, FIELD); Help says what the field
	// does, with Arg in it.
	Arg, Help string
	// Go is the field's Go type.
	Go reflect.Type
	// Types are the query types that have the field; nil for every type (Common).
	Types []Type
}

// Fields lists the fields of every query type's JSON, Common's first, then each type's
// in registry order, once each.
func Fields() []Field {
	var out []Field
	index := map[string]int{}
	add := func(st reflect.Type, typ Type) {
		for i := range st.NumField() {
			sf := st.Field(i)
			if sf.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if j, ok := index[name]; ok {
				if typ != "" {
					out[j].Types = append(out[j].Types, typ)
				}
				continue
			}
			f := Field{Name: name, Flag: sf.Tag.Get("flag"), Arg: sf.Tag.Get("arg"), Help: sf.Tag.Get("help"), Go: sf.Type}
			if f.Flag == "" {
				f.Flag = kebab(name)
			}
			if typ != "" {
				f.Types = []Type{typ}
			}
			index[name] = len(out)
			out = append(out, f)
		}
	}
	add(reflect.TypeOf(Common{}), "")
	for _, d := range registry {
		add(reflect.TypeOf(d.New()).Elem(), d.Type)
	}
	return out
}

// kebab writes a JSON name (levelField) as a flag name (level-field).
func kebab(name string) string {
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
