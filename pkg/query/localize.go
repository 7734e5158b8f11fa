package query

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/localize"
)

// Localize: the combinations of values that explain a rise of the range against its
// baseline ("where is it?").
const Localize Type = "localize"

// LocalizeQuery is the model of a localize query.
type LocalizeQuery struct {
	Common
	// Top is the most combinations of the answer (default 5).
	Top int `json:"top,omitempty"`
	// FilterField adds the fields adhocFilter, adhocFilter2 and adhocFilter3: a
	// combination's ad hoc filters, one per value.
	FilterField bool `json:"filterField,omitempty"`
	// Baseline is the period before the range that the range is compared with; empty: as
	// long as the range.
	Baseline string `json:"baseline,omitempty"`
	// Dimensions are the fields whose values are combined; empty: the schema's facets.
	Dimensions []string `json:"dimensions,omitempty" arg:"FIELDS" help:"the FIELDS whose values a localize query combines, comma-separated (default: the schema's facets)"`
}

// Type is localize.
func (*LocalizeQuery) Type() Type { return Localize }

// Check checks the baseline and the number of combinations.
func (q *LocalizeQuery) Check() error {
	if q.Top < 0 || q.Top > localize.MaxCauses {
		return invalidf("top: a localize query names 1 to %d combinations, not %d", localize.MaxCauses, q.Top)
	}
	_, err := durationOption("baseline", q.Baseline, 0)
	return err
}

func (q *LocalizeQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, _ Request) (data.Frames, error) {
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a localize query needs a time range")
	}
	if err := q.Check(); err != nil {
		return nil, err
	}
	baseline, err := durationOption("baseline", q.Baseline, 0)
	if err != nil {
		return nil, err
	}
	for _, f := range q.Dimensions {
		if err := env.requireType(f, "dimensions", "string", "number", "bool"); err != nil {
			return nil, err
		}
	}
	lv, err := eng.Leaves(ctx, engine.LeavesRequest{Scope: scope, Fields: q.Dimensions, Baseline: baseline})
	if err != nil {
		return nil, fmt.Errorf("localize: %w", err)
	}
	cube := localize.Cube{Codes: lv.Codes, Now: lv.Now, Before: lv.Before, Early: lv.Early,
		Scale: float64(lv.Length) / float64(lv.BaselineLength)}
	for _, f := range lv.Fields {
		cube.Dims = append(cube.Dims, localize.Dim{Name: f.Name, Values: f.Values, Nulls: f.Nulls})
	}
	res, err := localize.Localize(ctx, &cube, localize.Options{MaxCauses: q.Top})
	if err != nil {
		return nil, err
	}
	return b.Localize(res, q.FilterField), nil
}
