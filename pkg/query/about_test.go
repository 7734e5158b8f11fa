package query

import "testing"

// TestAboutEveryType: the command line's help lists Types with their About line; a type
// without one, or a line for no type, is a help that drifted.
func TestAboutEveryType(t *testing.T) {
	for _, typ := range Types {
		if About[typ] == "" {
			t.Errorf("query type %q has no About line", typ)
		}
	}
	if len(About) != len(Types) {
		t.Errorf("About has %d lines for %d types", len(About), len(Types))
	}
}
