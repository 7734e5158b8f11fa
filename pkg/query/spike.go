package query

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
)

// Spike: the recent ticket rate against its trailing baseline, over time (alerting).
const Spike Type = "spike"

// Defaults of the spike query: a window short enough to fire within minutes of an
// outage's start, and a baseline of a whole day, so that the usual rate includes the
// day's rhythm rather than only the hour before.
const (
	DefaultSpikeWindow   = 10 * time.Minute
	DefaultSpikeBaseline = 24 * time.Hour
)

// SpikeQuery is the model of a spike query.
type SpikeQuery struct {
	Common
	// SplitBy gives one set of series per value of this field.
	SplitBy string `json:"splitBy,omitempty"`
	// Top is the number of values of SplitBy kept before "other" (default 10).
	Top int `json:"top,omitempty"`
	// Bucket is the spacing of the points, as a duration; empty: as a counts bucket.
	Bucket string `json:"bucket,omitempty"`
	// Window is the recent period whose rate is compared (default 10m).
	Window string `json:"window,omitempty" arg:"DURATION" help:"the recent period, a DURATION, whose rate a spike query compares (default 10m)"`
	// Baseline is the period before the window that gives the usual rate (default 24h).
	Baseline string `json:"baseline,omitempty"`
	// Series picks the measures: "rate", "baseline", "ratio"; empty: all.
	Series []string `json:"series,omitempty" arg:"MEASURES" help:"the MEASURES of a spike query, comma-separated: rate, baseline, ratio (default: all)"`
}

// Type is spike.
func (*SpikeQuery) Type() Type { return Spike }

// Check checks the window, the baseline and the measures.
func (q *SpikeQuery) Check() error {
	_, _, err := q.periods()
	if err != nil {
		return err
	}
	_, err = q.measures()
	return err
}

// periods are the window and the baseline, with their defaults.
func (q *SpikeQuery) periods() (window, baseline time.Duration, err error) {
	if window, err = durationOption("window", q.Window, DefaultSpikeWindow); err != nil {
		return 0, 0, err
	}
	if baseline, err = durationOption("baseline", q.Baseline, DefaultSpikeBaseline); err != nil {
		return 0, 0, err
	}
	if baseline < window {
		return 0, 0, invalidf("baseline: %s is shorter than the window (%s); the usual rate needs a longer period", frames.ShortDuration(baseline), frames.ShortDuration(window))
	}
	return window, baseline, nil
}

// measures are the series asked for, each once.
func (q *SpikeQuery) measures() ([]string, error) {
	var out []string
	for _, m := range q.Series {
		if !slices.Contains(frames.SpikeMeasures, m) {
			return nil, invalidf("series: unknown measure %q; use %s", m, strings.Join(frames.SpikeMeasures, ", "))
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (q *SpikeQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, r Request) (data.Frames, error) {
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a spike query needs a time range")
	}
	window, baseline, err := q.periods()
	if err != nil {
		return nil, err
	}
	if q.SplitBy != "" {
		if err := env.requireType(q.SplitBy, "splitBy", "string", "number", "bool"); err != nil {
			return nil, err
		}
	}
	measures, err := q.measures()
	if err != nil {
		return nil, err
	}
	step, err := ChooseBucket(q.Bucket, r.Interval, r.To.Sub(r.From), r.MaxDataPoints)
	if err != nil {
		return nil, err
	}
	res, err := eng.Spike(ctx, engine.SpikeRequest{Scope: scope, Window: window, Baseline: baseline, Step: step, SplitBy: q.SplitBy, Top: q.Top})
	if err != nil {
		return nil, fmt.Errorf("spike: %w", err)
	}
	return b.Spike(res, frames.SpikeOptions{SplitBy: q.SplitBy, Step: step, Window: window, Baseline: baseline, Measures: measures}), nil
}
