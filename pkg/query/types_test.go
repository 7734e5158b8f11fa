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

func run(t *testing.T, r Request) *data.Frame {
	t.Helper()
	eng, env, _ := newFixture(t)
	fs, err := Run(context.Background(), eng, env, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("%d frames, want 1", len(fs))
	}
	return fs[0]
}

func TestLogsQuery(t *testing.T) {
	fr := run(t, Request{From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Query: &LogsQuery{Common: Common{Search: "latency"}, Limit: 60}})
	if fr.Meta.Type != data.FrameTypeLogLines {
		t.Fatalf("frame type %q, want log-lines", fr.Meta.Type)
	}
	field := func(name string) *data.Field {
		f, i := fr.FieldByName(name)
		if i < 0 {
			t.Fatalf("no field %q", name)
		}
		return f
	}
	if n := fr.Rows(); n != 60 {
		t.Fatalf("%d lines, want the limit of 60", n)
	}
	// Newest first: the 50 burst tickets, then the regular ones from t0 back.
	for i := range 60 {
		want := t0.Add(time.Minute + time.Duration(burstTickets-1-i)*12*time.Second)
		if i >= burstTickets {
			want = t0.Add(-time.Duration(i-burstTickets) * time.Minute)
		}
		if got := field(frames.LogTimeField).At(i).(time.Time); !got.Equal(want) {
			t.Fatalf("line %d at %s, want %s", i, got, want)
		}
	}
	// Regular ticket i = 0 (line 50): null severity, so an unknown level; its
	// description comes from the store.
	if got := field(frames.LogSeverityField).At(50); got != frames.LevelUnknown {
		t.Errorf("level of a ticket without severity = %v", got)
	}
	if got := field(frames.LogSeverityField).At(51); got != frames.LevelError { // i = 1: severity 2
		t.Errorf("level of a severity 2 ticket = %v, want error", got)
	}
	if got := *(field("description").At(51).(*string)); got != "first line 1\tcolumn\nsecond line, \"quoted\" \\ back" {
		t.Errorf("description = %q", got)
	}
	if got := field(frames.LogBodyField).At(51); got != "INC00001 disk full on node 1 — Sev: 2 · Service: svc-1" {
		t.Errorf("body = %q", got)
	}
	var labels map[string]string
	if err := json.Unmarshal(field(frames.LogLabelsField).At(0).(json.RawMessage), &labels); err != nil || labels["service"] != burstService {
		t.Errorf("labels = %v (%v), want the service", labels, err)
	}
	if words := fr.Meta.Custom.(map[string]any)["searchWords"]; len(words.([]string)) != 1 {
		t.Errorf("searchWords = %v", words)
	}
}

func TestSpikeQuery(t *testing.T) {
	// One ticket a minute before t0: every complete 10-minute window holds 10 and every
	// hour of baseline 60, so the rate and the usual rate are 1 a minute, the ratio 1.
	fr := run(t, Request{From: t0.Add(-time.Hour), To: t0, Query: &SpikeQuery{Window: "10m", Baseline: "1h", Bucket: "10m"}})
	if fr.Meta.Type != data.FrameTypeTimeSeriesWide || fr.TimeSeriesSchema().Type != data.TimeSeriesTypeWide {
		t.Fatalf("frame type %q, want a wide time series", fr.Meta.Type)
	}
	if fr.Rows() != 7 {
		t.Fatalf("%d points, want 7 (every 10 minutes from t0-1h to t0, both ends)", fr.Rows())
	}
	for _, name := range []string{"rate", "baseline", "ratio"} {
		f, _ := fr.FieldByName(name)
		for i := range fr.Rows() {
			if v := f.At(i).(float64); v != 1 {
				t.Errorf("%s at point %d = %v, want 1", name, i, v)
			}
		}
	}

	// Split by service with the defaults (10m window, 24h baseline): each service gets
	// its own series, and for alert rules one measure per series.
	fr = run(t, Request{From: t0, To: t0.Add(20 * time.Minute), Interval: time.Minute,
		Query: &SpikeQuery{SplitBy: "service", Top: 20, Series: []string{"ratio"}}})
	f, _ := fr.FieldByName("ratio")
	if len(fr.Fields) != 1+8 {
		t.Fatalf("%d fields, want time and one ratio for each of 8 services", len(fr.Fields))
	}
	var burst *data.Field
	for _, f := range fr.Fields[1:] {
		if f.Labels["service"] == burstService {
			burst = f
		}
	}
	if burst == nil {
		t.Fatalf("no series for %s in %v", burstService, f)
	}
	// At t0+11m the window [t0+1m, t0+11m) holds all 50 burst tickets, and the service
	// had none in its baseline: the ratio floors the expectation at one ticket.
	if got := burst.At(11).(float64); got != 50 {
		t.Errorf("burst ratio at t0+11m = %v, want 50", got)
	}
}

