package filter

import (
	"reflect"
	"testing"
	"time"
)

func TestAll(t *testing.T) {
	a := &IsNull{Field: "a"}
	b := &IsNull{Field: "b"}
	c := &IsNull{Field: "c"}
	ab := &And{Terms: []Expr{a, b}}
	bOrC := &Or{Terms: []Expr{b, c}}
	var typedNil *Compare
	tests := []struct {
		name string
		in   []Expr
		want string
	}{
		{"none", nil, "nil"},
		{"only nils", []Expr{nil, typedNil, nil}, "nil"},
		{"one", []Expr{nil, a, nil}, `(null "a")`},
		{"two", []Expr{a, b}, `(and (null "a") (null "b"))`},
		{"and flattened", []Expr{ab, c}, `(and (null "a") (null "b") (null "c"))`},
		{"or kept whole", []Expr{a, bOrC}, `(and (null "a") (or (null "b") (null "c")))`},
		{"single and returned", []Expr{ab}, `(and (null "a") (null "b"))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dump(All(tt.in...)); got != tt.want {
				t.Errorf("All = %s, want %s", got, tt.want)
			}
		})
	}
	if len(ab.Terms) != 2 {
		t.Errorf("All modified an input And: %s", dump(ab))
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{``, nil},
		{`service = "x"`, []string{"service"}},
		{`service = "x" or service = "y"`, []string{"service"}},
		{"severity < 2 and (region =~ \"eu\" or not `first name` is null) and id in (1) and service != 1",
			[]string{"first name", "id", "region", "service", "severity"}},
	}
	for _, tt := range tests {
		e, err := Parse(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		if got := Fields(e); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Fields(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestStringOfBuiltTrees(t *testing.T) {
	num := func(n float64) Literal { return Literal{Kind: LitNumber, N: n} }
	str := func(s string) Literal { return Literal{Kind: LitString, S: s} }
	tests := []struct {
		name string
		e    Expr
		want string
	}{
		{"or inside and gets parentheses",
			&And{Terms: []Expr{&Or{Terms: []Expr{&IsNull{Field: "a"}, &IsNull{Field: "b"}}}, &IsNull{Field: "c"}}},
			`(a is null or b is null) and c is null`},
		{"and inside or needs none",
			&Or{Terms: []Expr{&And{Terms: []Expr{&IsNull{Field: "a"}, &IsNull{Field: "b"}}}, &IsNull{Field: "c"}}},
			`a is null and b is null or c is null`},
		{"not of and", &Not{X: &And{Terms: []Expr{&IsNull{Field: "a"}, &IsNull{Field: "b"}}}}, `not (a is null and b is null)`},
		{"not of comparison", &Not{X: &Compare{Field: "a", Op: Lt, Value: num(2)}}, `not a < 2`},
		{"number without text", &Compare{Field: "a", Op: Eq, Value: num(1e21)}, `a = 1e+21`},
		{"negative number without text", &Compare{Field: "a", Op: Gt, Value: num(-0.5)}, `a > -0.5`},
		{"escapes", &Compare{Field: "a", Op: Eq, Value: str("q\"b\\n\nt\t\x00\x7f")}, `a = "q\"b\\n\nt\t\u0000\u007f"`},
		{"keyword field", &IsNull{Field: "contains"}, "`contains` is null"},
		{"field with space", &In{Field: "first name", Values: []Literal{str("x")}, Negate: true}, "`first name` not in (\"x\")"},
		{"field with backquote", &IsNull{Field: "a`b"}, "`a\\`b` is null"},
		{"time in utc", &Compare{Field: "t", Op: Ge, Value: Literal{Kind: LitTime, T: time.Date(2024, 5, 1, 14, 0, 0, 0, time.FixedZone("CEST", 7200))}}, `t >= "2024-05-01T12:00:00Z"`},
		{"bool", &Compare{Field: "f", Op: Ne, Value: Literal{Kind: LitBool, B: true}}, `f != true`},
		{"contains", &Compare{Field: "title", Op: NotContains, Value: str("x")}, `title not contains "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.e.String()
			if got != tt.want {
				t.Errorf("String() = %s\n want %s", got, tt.want)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("the printed form does not parse: %v", err)
			}
			if again.String() != got {
				t.Errorf("reparsed prints %s, want %s", again.String(), got)
			}
		})
	}
}
