package query

import (
	"context"
	"fmt"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/memory"
	"github.com/spacetime/tickets/pkg/ticket"
)

// TestRealOtherIsNotTheRest: a service really named "other" is a value of the breakdown,
// marked so in the bucket field, and its row's ad hoc filter narrows to exactly its
// tickets; the rest's row, also shown as "other", narrows to the tickets of the values not
// shown, the real "other" excluded, and so do the tickets without a service, shown as
// "(none)". Run from the query JSON through the engine, as a panel's click runs it.
//
// (A real value spelled "(none)" is left out here: its own row narrows to it, but the
// rest's "!=|" list cannot exclude it, as "(none)" in that list means "no value".)
func TestRealOtherIsNotTheRest(t *testing.T) {
	ctx := context.Background()
	s := schema.Default()
	env, err := NewEnv(s)
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New(memory.Options{})
	layout := ticket.NewLayout([]string{"id", "service", "created"})
	counts := []struct {
		service string
		n       int
	}{{"web", 6}, {engine.OtherName, 5}, {"", 3}, {"db", 2}, {"dns", 1}, {"mail", 1}}
	var recs []ticket.Record
	for _, c := range counts {
		for i := range c.n {
			svc := ticket.String(c.service)
			if c.service == "" {
				svc = ticket.Value{}
			}
			recs = append(recs, ticket.Record{Key: fmt.Sprintf("%s-%d", c.service, i), Version: 1, Layout: layout,
				Values: []ticket.Value{ticket.String(fmt.Sprintf("%s-%d", c.service, i)), svc, ticket.TimeOf(t0)}})
		}
	}
	if _, err := st.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	eng := engine.New(s, st, engine.Options{Open: env.Open})
	if _, err := eng.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	run := func(raw string, adhoc []filter.AdHocFilter) *data.Frame {
		t.Helper()
		q, err := Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		q.Base().AdHocFilters = adhoc
		fs, err := Run(ctx, eng, env, Request{Query: q, From: t0.Add(-1), To: t0.Add(1)})
		if err != nil {
			t.Fatal(err)
		}
		return fs[0]
	}

	fr := run(`{"queryType":"breakdown","field":"service","top":3,"filterField":true}`, nil)
	value, _ := fr.FieldByName("service")
	count, _ := fr.FieldByName(frames.CountField)
	bucket, _ := fr.FieldByName(frames.BucketField)
	links, _ := fr.FieldByName(frames.AdHocFilterField)
	if value == nil || count == nil || bucket == nil || links == nil {
		t.Fatalf("fields %v", fr.Fields)
	}
	type row struct {
		value, bucket string
		count         int64
	}
	want := []row{{"web", frames.BucketValue, 6}, {engine.OtherName, frames.BucketValue, 5},
		{frames.NullLabel, frames.BucketNone, 3}, {engine.OtherName, frames.BucketRest, 4}}
	if fr.Rows() != len(want) {
		t.Fatalf("%d rows; want %v", fr.Rows(), want)
	}
	enum := bucket.Config.TypeConfig.Enum.Text
	for i, w := range want {
		got := row{value.At(i).(string), enum[bucket.At(i).(data.EnumItemIndex)], count.At(i).(int64)}
		if got != w {
			t.Errorf("row %d: %+v; want %+v", i, got, w)
		}
		// The row's link, read as Grafana reads the dashboard URL, narrows to its tickets.
		adhoc, err := filter.ParseURLFilters([]string{links.At(i).(string)})
		if err != nil {
			t.Fatalf("row %d: %q: %v", i, links.At(i), err)
		}
		stats := run(`{"queryType":"stats"}`, adhoc)
		total, _ := stats.FieldByName("total")
		if total == nil || total.At(0).(int64) != w.count {
			t.Errorf("row %d (%s %q): its filter %q narrows to %v tickets; want %d", i, w.bucket, w.value, links.At(i), total.At(0), w.count)
		}
	}
}
