package filter

import (
	"errors"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/schema"
)

// FuzzParse checks that no input makes Parse panic, that errors point inside the text, and
// that the canonical form is stable: whenever Parse succeeds, Parse(String()) succeeds and
// prints the same. When the filter also checks against the default schema, its checked form
// must read back as the same checked filter, since the engine caches on that string.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		``,
		`service = "checkout" and (region =~ "^eu-" or severity <= 2)`,
		`not a = 1 and b != 2 or c < 3 and d <= 4 or e > 5 and f >= 6`,
		`title contains 'disk' and description not contains "full\n"`,
		`severity in (1, 2.5, -3e2) and status not in ("closed", 'done')`,
		`resolved is null or resolved IS NOT NULL or updated = null or id != NULL`,
		`region !~ "x[a-z]+" and not not (a = true or b = FALSE)`,
		"`first name` = \"Ada\" and `in` = 1 and assignee-group = \"db\"",
		`a = "\u00e9\uD83D\uDE00\t\\\"\'"`,
		`created > "2024-05-01T12:00:00Z" and created < 1714566600000`,
		`a = 1.50 and b = -0 and c = 1e+06`,
		`((a = 1 or (b = 2)) and c = 3)`,
		`a in (1,`,
		`a = "unterminated`,
	} {
		f.Add(seed)
	}
	s := schema.Default()
	f.Fuzz(func(t *testing.T, text string) {
		e, err := Parse(text)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q) returned %T, want *Error", text, err)
			}
			if fe.Pos < 0 || fe.Pos > len(text) {
				t.Fatalf("Parse(%q): position %d outside the text (%d bytes)", text, fe.Pos, len(text))
			}
			if fe.Msg == "" {
				t.Fatalf("Parse(%q): empty message", text)
			}
			return
		}
		if e == nil {
			if strings.Trim(text, " \t\r\n") != "" {
				t.Fatalf("Parse(%q) = nil, nil for a non-blank text", text)
			}
			return
		}
		printed := e.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", text, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("Parse(%q) printed %q, which prints %q", text, printed, again.String())
		}
		checked, err := Check(e, s)
		if err != nil {
			return
		}
		canon := checked.String()
		reparsed, err := Parse(canon)
		if err != nil {
			t.Fatalf("checked %q prints %q, which does not parse: %v", text, canon, err)
		}
		rechecked, err := Check(reparsed, s)
		if err != nil {
			t.Fatalf("checked %q prints %q, which does not check: %v", text, canon, err)
		}
		if rechecked.String() != canon {
			t.Fatalf("checked %q prints %q, which rechecks as %q", text, canon, rechecked.String())
		}
	})
}
