package filter

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// dump writes a tree as an s-expression with the kind of every literal. It is written
// independently of the printer, so the tests can pin the structure (precedence,
// flattening, literal kinds) separately from the canonical text.
func dump(e Expr) string {
	lit := func(l Literal) string {
		switch l.Kind {
		case LitString:
			return "s:" + strconv.Quote(l.S)
		case LitNumber:
			return "n:" + strconv.FormatFloat(l.N, 'g', -1, 64)
		case LitBool:
			return "b:" + strconv.FormatBool(l.B)
		case LitTime:
			return "t:" + l.T.UTC().Format("2006-01-02T15:04:05.999999999Z")
		}
		return "?:" + strconv.Quote(l.S)
	}
	terms := func(head string, ts []Expr) string {
		parts := []string{head}
		for _, t := range ts {
			parts = append(parts, dump(t))
		}
		return "(" + strings.Join(parts, " ") + ")"
	}
	switch n := e.(type) {
	case nil:
		return "nil"
	case *And:
		return terms("and", n.Terms)
	case *Or:
		return terms("or", n.Terms)
	case *Not:
		return "(not " + dump(n.X) + ")"
	case *Compare:
		return "(" + string(n.Op) + " " + strconv.Quote(n.Field) + " " + lit(n.Value) + ")"
	case *In:
		head := "in"
		if n.Negate {
			head = "notin"
		}
		parts := []string{head, strconv.Quote(n.Field)}
		for _, v := range n.Values {
			parts = append(parts, lit(v))
		}
		return "(" + strings.Join(parts, " ") + ")"
	case *IsNull:
		if n.Negate {
			return "(notnull " + strconv.Quote(n.Field) + ")"
		}
		return "(null " + strconv.Quote(n.Field) + ")"
	}
	return "?"
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		canon string // the canonical String()
		tree  string // dump of the tree
	}{
		{"equal string", `service = "checkout"`, `service = "checkout"`, `(= "service" s:"checkout")`},
		{"no spaces", `service="checkout"`, `service = "checkout"`, `(= "service" s:"checkout")`},
		{"not equal", `a != 1`, `a != 1`, `(!= "a" n:1)`},
		{"less", `a < 1`, `a < 1`, `(< "a" n:1)`},
		{"less or equal", `a<=1`, `a <= 1`, `(<= "a" n:1)`},
		{"greater", `a > 1`, `a > 1`, `(> "a" n:1)`},
		{"greater or equal", `a>=1`, `a >= 1`, `(>= "a" n:1)`},
		{"regex", `a =~ "^eu-"`, `a =~ "^eu-"`, `(=~ "a" s:"^eu-")`},
		{"not regex", `a !~ 'x|y'`, `a !~ "x|y"`, `(!~ "a" s:"x|y")`},
		{"contains", `title contains "disk"`, `title contains "disk"`, `(contains "title" s:"disk")`},
		{"not contains", `title NOT CONTAINS "disk"`, `title not contains "disk"`, `(not contains "title" s:"disk")`},
		{"contains number", `title contains 500`, `title contains 500`, `(contains "title" n:500)`},
		{"in", `a in (1, "b", true)`, `a in (1, "b", true)`, `(in "a" n:1 s:"b" b:true)`},
		{"in one", `a in("x")`, `a in ("x")`, `(in "a" s:"x")`},
		{"not in", `a not in ("x","y")`, `a not in ("x", "y")`, `(notin "a" s:"x" s:"y")`},
		{"is null", `a is null`, `a is null`, `(null "a")`},
		{"is not null", `a IS NOT NULL`, `a is not null`, `(notnull "a")`},
		{"equal null sugar", `a = null`, `a is null`, `(null "a")`},
		{"not equal null sugar", `a != Null`, `a is not null`, `(notnull "a")`},
		{"bool", `a = TRUE`, `a = true`, `(= "a" b:true)`},
		{"false", `a != false`, `a != false`, `(!= "a" b:false)`},

		{"and over or", `a = 1 or b = 2 and c = 3`, `a = 1 or b = 2 and c = 3`, `(or (= "a" n:1) (and (= "b" n:2) (= "c" n:3)))`},
		{"and over or, left", `a = 1 and b = 2 or c = 3`, `a = 1 and b = 2 or c = 3`, `(or (and (= "a" n:1) (= "b" n:2)) (= "c" n:3))`},
		{"not over and", `not a = 1 and b = 2`, `not a = 1 and b = 2`, `(and (not (= "a" n:1)) (= "b" n:2))`},
		{"parens override", `(a = 1 or b = 2) and c = 3`, `(a = 1 or b = 2) and c = 3`, `(and (or (= "a" n:1) (= "b" n:2)) (= "c" n:3))`},
		{"needless parens dropped", `((a = 1)) and (b = 2)`, `a = 1 and b = 2`, `(and (= "a" n:1) (= "b" n:2))`},
		{"and flattened", `a = 1 and (b = 2 and c = 3)`, `a = 1 and b = 2 and c = 3`, `(and (= "a" n:1) (= "b" n:2) (= "c" n:3))`},
		{"or flattened", `(a = 1 or b = 2) or c = 3`, `a = 1 or b = 2 or c = 3`, `(or (= "a" n:1) (= "b" n:2) (= "c" n:3))`},
		{"or in and in or", `a = 1 or (b = 2 or c = 3) and d = 4`, `a = 1 or (b = 2 or c = 3) and d = 4`, `(or (= "a" n:1) (and (or (= "b" n:2) (= "c" n:3)) (= "d" n:4)))`},
		{"not of group", `NOT (a = 1 OR b = 2)`, `not (a = 1 or b = 2)`, `(not (or (= "a" n:1) (= "b" n:2)))`},
		{"double not", `not not a = 1`, `not not a = 1`, `(not (not (= "a" n:1)))`},
		{"not of not in", `not a not in (1)`, `not a not in (1)`, `(not (notin "a" n:1))`},
		{"tight punctuation", `(a=1)or(b!="x")and c>=2`, `a = 1 or b != "x" and c >= 2`, `(or (= "a" n:1) (and (!= "b" s:"x") (>= "c" n:2)))`},
		{"keywords any case", `a = 1 AnD b = 2 oR NoT c = 3`, `a = 1 and b = 2 or not c = 3`, `(or (and (= "a" n:1) (= "b" n:2)) (not (= "c" n:3)))`},
		{"whitespace", " \t a\n=\r\n1 \n", `a = 1`, `(= "a" n:1)`},

		{"double-quote escape", `a = "say \"hi\""`, `a = "say \"hi\""`, `(= "a" s:"say \"hi\"")`},
		{"single quotes", `a = 'it\'s "x"'`, `a = "it's \"x\""`, `(= "a" s:"it's \"x\"")`},
		{"backslash", `a = "c:\\tmp"`, `a = "c:\\tmp"`, `(= "a" s:"c:\\tmp")`},
		{"newline and tab", `a = "x\ny\tz\r"`, `a = "x\ny\tz\r"`, `(= "a" s:"x\ny\tz\r")`},
		{"raw newline in string", "a = \"x\ny\"", `a = "x\ny"`, `(= "a" s:"x\ny")`},
		{"unicode escape", `a = "caf\u00e9"`, `a = "café"`, `(= "a" s:"café")`},
		{"surrogate pair", `a = "\uD83D\uDE00"`, `a = "😀"`, `(= "a" s:"😀")`},
		{"control character", `a = "\u0001"`, `a = "\u0001"`, `(= "a" s:"\x01")`},
		{"utf-8 kept", `a = "日本"`, `a = "日本"`, `(= "a" s:"日本")`},
		{"empty string", `a = ""`, `a = ""`, `(= "a" s:"")`},

		{"negative", `a > -3`, `a > -3`, `(> "a" n:-3)`},
		{"decimal", `a = 0.25`, `a = 0.25`, `(= "a" n:0.25)`},
		{"exponent", `a = -1.5e3`, `a = -1.5e3`, `(= "a" n:-1500)`},
		{"exponent sign", `a < 25E-2`, `a < 25E-2`, `(< "a" n:0.25)`},
		{"number kept as written", `a = 1.50`, `a = 1.50`, `(= "a" n:1.5)`},

		{"dash in name", `assignee-group = "db"`, `assignee-group = "db"`, `(= "assignee-group" s:"db")`},
		{"dots and underscores", `_a.b_c9 = 1`, `_a.b_c9 = 1`, `(= "_a.b_c9" n:1)`},
		{"name case kept", `Service = 1`, `Service = 1`, `(= "Service" n:1)`},
		{"backquoted plain name", "`service` = 1", `service = 1`, `(= "service" n:1)`},
		{"backquoted with space", "`first name` = 1", "`first name` = 1", `(= "first name" n:1)`},
		{"backquoted keyword", "`in` = 1", "`in` = 1", `(= "in" n:1)`},
		{"backquoted keyword any case", "`NULL` is null", "`NULL` is null", `(null "NULL")`},
		{"backquoted leading digit", "`1st` = 1", "`1st` = 1", `(= "1st" n:1)`},
		{"backquote in name", "`a\\`b` = 1", "`a\\`b` = 1", "(= \"a`b\" n:1)"},
		{"keyword prefix is a name", `notes = "x" and index = 1 and order = 2`, `notes = "x" and index = 1 and order = 2`, `(and (= "notes" s:"x") (= "index" n:1) (= "order" n:2))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got := e.String(); got != tt.canon {
				t.Errorf("String() = %s\n want %s", got, tt.canon)
			}
			if got := dump(e); got != tt.tree {
				t.Errorf("tree = %s\n want %s", got, tt.tree)
			}
			again, err := Parse(e.String())
			if err != nil {
				t.Fatalf("reparse of %q: %v", e.String(), err)
			}
			if dump(again) != dump(e) || again.String() != e.String() {
				t.Errorf("round trip changed the filter: %s -> %s", dump(e), dump(again))
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, text := range []string{"", " ", "\n\t  \r\n"} {
		e, err := Parse(text)
		if e != nil || err != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, nil", text, e, err)
		}
	}
}

func TestParsePositions(t *testing.T) {
	e, err := Parse(`a = 1 and (b = "x" or not c is null) and d in (1, 2)`)
	if err != nil {
		t.Fatal(err)
	}
	and := e.(*And)
	or := and.Terms[1].(*Or)
	not := or.Terms[1].(*Not)
	in := and.Terms[2].(*In)
	cmp := or.Terms[0].(*Compare)
	checks := []struct {
		what      string
		got, want int
	}{
		{"and", and.Pos(), 0},
		{"or (its first term)", or.Pos(), 11},
		{"compare (its field)", cmp.Pos(), 11},
		{"compare value", cmp.Value.At, 15},
		{"not", not.Pos(), 22},
		{"is null", not.X.Pos(), 26},
		{"in", in.Pos(), 41},
		{"second list value", in.Values[1].At, 50},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s at %d, want %d", c.what, c.got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("(", maxDepth+1) + "a = 1" + strings.Repeat(")", maxDepth+1)
	tests := []struct {
		name string
		text string
		pos  int
		msg  string // the whole message, or a prefix when it ends in "..."
	}{
		{"missing value", `severity =`, 10, `expected a value after "=", found end of input`},
		{"missing value before and", `a < and b = 1`, 4, `expected a value after "<", found "and"`},
		{"unclosed paren", `(a = 1`, 6, `expected ")" to close "(" at position 1, found end of input`},
		{"junk before close paren", `x = 2 and (a = 1 b = 2)`, 17, `expected ")" to close "(" at position 11, found "b"`},
		{"unmatched close paren", `a = 1)`, 5, `unexpected ")" without a matching "("`},
		{"empty parens", `()`, 1, `expected a filter after "(", found ")"`},
		{"unterminated string", `title = "abc`, 12, `unterminated string starting at position 9: add the closing "`},
		{"unterminated single-quoted", `title = 'abc`, 12, `unterminated string starting at position 9: add the closing '`},
		{"unterminated field", "`abc = 1", 8, "unterminated field name starting at position 1: add the closing `"},
		{"empty field", "`` = 1", 0, "empty field name ``"},
		{"unknown escape", `a = "\d+"`, 5, `unknown escape "\d"; the escapes are ...`},
		{"short unicode escape", `a = "\u12"`, 5, `expected 4 hex digits after \u`},
		{"bad unicode escape", `a = "\u12zz"`, 5, `expected 4 hex digits after \u, found "12zz"`},
		{"lone high surrogate", `a = "\uD83Dx"`, 5, `\uD83D is the first half of a surrogate pair; ...`},
		{"lone low surrogate", `a = "\uDE00"`, 5, `\uDE00 is the second half of a surrogate pair without the first`},
		{"backslash at end", `a = "x\`, 6, `a backslash at the end of the input escapes nothing`},
		{"bad regex", `a =~ "(x"`, 5, `invalid regular expression "(x": missing closing )`},
		{"bad regex part", `a !~ "x[a-"`, 5, `invalid regular expression "x[a-": missing closing ] in "[a-"`},
		{"regex needs string", `a =~ 5`, 5, `expected a quoted regular expression after "=~", found the number 5`},
		{"unexpected character", `a = 1 # b`, 6, `unexpected character "#"`},
		{"ampersands", `a = 1 && b = 2`, 6, `unexpected "&"; write "and"`},
		{"pipes", `a = 1 || b = 2`, 6, `unexpected "|"; write "or"`},
		{"bang", `!a = 1`, 0, `unexpected "!"; write "not" to negate, or "!=" or "!~" to compare`},
		{"double equals", `a == 1`, 2, `"==" is not an operator; write "="`},
		{"sql not equal", `a <> 1`, 2, `"<>" is not an operator; write "!="`},
		{"arrow", `a => 1`, 2, `"=>" is not an operator; write ">="`},
		{"keyword as field", `and a = 1`, 0, "expected a field name, found the keyword \"and\" (write `and` for a field of that name)"},
		{"number as field", `5 = a`, 0, `expected a field name, found the number 5`},
		{"string as field", `"a" = 1`, 0, "expected a field name, found the string \"a\" (field names are bare words or `backquoted`; a quoted string is a value)"},
		{"missing operator", `service`, 7, `expected an operator after "service" (one of = != < <= > >= =~ !~ contains, not contains, in, not in, is null, is not null), found end of input`},
		{"value as operator", `service "x"`, 8, `expected an operator after "service" (...`},
		{"missing connective", `a = 1 b = 2`, 6, `expected "and", "or" or the end of the filter, found "b"`},
		{"dangling and", `a = 1 and`, 9, `expected a filter after "and", found end of input`},
		{"double or", `a = 1 or or b = 2`, 9, `expected a filter after "or", found "or"`},
		{"dangling not", `not`, 3, `expected a filter after "not", found end of input`},
		{"is without null", `a is 1`, 5, `expected "null" or "not null" after "is", found the number 1`},
		{"is not without null", `a is not "x"`, 9, `expected "null" after "is not", found the string "x"`},
		{"in without list", `a in 1`, 5, `expected "(" after "in", found the number 1`},
		{"not in without list", `a not in x`, 9, `expected "(" after "not in", found "x"`},
		{"empty list", `a in ()`, 6, `expected a value in the list of "in", found ")" (the list cannot be empty)`},
		{"trailing comma", `a in (1, 2,)`, 11, `expected a value after ",", found ")"`},
		{"missing comma", `a in (1 2)`, 8, `expected "," or ")" to close the list opened at position 6, found the number 2`},
		{"unclosed list", `a in (1`, 7, `expected "," or ")" to close the list opened at position 6, found end of input`},
		{"null in list", `a in (1, null)`, 9, `null cannot be in a list; write "a is null" and join it with "or"`},
		{"null with less", `a < null`, 4, `null can only follow = or != (or write "a is null"), not "<"`},
		{"bare word value", `status = open`, 9, `expected a value after "=", found "open"; text must be quoted: "open"`},
		{"field as value", "status = `open`", 9, "expected a value after \"=\", found the field `open`; text must be quoted: \"open\""},
		{"not then operator", `a not = 1`, 6, `expected "in" or "contains" after "not", found "="`},
		{"contains without value", `a contains`, 10, `expected a value after "contains", found end of input`},
		{"number with two dots", `a = 1.2.3`, 4, `invalid number "1.2.3"`},
		{"number then letters", `a = 10abc`, 4, `invalid number "10abc"`},
		{"number without exponent digits", `a = 1e`, 4, `invalid number "1e"`},
		{"number out of range", `a = 1e999`, 4, `the number 1e999 is out of range`},
		{"invalid utf-8", "a = 1 \xff", 6, `unexpected byte 0xff (the text is not valid UTF-8)`},
		{"too deep", deep, maxDepth, `the filter nests parentheses or "not" more than 100 levels deep`},
		{"too many nots", strings.Repeat("not ", maxDepth+1) + "a = 1", 4 * maxDepth, `the filter nests parentheses or "not" more than 100 levels deep`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.text)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.text, e)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if fe.Pos != tt.pos {
				t.Errorf("position %d, want %d (%s)", fe.Pos, tt.pos, fe.Msg)
			}
			if prefix, ok := strings.CutSuffix(tt.msg, "..."); ok {
				if !strings.HasPrefix(fe.Msg, prefix) {
					t.Errorf("message\n  %s\nwant it to start with\n  %s", fe.Msg, prefix)
				}
			} else if fe.Msg != tt.msg {
				t.Errorf("message\n  %s\nwant\n  %s", fe.Msg, tt.msg)
			}
			if want := "position " + strconv.Itoa(tt.pos+1) + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want it to start with %q", err.Error(), want)
			}
		})
	}
}

func TestParseAcceptsMaxDepth(t *testing.T) {
	text := strings.Repeat("(", maxDepth) + "a = 1" + strings.Repeat(")", maxDepth)
	e, err := Parse(text)
	if err != nil {
		t.Fatalf("%d levels should parse: %v", maxDepth, err)
	}
	if got := e.String(); got != "a = 1" {
		t.Errorf("String() = %q, want %q", got, "a = 1")
	}
}

func TestParseCompilesRegexUnanchored(t *testing.T) {
	e, err := Parse(`region =~ "eu-"`)
	if err != nil {
		t.Fatal(err)
	}
	re := e.(*Compare).Re
	if re == nil {
		t.Fatal("Re is nil; the parser must compile the pattern")
	}
	for s, want := range map[string]bool{"eu-west-1": true, "x-eu-y": true, "us-east-1": false} {
		if re.MatchString(s) != want {
			t.Errorf("MatchString(%q) = %v, want %v", s, !want, want)
		}
	}
}
