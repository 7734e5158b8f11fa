package frames

import (
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
)

// Spike measures: the field names of a spike frame, in the order they appear.
const (
	SpikeRate     = "rate"
	SpikeBaseline = "baseline"
	SpikeRatio    = "ratio"
)

// SpikeMeasures lists the measures a spike frame can hold, in frame order.
var SpikeMeasures = []string{SpikeRate, SpikeBaseline, SpikeRatio}

// SpikeOptions say how a spike result becomes a frame.
type SpikeOptions struct {
	// SplitBy is the field the series are split by, "" for none.
	SplitBy string
	// Step, Window and Baseline are the request's, shown in the field config and meta.
	Step, Window, Baseline time.Duration
	// Measures are the measures to include, a subset of SpikeMeasures; empty: all.
	Measures []string
}

// Spike returns one wide time series frame: a time field, then for each series its rate,
// baseline and ratio fields (those asked for), labelled with the split value. Grafana
// alerting tells its instances apart by labels alone (the rule fails on "duplicate
// results with labels"), so an alert rule asks for one measure, and gets one field, so
// one instance, per split value.
func (b Builder) Spike(res *engine.SpikeResult, opts SpikeOptions) data.Frames {
	measures := opts.Measures
	if len(measures) == 0 {
		measures = SpikeMeasures
	}
	want := map[string]bool{}
	for _, m := range measures {
		want[m] = true
	}
	timeField := data.NewField("time", nil, res.Times)
	timeField.SetConfig(&data.FieldConfig{Interval: float64(opts.Step.Milliseconds())})
	fields := []*data.Field{timeField}
	titles := map[string]string{
		SpikeRate:     "Tickets per minute, last " + ShortDuration(opts.Window),
		SpikeBaseline: "Usual tickets per minute, " + ShortDuration(opts.Baseline) + " before",
		SpikeRatio:    "Ratio to the usual rate",
	}
	for _, s := range res.Series {
		var labels data.Labels
		if opts.SplitBy != "" {
			labels = data.Labels{opts.SplitBy: label(s.Name, s.Null)}
		}
		for _, m := range SpikeMeasures {
			if !want[m] {
				continue
			}
			values := map[string][]float64{SpikeRate: s.Rate, SpikeBaseline: s.Baseline, SpikeRatio: s.Ratio}[m]
			display := titles[m]
			switch {
			case opts.SplitBy != "" && len(want) == 1:
				display = label(s.Name, s.Null)
			case opts.SplitBy != "":
				display = label(s.Name, s.Null) + " " + m
			}
			f := data.NewField(m, labels.Copy(), values)
			f.SetConfig(&data.FieldConfig{DisplayNameFromDS: display, Unit: "short"})
			fields = append(fields, f)
		}
	}
	fr := b.frame("spike", fields...)
	fr.SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: dataplane,
		Custom: map[string]int64{"windowMs": opts.Window.Milliseconds(), "baselineMs": opts.Baseline.Milliseconds()}})
	return data.Frames{fr}
}

// Movers returns a numeric-long frame: the field's values that rose most, with their
// tickets now and in the baseline period, the tickets expected at the usual rate, the
// smoothed rate ratio and the score they are ranked by. The value field is filterable,
// so a table cell offers "filter for value", which narrows the dashboard to the mover.
func (b Builder) Movers(res *engine.MoversResult, withFilter bool) data.Frames {
	n := len(res.Movers)
	values := make([]string, n)
	current, before := make([]int64, n), make([]int64, n)
	expected, ratio, score := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, m := range res.Movers {
		values[i] = label(m.Value, m.Null)
		current[i], before[i] = m.Current, m.Baseline
		expected[i], ratio[i], score[i] = m.Expected, m.Ratio, m.Score
	}
	vf := data.NewField(res.Field, nil, values)
	vf.SetConfig((&data.FieldConfig{DisplayName: b.title(res.Field)}).SetFilterable(true))
	num := func(name, display string, v any) *data.Field {
		f := data.NewField(name, nil, v)
		f.SetConfig(&data.FieldConfig{DisplayName: display, Unit: "short"})
		return f
	}
	fr := b.frame("movers", vf,
		num("current", "Tickets now", current),
		num("baseline", "Tickets before", before),
		num("expected", "Expected at the usual rate", expected),
		num("ratio", "Rate ratio", ratio),
		num("score", "Score", score),
	)
	if withFilter {
		filters := make([]string, n)
		for i, m := range res.Movers {
			filters[i] = filter.FormatURLFilter(filter.ValueFilter(res.Field, m.Value, m.Null))
		}
		fr.Fields = append(fr.Fields, filterField(filters))
	}
	fr.SetMeta(&data.FrameMeta{
		Type:                   data.FrameTypeNumericLong,
		TypeVersion:            dataplane,
		PreferredVisualization: data.VisTypeTable,
		Custom: map[string]int64{
			"currentTotal": res.CurrentTotal, "baselineTotal": res.BaselineTotal,
			"baselineFrom": res.BaselineFrom.UnixMilli(), "baselineTo": res.BaselineTo.UnixMilli(),
		},
	})
	return data.Frames{fr}
}

// ShortDuration writes d the way the query JSON takes it: "10m", "24h", "7d", "90s".
func ShortDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	// time.Duration prints 10m0s and 24h0m0s: drop the zero units.
	for _, zero := range []string{"m0s", "h0m"} {
		if strings.HasSuffix(s, zero) {
			s = s[:len(s)-len(zero)+1]
		}
	}
	return s
}
