package filter

import "fmt"

// The size of a filter is bounded, so that a careless or hostile one fails with a clear
// message instead of holding a core and gigabytes: the engine tests each condition
// against the rows of the range, so its work grows with the number of conditions.
// Dashboards, ad hoc filters and hand-written expressions stay far below these.
const (
	// MaxLength is the most bytes of filter text Parse reads.
	MaxLength = 64 << 10
	// MaxConditions is the most tests (comparisons, "in" lists, null tests) in the whole
	// filter of a query: its expression, its ad hoc filters and the schema's default.
	MaxConditions = 256
	// MaxListValues is the most values of one "in" list (or of an ad hoc filter with =|
	// or !=|).
	MaxListValues = 10_000
)

// LimitError says which limit a filter went past.
type LimitError struct {
	What         string
	Got, Allowed int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the filter has %d %s; a filter may have at most %d", e.Got, e.What, e.Allowed)
}

// Limit reports whether e stays within MaxConditions and MaxListValues; the error is a
// *LimitError.
func Limit(e Expr) error {
	n := 0
	var walk func(Expr) error
	walk = func(e Expr) error {
		switch x := e.(type) {
		case *And:
			for _, t := range x.Terms {
				if err := walk(t); err != nil {
					return err
				}
			}
			return nil
		case *Or:
			for _, t := range x.Terms {
				if err := walk(t); err != nil {
					return err
				}
			}
			return nil
		case *Not:
			if x == nil {
				return nil
			}
			return walk(x.X)
		case *In:
			if x != nil && len(x.Values) > MaxListValues {
				return &LimitError{What: "values in one list", Got: len(x.Values), Allowed: MaxListValues}
			}
		case nil:
			return nil
		}
		n++
		return nil
	}
	if err := walk(e); err != nil {
		return err
	}
	if n > MaxConditions {
		return &LimitError{What: "conditions", Got: n, Allowed: MaxConditions}
	}
	return nil
}
