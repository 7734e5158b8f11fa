package query

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
)

// Counts: tickets per time bucket, optionally split by a field (time series; alerting).
const Counts Type = "counts"

// CountsQuery is the model of a counts query.
type CountsQuery struct {
	Common
	// SplitBy splits the counts into one series per value of this field.
	SplitBy string `json:"splitBy,omitempty" arg:"FIELD" help:"split the series by this FIELD"`
	// Top is the number of series kept before "other" (default 10).
	Top int `json:"top,omitempty" arg:"N" help:"the N series, slices or movers kept, before \"other\" (default 10), or the most combinations of a localize query (default 5)"`
	// Bucket is the bucket width as a duration ("1m", "5m", "1h"); empty: the panel's
	// interval, at least one minute (ChooseBucket).
	Bucket string `json:"bucket,omitempty" arg:"DURATION" help:"the bucket width, or the spike step, a DURATION such as 5m, 1h, 1d (default: fit the range)"`
}

// Type is counts.
func (*CountsQuery) Type() Type { return Counts }

// Check has nothing to check without the schema: the bucket depends on the range.
func (*CountsQuery) Check() error { return nil }

func (q *CountsQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, r Request) (data.Frames, error) {
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a counts query needs a time range")
	}
	if q.SplitBy != "" {
		if err := env.requireType(q.SplitBy, "splitBy", "string", "number", "bool"); err != nil {
			return nil, err
		}
	}
	bucket, err := ChooseBucket(q.Bucket, r.Interval, r.To.Sub(r.From), r.MaxDataPoints)
	if err != nil {
		return nil, err
	}
	res, err := eng.Counts(ctx, engine.CountsRequest{Scope: scope, Bucket: bucket, SplitBy: q.SplitBy, Top: q.Top})
	if err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	return b.Counts(res, q.SplitBy, bucket), nil
}
