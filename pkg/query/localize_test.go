package query

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

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
