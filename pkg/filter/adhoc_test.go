package filter

import (
	"testing"

	"github.com/spacetime/tickets/pkg/schema"
)

func TestFromAdHocOperators(t *testing.T) {
	tests := []struct {
		name string
		f    AdHocFilter
		tree string
	}{
		{"equal", AdHocFilter{Key: "service", Operator: "=", Value: "checkout"}, `(= "service" s:"checkout")`},
		{"equal number field", AdHocFilter{Key: "severity", Operator: "=", Value: "2"}, `(= "severity" n:2)`},
		{"equal empty is null", AdHocFilter{Key: "resolved", Operator: "=", Value: ""}, `(null "resolved")`},
		{"not equal", AdHocFilter{Key: "status", Operator: "!=", Value: "closed"}, `(!= "status" s:"closed")`},
		{"not equal empty is not null", AdHocFilter{Key: "resolved", Operator: "!=", Value: ""}, `(notnull "resolved")`},
		{"regex", AdHocFilter{Key: "region", Operator: "=~", Value: "^eu-"}, `(=~ "region" s:"^eu-")`},
		{"not regex", AdHocFilter{Key: "region", Operator: "!~", Value: "west"}, `(!~ "region" s:"west")`},
		{"one of", AdHocFilter{Key: "service", Operator: "=|", Values: []string{"a", "b"}}, `(in "service" s:"a" s:"b")`},
		{"one of falls back to value", AdHocFilter{Key: "service", Operator: "=|", Value: "a"}, `(in "service" s:"a")`},
		{"one of prefers values", AdHocFilter{Key: "service", Operator: "=|", Value: "x", Values: []string{"a"}}, `(in "service" s:"a")`},
		{"one of numbers", AdHocFilter{Key: "severity", Operator: "=|", Values: []string{"1", "2"}}, `(in "severity" n:1 n:2)`},
		{"none of", AdHocFilter{Key: "service", Operator: "!=|", Values: []string{"a", "b"}}, `(notin "service" s:"a" s:"b")`},
		{"none of falls back to value", AdHocFilter{Key: "service", Operator: "!=|", Value: "a"}, `(notin "service" s:"a")`},
		{"the null label is null", AdHocFilter{Key: "service", Operator: "=", Value: NullLabel}, `(null "service")`},
		{"not the null label is not null", AdHocFilter{Key: "service", Operator: "!=", Value: NullLabel}, `(notnull "service")`},
		{"one of with the null label", AdHocFilter{Key: "service", Operator: "=|", Values: []string{"a", NullLabel}}, `(or (in "service" s:"a") (null "service"))`},
		{"none of with the null label", AdHocFilter{Key: "service", Operator: "!=|", Values: []string{NullLabel, "a"}}, `(and (notin "service" s:"a") (notnull "service"))`},
		{"one of only the null label", AdHocFilter{Key: "service", Operator: "=|", Values: []string{NullLabel}}, `(null "service")`},
		{"less", AdHocFilter{Key: "severity", Operator: "<", Value: "3"}, `(< "severity" n:3)`},
		{"less or equal", AdHocFilter{Key: "severity", Operator: "<=", Value: "3"}, `(<= "severity" n:3)`},
		{"greater", AdHocFilter{Key: "severity", Operator: ">", Value: "1.5"}, `(> "severity" n:1.5)`},
		{"greater or equal time", AdHocFilter{Key: "created", Operator: ">=", Value: "2024-05-01"}, `(>= "created" t:2024-05-01T00:00:00Z)`},
		{"value with quotes", AdHocFilter{Key: "title", Operator: "=", Value: `say "hi" \ bye`}, `(= "title" s:"say \"hi\" \\ bye")`},
	}
	s := schema.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromAdHoc([]AdHocFilter{tt.f}, s)
			if err != nil {
				t.Fatal(err)
			}
			if dump(got) != tt.tree {
				t.Errorf("tree %s, want %s", dump(got), tt.tree)
			}
			// What an ad hoc filter becomes can be written in the filter language.
			again, err := Check(mustParse(t, got.String()), s)
			if err != nil {
				t.Fatalf("the printed form %q does not check: %v", got.String(), err)
			}
			if dump(again) != dump(got) {
				t.Errorf("printed and reparsed: %s, want %s", dump(again), dump(got))
			}
		})
	}
}

