package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

// queryFlag is a flag of `spacetime query` that sets one field of the query JSON. The
// flags are made from the query types' models (query.Fields): a field of any registered
// type has one, so that anything a panel can ask, the command line can.
type queryFlag struct {
	name  string // the flag
	field string // the query JSON field it sets
	kind  flagKind
	usage string
}

type flagKind int

const (
	stringFlag flagKind = iota
	intFlag
	boolFlag
	listFlagKind  // comma-separated or repeated: a JSON array of strings
	sortFlagKind  // comma-separated keys, -field sorts descending: a JSON array of sort keys
	adhocFlagKind // repeated KEY|OP|VALUE, as Grafana's dashboard URLs: ad hoc filters
)

var (
	sortKeysType = reflect.TypeOf([]schema.SortKey(nil))
	adhocType    = reflect.TypeOf([]filter.AdHocFilter(nil))
)

// queryFlags are the flags of the query's fields: every type's common fields first, then
// each type's own, in the registry's order.
func queryFlags() []queryFlag {
	var out []queryFlag
	for _, f := range query.Fields() {
		qf := queryFlag{name: f.Flag, field: f.Name, usage: f.Help}
		switch {
		case f.Go == sortKeysType:
			qf.kind = sortFlagKind
		case f.Go == adhocType:
			qf.kind = adhocFlagKind
		case f.Go.Kind() == reflect.Slice && f.Go.Elem().Kind() == reflect.String:
			qf.kind = listFlagKind
		case f.Go.Kind() == reflect.Int:
			qf.kind = intFlag
		case f.Go.Kind() == reflect.Bool:
			qf.kind = boolFlag
		case f.Go.Kind() == reflect.String:
			qf.kind = stringFlag
		default:
			panic(fmt.Sprintf("the query field %s is a %s, which no flag kind reads", f.Name, f.Go))
		}
		if f.Name == "queryType" {
			names := make([]string, 0, len(query.Types()))
			for _, t := range query.Types() {
				names = append(names, string(t))
			}
			qf.usage += ": " + strings.Join(names, ", ")
		}
		// flag.UnquoteUsage names the flag's value after the word in backquotes.
		if f.Arg != "" {
			qf.usage = strings.Replace(qf.usage, f.Arg, "`"+f.Arg+"`", 1)
		}
		if len(f.Types) > 0 {
			names := make([]string, len(f.Types))
			for i, t := range f.Types {
				names[i] = string(t)
			}
			qf.usage += " [" + strings.Join(names, ", ") + "]"
		}
		out = append(out, qf)
	}
	return out
}

// queryFlagValues defines the query flags on fs and returns a function that gives the
// JSON value of each flag the command line set, by query field.
func queryFlagValues(fs *flag.FlagSet) func() (map[string]any, error) {
	flags := queryFlags()
	values := make([]flag.Value, len(flags))
	for i, qf := range flags {
		switch qf.kind {
		case stringFlag:
			values[i] = new(stringValue)
		case intFlag:
			values[i] = new(intValue)
		case boolFlag:
			values[i] = new(boolValue)
		case listFlagKind, sortFlagKind:
			values[i] = new(listFlag)
		case adhocFlagKind:
			values[i] = new(repeatedFlag)
		}
		fs.Var(values[i], qf.name, qf.usage)
	}
	return func() (map[string]any, error) {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		out := map[string]any{}
		for i, qf := range flags {
			if !set[qf.name] {
				continue
			}
			switch v := values[i].(type) {
			case *stringValue:
				out[qf.field] = string(*v)
			case *intValue:
				out[qf.field] = int(*v)
			case *boolValue:
				out[qf.field] = bool(*v)
			case *listFlag:
				if qf.kind == sortFlagKind {
					out[qf.field] = parseSort(*v)
				} else {
					out[qf.field] = []string(*v)
				}
			case *repeatedFlag:
				filters, err := filter.ParseURLFilters(*v)
				if err != nil {
					return nil, fmt.Errorf("--%s: %w", qf.name, err)
				}
				out[qf.field] = filters
			}
		}
		return out, nil
	}
}

// overlay sets the fields of the query JSON raw (an object, or empty) to values.
func overlay(raw []byte, values map[string]any) ([]byte, error) {
	obj := map[string]any{}
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("the query is not a JSON object: %w", err)
		}
	}
	for k, v := range values {
		obj[k] = v
	}
	return json.Marshal(obj)
}

// queryHelp writes the query types, from package query's registry, and the flags that
// set the query's fields, for `query -h`.
func queryHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "Query types:")
	for _, d := range query.Definitions() {
		fmt.Fprintf(w, "  %-10s %s\n", d.Type, d.About)
	}
	fmt.Fprintln(w, "\nQuery fields (each flag sets the field of the query JSON named in parentheses; in")
	fmt.Fprintln(w, "brackets, the query types that have it, when not all):")
	for _, qf := range queryFlags() {
		printFlag(w, fs.Lookup(qf.name), "("+qf.field+")")
	}
}

type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v = intValue(n)
	return nil
}

type boolValue bool

func (v *boolValue) String() string { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v = boolValue(b)
	return nil
}

// IsBoolFlag lets the flag be given without a value, as flag.Bool's.
func (v *boolValue) IsBoolFlag() bool { return true }
