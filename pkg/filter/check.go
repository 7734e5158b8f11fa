package filter

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
)

// Check resolves e against the schema s and returns a new tree in which every literal has
// the type of its field: strings for string and text fields, numbers (with canonical text)
// for number fields, times (Kind LitTime, T set) for time fields, bools for bool fields, and
// every regular expression compiled. e itself is not modified. A field the schema lacks, a
// value that does not fit its field, or an operator its field does not support is an
// *Error at the position of the field or the value. A nil e checks to nil.
func Check(e Expr, s *schema.Schema) (Expr, error) {
	if isNil(e) {
		return nil, nil
	}
	if s == nil {
		return nil, errors.New("check filter: no schema")
	}
	return checker{s: s}.expr(e)
}

type checker struct{ s *schema.Schema }

func (c checker) expr(e Expr) (Expr, error) {
	if isNil(e) {
		return nil, &Error{Msg: "the filter has an empty term"}
	}
	switch n := e.(type) {
	case *And:
		terms, err := c.terms(n.Terms, isAnd)
		if err != nil || len(terms) == 1 {
			return first(terms), err
		}
		return &And{Terms: terms, At: n.At}, nil
	case *Or:
		terms, err := c.terms(n.Terms, isOr)
		if err != nil || len(terms) == 1 {
			return first(terms), err
		}
		return &Or{Terms: terms, At: n.At}, nil
	case *Not:
		x, err := c.expr(n.X)
		if err != nil {
			return nil, err
		}
		return &Not{X: x, At: n.At}, nil
	case *Compare:
		return c.compare(n)
	case *In:
		col, err := c.column(n.Field, n.At)
		if err != nil {
			return nil, err
		}
		if len(n.Values) == 0 {
			return nil, &Error{Pos: n.At, Msg: fmt.Sprintf("the list of %s is empty", clip(n.Field))}
		}
		values := make([]Literal, len(n.Values))
		for i, v := range n.Values {
			if values[i], err = convert(col, v); err != nil {
				return nil, err
			}
		}
		return &In{Field: n.Field, Values: values, Negate: n.Negate, At: n.At}, nil
	case *IsNull:
		if _, err := c.column(n.Field, n.At); err != nil {
			return nil, err
		}
		return &IsNull{Field: n.Field, Negate: n.Negate, At: n.At}, nil
	}
	return nil, &Error{Pos: e.Pos(), Msg: fmt.Sprintf("unsupported filter node %T", e)}
}

func first(terms []Expr) Expr {
	if len(terms) == 0 {
		return nil
	}
	return terms[0]
}

// terms checks the terms of an And or Or (same tells which), flattening nested ones.
func (c checker) terms(in []Expr, same func(Expr) bool) ([]Expr, error) {
	if len(in) == 0 {
		return nil, &Error{Msg: "the filter has an empty \"and\" or \"or\""}
	}
	out := make([]Expr, 0, len(in))
	for _, t := range in {
		ct, err := c.expr(t)
		if err != nil {
			return nil, err
		}
		out = flattenInto(out, ct, same)
	}
	return out, nil
}

func (c checker) column(name string, at int) (*schema.Column, error) {
	col, ok := c.s.Column(name)
	if !ok {
		return nil, &Error{Pos: at, Msg: c.s.UnknownField(name)}
	}
	return col, nil
}

func (c checker) compare(n *Compare) (Expr, error) {
	col, err := c.column(n.Field, n.At)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case Eq, Ne:
	case Lt, Le, Gt, Ge:
		if col.Type == schema.Bool {
			return nil, &Error{Pos: n.At, Msg: fmt.Sprintf("%s is a bool field; %q does not apply to it (use = or !=)", col.Name, n.Op)}
		}
	case Match, NotMatch, Contains, NotContains:
		if col.Type != schema.String && col.Type != schema.Text {
			return nil, &Error{Pos: n.At, Msg: fmt.Sprintf("%s is a %s field; %q works only on string and text fields", col.Name, col.Type, n.Op)}
		}
	default:
		return nil, &Error{Pos: n.At, Msg: fmt.Sprintf("unknown operator %q", n.Op)}
	}
	lit, err := convert(col, n.Value)
	if err != nil {
		return nil, err
	}
	out := &Compare{Field: n.Field, Op: n.Op, Value: lit, At: n.At}
	if n.Op == Match || n.Op == NotMatch {
		if n.Re != nil && n.Re.String() == lit.S {
			out.Re = n.Re // compiled by Parse; a Regexp is safe to share
		} else if out.Re, err = compileRegexp(lit); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// timeLayouts are the written forms of a time value, tried in order; the ones without a
// zone are UTC.
var timeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02",
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
}

