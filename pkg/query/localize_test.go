package query

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/dataplane/sdata/numeric"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/frames"
)

// The fixture's burst: 50 tickets of svc-burst, severity 1, from t0+1m to t0+11m, a
// service that had none before. Over [t0, t0+15m) against the hour before, the one
// cause is the service: its severity adds nothing (every burst ticket has severity 1),
// so the broader combination is named.
func TestLocalizeQuery(t *testing.T) {
	raw := `{"queryType": "localize", "dimensions": ["service", "severity"], "baseline": "1h", "filterField": true}`
	m, err := Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	fr := run(t, Request{From: t0, To: t0.Add(15 * time.Minute), Query: m})
	if fr.Meta.PreferredVisualization != data.VisTypeTable {
		t.Fatalf("preferred visualization %q", fr.Meta.PreferredVisualization)
	}
	if fr.Rows() != 1 {
		t.Fatalf("%d causes, want 1", fr.Rows())
	}
	get := func(name string) any {
		f, i := fr.FieldByName(name)
		if i < 0 {
			t.Fatalf("no field %q", name)
		}
		return f.At(0)
	}
	if got := get("cause"); got != `service = "svc-burst"` {
		t.Errorf("cause %v", got)
	}
	// Ticket 0 at t0 is svc-0's; the window holds the burst's 50 only for svc-burst.
	if got := get("current"); got != int64(burstTickets) {
		t.Errorf("tickets now %v, want %d", got, burstTickets)
	}
	if got := get("expected"); got != 0.0 {
		t.Errorf("expected %v, want 0", got)
	}
	if got := get("share").(float64); got < 0.5 || got > 1 {
		t.Errorf("share of the rise %v", got)
	}
	if got := get(frames.AdHocFilterField); got != "service|=|svc-burst" {
		t.Errorf("ad hoc filter %v", got)
	}
	if got := get(frames.AdHocFilterField2); got != "" {
		t.Errorf("second ad hoc filter %v, want none", got)
	}
	custom, _ := json.Marshal(fr.Meta.Custom)
	if !strings.Contains(string(custom), `"verdict":"localized"`) {
		t.Errorf("meta %s", custom)
	}
}

// A quiet hour of the regular tickets (one a minute, services in turn) names nothing,
// and the frame says so.
func TestLocalizeQueryNothingLocalized(t *testing.T) {
	fr := run(t, Request{From: t0.Add(-10 * time.Hour), To: t0.Add(-9 * time.Hour), Query: &LocalizeQuery{Dimensions: []string{"service", "severity"}}})
	if fr.Rows() != 0 {
		t.Fatalf("%d causes in a quiet hour", fr.Rows())
	}
	if len(fr.Meta.Notices) != 1 || !strings.Contains(fr.Meta.Notices[0].Text, "No localized cause") {
		t.Fatalf("notices %+v", fr.Meta.Notices)
	}
}

func TestLocalizeQueryErrors(t *testing.T) {
	eng, env, _ := newFixture(t)
	for _, tt := range []struct {
		name    string
		noRange bool
		q       Model
		want    string
	}{
		{"without a range", true, &LocalizeQuery{}, "needs a time range"},
		{"bad baseline", false, &LocalizeQuery{Baseline: "soon"}, "baseline"},
		{"too many causes", false, &LocalizeQuery{Top: 33}, "top"},
		{"a text field", false, &LocalizeQuery{Dimensions: []string{"title"}}, "dimensions"},
		{"an unknown field", false, &LocalizeQuery{Dimensions: []string{"servce"}}, "dimensions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Query: tt.q, From: t0.Add(-time.Hour), To: t0}
			if tt.noRange {
				r.From, r.To = time.Time{}, time.Time{}
			}
			_, err := Run(context.Background(), eng, env, r)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want an ErrInvalid saying %q", err, tt.want)
			}
		})
	}
}

