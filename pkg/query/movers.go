package query

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
)

// Movers: the values of a field that rose most above their baseline ("what changed?").
const Movers Type = "movers"

// MoversQuery is the model of a movers query.
type MoversQuery struct {
	Common
	// Field is the field whose values are compared.
	Field string `json:"field,omitempty"`
	// Top is the number of movers (default 10).
	Top int `json:"top,omitempty"`
	// FilterField adds the field adhocFilter, as a breakdown's.
	FilterField bool `json:"filterField,omitempty"`
	// Baseline is the period before the range that the range is compared with; empty: as
	// long as the range.
	Baseline string `json:"baseline,omitempty"`
}

// Type is movers.
func (*MoversQuery) Type() Type { return Movers }

// Check checks the baseline.
func (q *MoversQuery) Check() error {
	_, err := durationOption("baseline", q.Baseline, 0)
	return err
}

func (q *MoversQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, _ Request) (data.Frames, error) {
	if q.Field == "" {
		return nil, invalidf("a movers query needs a field; facets are %s", env.facetList())
	}
	if err := env.requireType(q.Field, "field", "string", "number", "bool"); err != nil {
		return nil, err
	}
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a movers query needs a time range")
	}
	baseline, err := durationOption("baseline", q.Baseline, 0)
	if err != nil {
		return nil, err
	}
	res, err := eng.Movers(ctx, engine.MoversRequest{Scope: scope, Field: q.Field, Baseline: baseline, Top: q.Top})
	if err != nil {
		return nil, fmt.Errorf("movers: %w", err)
	}
	return b.Movers(res, q.FilterField), nil
}
