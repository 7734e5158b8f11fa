package frames

import (
	"flag"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/schema"
)

// update rewrites the golden files: go test ./pkg/frames -update
var update = flag.Bool("update", false, "rewrite the golden frame files")

func TestGoldenFrames(t *testing.T) {
	b := Builder{Schema: schema.Default(), RefID: "A"}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		frames data.Frames
	}{
		{"counts_split", b.Counts(&engine.CountsResult{
			Times: []time.Time{t0, t0.Add(5 * time.Minute)},
			Series: []engine.Series{
				{Name: "1", Counts: []int64{3, 40}},
				{Name: "", Null: true, Counts: []int64{0, 1}},
				{Name: engine.OtherName, Counts: []int64{2, 2}},
			},
		}, "severity", 5*time.Minute)},
		{"counts_single", b.Counts(&engine.CountsResult{
			Times:  []time.Time{t0},
			Series: []engine.Series{{Counts: []int64{7}}},
		}, "", time.Minute)},
		{"breakdown", b.Breakdown(&engine.BreakdownResult{Field: "service", Total: 10, Buckets: []engine.Bucket{
			{Value: "checkout", Count: 6}, {Null: true, Count: 1}, {Value: engine.OtherName, Other: true, Count: 3},
		}})},
		{"tickets", b.Tickets(&engine.TicketsResult{
			Columns: []engine.Column{
				{Name: "id", Strings: []string{"INC1", "INC2"}},
				{Name: "severity", Numbers: []float64{1, 0}, Nulls: []bool{false, true}},
				{Name: "created", Times: []time.Time{t0, t0.Add(time.Minute)}},
			},
			Matches: []bool{true, false},
			Total:   5,
		}, "latency")},
		{"stats", b.Stats(&engine.StatsResult{Total: 120, Open: 30, RatePerMinute: 2, Tickets: 1000})},
		{"values", b.Values(&engine.ValuesResult{Field: "region", Values: []engine.Bucket{{Value: "eu-west-1", Count: 9}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &backend.DataResponse{Frames: tt.frames}
			experimental.CheckGoldenJSONResponse(t, "testdata", tt.name, resp, *update)
		})
	}
}

func TestFrameContracts(t *testing.T) {
	b := Builder{Schema: schema.Default()}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	counts := b.Counts(&engine.CountsResult{Times: []time.Time{t0}, Series: []engine.Series{{Name: "a", Counts: []int64{1}}, {Name: "b", Counts: []int64{2}}}}, "service", time.Minute)[0]
	if counts.TimeSeriesSchema().Type != data.TimeSeriesTypeWide {
		t.Errorf("counts frame is not a wide time series, which alerting needs")
	}
	if counts.Meta.Type != data.FrameTypeTimeSeriesWide {
		t.Errorf("counts frame type = %q", counts.Meta.Type)
	}
	if got := counts.Fields[1].Labels["service"]; got != "a" {
		t.Errorf("split series label = %q, want a", got)
	}

	tickets := b.Tickets(&engine.TicketsResult{Columns: []engine.Column{{Name: "id", Strings: []string{"X"}}, {Name: "title", Strings: []string{"t"}}}, Matches: []bool{false}, Total: 1}, "")[0]
	id := tickets.Fields[0]
	if len(id.Config.Links) != 1 || id.Config.Links[0].URL != "https://tickets.example.com/browse/${__value.raw}" {
		t.Errorf("key column links = %+v, want the schema's link template", id.Config.Links)
	}
	if id.Config.Filterable == nil || !*id.Config.Filterable {
		t.Errorf("string dimension should be filterable")
	}
	if title := tickets.Fields[1]; title.Config.Filterable != nil {
		t.Errorf("free text should not offer filter for value")
	}
	if m := tickets.Fields[2]; m.Name != MatchField || m.At(0) != true {
		t.Errorf("without a search every row must match, got %v=%v", m.Name, m.At(0))
	}
	if tickets.Meta.Notices != nil {
		t.Errorf("no notice expected when every ticket is shown")
	}
}
