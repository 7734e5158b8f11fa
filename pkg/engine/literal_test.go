package engine

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestLiteralMatchAgreesWithTheRegexp: the word search that stands in for simple
// regular expressions gives the expression's own answer, and is used only for them.
func TestLiteralMatchAgreesWithTheRegexp(t *testing.T) {
	patterns := []struct {
		re      string
		literal bool
	}{
		{"disk", true},
		{"(?i)disk|memory", true},
		{"(?i)5XX error", true},
		{"timeout|refused|broken", true},
		{"refused|reset", false}, // factored into re(?:fused|set)
		{"(?i)k", true},
		{"disk|dist", false}, // factored into dis[kt]
		{"^disk", false},
		{"disk$", false},
		{"d.sk", false},
		{"(?i)straße", false}, // not ASCII
		{"a|(?i)b", false},    // mixed folding
		{"", false},
	}
	texts := []string{"", "disk full", "DISK FULL", "Disk", "memory", "MEMORY leak", "5xx ERROR rate", "k", "K", "\u212a", "straße", "STRASSE",
		"connection refused", "reset by peer", "no match here", "diskette", "ſ", "dis k"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("diskDISKmeoryMEORYktK\u212a ſé")
	for range 300 {
		r := make([]rune, rng.IntN(12))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		texts = append(texts, string(r))
	}
	for _, p := range patterns {
		re := regexp.MustCompile(p.re)
		m := literalMatch(re)
		if (m != nil) != p.literal {
			t.Fatalf("%q: word search used: %v, want %v", p.re, m != nil, p.literal)
		}
		if m == nil {
			continue
		}
		for _, s := range texts {
			if got, want := m(s), re.MatchString(s); got != want {
				t.Fatalf("%q on %q: %v, the regexp says %v", p.re, s, got, want)
			}
		}
	}
}
