package filter

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
)

// boolSchema adds what the default schema lacks: a bool column.
func boolSchema(t *testing.T) *schema.Schema {
	t.Helper()
	s, err := schema.Parse([]byte("key: id\ntime: at\ncolumns:\n  - {name: id, type: string}\n  - {name: at, type: time}\n  - {name: flag, type: bool}\n"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustParse(t *testing.T, text string) Expr {
	t.Helper()
	e, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return e
}

func TestCheckConvertsValues(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		canon string // String() of the checked tree
		tree  string // dump of the checked tree
	}{
		{"string", `service = "checkout"`, `service = "checkout"`, `(= "service" s:"checkout")`},
		{"number on string field", `service = 42`, `service = "42"`, `(= "service" s:"42")`},
		{"number text kept on string field", `service = 1.50`, `service = "1.50"`, `(= "service" s:"1.50")`},
		{"number on text field", `title contains 500`, `title contains "500"`, `(contains "title" s:"500")`},
		{"regex on text field", `description =~ "(?i)disk full"`, `description =~ "(?i)disk full"`, `(=~ "description" s:"(?i)disk full")`},
		{"less on string field", `service < "m"`, `service < "m"`, `(< "service" s:"m")`},
		{"number", `severity <= 2`, `severity <= 2`, `(<= "severity" n:2)`},
		{"number made canonical", `severity = 2.50`, `severity = 2.5`, `(= "severity" n:2.5)`},
		{"exponent made canonical", `severity = 1e0`, `severity = 1`, `(= "severity" n:1)`},
		{"minus zero is zero", `severity = -0`, `severity = 0`, `(= "severity" n:0)`},
		{"quoted number", `severity = "3"`, `severity = 3`, `(= "severity" n:3)`},
		{"quoted number list", `severity in ("1", 2, "2.0")`, `severity in (1, 2, 2)`, `(in "severity" n:1 n:2 n:2)`},
		{"date", `created > "2024-05-01"`, `created > "2024-05-01T00:00:00Z"`, `(> "created" t:2024-05-01T00:00:00Z)`},
		{"rfc 3339", `created >= "2024-05-01T12:30:05Z"`, `created >= "2024-05-01T12:30:05Z"`, `(>= "created" t:2024-05-01T12:30:05Z)`},
		{"rfc 3339 fraction and offset", `created >= "2024-05-01T12:30:00.5+02:00"`, `created >= "2024-05-01T10:30:00.5Z"`, `(>= "created" t:2024-05-01T10:30:00.5Z)`},
		{"date and minutes", `created < "2024-05-01 12:30"`, `created < "2024-05-01T12:30:00Z"`, `(< "created" t:2024-05-01T12:30:00Z)`},
		{"date and seconds", `created < "2024-05-01 12:30:05"`, `created < "2024-05-01T12:30:05Z"`, `(< "created" t:2024-05-01T12:30:05Z)`},
		{"T and minutes", `created < "2024-05-01T12:30"`, `created < "2024-05-01T12:30:00Z"`, `(< "created" t:2024-05-01T12:30:00Z)`},
		// 2024-05-01T00:00:00Z is 1714521600 s; 12:30 adds 45000 s.
		{"unix milliseconds", `created > 1714566600000`, `created > "2024-05-01T12:30:00Z"`, `(> "created" t:2024-05-01T12:30:00Z)`},
		{"time list", `updated in ("2024-05-01", 1714521600000)`, `updated in ("2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z")`, `(in "updated" t:2024-05-01T00:00:00Z t:2024-05-01T00:00:00Z)`},
		{"null test", `resolved is null and service is not null`, `resolved is null and service is not null`, `(and (null "resolved") (notnull "service"))`},
		{"structure kept", `not (severity = 1 or severity = "2") and status != "closed"`, `not (severity = 1 or severity = 2) and status != "closed"`, `(and (not (or (= "severity" n:1) (= "severity" n:2))) (!= "status" s:"closed"))`},
	}
	s := schema.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(mustParse(t, tt.text), s)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got.String() != tt.canon {
				t.Errorf("String() = %s\n want %s", got.String(), tt.canon)
			}
			if dump(got) != tt.tree {
				t.Errorf("tree = %s\n want %s", dump(got), tt.tree)
			}
			// A checked filter reads back as the same checked filter: the engine's cache
			// key survives a trip through text.
			again, err := Check(mustParse(t, got.String()), s)
			if err != nil {
				t.Fatalf("Check of the printed form %q: %v", got.String(), err)
			}
			if dump(again) != dump(got) {
				t.Errorf("reprinted and checked: %s, want %s", dump(again), dump(got))
			}
			// Checking a checked tree changes nothing.
			twice, err := Check(got, s)
			if err != nil || dump(twice) != dump(got) {
				t.Errorf("Check is not idempotent: %s, %v", dump(twice), err)
			}
		})
	}
}

