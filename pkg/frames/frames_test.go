package frames

import (
	"encoding/json"
	"flag"
	"math"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// update rewrites the golden files: go test ./pkg/frames -update
var update = flag.Bool("update", false, "rewrite the golden frame files")

// TestBreakdownFiltersRoundTrip: the ad hoc filter of each breakdown row, read back as
// Grafana reads a dashboard URL, is the filter a click on that row means: the value with
// its "|", "," and "#" intact, "(none)" for the tickets without one, a value spelled
// "(none)" matched whole, and for "other" none of the values shown above it. The bucket
// field tells the three kinds of row apart whatever their text.
func TestBreakdownFiltersRoundTrip(t *testing.T) {
	b := Builder{Schema: schema.Default(), RefID: "A"}
	fr := b.Breakdown(&engine.BreakdownResult{Field: "service", Buckets: []engine.Bucket{
		{Value: "a|b,c#d", Count: 5}, {Null: true, Count: 2}, {Value: NullLabel, Count: 2}, {Value: engine.OtherName, Count: 1},
		{Value: engine.OtherName, Other: true, Count: 4},
	}}, true)[0]
	fd, _ := fr.FieldByName(AdHocFilterField)
	if fd == nil {
		t.Fatalf("no %s field in %v", AdHocFilterField, fr.Fields)
	}
	want := []filter.AdHocFilter{
		{Key: "service", Operator: "=", Value: "a|b,c#d"},
		{Key: "service", Operator: "=", Value: filter.NullLabel},
		{Key: "service", Operator: "=~", Value: `^\(none\)$`},
		{Key: "service", Operator: "=", Value: engine.OtherName},
		{Key: "service", Operator: "!=|", Values: []string{"a|b,c#d", filter.NullLabel, NullLabel, engine.OtherName}},
	}
	for i, w := range want {
		got, err := filter.ParseURLFilters([]string{fd.At(i).(string)})
		if err != nil {
			t.Fatalf("row %d: %q: %v", i, fd.At(i), err)
		}
		// Like Grafana, the reader also sets Value to the first of several values.
		if len(got) != 1 || got[0].Key != w.Key || got[0].Operator != w.Operator ||
			(w.Values == nil && got[0].Value != w.Value) || !reflect.DeepEqual(got[0].Values, w.Values) {
			t.Errorf("row %d: %q reads back as %+v, want %+v", i, fd.At(i), got, w)
		}
	}
	kinds, _ := fr.FieldByName(BucketField)
	if kinds == nil || kinds.Config == nil || kinds.Config.TypeConfig == nil {
		t.Fatalf("no enum field %s in %v", BucketField, fr.Fields)
	}
	texts := kinds.Config.TypeConfig.Enum.Text
	var got []string
	for i := range kinds.Len() {
		got = append(got, texts[kinds.At(i).(data.EnumItemIndex)])
	}
	if want := []string{BucketValue, BucketNone, BucketValue, BucketValue, BucketRest}; !reflect.DeepEqual(got, want) {
		t.Errorf("buckets %v, want %v", got, want)
	}
	plain := b.Breakdown(&engine.BreakdownResult{Field: "service"}, false)[0]
	if f, _ := plain.FieldByName(AdHocFilterField); f != nil || len(plain.Fields) != 3 {
		t.Errorf("without the option a breakdown has fields %v, want the value, the count and the bucket", plain.Fields)
	}
}

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
		}}, false)},
		{"breakdown_filters", b.Breakdown(&engine.BreakdownResult{Field: "service", Total: 12, Buckets: []engine.Bucket{
			{Value: "checkout", Count: 6}, {Value: "a|b,c", Count: 2}, {Null: true, Count: 1}, {Value: engine.OtherName, Other: true, Count: 3},
		}}, true)},
		{"tickets", b.Tickets(&engine.TicketsResult{
			Columns: []engine.Column{
				{Name: "id", Strings: []string{"INC1", "INC2"}},
				{Name: "severity", Numbers: []float64{1, 0}, Nulls: []bool{false, true}},
				{Name: "created", Times: []time.Time{t0, t0.Add(time.Minute)}},
			},
			Matches: []bool{true, false},
			Total:   5,
		}, "latency")},
		{"stats", b.Stats(&engine.StatsResult{Total: 120, Open: 30, RatePerMinute: 2, Tickets: 1000, BaselineTotal: 30, BaselineRatePerMinute: 0.5})},
		{"values", b.Values(&engine.ValuesResult{Field: "region", Values: []engine.Bucket{{Value: "eu-west-1", Count: 9}}})},
		{"logs", b.Logs(&engine.TicketsResult{
			Columns: []engine.Column{
				{Name: "id", Strings: []string{"INC2", "INC1"}},
				{Name: "severity", Numbers: []float64{1, 0}, Nulls: []bool{false, true}},
				{Name: "title", Strings: []string{"Checkout latency high", ""}, Nulls: []bool{false, true}},
				{Name: "service", Strings: []string{"checkout", "dns"}},
				{Name: "region", Strings: []string{"eu-west-1", ""}, Nulls: []bool{false, true}},
				{Name: "created", Times: []time.Time{t0.Add(time.Minute), t0}},
				{Name: "description", Strings: []string{"p99 above 2s\nsince 09:58", ""}, Nulls: []bool{false, true}},
			},
			Matches: []bool{true, false},
			Total:   7,
		}, LogsOptions{LevelField: "severity", Search: "latency p99", Limit: 2})},
		{"spike_split", b.Spike(&engine.SpikeResult{
			Times: []time.Time{t0, t0.Add(10 * time.Minute)},
			Series: []engine.SpikeSeries{
				{Name: "checkout", Recent: []int64{30, 3}, Before: []int64{144, 144},
					Rate: []float64{3, 0.3}, Baseline: []float64{0.1, 0.1}, Ratio: []float64{30, 3}},
				{Name: engine.OtherName, Recent: []int64{0, 1}, Before: []int64{0, 0},
					Rate: []float64{0, 0.1}, Baseline: []float64{0, 0}, Ratio: []float64{0, 1}},
			},
		}, SpikeOptions{SplitBy: "service", Step: 10 * time.Minute, Window: 10 * time.Minute, Baseline: 24 * time.Hour})},
		{"spike_ratio", b.Spike(&engine.SpikeResult{
			Times:  []time.Time{t0},
			Series: []engine.SpikeSeries{{Recent: []int64{40}, Before: []int64{1440}, Rate: []float64{4}, Baseline: []float64{1}, Ratio: []float64{4}}},
		}, SpikeOptions{Step: time.Minute, Window: 10 * time.Minute, Baseline: 24 * time.Hour, Measures: []string{SpikeRatio}})},
		{"movers", b.Movers(&engine.MoversResult{Field: "service", CurrentTotal: 60, BaselineTotal: 40,
			BaselineFrom: t0.Add(-time.Hour), BaselineTo: t0,
			Movers: []engine.Mover{
				{Value: "checkout", Current: 50, Baseline: 5, Expected: 5, Ratio: 51.0 / 6, Score: 45 / math.Sqrt(6)},
				{Null: true, Current: 1, Expected: 0, Ratio: 2, Score: 1},
			}}, true)},
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

