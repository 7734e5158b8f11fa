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
	// Dimensions are the fields whose values are combined; empty: the schema's facets but
	// its lifecycle columns.
	Dimensions []string `json:"dimensions,omitempty" arg:"FIELDS" help:"the FIELDS whose values a localize query combines, comma-separated (default: the schema's facets but its lifecycle columns)"`
	// Summary answers for an alert rule: one number (the share of the window's tickets in
	// the most likely cause, in percent) whose labels name the cause, the window's tickets
	// and the verdict (frames.LocalizeSummary). A failed search answers the same number
	// with a note instead of an error: an alert rule turns a query's error or empty
	// answer into NoData for the whole rule, which would hide the spike the query is there
	// to explain.
	Summary bool `json:"summary,omitempty" help:"answer a localize query as one number with labels, for an alert rule's template"`
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

func (q *LocalizeQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, r Request) (data.Frames, error) {
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a localize query needs a time range")
	}
	if err := q.Check(); err != nil {
		return nil, err
	}
	res, err := q.search(ctx, eng, env, scope)
	if q.Summary {
		switch {
		case err == nil:
			return b.LocalizeSummary(res, ""), nil
		case ctx.Err() != nil:
			// The evaluation itself was cancelled or timed out: its other queries fail too.
			return nil, err
		default:
			return b.LocalizeSummary(nil, "the cause was not searched: "+err.Error()), nil
		}
	}
	if err != nil {
		return nil, err
	}
	return b.Localize(res, q.FilterField), nil
}

// search counts the leaves of the window and its baseline and searches them.
func (q *LocalizeQuery) search(ctx context.Context, eng *engine.Engine, env *Env, scope engine.Scope) (*localize.Result, error) {
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
	return localize.Localize(ctx, &cube, localize.Options{MaxCauses: q.Top})
}
