package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/query"
)

// queryFlag is a flag of `spacetime query` that sets one field of the query JSON. Every
// field of the query model has one (help_test.go checks it), so that anything a panel
// can ask, the command line can.
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
	sortFlagKind  // comma-separated keys, -field descending: a JSON array of sort keys
	adhocFlagKind // repeated KEY|OP|VALUE, as Grafana's dashboard URLs: ad hoc filters
)

// queryFlags are the flags of the query's fields, in the order of the query model.
func queryFlags() []queryFlag {
	types := make([]string, len(query.Types))
	for i, t := range query.Types {
		types[i] = string(t)
	}
	return []queryFlag{
		{"type", "queryType", stringFlag, "the query `TYPE`: " + strings.Join(types, ", ") + " (default " + string(query.Counts) + "; see above)"},
		{"filter", "filter", stringFlag, "a filter expression `EXPR`, e.g. 'service = \"checkout\" and severity <= 2'"},
		{"viewer-filter", "viewerFilter", stringFlag, "a viewer's filter expression `EXPR`, ANDed; with an error it is left out, with a notice, unless -check-viewer-filter"},
		{"check-viewer-filter", "checkViewerFilter", boolFlag, "make an error in -viewer-filter the query's error"},
		{"adhoc", "adhocFilters", adhocFlagKind, "an ad hoc filter as a dashboard URL writes it, `KEY|OP|VALUE`, e.g. 'service|=|checkout' (repeatable; ANDed)"},
		{"search", "search", stringFlag, "mark the rows that contain these `WORDS` (tickets, logs); it removes none"},
		{"no-default-filter", "noDefaultFilter", boolFlag, "switch off the schema's default filter"},
		{"time-field", "timeField", stringFlag, "the time `FIELD` the range applies to (default: the schema's)"},
		{"field", "field", stringFlag, "the `FIELD` of a breakdown, values or movers query"},
		{"split-by", "splitBy", stringFlag, "split counts or spike series by this `FIELD`"},
		{"top", "top", intFlag, "the `N` series, slices or movers kept, before \"other\" (default 10)"},
		{"filter-field", "filterField", boolFlag, "add to a breakdown or movers frame the field adhocFilter: each row's filter as a URL writes it (data links)"},
		{"bucket", "bucket", stringFlag, "the counts bucket width, or the spike step, a `DURATION` such as 5m, 1h, 1d (default: fit the range)"},
		{"columns", "columns", listFlagKind, "the `COLUMNS` of a tickets query, or the fields a logs line shows, comma-separated"},
		{"sort", "sort", sortFlagKind, "the sort `KEYS` of a tickets query, comma-separated; -field sorts descending"},
		{"limit", "limit", intFlag, "the `N` rows (tickets, logs) or values (values) to return"},
		{"prefix", "prefix", stringFlag, "keep the values starting with `PREFIX` (values)"},
		{"window", "window", stringFlag, "the recent period of a spike query, a `DURATION` (default " + duration.Format(query.DefaultSpikeWindow) + ")"},
		{"baseline", "baseline", stringFlag, "the period, a `DURATION`, before that a spike (default " + duration.Format(query.DefaultSpikeBaseline) +
			"), movers or stats query (default: as long as the range) compares with"},
		{"series", "series", listFlagKind, "the `MEASURES` of a spike query, comma-separated: " + strings.Join(frames.SpikeMeasures, ", ") + " (default: all)"},
		{"level-field", "levelField", stringFlag, "the column, a `FIELD`, that a logs query maps onto each line's level (default: one named severity, sev, priority or level)"},
		{"live", "live", boolFlag, "set the live option, which the frontend reads (the panel keeps current through Grafana Live); the answer is the same"},
	}
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

// queryHelp writes the query types, from package query's list, and the flags that set
// the query's fields, in the order of the query model, for `query -h`.
func queryHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "Query types:")
	for _, t := range query.Types {
		fmt.Fprintf(w, "  %-10s %s\n", t, query.About[t])
	}
	fmt.Fprintln(w, "\nQuery fields (each flag sets the field of the query JSON named in parentheses):")
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