func TestFromAdHocRegexIsRE2(t *testing.T) {
	// Regex operators are real, unanchored regular expressions, not LIKE patterns.
	tests := []struct {
		op, pattern, value string
		want               bool
	}{
		{"=~", "west", "eu-west-1", true},
		{"=~", "^eu-(west|north)-\\d$", "eu-north-1", true},
		{"=~", "^eu-(west|north)-\\d$", "eu-south-1", false},
		{"=~", "eu-%", "eu-west-1", false},
		{"!~", "^us-", "us-east-1", true},
	}
	for _, tt := range tests {
		got, err := FromAdHoc([]AdHocFilter{{Key: "region", Operator: tt.op, Value: tt.pattern}}, schema.Default())
		if err != nil {
			t.Fatalf("%s %q: %v", tt.op, tt.pattern, err)
		}
		c := got.(*Compare)
		if c.Re == nil {
			t.Fatalf("%s %q: no compiled regex", tt.op, tt.pattern)
		}
		if c.Re.MatchString(tt.value) != tt.want {
			t.Errorf("%q matches %q: %v, want %v", tt.pattern, tt.value, !tt.want, tt.want)
		}
	}
}

func TestFromAdHocCombines(t *testing.T) {
	s := schema.Default()
	for _, fs := range [][]AdHocFilter{nil, {}} {
		got, err := FromAdHoc(fs, s)
		if got != nil || err != nil {
			t.Errorf("FromAdHoc(%v) = %v, %v; want nil, nil", fs, got, err)
		}
	}
	got, err := FromAdHoc([]AdHocFilter{
		{Key: "service", Operator: "=", Value: "checkout"},
		{Key: "severity", Operator: "<=", Value: "2"},
		{Key: "region", Operator: "=|", Values: []string{"eu-west-1", "eu-north-1"}},
	}, s)
	if err != nil {
		t.Fatal(err)
	}
	want := `service = "checkout" and severity <= 2 and region in ("eu-west-1", "eu-north-1")`
	if got.String() != want {
		t.Errorf("String() = %s\n want %s", got.String(), want)
	}
}

func TestFromAdHocErrors(t *testing.T) {
	ok := AdHocFilter{Key: "service", Operator: "=", Value: "checkout"}
	tests := []struct {
		name string
		fs   []AdHocFilter
		want string
	}{
		{"unknown field names the filter", []AdHocFilter{ok, {Key: "servce", Operator: "=", Value: "x"}},
			`ad hoc filter 2 (key "servce"): unknown field "servce"; did you mean "service"?`},
		{"unknown operator", []AdHocFilter{{Key: "service", Operator: "==", Value: "x"}},
			`ad hoc filter 1 (key "service"): unknown operator "==" (the operators are = != =~ !~ =| !=| < <= > >=)`},
		{"bad regex", []AdHocFilter{{Key: "region", Operator: "=~", Value: "eu-("}},
			`ad hoc filter 1 (key "region"): invalid regular expression "eu-(": missing closing )`},
		{"value of the wrong type", []AdHocFilter{ok, ok, {Key: "severity", Operator: "=", Value: "high"}},
			`ad hoc filter 3 (key "severity"): severity is a number field; "high" is not a number`},
		{"wrong type in list", []AdHocFilter{{Key: "severity", Operator: "!=|", Values: []string{"1", "x"}}},
			`ad hoc filter 1 (key "severity"): severity is a number field; "x" is not a number`},
		{"regex on number field", []AdHocFilter{{Key: "severity", Operator: "=~", Value: "1"}},
			`ad hoc filter 1 (key "severity"): severity is a number field; "=~" works only on string and text fields`},
		{"less without value", []AdHocFilter{{Key: "severity", Operator: "<", Value: ""}},
			`ad hoc filter 1 (key "severity"): operator "<" needs a value`},
		{"one of without values", []AdHocFilter{{Key: "service", Operator: "=|"}},
			`ad hoc filter 1 (key "service"): operator "=|" needs at least one value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromAdHoc(tt.fs, schema.Default())
			if err == nil {
				t.Fatalf("FromAdHoc = %s, want an error", got)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n  %s\nwant\n  %s", err, tt.want)
			}
		})
	}
}
