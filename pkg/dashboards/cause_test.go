package dashboards_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/dashboards"
	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// TestCausePanelNamesGeneratedOutages runs the committed cause panel's own query (its
// dimensions: the facets but status) on generated tickets, for the first hour of each
// planned outage that has a whole day before it (one service in one region, gen.Outage),
// against that day, as the panel asks when the dashboard shows that hour. The first row
// must be the outage's service and region together. (Against the hour before, the panel's
// first baseline, two of the three outages were named by their service alone or their
// region alone: an hour holds too few tickets of each pair to tell them apart.) With status among the dimensions the same search names
// "status = resolved and service and region" for some outages (docs/patterns-and-localize.md),
// which is why the panel leaves status out; the contract suite checks one outage through
// Grafana's code, this checks several.
func TestCausePanelNamesGeneratedOutages(t *testing.T) {
	b := loadBoard(t, dashboards.OverviewFile)
	m, err := query.Decode(dataPanels(b)[0].Targets[0])
	if err != nil {
		t.Fatal(err)
	}
	q, ok := m.(*query.LocalizeQuery)
	if !ok {
		t.Fatalf("the overview's first panel asks %#v, want a localize query", m)
	}
	q.ViewerFilter = "" // "${filter:raw}", which Grafana interpolates; the box is empty

	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	opts := gen.Options{Tickets: 150_000, End: end, Span: 10 * 24 * time.Hour, Seed: 3, Outages: 4}
	s := schema.Default()
	env, err := query.NewEnv(s)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(s, nil, engine.Options{Open: env.Open})
	ctx := context.Background()
	err = gen.Batches(ctx, opts, 8192, func(batch []ticket.Record) error {
		e.Apply(batch)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, o := range gen.PlanOutages(opts) {
		if o.Start.Before(end.Add(-opts.Span).Add(24 * time.Hour)) {
			continue // no whole day before it
		}
		checked++
		frs, err := query.Run(ctx, e, env, query.Request{Query: q, From: o.Start, To: o.Start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("service = %q and region = %q", o.Service, o.Region)
		f, i := frs[0].FieldByName("cause")
		if i < 0 || f.Len() == 0 || f.At(0) != want {
			var got []any
			for j := 0; f != nil && j < f.Len(); j++ {
				got = append(got, f.At(j))
			}
			t.Errorf("the outage at %s: causes %v, want first %s", o.Start, got, want)
		}
	}
	if checked < 2 {
		t.Fatalf("only %d outages had a day before them", checked)
	}
}
