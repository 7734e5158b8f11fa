package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/localize"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// localizeCube runs a leaves query and turns its result into the search's input.
func localizeCube(ctx context.Context, e *engine.Engine, req engine.LeavesRequest) (*localize.Cube, error) {
	lv, err := e.Leaves(ctx, req)
	if err != nil {
		return nil, err
	}
	c := &localize.Cube{Codes: lv.Codes, Now: lv.Now, Before: lv.Before, Early: lv.Early,
		Scale: float64(lv.Length) / float64(lv.BaselineLength)}
	for _, f := range lv.Fields {
		c.Dims = append(c.Dims, localize.Dim{Name: f.Name, Values: f.Values, Nulls: f.Nulls})
	}
	return c, nil
}

// TestLocalizeGeneratedOutages asks, for the first hour of each outage of the generated
// tickets (one service in one region, gen.Outage), where the rise is, against the day
// before: the engine's leaves of the service, region and category facets, then the
// search. The outage's service and region must be the first cause, together.
func TestLocalizeGeneratedOutages(t *testing.T) {
	opts := gen.Options{Tickets: 150_000, End: benchEnd, Span: 10 * 24 * time.Hour, Seed: 3, Outages: 4}
	s := schema.Default()
	env, err := query.NewEnv(s)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(s, nil, engine.Options{Open: env.Open})
	err = gen.Batches(context.Background(), opts, 8192, func(batch []ticket.Record) error {
		e.Apply(batch)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	checked := 0
	for _, o := range gen.PlanOutages(opts) {
		if o.Start.Before(benchEnd.Add(-opts.Span).Add(24 * time.Hour)) {
			continue // no whole day before it
		}
		checked++
		req := engine.LeavesRequest{
			Scope:    engine.Scope{From: o.Start, To: o.Start.Add(time.Hour)},
			Fields:   []string{"service", "region", "category"},
			Baseline: 24 * time.Hour,
		}
		c, err := localizeCube(ctx, e, req)
		if err != nil {
			t.Fatal(err)
		}
		res, err := localize.Localize(ctx, c, localize.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("service = %q and region = %q", o.Service, o.Region)
		if res.Verdict != localize.Localized || res.Causes[0].String() != want {
			t.Errorf("the outage of %s at %s: %s, causes %v; want first %s", o.Service, o.Start, res.Verdict, res.Causes, want)
			continue
		}
		first := res.Causes[0]
		if first.Share < 0.3 || first.Now <= int64(first.Expected) {
			t.Errorf("the outage of %s: its cause has %d tickets now, %.1f expected, share %.2f", o.Service, first.Now, first.Expected, first.Share)
		}
	}
	if checked < 2 {
		t.Fatalf("only %d outages had a day before them", checked)
	}
}
