package query

import (
	"errors"
	"fmt"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// ErrInvalid marks an error in the query itself (a bad filter, an unknown field, a bucket
// that is not a duration): the user's to fix, not ours.
var ErrInvalid = errors.New("invalid query")

// invalid wraps a user error so errors.Is(err, ErrInvalid) holds and the message stays the
// user's.
type invalid struct{ err error }

func (e invalid) Error() string   { return e.err.Error() }
func (e invalid) Unwrap() []error { return []error{ErrInvalid, e.err} }
func invalidf(format string, args ...any) error {
	return invalid{fmt.Errorf(format, args...)}
}

// Env is what every query of one data source shares: the schema and the filters it
// implies, parsed and checked once when the data source starts rather than per query.
type Env struct {
	Schema *schema.Schema
	// Default is the schema's default filter, nil when it has none.
	Default filter.Expr
	// Open says which tickets count as open, nil when every ticket does.
	Open filter.Expr
}

// NewEnv checks the schema's default and open filters. A problem is reported as a schema
// problem, naming the schema field that holds the bad filter.
func NewEnv(s *schema.Schema) (*Env, error) {
	env := &Env{Schema: s}
	var err error
	if env.Default, err = checked(s, s.Defaults.Filter); err != nil {
		return nil, &schema.Error{Problems: []schema.Problem{{Path: "defaults.filter", Msg: err.Error()}}}
	}
	if env.Open, err = checked(s, s.Open); err != nil {
		return nil, &schema.Error{Problems: []schema.Problem{{Path: "open", Msg: err.Error()}}}
	}
	return env, nil
}

// checked parses text in the filter language and checks it against the schema.
func checked(s *schema.Schema, text string) (filter.Expr, error) {
	e, err := filter.Parse(text)
	if err != nil || e == nil {
		return nil, err
	}
	return filter.Check(e, s)
}

// Where builds the whole filter of a query: its own expression, the viewer's, its ad hoc
// filters and, unless switched off, the schema's default filter, ANDed. A viewer filter
// with an error is left out (see ViewerFilterProblem), unless the query checks it.
func (env *Env) Where(q *Common) (filter.Expr, error) {
	own, err := checked(env.Schema, q.Filter)
	if err != nil {
		return nil, invalidf("filter: %w", err)
	}
	viewer, err := checked(env.Schema, q.ViewerFilter)
	if err != nil {
		if q.CheckViewerFilter {
			return nil, invalidf("filter expression: %w", err)
		}
		viewer = nil
	}
	adhoc, err := filter.FromAdHoc(q.AdHocFilters, env.Schema)
	if err != nil {
		return nil, invalid{err}
	}
	def := env.Default
	if q.NoDefaultFilter {
		def = nil
	}
	where := filter.All(def, adhoc, own, viewer)
	if err := filter.Limit(where); err != nil {
		return nil, invalidf("filter: %w", err)
	}
	return where, nil
}

// ViewerFilterProblem is the error of a query's viewer filter, nil when it has none.
func (env *Env) ViewerFilterProblem(q *Common) error {
	_, err := checked(env.Schema, q.ViewerFilter)
	return err
}

// ignoredViewerFilter is the notice of an answer given without the viewer's filter
// expression. It does not repeat the error: the panel that checks the expression shows it,
// once, and a notice on every panel would be the same error again.
const ignoredViewerFilter = "The filter expression is not applied: it has an error, shown where it is checked."

// ValidateFilter parses and checks a filter expression as a query would, for the editor's
// live validation. It returns nil or a *filter.Error with the position.
func (env *Env) ValidateFilter(text string) error {
	e, err := checked(env.Schema, text)
	if err != nil {
		return err
	}
	if err := filter.Limit(e); err != nil {
		return &filter.Error{Msg: err.Error()}
	}
	return nil
}
