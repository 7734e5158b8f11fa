package query

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
)

// Values: distinct values of a field with counts (variables, ad hoc filter values).
const Values Type = "values"

// ValuesQuery is the model of a values query.
type ValuesQuery struct {
	Common
	// Field is the field whose values are listed, or a column's title (an ad hoc filter's
	// key may be one).
	Field string `json:"field,omitempty"`
	// Limit is the number of values; 0: the default.
	Limit int `json:"limit,omitempty"`
	// Prefix keeps the values that start with it.
	Prefix string `json:"prefix,omitempty" arg:"PREFIX" help:"keep the values starting with PREFIX"`
}

// Type is values.
func (*ValuesQuery) Type() Type { return Values }

// Check has nothing to check without the schema.
func (*ValuesQuery) Check() error { return nil }

func (q *ValuesQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, _ Request) (data.Frames, error) {
	if q.Field == "" {
		return nil, invalidf("a values query needs a field")
	}
	// The values of an ad hoc filter's key, which may be a column's title, as the filter
	// reads it.
	field := filter.FieldForKey(q.Field, env.Schema)
	if err := env.requireType(field, "field", "string", "text", "number", "bool"); err != nil {
		return nil, err
	}
	res, err := eng.Values(ctx, engine.ValuesRequest{Scope: scope, Field: field, Prefix: q.Prefix, Limit: q.Limit})
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	return b.Values(res), nil
}
