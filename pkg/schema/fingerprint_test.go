package schema

import (
	"strings"
	"testing"
)

const customYAML = `
key: ref
time: opened
columns:
  - {name: ref, type: string}
  - {name: opened, type: time}
  - {name: team, type: string, facet: true}
  - {name: notes, type: text, detail: true}
`

// TestHashIgnoresWording: a schema's hash follows its meaning, not its text: the same
// schema in JSON, with comments or with a default written out hashes alike, and the
// canonical form reads back into the same schema (a store keeps that form).
func TestHashIgnoresWording(t *testing.T) {
	a := mustParse(t, customYAML)
	b := mustParse(t, `# the same schema, in JSON, with notes' table flag written out
{"time": "opened", "key": "ref", "columns": [
  {"name": "ref", "type": "string"}, {"name": "opened", "type": "time"},
  {"name": "team", "type": "string", "facet": true},
  {"name": "notes", "type": "text", "detail": true, "table": false}]}`)
	if a.Hash() != b.Hash() {
		t.Errorf("the same schema hashes %s and %s", a.Hash(), b.Hash())
	}
	for _, s := range []*Schema{a, Default()} {
		back := mustParse(t, string(s.Canonical()))
		if back.Hash() != s.Hash() || !Compare(s, back).Same() {
			t.Errorf("Canonical does not read back into the same schema: %s", s.Canonical())
		}
	}
	if !strings.HasPrefix(a.Hash(), "sha256:") || len(a.Hash()) != len("sha256:")+64 {
		t.Errorf("hash %q", a.Hash())
	}
	if a.Hash() == Default().Hash() {
		t.Error("two different schemas hash alike")
	}
}

// TestCompare: what tells a reader that its schema reads the stored tickets wrongly.
func TestCompare(t *testing.T) {
	stored := mustParse(t, customYAML)
	tests := []struct {
		name           string
		used           string
		breaking, also string
	}{
		{"the same", customYAML, "", ""},
		{"the default schema", string(DefaultText()), `the key column is "id", not "ref"`, `adds the column(s) "id"`},
		{"a column left out", strings.Replace(customYAML, "  - {name: team, type: string, facet: true}\n", "", 1), `lacks the column(s) "team"`, ""},
		{"a column retyped", strings.Replace(customYAML, "{name: team, type: string", "{name: team, type: number", 1), "team is number, not string", ""},
		{"a column added", customYAML + "  - {name: region, type: string}\n", "", `adds the column(s) "region"`},
		{"a title", strings.Replace(customYAML, "facet: true}", "facet: true, title: Team}", 1), "", `shows the column(s) "team" otherwise`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare(stored, mustParse(t, tt.used))
			breaking, other := strings.Join(d.Breaking, "; "), strings.Join(d.Other, "; ")
			if (tt.breaking == "") != (breaking == "") || !strings.Contains(breaking, tt.breaking) {
				t.Errorf("breaking %q; want %q", breaking, tt.breaking)
			}
			if (tt.also == "") != (other == "") || !strings.Contains(other, tt.also) {
				t.Errorf("other %q; want %q", other, tt.also)
			}
			if d.Same() != (tt.breaking == "" && tt.also == "") {
				t.Errorf("Same() = %v", d.Same())
			}
		})
	}
}

func mustParse(t *testing.T, text string) *Schema {
	t.Helper()
	s, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
