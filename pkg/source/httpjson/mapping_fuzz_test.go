package httpjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
)

// FuzzMapping reads a mapping (the settings' YAML) and an item of an API's answer (JSON)
// as the source does: no input may make it panic, a refused mapping says why, a mapped
// object holds only mapped columns and values that encode as JSON, and the object then
// becomes a ticket or a reject with a reason. A mapping line of one plain name picks that
// member of the item when it is a scalar.
func FuzzMapping(f *testing.F) {
	for _, p := range presets {
		var b strings.Builder
		for _, col := range p.mapping.Columns() {
			for _, path := range p.mapping[col].Paths {
				b.WriteString(col + ": " + path.String() + "\n")
				break
			}
		}
		f.Add(b.String(), []byte(`{"key": "OPS-1", "fields": {"summary": "disk full", "status": {"name": "Open"},
			"priority": {"name": "Highest"}, "components": [{"name": "db"}, {"name": "web"}], "created": "2026-11-20T10:00:00Z"}}`))
	}
	f.Add("id: id\nseverity: {path: urgency, values: {high: 2, low: 4}}\nservice: [service.summary, service.name]\n",
		[]byte(`{"id": "P1", "urgency": "high", "service": {"summary": "checkout"}, "created_at": 1700000000}`))
	f.Add("title: {path: labels[].name, pattern: 'sev(\\d)'}\nid: number\nregion: {value: eu-west-1}\n",
		[]byte(`{"number": 7, "labels": [{"name": "sev2"}, {"name": "bug"}], "title": null}`))
	f.Add("id: a[0][1].b\ntitle: $.x.y[*]\n", []byte(`{"a": [[0, {"b": "k"}]], "x": {"y": ["p", "q", ["r"]]}}`))
	f.Add("- not a mapping\n", []byte(`[]`))
	f.Add("id: a[\n", []byte(`{}`))
	f.Add("id: {values: {}}\n", []byte(`"text"`))
	s := schema.Default()
	f.Fuzz(func(t *testing.T, mapping string, doc []byte) {
		m, err := ParseMapping(mapping)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseMapping(%q): an error without a message", mapping)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var item any
		if dec.Decode(&item) != nil {
			return
		}
		obj := m.apply(item)
		for col, v := range obj {
			if _, ok := m[col]; !ok {
				t.Fatalf("apply gave the column %q, which the mapping does not have", col)
			}
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("apply gave %s = %#v, which does not encode: %v", col, v, err)
			}
		}
		for col, fd := range m {
			if len(fd.Paths) != 1 || fd.Values != nil || fd.Pattern != nil || fd.Const != nil || len(fd.Paths[0].steps) != 1 {
				continue
			}
			st := fd.Paths[0].steps[0]
			o, ok := item.(map[string]any)
			if st.index != -1 || !ok {
				continue
			}
			want, there := o[st.name]
			switch want.(type) {
			case string, json.Number, bool:
			default:
				continue // objects become their JSON text; arrays are read element by element
			}
			if there && !isEmpty(want) {
				if got := obj[col]; !reflect.DeepEqual(got, want) {
					t.Fatalf("the path %q on %s gave %#v, want the member %#v", fd.Paths[0], doc, got, want)
				}
			}
		}
		om, err := source.NewObjectMapper(s, ingest.MapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b source.Batch
		om.Add(&b, obj, "fuzz")
		if len(b.Records)+len(b.Rejects) != 1 {
			t.Fatalf("one object gave %d records and %d rejects", len(b.Records), len(b.Rejects))
		}
		if len(b.Rejects) == 1 && b.Rejects[0].Reason == "" {
			t.Fatalf("a reject without a reason for %v", obj)
		}
	})
}

// FuzzPath compiles a JSON path and reads it out of any JSON value: no panic, a refused
// path says why, the text reads back as the same path, and what it finds encodes as JSON.
func FuzzPath(f *testing.F) {
	for _, seed := range []string{"", "$", "a", "a.b.c", "a[0]", "a[].b", "a[*][2].c", "$.x.0.y", "a..b", "a[", "a[x]", "a]b", "[3]", "a[-1]"} {
		f.Add(seed, []byte(`{"a": [{"b": 1, "c": [true, null]}, {"b": "two"}], "x": [{"y": "z"}]}`))
	}
	f.Fuzz(func(t *testing.T, text string, doc []byte) {
		p, err := ParsePath(text)
		if err != nil {
			if !strings.Contains(err.Error(), "path") {
				t.Fatalf("ParsePath(%q): %v does not say it is about the path", text, err)
			}
			return
		}
		if p.String() != text {
			t.Fatalf("ParsePath(%q).String() = %q", text, p.String())
		}
		again, err := ParsePath(p.String())
		if err != nil || !reflect.DeepEqual(again.steps, p.steps) {
			t.Fatalf("ParsePath(%q) does not read back: %v", text, err)
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		if _, err := json.Marshal(p.Get(v)); err != nil {
			t.Fatalf("%q in %s gave a value that does not encode: %v", text, doc, err)
		}
	})
}