func TestMoversQuery(t *testing.T) {
	fr := run(t, Request{From: t0, To: t0.Add(15 * time.Minute), Query: &MoversQuery{Field: "service"}})
	if fr.Meta.Type != data.FrameTypeNumericLong {
		t.Fatalf("frame type %q, want numeric-long", fr.Meta.Type)
	}
	// Current period: the 50 burst tickets and ticket 0 at t0 (svc-0). Baseline, the 15
	// minutes before: tickets 1..15, of which 7 and 14 are svc-0.
	if fr.Rows() != 2 {
		t.Fatalf("%d movers, want 2 (the values with tickets now)", fr.Rows())
	}
	want := []struct {
		value             string
		current, baseline int64
		score             float64
	}{
		{burstService, 50, 0, 50},
		{"svc-0", 1, 2, -1 / 1.7320508075688772},
	}
	for i, w := range want {
		row := []any{fr.Fields[0].At(i), fr.Fields[1].At(i), fr.Fields[2].At(i)}
		if row[0] != w.value || row[1] != w.current || row[2] != w.baseline {
			t.Errorf("row %d = %v, want %v %d %d", i, row, w.value, w.current, w.baseline)
		}
		if got := fr.Fields[5].At(i).(float64); got-w.score > 1e-12 || w.score-got > 1e-12 {
			t.Errorf("row %d score %v, want %v", i, got, w.score)
		}
	}
}

func TestStatsBaseline(t *testing.T) {
	tests := []struct {
		name     string
		baseline string
		total    int64
		rate     float64
	}{
		// One ticket a minute: the hour before t0-1h holds 60, a rate of 1.
		{"as long as the range", "", 60, 1},
		{"a day", "1d", 1440, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := run(t, Request{From: t0.Add(-time.Hour), To: t0, Query: &StatsQuery{Baseline: tt.baseline}})
			f, _ := fr.FieldByName("baseline")
			if got := f.At(0).(float64); got != tt.rate {
				t.Errorf("baseline rate = %v, want %v", got, tt.rate)
			}
			if got := fr.Meta.Custom.(map[string]int64)["baselineTotal"]; got != tt.total {
				t.Errorf("baseline total = %v, want %v", got, tt.total)
			}
		})
	}
}

func TestNewTypesRejectBadQueries(t *testing.T) {
	eng, env, _ := newFixture(t)
	from, to := t0.Add(-time.Hour), t0
	tests := []struct {
		name    string
		noRange bool
		q       Model
		want    string
	}{
		{"logs without a range", true, &LogsQuery{}, "needs a time range"},
		{"logs level of the wrong type", false, &LogsQuery{LevelField: "created"}, "levelField"},
		{"logs unknown column", false, &LogsQuery{Columns: []string{"descripton"}}, `"description"`},
		{"spike without a range", true, &SpikeQuery{}, "needs a time range"},
		{"spike bad window", false, &SpikeQuery{Window: "soon"}, "window"},
		{"spike baseline shorter than window", false, &SpikeQuery{Window: "1h", Baseline: "10m"}, "shorter than the window"},
		{"spike unknown measure", false, &SpikeQuery{Series: []string{"rates"}}, `unknown measure "rates"`},
		{"spike split by text", false, &SpikeQuery{SplitBy: "title"}, "splitBy"},
		{"movers without a field", false, &MoversQuery{}, "needs a field"},
		{"movers without a range", true, &MoversQuery{Field: "service"}, "needs a time range"},
		{"movers bad baseline", false, &MoversQuery{Field: "service", Baseline: "-1h"}, "baseline"},
		{"stats bad baseline", false, &StatsQuery{Baseline: "yesterday"}, "baseline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Query: tt.q, From: from, To: to}
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

func TestLevelFieldGuess(t *testing.T) {
	_, env, _ := newFixture(t)
	got, err := env.levelField(&LogsQuery{})
	if err != nil || got != "severity" {
		t.Fatalf("levelField = %q, %v; want the default schema's severity", got, err)
	}
	got, err = env.levelField(&LogsQuery{LevelField: "status"})
	if err != nil || got != "status" {
		t.Fatalf("levelField = %q, %v; want the query's", got, err)
	}
}