// TestLogsFrameFollowsTheContract reads a logs frame the way Grafana's logs panel does
// (parseDataplaneLogsFrame and getDataframeFields, see logs.go): the fields it looks up
// by name and type, the extra fields it shows when a line is expanded, and the meta.
func TestLogsFrameFollowsTheContract(t *testing.T) {
	b := Builder{Schema: schema.Default()}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	res := &engine.TicketsResult{
		Columns: []engine.Column{
			{Name: "id", Strings: []string{"INC7"}},
			{Name: "severity", Numbers: []float64{2}},
			{Name: "title", Strings: []string{"DNS timeouts"}},
			{Name: "status", Strings: []string{""}, Nulls: []bool{true}},
			{Name: "service", Strings: []string{"dns"}},
			{Name: "type", Strings: []string{"alarm"}},
			{Name: "created", Times: []time.Time{t0}},
			{Name: "description", Strings: []string{"resolver pool exhausted"}},
		},
		Matches: []bool{false},
		Total:   1,
	}
	fr := b.Logs(res, LogsOptions{LevelField: "severity", Search: "dns", Limit: 100})[0]
	if fr.Meta == nil || fr.Meta.Type != data.FrameTypeLogLines || fr.Meta.PreferredVisualization != data.VisTypeLogs {
		t.Fatalf("meta = %+v, want type log-lines and the logs visualisation", fr.Meta)
	}
	want := []struct {
		name string
		typ  data.FieldType
		v    any
	}{
		{LogTimeField, data.FieldTypeTime, t0},
		// The body is the key, the text and the facets, in display order, nulls left out.
		{LogBodyField, data.FieldTypeString, "INC7 DNS timeouts — Sev: 2 · Service: dns"},
		{LogSeverityField, data.FieldTypeString, LevelError},
		{LogIDField, data.FieldTypeString, "INC7"},
	}
	for i, w := range want {
		f := fr.Fields[i]
		if f.Name != w.name || f.Type() != w.typ || f.At(0) != w.v {
			t.Errorf("field %d = %s %s %v, want %s %s %v", i, f.Name, f.Type(), f.At(0), w.name, w.typ, w.v)
		}
	}
	lf := fr.Fields[4]
	if lf.Name != LogLabelsField || lf.Type() != data.FieldTypeJSON {
		t.Fatalf("field 4 = %s %s, want labels as JSON (Grafana's FieldType.other)", lf.Name, lf.Type())
	}
	var labels map[string]string
	if err := json.Unmarshal(lf.At(0).(json.RawMessage), &labels); err != nil {
		t.Fatal(err)
	}
	// Dimensions: facets and string columns; the title is text and the status null.
	if wantLabels := map[string]string{"severity": "2", "service": "dns", "type": "alarm"}; !reflect.DeepEqual(labels, wantLabels) {
		t.Errorf("labels = %v, want %v", labels, wantLabels)
	}
	extra := map[string]*data.Field{}
	for _, f := range fr.Fields[5:] {
		if reservedLogNames[f.Name] {
			t.Errorf("extra field %q has a name the logs panel hides or takes for its own", f.Name)
		}
		extra[f.Name] = f
	}
	ticket, ok := extra["Ticket"]
	if !ok || len(ticket.Config.Links) != 1 || *(ticket.At(0).(*string)) != "INC7" {
		t.Errorf("the key must be an extra field named by its title, with the link to the ticket system; got %+v", ticket)
	}
	if sev, ok := extra["Sev"]; !ok || *(sev.At(0).(*float64)) != 2 {
		t.Errorf("the severity column must be an extra field named by its title; got %+v", sev)
	}
	if d, ok := extra["description"]; !ok || *(d.At(0).(*string)) != "resolver pool exhausted" {
		t.Errorf("the description (a detail column) must be an extra field; got %+v", d)
	}
	custom := fr.Meta.Custom.(map[string]any)
	if words := custom["searchWords"]; !reflect.DeepEqual(words, []string{"(?i)dns"}) {
		t.Errorf("searchWords = %v", words)
	}
	if custom["limit"] != 100 {
		t.Errorf("limit = %v, want 100 (Grafana's line limit)", custom["limit"])
	}

	without := b.Logs(res, LogsOptions{})[0]
	if got := without.Fields[2].At(0); got != LevelUnknown {
		t.Errorf("without a level field the level = %v, want unknown rather than a guess from the text", got)
	}
	if _, has := without.Meta.Custom.(map[string]any)["searchWords"]; has {
		t.Errorf("no search, yet search words in the meta")
	}
}

