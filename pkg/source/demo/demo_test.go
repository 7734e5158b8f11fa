package demo_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/demo"
	"github.com/spacetime/tickets/pkg/ticket"
)

// poll runs one poll of the window and returns the records by key.
func poll(t *testing.T, src *demo.Source, since, now time.Time) map[string]ticket.Record {
	t.Helper()
	out := map[string]ticket.Record{}
	_, err := src.Poll(context.Background(), source.Window{Since: since, Now: now}, func(_ context.Context, b source.Batch) error {
		if len(b.Rejects) > 0 {
			t.Fatalf("the demo made rejects: %+v", b.Rejects[:min(3, len(b.Rejects))])
		}
		for _, r := range b.Records {
			if _, dup := out[r.Key]; dup {
				t.Errorf("%s handed over twice in one poll", r.Key)
			}
			out[r.Key] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newDemo(t *testing.T, opts demo.Options) *demo.Source {
	t.Helper()
	src, err := demo.New(schema.Default(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// A Wednesday, so that a day back is a weekday too.
var now = time.Date(2026, 11, 25, 15, 30, 0, 0, time.UTC)

func TestBackfillIsTheWindowAndTheRateIsAboutTenAMinute(t *testing.T) {
	src := newDemo(t, demo.Options{Backfill: 24 * time.Hour, Seed: 1})
	recs := poll(t, src, time.Time{}, now)
	since := now.Add(-24 * time.Hour)
	created := 0
	for k, r := range recs {
		up := r.Get("updated").Time()
		if up.Before(since) || up.After(now) {
			t.Fatalf("%s updated at %v, outside the backfill window", k, up)
		}
		if !r.Get("created").Time().Before(since) {
			created++
		}
	}
	// A weekday's day of tickets at about 10 a minute: the usual rate varies with the
	// hour (more in business hours) and outages add, so allow a wide band.
	perMinute := float64(created) / (24 * 60)
	if perMinute < 6 || perMinute > 20 {
		t.Errorf("%.1f tickets a minute created in the last day, want about 10", perMinute)
	}
}

func TestTheStreamIsDeterministicAndMovesWithTheClock(t *testing.T) {
	a := newDemo(t, demo.Options{Backfill: 6 * time.Hour, Seed: 7})
	b := newDemo(t, demo.Options{Backfill: 6 * time.Hour, Seed: 7})
	first, again := poll(t, a, time.Time{}, now), poll(t, b, time.Time{}, now)
	if len(first) == 0 || len(first) != len(again) {
		t.Fatalf("%d and %d tickets for the same seed and time", len(first), len(again))
	}
	for k, r := range first {
		o, ok := again[k]
		if !ok || !r.SameValues(&o) || r.Version != o.Version {
			t.Fatalf("%s differs between two sources with the same seed", k)
		}
	}
	other := poll(t, newDemo(t, demo.Options{Backfill: 6 * time.Hour, Seed: 8}), time.Time{}, now)
	same := 0
	for k, r := range first {
		if o, ok := other[k]; ok && r.SameValues(&o) {
			same++
		}
	}
	if same > len(first)/10 {
		t.Errorf("%d of %d tickets are the same under another seed", same, len(first))
	}

	// Ten minutes later, a poll from the watermark (minus an overlap) brings new tickets
	// and new versions of known ones, and nothing that changed before the window.
	later := now.Add(10 * time.Minute)
	next := poll(t, a, now.Add(-time.Minute), later)
	var fresh, updated int
	for k, r := range next {
		if r.Version < now.Add(-time.Minute).UnixMilli() {
			t.Fatalf("%s changed at %v, before the window", k, r.Get("updated").Time())
		}
		if old, ok := first[k]; ok {
			switch {
			case r.Version > old.Version:
				updated++
			case r.Version < old.Version || !r.SameValues(&old):
				t.Errorf("%s handed over in an older or different version", k)
			}
			// The same version again is the overlap's re-read.
		} else {
			fresh++
		}
	}
	if fresh < 30 || updated == 0 {
		t.Errorf("ten minutes later: %d new tickets and %d updated, want about 100 new and some updated", fresh, updated)
	}
}

func TestTicketsAreAcknowledgedAndResolvedOverTime(t *testing.T) {
	src := newDemo(t, demo.Options{Backfill: 2 * time.Hour, Seed: 3})
	open := poll(t, src, time.Time{}, now)
	// Three days later every ticket of that window has moved on (acknowledged or resolved),
	// except the few left open for good.
	later := poll(t, src, now.Add(-time.Minute), now.Add(72*time.Hour))
	var wasOpen, resolved int
	for k, r := range open {
		if r.Get("status").S == "resolved" {
			continue
		}
		wasOpen++
		if l, ok := later[k]; ok && l.Get("status").S == "resolved" {
			resolved++
			if l.Get("resolved").IsNull() || l.Get("resolved").I != l.Version {
				t.Errorf("%s is resolved without its resolution time", k)
			}
		}
	}
	if wasOpen == 0 || float64(resolved) < 0.9*float64(wasOpen) {
		t.Errorf("%d of %d open tickets resolved three days later, want nearly all", resolved, wasOpen)
	}
}

func TestOutagesAreSpikesInOneServiceAndRegion(t *testing.T) {
	src := newDemo(t, demo.Options{Backfill: 7 * 24 * time.Hour, Seed: 1})
	outages := src.Outages(now.Add(-7*24*time.Hour), now)
	if len(outages) < 5 {
		t.Fatalf("%d outages in a week, want about 10", len(outages))
	}
	recs := poll(t, src, time.Time{}, now)
	for _, o := range outages {
		if o.End.After(now) {
			continue
		}
		var in, other int
		for _, r := range recs {
			c := r.Get("created").Time()
			if c.Before(o.Start) || !c.Before(o.End) || r.Get("region").S != o.Region {
				continue
			}
			if r.Get("service").S == o.Service {
				in++
			} else {
				other++
			}
		}
		// During an outage its service in its region opens far more tickets than any
		// service usually does in a region (a fraction of one a minute).
		minutes := o.End.Sub(o.Start).Minutes()
		if float64(in) < minutes || in < other {
			t.Errorf("outage of %s in %s (%.0f min, factor %.1f): %d tickets there, %d for the other services of the region",
				o.Service, o.Region, minutes, o.Factor, in, other)
		}
	}
}

func TestDemoRefusesASchemaWithoutItsKey(t *testing.T) {
	s, err := schema.Parse([]byte("key: ticket\ntime: at\ncolumns:\n  - {name: ticket, type: string}\n  - {name: at, type: time}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.New(s, demo.Options{}); err == nil {
		t.Error("a schema whose key is not the generator's id should be refused")
	}
}

// A poll costs in proportion to what it hands over, not to the week its tickets belong to:
// at 600 tickets a minute a steady poll (a minute and the 5 minutes' overlap) hands over
// a few thousand tickets, and used to generate the week's six million to find them (46 s
// a poll; at 3000 a minute the first poll never finished). Allocations count the work
// without a clock: each generated ticket allocates its texts.
func TestAPollCostsInProportionToWhatItHandsOver(t *testing.T) {
	src := newDemo(t, demo.Options{Rate: 600, Seed: 1})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := len(poll(t, src, now.Add(-6*time.Minute), now))
	runtime.ReadMemStats(&after)
	perTicket := float64(after.Mallocs-before.Mallocs) / float64(n)
	t.Logf("%d tickets handed over, %.0f allocations each", n, perTicket)
	if n < 3000 {
		t.Fatalf("%d tickets in six minutes at 600 a minute", n)
	}
	if perTicket > 100 {
		t.Errorf("%.0f allocations for each ticket handed over: the poll generates far more than it hands over", perTicket)
	}
}
