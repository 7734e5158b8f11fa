package query

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
)

// Breakdown: tickets per value of a field, top N plus "other" (pie and bar charts).
const Breakdown Type = "breakdown"

// BreakdownQuery is the model of a breakdown query.
type BreakdownQuery struct {
	Common
	// Field is the field whose values are counted.
	Field string `json:"field,omitempty" arg:"FIELD" help:"the FIELD whose values are counted or listed"`
	// Top is the number of values kept before "other" (default 10).
	Top int `json:"top,omitempty"`
	// FilterField adds the field adhocFilter: for each row, the ad hoc filter that
	// narrows to it, written as Grafana's dashboard URL writes a filter, for a data link
	// (frames.AdHocFilterField).
	FilterField bool `json:"filterField,omitempty" help:"add the field adhocFilter: each row's filter as a dashboard URL writes it (data links)"`
}

// Type is breakdown.
func (*BreakdownQuery) Type() Type { return Breakdown }

// Check has nothing to check without the schema.
func (*BreakdownQuery) Check() error { return nil }

func (q *BreakdownQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, _ Request) (data.Frames, error) {
	if q.Field == "" {
		return nil, invalidf("a breakdown query needs a field; facets are %s", env.facetList())
	}
	if err := env.requireType(q.Field, "field", "string", "number", "bool"); err != nil {
		return nil, err
	}
	res, err := eng.Breakdown(ctx, engine.BreakdownRequest{Scope: scope, Field: q.Field, Top: q.Top})
	if err != nil {
		return nil, fmt.Errorf("breakdown: %w", err)
	}
	return b.Breakdown(res, q.FilterField), nil
}