func TestCheckTimeValue(t *testing.T) {
	got, err := Check(mustParse(t, `created >= "2024-05-01T14:30:00+02:00"`), schema.Default())
	if err != nil {
		t.Fatal(err)
	}
	lit := got.(*Compare).Value
	want := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	if lit.Kind != LitTime || !lit.T.Equal(want) || lit.T.Location() != time.UTC {
		t.Errorf("literal = kind %d, T %v; want LitTime %v in UTC", lit.Kind, lit.T, want)
	}
}

func TestCheckBoolFields(t *testing.T) {
	s := boolSchema(t)
	tests := []struct {
		text, canon string
	}{
		{`flag = true`, `flag = true`},
		{`flag != FALSE`, `flag != false`},
		{`flag = "TRUE"`, `flag = true`},
		{`flag in (true, "false")`, `flag in (true, false)`},
		{`flag is null`, `flag is null`},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Check(mustParse(t, tt.text), s)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.canon {
				t.Errorf("String() = %s, want %s", got.String(), tt.canon)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	def := schema.Default()
	flags := boolSchema(t)
	tests := []struct {
		name   string
		schema *schema.Schema
		text   string
		pos    int
		msg    string // whole message, or a prefix when it ends in "..."
	}{
		{"unknown field", def, `servce = "checkout"`, 0, `unknown field "servce"; did you mean "service"?`},
		{"unknown field deep", def, `severity = 1 and (regoin = "eu" or status = "x")`, 18, `unknown field "regoin"; did you mean "region"?`},
		{"unknown field in list", def, `sevrity in (1, 2)`, 0, `unknown field "sevrity"; did you mean "severity"?`},
		{"unknown field null test", def, `resovled is null`, 0, `unknown field "resovled"; did you mean "resolved"?`},
		{"unknown field case", def, `Service = "x"`, 0, `unknown field "Service"; did you mean "service"?`},
		{"text on number field", def, `severity = "high"`, 11, `severity is a number field; "high" is not a number`},
		{"bool on number field", def, `severity = true`, 11, `severity is a number field; true is not a number`},
		{"infinite on number field", def, `severity < "Inf"`, 11, `severity is a number field; "Inf" is not a number`},
		{"bad value in list", def, `severity in (1, "x")`, 16, `severity is a number field; "x" is not a number`},
		{"bool on string field", def, `service = true`, 10, `service is a string field; true is not a string (quote it to compare it as text)`},
		{"bad time", def, `created > "yesterday"`, 10, `created is a time field; "yesterday" is not a time; use RFC 3339 such as ...`},
		{"bad date", def, `created > "2024-13-01"`, 10, `created is a time field; "2024-13-01" is not a time; ...`},
		{"time out of range", def, `created > 1e17`, 10, `created is a time field; 1e17 is not a time; ...`},
		{"bool on time field", def, `created = false`, 10, `created is a time field; false is not a time; ...`},
		{"regex on number field", def, `severity =~ "1"`, 0, `severity is a number field; "=~" works only on string and text fields`},
		{"not regex on time field", def, `created !~ "x"`, 0, `created is a time field; "!~" works only on string and text fields`},
		{"contains on number field", def, `severity contains 1`, 0, `severity is a number field; "contains" works only on string and text fields`},
		{"not contains on time field", def, `created not contains "x"`, 0, `created is a time field; "not contains" works only on string and text fields`},
		{"less on bool field", flags, `flag < true`, 0, `flag is a bool field; "<" does not apply to it (use = or !=)`},
		{"greater or equal on bool field", flags, `flag >= false`, 0, `flag is a bool field; ">=" does not apply to it (use = or !=)`},
		{"text on bool field", flags, `flag = "yes"`, 7, `flag is a bool field; "yes" is not true or false`},
		{"number on bool field", flags, `flag = 1`, 7, `flag is a bool field; 1 is not true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(mustParse(t, tt.text), tt.schema)
			if err == nil {
				t.Fatalf("Check(%q) = %s, want an error", tt.text, got)
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
		})
	}
}

func TestCheckUnknownFieldUsesSchemaMessage(t *testing.T) {
	s := schema.Default()
	_, err := Check(mustParse(t, `zzzzzz = 1`), s)
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want an *Error", err)
	}
	if want := s.UnknownField("zzzzzz"); fe.Msg != want {
		t.Errorf("message %q, want the schema's %q", fe.Msg, want)
	}
}

func TestCheckDoesNotModifyItsInput(t *testing.T) {
	text := `severity in ("1", 2) and created > "2024-05-01" and (service = 7 or title =~ "x") and not flag_like is null`
	s := schema.Default()
	// The last term names an unknown field, so first check a tree without it, then one
	// with it: neither success nor failure may touch the input.
	for _, text := range []string{strings.TrimSuffix(text, ` and not flag_like is null`), text} {
		e := mustParse(t, text)
		before, beforeText := dump(e), e.String()
		_, _ = Check(e, s)
		if dump(e) != before || e.String() != beforeText {
			t.Errorf("Check modified its input:\n  before %s\n  after  %s", before, dump(e))
		}
	}
}

func TestCheckHandBuiltTrees(t *testing.T) {
	s := schema.Default()
	t.Run("nil", func(t *testing.T) {
		got, err := Check(nil, s)
		if got != nil || err != nil {
			t.Errorf("Check(nil) = %v, %v; want nil, nil", got, err)
		}
	})
	t.Run("regex compiled when missing", func(t *testing.T) {
		in := &Compare{Field: "region", Op: Match, Value: Literal{Kind: LitString, S: "^eu-"}}
		got, err := Check(in, s)
		if err != nil {
			t.Fatal(err)
		}
		re := got.(*Compare).Re
		if re == nil || !re.MatchString("eu-west-1") || re.MatchString("us-east-1") {
			t.Errorf("Re = %v, want a compiled ^eu-", re)
		}
		if in.Re != nil {
			t.Error("Check set Re on its input")
		}
	})
	t.Run("stale regex replaced", func(t *testing.T) {
		in := &Compare{Field: "region", Op: Match, Value: Literal{Kind: LitString, S: "^us-"}, Re: regexp.MustCompile("^eu-")}
		got, err := Check(in, s)
		if err != nil {
			t.Fatal(err)
		}
		if re := got.(*Compare).Re; !re.MatchString("us-east-1") {
			t.Errorf("Re = %v, want the pattern of the value", re)
		}
	})
	t.Run("nested and flattened", func(t *testing.T) {
		in := &And{Terms: []Expr{
			&IsNull{Field: "resolved"},
			&And{Terms: []Expr{&IsNull{Field: "service"}, &IsNull{Field: "region"}}},
		}}
		got, err := Check(in, s)
		if err != nil {
			t.Fatal(err)
		}
		if want := `(and (null "resolved") (null "service") (null "region"))`; dump(got) != want {
			t.Errorf("tree %s, want %s", dump(got), want)
		}
		if len(in.Terms) != 2 {
			t.Error("Check flattened its input")
		}
	})
	t.Run("empty and", func(t *testing.T) {
		if _, err := Check(&And{}, s); err == nil {
			t.Error("an And with no terms checked without error")
		}
	})
	t.Run("no schema", func(t *testing.T) {
		if _, err := Check(&IsNull{Field: "service"}, nil); err == nil {
			t.Error("Check without a schema succeeded")
		}
	})
}

func TestCheckConcurrentUse(t *testing.T) {
	// The engine checks and prints one parsed filter from many queries at once; run under
	// -race this shows Check and String share no mutable state.
	s := schema.Default()
	e := mustParse(t, `region =~ "^eu-" and severity in ("1", 2) and created > "2024-05-01" and title contains "disk"`)
	want, err := Check(e, s)
	if err != nil {
		t.Fatal(err)
	}
	const workers = 8
	results := make(chan string, workers)
	for range workers {
		go func() {
			got, err := Check(e, s)
			if err != nil {
				results <- err.Error()
				return
			}
			results <- got.String() + " | " + e.String()
		}()
	}
	for range workers {
		if got, wantText := <-results, want.String()+" | "+e.String(); got != wantText {
			t.Errorf("concurrent Check gave %q, want %q", got, wantText)
		}
	}
}