// summaryNumbers reads a summary answer as Grafana's server-side expressions read a data
// source's numeric frames: through the dataplane library's numeric reader
// (handleDataplaneNumeric in grafana/grafana pkg/expr/dataplane.go), which gives each
// number with its labels. An alert template sees these as $values.REFID.
func summaryNumbers(t *testing.T, frs data.Frames) []numeric.MetricRef {
	t.Helper()
	r, err := numeric.CollectionReaderFromFrames(frs)
	if err != nil {
		t.Fatalf("Grafana's numeric reader refuses the answer: %v", err)
	}
	c, err := r.GetCollection(false)
	if err != nil {
		t.Fatalf("Grafana's numeric reader refuses the answer: %v", err)
	}
	if c.Warning != nil {
		t.Errorf("numeric reader warns: %v", c.Warning)
	}
	if c.NoData() {
		t.Fatal("the summary reads as no data, which would make the whole alert rule NoData")
	}
	return c.Refs
}

func TestLocalizeSummary(t *testing.T) {
	eng, env, _ := newFixture(t)
	summary := func(t *testing.T, q *LocalizeQuery, from, to time.Time) (float64, data.Labels) {
		t.Helper()
		q.Summary = true
		frs, err := Run(context.Background(), eng, env, Request{From: from, To: to, Query: q})
		if err != nil {
			t.Fatalf("a summary answers, it does not fail: %v", err)
		}
		refs := summaryNumbers(t, frs)
		if len(refs) != 1 {
			t.Fatalf("%d numbers, want exactly 1 (of several, an alert template sees one at random)", len(refs))
		}
		v, _, err := refs[0].NullableFloat64Value()
		if err != nil || v == nil {
			t.Fatalf("value %v, %v", v, err)
		}
		return *v, refs[0].GetLabels()
	}

	t.Run("a burst names its service and its share of the window's tickets", func(t *testing.T) {
		v, l := summary(t, &LocalizeQuery{Dimensions: []string{"service", "severity"}, Baseline: "1h"}, t0, t0.Add(15*time.Minute))
		if l[frames.SummaryVerdict] != "localized" || l[frames.SummaryCause] != "service=svc-burst" {
			t.Fatalf("labels %v", l)
		}
		n, err := strconv.Atoi(l[frames.SummaryTickets])
		if err != nil || n < burstTickets {
			t.Fatalf("tickets %q, want at least the burst's %d", l[frames.SummaryTickets], burstTickets)
		}
		if want := 100 * float64(burstTickets) / float64(n); math.Abs(v-want) > 1e-9 {
			t.Errorf("value %v, want %v%% (the burst's tickets of the window's)", v, want)
		}
		if _, ok := l[frames.SummaryNote]; ok {
			t.Errorf("a note on a search that ran: %v", l)
		}
	})

	t.Run("a quiet hour still answers one number, and names nothing", func(t *testing.T) {
		v, l := summary(t, &LocalizeQuery{Dimensions: []string{"service", "severity"}}, t0.Add(-10*time.Hour), t0.Add(-9*time.Hour))
		if v != 0 || l[frames.SummaryVerdict] == "localized" || l[frames.SummaryCause] != "" || l[frames.SummaryTickets] != "60" {
			t.Fatalf("value %v, labels %v: want 0, no cause, the hour's 60 tickets", v, l)
		}
	})

	t.Run("a search that cannot run answers with a note instead of failing", func(t *testing.T) {
		v, l := summary(t, &LocalizeQuery{Dimensions: []string{"servce"}}, t0, t0.Add(15*time.Minute))
		if v != 0 || l[frames.SummaryVerdict] != "unknown" || !strings.Contains(l[frames.SummaryNote], "servce") {
			t.Fatalf("value %v, labels %v", v, l)
		}
	})

	t.Run("a query that is wrong before it runs is still an error", func(t *testing.T) {
		_, err := Run(context.Background(), eng, env, Request{From: t0, To: t0.Add(time.Minute), Query: &LocalizeQuery{Top: 40, Summary: true}})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v, want ErrInvalid", err)
		}
	})
}
