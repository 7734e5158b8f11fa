package filter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spacetime/tickets/pkg/schema"
)

// NullLabel is how the frames name the tickets without a value in a field (a chart's
// "(none)" slice). A click on it sends it back as an ad hoc filter's value, where it means
// "no value": `service = (none)` is `service is null`. Ingest maps the schema's null
// tokens to no value, so a stored value never reads "(none)".
const NullLabel = "(none)"

// adHocOps are Grafana's ad hoc filter operators that FromAdHoc understands.
var adHocOps = [...]string{"=", "!=", "=~", "!~", "=|", "!=|", "<", "<=", ">", ">="}

// FromAdHoc turns Grafana's ad hoc filters into one checked expression: the AND of all of
// them, or nil when there are none. "=" with an empty value (or NullLabel) means "is
// null" and "!=" with one "is not null"; "=~" and "!~" are RE2 regular expressions, as in the filter
// language; "=|" and "!=|" take Values (or Value when Values is empty). An error names the
// filter by its 1-based index and key.
func FromAdHoc(fs []AdHocFilter, s *schema.Schema) (Expr, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	if s == nil {
		return nil, errors.New("ad hoc filters: no schema")
	}
	terms := make([]Expr, 0, len(fs))
	for i, f := range fs {
		f.Key = FieldForKey(f.Key, s)
		e, err := adHocExpr(f)
		if err == nil {
			e, err = Check(e, s)
		}
		if err != nil {
			// The position of an *Error means nothing here: there is no filter text.
			var fe *Error
			if errors.As(err, &fe) {
				return nil, fmt.Errorf("ad hoc filter %d (key %q): %s", i+1, f.Key, fe.Msg)
			}
			return nil, fmt.Errorf("ad hoc filter %d (key %q): %w", i+1, f.Key, err)
		}
		terms = append(terms, e)
	}
	return All(terms...), nil
}

// FieldForKey maps an ad hoc filter's key to a field name. Some Grafana 12 builds key a
// table's "filter for value" by the column's display name ("Service") rather than the
// field's name, so a key that is no field but is exactly one column's title is taken as
// that column. A field name always wins over a title. The values of such a key are listed
// by the same rule (the ad hoc filter's value picker asks for them by key).
func FieldForKey(key string, s *schema.Schema) string {
	if _, ok := s.Column(key); ok {
		return key
	}
	match := ""
	for i := range s.Columns {
		if s.Columns[i].Title == key {
			if match != "" {
				return key // two columns share the title: leave the key to be reported
			}
			match = s.Columns[i].Name
		}
	}
	if match == "" {
		return key
	}
	return match
}

func adHocExpr(f AdHocFilter) (Expr, error) {
	str := func(v string) Literal { return Literal{Kind: LitString, S: v} }
	switch op := f.Operator; op {
	case "=", "!=":
		if f.Value == "" || f.Value == NullLabel {
			return &IsNull{Field: f.Key, Negate: op == "!="}, nil
		}
		return &Compare{Field: f.Key, Op: Op(op), Value: str(f.Value)}, nil
	case "=~", "!~":
		lit := str(f.Value)
		re, err := compileRegexp(lit)
		if err != nil {
			return nil, err
		}
		return &Compare{Field: f.Key, Op: Op(op), Value: lit, Re: re}, nil
	case "<", "<=", ">", ">=":
		if f.Value == "" {
			return nil, &Error{Msg: fmt.Sprintf("operator %q needs a value", op)}
		}
		return &Compare{Field: f.Key, Op: Op(op), Value: str(f.Value)}, nil
	case "=|", "!=|":
		values := f.Values
		if len(values) == 0 && f.Value != "" {
			values = []string{f.Value}
		}
		if len(values) == 0 {
			return nil, &Error{Msg: fmt.Sprintf("operator %q needs at least one value", op)}
		}
		lits := make([]Literal, 0, len(values))
		none := false
		for _, v := range values {
			if v == NullLabel {
				none = true
				continue
			}
			lits = append(lits, str(v))
		}
		negate := op == "!=|"
		null := &IsNull{Field: f.Key, Negate: negate}
		switch {
		case !none:
			return &In{Field: f.Key, Values: lits, Negate: negate}, nil
		case len(lits) == 0:
			return null, nil
		case negate:
			// None of the values, and not without one.
			return &And{Terms: []Expr{&In{Field: f.Key, Values: lits, Negate: true}, null}}, nil
		}
		return &Or{Terms: []Expr{&In{Field: f.Key, Values: lits}, null}}, nil
	}
	return nil, &Error{Msg: fmt.Sprintf("unknown operator %q (the operators are %s)", f.Operator, strings.Join(adHocOps[:], " "))}
}
