package query

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/duration"
)

// TestRegistry: every registered type has its line, a model of its own type, and decodes
// into that model; no type is registered twice.
func TestRegistry(t *testing.T) {
	seen := map[Type]bool{}
	for _, d := range Definitions() {
		if seen[d.Type] {
			t.Errorf("%s is registered twice", d.Type)
		}
		seen[d.Type] = true
		if d.About == "" {
			t.Errorf("%s has no About line", d.Type)
		}
		m := d.New()
		if m.Type() != d.Type {
			t.Errorf("the model of %s says it is %s", d.Type, m.Type())
		}
		got, err := Decode([]byte(`{"queryType":"` + string(d.Type) + `"}`))
		if err != nil || reflect.TypeOf(got) != reflect.TypeOf(m) || got.Base().QueryType != d.Type {
			t.Errorf("decoding a %s query: %T, %v", d.Type, got, err)
		}
	}
	if want := []Type{Counts, Breakdown, Tickets, Stats, Values, Logs, Spike, Movers, Patterns, Localize}; !slices.Equal(Types(), want) {
		t.Errorf("Types() = %v; want %v, in documentation order", Types(), want)
	}
}

// flatFields are the query JSON's fields when one flat model served every type, in its
// order, and the fields added since, which the frontend and the dashboards learned: "live"
// (Grafana Live), "dimensions" and "summary" (localize; summary for alert rules). The JSON that dashboards hold and the frontend
// sends must keep reading the same.
var flatFields = []string{"queryType", "filter", "viewerFilter", "checkViewerFilter", "adhocFilters", "search", "noDefaultFilter", "timeField", "live",
	"field", "splitBy", "top", "filterField", "bucket", "columns", "sort", "limit", "prefix", "window", "baseline", "series", "levelField",
	"dimensions", "summary"}

// TestJSONStaysCompatible: each model's fields are fields of the old flat model, in its
// order (so that the dashboards' JSON, written from the models, is unchanged), and every
// old field belongs to some type, with a flag and help for the command line.
func TestJSONStaysCompatible(t *testing.T) {
	for _, d := range Definitions() {
		var names []string
		for _, f := range jsonNames(reflect.TypeOf(d.New()).Elem()) {
			names = append(names, f)
		}
		last := -1
		for _, n := range names {
			i := slices.Index(flatFields, n)
			if i < 0 {
				t.Errorf("%s has the field %s, which the query JSON never had: the frontend and dashboards must learn it first", d.Type, n)
			} else if i < last {
				t.Errorf("%s: the field %s comes out of the flat model's order", d.Type, n)
			}
			last = max(last, i)
		}
	}
	var all []string
	for _, f := range Fields() {
		all = append(all, f.Name)
		if f.Help == "" || f.Flag == "" {
			t.Errorf("the field %s has no help or no flag", f.Name)
		}
	}
	for _, n := range flatFields {
		if !slices.Contains(all, n) {
			t.Errorf("no query type has the field %s any more", n)
		}
	}
	// The defaults that the help states are the code's.
	for _, f := range Fields() {
		for name, def := range map[string]string{"window": "default " + duration.Format(DefaultSpikeWindow), "baseline": "default " + duration.Format(DefaultSpikeBaseline)} {
			if f.Name == name && !strings.Contains(f.Help, def) {
				t.Errorf("the help of %s does not say %q: %q", name, def, f.Help)
			}
		}
	}
}

func jsonNames(st reflect.Type) []string {
	var out []string
	for i := range st.NumField() {
		sf := st.Field(i)
		if sf.Anonymous {
			out = append(out, jsonNames(sf.Type)...)
			continue
		}
		if name, _, _ := strings.Cut(sf.Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// TestDecodeChecksEachType: a query is checked when decoded, with an error naming the
// field; a field that its type does not have is ignored, as before.
func TestDecodeChecksEachType(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`{"queryType":"tickets","limit":"ten"}`, "limit: want a whole number, not a JSON string"},
		{`{"queryType":"tickets","limit":-1}`, "limit must not be negative"},
		{`{"queryType":"spike","window":"soon"}`, "window:"},
		{`{"queryType":"spike","window":"1h","baseline":"10m"}`, "baseline: 10m is shorter than the window"},
		{`{"queryType":"spike","series":["rates"]}`, `series: unknown measure "rates"`},
		{`{"queryType":"stats","baseline":"yesterday"}`, "baseline:"},
		{`{"queryType":"movers","baseline":"-1h"}`, "baseline:"},
		{`{"queryType":"counts","adhocFilters":{"key":"x"}}`, "adhocFilters: want a list, not a JSON object"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.raw))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an invalid query saying %q", tt.raw, err, tt.want)
		}
	}
	// Fields of other types are ignored: an editor keeps those of the type it showed before.
	for _, raw := range []string{`{"queryType":"stats","window":"soon","limit":-1}`, `{"queryType":"counts","series":["rates"],"prefix":3}`} {
		if _, err := Decode([]byte(raw)); err != nil {
			t.Errorf("%s: %v; want the fields of other types ignored", raw, err)
		}
	}
	m, err := Decode([]byte(`{"queryType":"breakdown","field":"service","top":5,"filterField":true,"filter":"x = 1","window":"1h"}`))
	b, ok := m.(*BreakdownQuery)
	if err != nil || !ok || b.Field != "service" || b.Top != 5 || !b.FilterField || b.Filter != "x = 1" {
		t.Errorf("Decode = %#v, %v", m, err)
	}
	out, err := Encode(&BreakdownQuery{Field: "service", Top: 5})
	if err != nil || string(out) != `{"queryType":"breakdown","field":"service","top":5}` {
		t.Errorf("Encode = %s, %v", out, err)
	}
}

// TestDocsListEveryType: the query reference lists every registered type in its table of
// what each type returns, so that a new type cannot ship undocumented.
func TestDocsListEveryType(t *testing.T) {
	raw, err := os.ReadFile("../../docs/queries-and-filters.md")
	if err != nil {
		t.Fatalf("the query reference: %v", err)
	}
	for _, typ := range Types() {
		if !strings.Contains(string(raw), "\n| `"+string(typ)+"` |") {
			t.Errorf("docs/queries-and-filters.md has no row for the query type %s", typ)
		}
	}
}