const timeHint = `use RFC 3339 such as "2024-05-01T12:00:00Z", "2024-05-01", "2024-05-01 12:00", "2024-05-01 12:00:05", or unix milliseconds`

// convert gives lit the type of col, or says why it does not fit.
func convert(col *schema.Column, lit Literal) (Literal, error) {
	misfit := func(what string) (Literal, error) {
		msg := fmt.Sprintf("%s is a %s field; %s is not %s", col.Name, col.Type, clip(lit.String()), what)
		switch col.Type {
		case schema.String, schema.Text:
			msg += " (quote it to compare it as text)"
		case schema.Time:
			msg += "; " + timeHint
		}
		return Literal{}, &Error{Pos: lit.At, Msg: msg}
	}
	out := Literal{At: lit.At}
	switch col.Type {
	case schema.String, schema.Text:
		switch lit.Kind {
		case LitString:
			out.Kind, out.S = LitString, lit.S
		case LitNumber:
			// The number as written: "1.50" on a string field is the text 1.50, not 1.5.
			out.Kind, out.S = LitString, lit.String()
		default:
			return misfit("a string")
		}
	case schema.Number:
		n, ok := numberOf(lit)
		if !ok {
			return misfit("a number")
		}
		if n == 0 {
			n = 0 // -0 and 0 are the same filter, so they print the same
		}
		out.Kind, out.N, out.S = LitNumber, n, formatNumber(n)
	case schema.Time:
		t, ok := timeOf(lit)
		if !ok {
			return misfit("a time")
		}
		out.Kind, out.T = LitTime, t
		out.S = formatTime(t)
	case schema.Bool:
		var b bool
		switch {
		case lit.Kind == LitBool:
			b = lit.B
		case lit.Kind == LitString && strings.EqualFold(strings.TrimSpace(lit.S), "true"):
			b = true
		case lit.Kind == LitString && strings.EqualFold(strings.TrimSpace(lit.S), "false"):
			b = false
		default:
			return misfit("true or false")
		}
		out.Kind, out.B, out.S = LitBool, b, strconv.FormatBool(b)
	default:
		return Literal{}, &Error{Pos: lit.At, Msg: fmt.Sprintf("%s has the unknown type %q", col.Name, col.Type)}
	}
	return out, nil
}

// numberOf reads a number literal, or a string that holds a number.
func numberOf(lit Literal) (float64, bool) {
	var n float64
	switch lit.Kind {
	case LitNumber:
		n = lit.N
	case LitString:
		v, err := strconv.ParseFloat(strings.TrimSpace(lit.S), 64)
		if err != nil {
			return 0, false
		}
		n = v
	default:
		return 0, false
	}
	return n, !math.IsNaN(n) && !math.IsInf(n, 0)
}

// minTime and maxTime bound times to years 1 to 9999, the range RFC 3339 can write, so a
// checked filter always prints as text that reads back.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// timeOf reads a time literal: a quoted time in one of timeLayouts, or unix milliseconds as
// a number or a quoted number.
func timeOf(lit Literal) (time.Time, bool) {
	var t time.Time
	switch lit.Kind {
	case LitTime:
		if !lit.T.IsZero() {
			t = lit.T
			break
		}
		return timeOf(Literal{Kind: LitString, S: lit.S})
	case LitString:
		text := strings.TrimSpace(lit.S)
		parsed := false
		for _, layout := range timeLayouts {
			if v, err := time.Parse(layout, text); err == nil {
				t, parsed = v, true
				break
			}
		}
		if !parsed {
			ms, ok := numberOf(lit)
			if !ok {
				return time.Time{}, false
			}
			return fromUnixMilli(ms)
		}
	case LitNumber:
		return fromUnixMilli(lit.N)
	default:
		return time.Time{}, false
	}
	t = t.UTC()
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, false
	}
	return t, true
}

func fromUnixMilli(ms float64) (time.Time, bool) {
	if math.IsNaN(ms) || ms < float64(minTime.UnixMilli()) || ms > float64(maxTime.UnixMilli()) {
		return time.Time{}, false
	}
	whole := math.Floor(ms)
	t := time.UnixMilli(int64(whole)).Add(time.Duration(math.Round((ms - whole) * 1e6)))
	return t.UTC(), true
}