func TestLevels(t *testing.T) {
	numbers := []struct {
		in   float64
		want string
	}{
		{0, LevelCritical}, {1, LevelCritical}, {2, LevelError}, {2.5, LevelWarning}, {3, LevelWarning},
		{4, LevelInfo}, {5, LevelDebug}, {9, LevelDebug}, {math.NaN(), LevelUnknown},
	}
	for _, tt := range numbers {
		if got := NumberLevel(tt.in); got != tt.want {
			t.Errorf("NumberLevel(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
	texts := []struct {
		in, want string
	}{
		{"SEV1", LevelCritical}, {"P2", LevelError}, {"2 - High", LevelError}, {"S-3", LevelWarning},
		{"WARN", LevelWarning}, {" Error ", LevelError}, {"crit", LevelCritical}, {"trace", LevelTrace},
		{"Highest", LevelCritical}, {"minor", LevelInfo}, {"trivial", LevelDebug}, {"", LevelUnknown}, {"purple", LevelUnknown},
	}
	for _, tt := range texts {
		if got := TextLevel(tt.in); got != tt.want {
			t.Errorf("TextLevel(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestSearchWordsMatchAsPlainText compiles each pattern as Grafana would (a leading
// "(?i)" is the i flag; RE2 reads the rest as JavaScript does for these escapes).
func TestSearchWordsMatchAsPlainText(t *testing.T) {
	tests := []struct {
		search          string
		matches, misses string
	}{
		{"Disk", "disk full", "dusk"},
		{"a.b", "see A.B here", "aXb"},
		{"c++", "C++ build", "cc"},
		{"(p99)", "latency (P99) high", "p99"},
	}
	for _, tt := range tests {
		t.Run(tt.search, func(t *testing.T) {
			words := SearchWords(tt.search)
			if len(words) != 1 {
				t.Fatalf("SearchWords(%q) = %v, want one pattern", tt.search, words)
			}
			re := regexp.MustCompile(words[0])
			if !re.MatchString(tt.matches) || re.MatchString(tt.misses) {
				t.Errorf("%s: matches %q %v (want true), %q %v (want false)", words[0], tt.matches, re.MatchString(tt.matches), tt.misses, re.MatchString(tt.misses))
			}
		})
	}
	if got := SearchWords("  "); got != nil {
		t.Errorf("blank search gives %v, want none", got)
	}
}

func TestLogFieldName(t *testing.T) {
	odd, err := schema.Parse([]byte(`
key: id
time: body
columns:
  - {name: id, type: string, title: labels}
  - {name: body, type: time}
  - {name: severity, type: number, title: level}
  - {name: level, type: string}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		schema *schema.Schema
		column string
		want   string
	}{
		{"plain name kept", schema.Default(), "service", "service"},
		{"key named id takes its title", schema.Default(), "id", "Ticket"},
		{"severity column takes its title", schema.Default(), "severity", "Sev"},
		{"reserved title", odd, "id", "id_"},
		{"title names another column", odd, "severity", "severity_"},
		{"time column named body", odd, "body", "body_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Builder{Schema: tt.schema}).LogFieldName(tt.column); got != tt.want {
				t.Errorf("LogFieldName(%q) = %q, want %q", tt.column, got, tt.want)
			}
		})
	}
}

// TestSpikeFrameIsAlertable checks what Grafana alerting needs of a spike frame: a wide
// time series, and, when an alert rule asks for one measure, value fields told apart by
// their labels alone, so that each split value is one alert instance.
func TestSpikeFrameIsAlertable(t *testing.T) {
	b := Builder{Schema: schema.Default()}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	series := func(name string, null bool) engine.SpikeSeries {
		return engine.SpikeSeries{Name: name, Null: null, Recent: []int64{1}, Before: []int64{2}, Rate: []float64{0.1}, Baseline: []float64{0.2}, Ratio: []float64{0.5}}
	}
	res := &engine.SpikeResult{Times: []time.Time{t0}, Series: []engine.SpikeSeries{series("a", false), series("", true), series(engine.OtherName, false)}}
	tests := []struct {
		name       string
		measures   []string
		wantValues int
		unique     bool
	}{
		{"one measure per instance", []string{SpikeRatio}, 3, true},
		{"every measure for a panel", nil, 9, false},
		{"two measures", []string{SpikeRate, SpikeRatio}, 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := b.Spike(res, SpikeOptions{SplitBy: "service", Step: time.Minute, Window: 10 * time.Minute, Baseline: 24 * time.Hour, Measures: tt.measures})[0]
			ts := fr.TimeSeriesSchema()
			if ts.Type != data.TimeSeriesTypeWide || len(ts.ValueIndices) != tt.wantValues {
				t.Fatalf("schema %v with %d values, want wide with %d", ts.Type, len(ts.ValueIndices), tt.wantValues)
			}
			seen := map[string]bool{}
			for _, i := range ts.ValueIndices {
				seen[fr.Fields[i].Labels.String()] = true
			}
			if (len(seen) == tt.wantValues) != tt.unique {
				t.Errorf("%d distinct label sets for %d fields; unique labels %v expected", len(seen), tt.wantValues, tt.unique)
			}
			if !seen[`service=(none)`] {
				t.Errorf("the null series must be labelled %q, got %v", NullLabel, seen)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Minute, "10m"}, {24 * time.Hour, "1d"}, {7 * 24 * time.Hour, "7d"}, {90 * time.Minute, "1h30m"},
		{2 * time.Hour, "2h"}, {90 * time.Second, "1m30s"}, {36 * time.Hour, "36h"},
	}
	for _, tt := range tests {
		if got := ShortDuration(tt.d); got != tt.want {
			t.Errorf("ShortDuration(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
