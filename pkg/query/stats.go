package query

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
)

// Stats: total, open now, rate per minute, and the usual rate before.
const Stats Type = "stats"

// StatsQuery is the model of a stats query.
type StatsQuery struct {
	Common
	// Baseline is the period before the range whose rate the stats compare with;
	// empty: as long as the range.
	Baseline string `json:"baseline,omitempty" arg:"DURATION" help:"the period, a DURATION, before the range (stats, movers, localize; default: as long as the range) or the window (spike; default 1d) that the query compares with"`
}

// Type is stats.
func (*StatsQuery) Type() Type { return Stats }

// Check checks the baseline.
func (q *StatsQuery) Check() error {
	_, err := durationOption("baseline", q.Baseline, 0)
	return err
}

func (q *StatsQuery) run(ctx context.Context, eng *engine.Engine, _ *Env, b frames.Builder, scope engine.Scope, _ Request) (data.Frames, error) {
	baseline, err := durationOption("baseline", q.Baseline, 0)
	if err != nil {
		return nil, err
	}
	res, err := eng.Stats(ctx, engine.StatsRequest{Scope: scope, Baseline: baseline})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return b.Stats(res), nil
}
