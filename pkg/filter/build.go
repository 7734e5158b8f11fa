package filter

import "sort"

// All is the AND of the non-nil expressions: nil if there are none, the expression itself
// if there is one. Nested Ands are flattened into one; the inputs are not modified.
func All(es ...Expr) Expr {
	var terms []Expr
	for _, e := range es {
		if isNil(e) {
			continue
		}
		terms = flattenInto(terms, e, isAnd)
	}
	switch len(terms) {
	case 0:
		return nil
	case 1:
		return terms[0]
	}
	return &And{Terms: terms, At: terms[0].Pos()}
}

// Fields returns the distinct field names that e uses, sorted.
func Fields(e Expr) []string {
	seen := map[string]bool{}
	var walk func(Expr)
	walk = func(e Expr) {
		if isNil(e) {
			return
		}
		switch n := e.(type) {
		case *And:
			for _, t := range n.Terms {
				walk(t)
			}
		case *Or:
			for _, t := range n.Terms {
				walk(t)
			}
		case *Not:
			walk(n.X)
		case *Compare:
			seen[n.Field] = true
		case *In:
			seen[n.Field] = true
		case *IsNull:
			seen[n.Field] = true
		}
	}
	walk(e)
	if len(seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// isNil reports whether e is nil or a nil pointer of one of the node types, which an
// interface holding it would not show.
func isNil(e Expr) bool {
	switch n := e.(type) {
	case nil:
		return true
	case *And:
		return n == nil
	case *Or:
		return n == nil
	case *Not:
		return n == nil
	case *Compare:
		return n == nil
	case *In:
		return n == nil
	case *IsNull:
		return n == nil
	}
	return false
}
