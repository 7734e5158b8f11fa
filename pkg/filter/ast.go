package filter

import (
	"fmt"
	"regexp"
	"time"
)

// Expr is a node of the filter AST. Its String method prints it back in the filter
// language, canonically: equal filters print equally, so the string serves as a cache key.
type Expr interface {
	String() string
	// Pos is the byte offset of the node in the text it was parsed from (0 when built).
	Pos() int
	expr()
}

// Op is a comparison operator.
type Op string

const (
	Eq          Op = "="
	Ne          Op = "!="
	Lt          Op = "<"
	Le          Op = "<="
	Gt          Op = ">"
	Ge          Op = ">="
	Match       Op = "=~" // RE2, unanchored
	NotMatch    Op = "!~"
	Contains    Op = "contains" // case-insensitive substring
	NotContains Op = "not contains"
)

// LitKind is the kind of a literal.
type LitKind uint8

const (
	LitString LitKind = iota + 1
	LitNumber
	LitBool
	LitTime
)

// Literal is a constant in a filter. A string literal compared with a time field is parsed
// as a time by Check, which then sets Kind to LitTime and T.
type Literal struct {
	Kind LitKind
	S    string // the string, or the text of a number, bool or time as written
	N    float64
	B    bool
	T    time.Time
	At   int // byte offset
}

// And is true when every term is true.
type And struct {
	Terms []Expr
	At    int
}

// Or is true when any term is true.
type Or struct {
	Terms []Expr
	At    int
}

// Not negates X.
type Not struct {
	X  Expr
	At int
}

// Compare compares a field with a literal. For Match and NotMatch, Re is the compiled
// regular expression of Value.S.
type Compare struct {
	Field string
	Op    Op
	Value Literal
	Re    *regexp.Regexp
	At    int
}

// In is true when the field equals one of Values (or none of them, when Negate is set).
type In struct {
	Field  string
	Values []Literal
	Negate bool
	At     int
}

// IsNull is true when the field has no value (or has one, when Negate is set).
type IsNull struct {
	Field  string
	Negate bool
	At     int
}

func (*And) expr()     {}
func (*Or) expr()      {}
func (*Not) expr()     {}
func (*Compare) expr() {}
func (*In) expr()      {}
func (*IsNull) expr()  {}

func (e *And) Pos() int     { return e.At }
func (e *Or) Pos() int      { return e.At }
func (e *Not) Pos() int     { return e.At }
func (e *Compare) Pos() int { return e.At }
func (e *In) Pos() int      { return e.At }
func (e *IsNull) Pos() int  { return e.At }

// AdHocFilter is one of Grafana's ad hoc filters as the frontend copies it into a query:
// key, operator (=, !=, =~, !~, =|, !=|, <, <=, >, >=) and value, or values for the
// multi-value operators.
type AdHocFilter struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Value    string   `json:"value"`
	Values   []string `json:"values,omitempty"`
}

// Error is a parse or check error: the byte offset in the filter text, what was found and
// what was expected.
type Error struct {
	// Pos is the byte offset of the problem in the text (0-based).
	Pos int `json:"position"`
	// Msg says what is wrong, for example `expected a value after "=", found end of input`.
	Msg string `json:"message"`
}

// Error gives the position 1-based, as a person counts columns: "position 15: expected ...".
func (e *Error) Error() string { return fmt.Sprintf("position %d: %s", e.Pos+1, e.Msg) }
