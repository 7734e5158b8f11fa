// Package frames turns engine results into Grafana data frames, with field config taken
// from the column schema: display names, units, links to the ticket system and filterable
// dimensions. The frame shapes are the contract with Grafana's panels and alerting:
// counts and spikes are dataplane time series (wide), breakdowns, movers and values are
// numeric-long, stats are numeric-wide, tickets are a table and logs are log lines.
package frames

import (
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// NullLabel names the series or slice of tickets that have no value in the field.
const NullLabel = filter.NullLabel

// dataplane is the contract version of the dataplane frame types we emit (0.1), which
// Grafana alerting and the time series panel read without guessing.
var dataplane = data.FrameTypeVersion{0, 1}

// Builder makes frames for one query.
type Builder struct {
	Schema *schema.Schema
	RefID  string
}

func (b Builder) frame(name string, fields ...*data.Field) *data.Frame {
	f := data.NewFrame(name, fields...)
	f.RefID = b.RefID
	return f
}

// title is the display name of a field.
func (b Builder) title(name string) string {
	if c, ok := b.Schema.Column(name); ok {
		return c.DisplayName()
	}
	return name
}

func label(name string, null bool) string {
	if null {
		return NullLabel
	}
	return name
}

// Counts returns one wide time series frame: a time field and one count field per series.
// A split's value is both a label (so alert rules get one alert instance per value) and
// the display name (so legends read "checkout" rather than "count checkout").
func (b Builder) Counts(res *engine.CountsResult, splitBy string, bucket time.Duration) data.Frames {
	timeField := data.NewField("time", nil, res.Times)
	timeField.SetConfig(&data.FieldConfig{Interval: float64(bucket.Milliseconds())})
	fields := []*data.Field{timeField}
	for _, s := range res.Series {
		var labels data.Labels
		display := "Tickets"
		if splitBy != "" {
			display = label(s.Name, s.Null)
			labels = data.Labels{splitBy: display}
		}
		f := data.NewField("count", labels, s.Counts)
		f.SetConfig(&data.FieldConfig{DisplayNameFromDS: display, Unit: "short"})
		fields = append(fields, f)
	}
	fr := b.frame("counts", fields...)
	fr.SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: dataplane})
	return data.Frames{fr}
}

// Breakdown returns a numeric-long frame: the field's values and their counts, one row
// per value, highest first, and BucketField, which says which rows are values, which is the
// tickets without one and which the rest. The value field is filterable, so table cells
// offer "filter for value" and pie slices can add an ad hoc filter.
func (b Builder) Breakdown(res *engine.BreakdownResult, withFilter bool) data.Frames {
	fr := b.valueCounts(res.Field, res.Field, res.Buckets)
	fr.Fields[0].Config.SetFilterable(true)
	fr.Fields = append(fr.Fields, bucketField(res.Buckets))
	fr.Meta.Custom = map[string]int64{"total": res.Total}
	if withFilter {
		fr.Fields = append(fr.Fields, adHocFilterField(res))
	}
	return data.Frames{fr}
}

// BucketField names the field of a breakdown that marks each row: BucketValue for a value
// of the field, BucketNone for the tickets without one (shown as "(none)") and BucketRest
// for the tickets of every value beyond the top (shown as "other"). A value that is
// spelled "other" or "(none)" is still a BucketValue, so nothing that reads the frame needs
// to guess from the text. It is an enum field, which Grafana shows by its text, and which a
// pie chart leaves out of a slice's name (that takes string fields only:
// getSmartDisplayNameForRow in packages/grafana-data/src/field/fieldDisplay.ts) and a bar
// chart out of its bars (number fields only).
const BucketField = "bucket"

// The texts of BucketField's enum, in index order.
const (
	BucketValue = "value"
	BucketNone  = "none"
	BucketRest  = "rest"
)

func bucketField(buckets []engine.Bucket) *data.Field {
	kinds := make([]data.EnumItemIndex, len(buckets))
	for i, bk := range buckets {
		switch {
		case bk.Other:
			kinds[i] = 2
		case bk.Null:
			kinds[i] = 1
		}
	}
	fd := data.NewField(BucketField, nil, kinds)
	fd.SetConfig(&data.FieldConfig{DisplayName: "Bucket", TypeConfig: &data.FieldTypeConfig{
		Enum: &data.EnumFieldConfig{Text: []string{BucketValue, BucketNone, BucketRest}},
	}})
	return fd
}

// CountField names the field of breakdowns and values that holds each row's tickets.
const CountField = "count"

// AdHocFilterField names the field of a breakdown or movers frame (query option
// filterField) that holds, for each row, the ad hoc filter narrowing to it, in the format of a var-NAME parameter
// of Grafana's dashboard URLs (filter.FormatURLFilter): "service|=|checkout" for a value,
// "service|=|(none)" for the tickets without one, and for "other" the rest,
// "service|!=__gfp__|checkout|search|...", not any of the values above it.
//
// A data link cannot write this itself: no variable format escapes "|" and "," in a
// clicked value as Grafana's URL needs, and "other" is not a value to filter for.
const AdHocFilterField = "adhocFilter"

func adHocFilterField(res *engine.BreakdownResult) *data.Field {
	filters := make([]string, len(res.Buckets))
	var shown []string
	for i, bk := range res.Buckets {
		f := filter.ValueFilter(res.Field, bk.Value, bk.Null)
		if bk.Other {
			f = filter.AdHocFilter{Key: res.Field, Operator: "!=|", Values: shown}
		} else {
			shown = append(shown, label(bk.Value, bk.Null))
		}
		filters[i] = filter.FormatURLFilter(f)
	}
	return filterField(filters)
}

func filterField(filters []string) *data.Field {
	fd := data.NewField(AdHocFilterField, nil, filters)
	fd.SetConfig(&data.FieldConfig{DisplayName: "Ad hoc filter"})
	return fd
}

// Values returns the distinct values of a field with their counts (numeric-long), for
// template variables and ad hoc filter values.
func (b Builder) Values(res *engine.ValuesResult) data.Frames {
	return data.Frames{b.valueCounts(res.Field, "value", res.Values)}
}

// valueCounts is the numeric-long frame of values and their counts that breakdowns and
// values share; the value field is called valueName.
func (b Builder) valueCounts(field, valueName string, buckets []engine.Bucket) *data.Frame {
	values := make([]string, len(buckets))
	counts := make([]int64, len(buckets))
	for i, bk := range buckets {
		values[i] = label(bk.Value, bk.Null)
		counts[i] = bk.Count
	}
	vf := data.NewField(valueName, nil, values)
	vf.SetConfig(&data.FieldConfig{DisplayName: b.title(field)})
	cf := data.NewField(CountField, nil, counts)
	// The count's title is the data source's (DisplayNameFromDS), not a set DisplayName: a pie
	// chart names each row after config.displayName when one is set, every slice alike, and
	// only without one after the row's string fields (getSmartDisplayNameForRow in
	// packages/grafana-data/src/field/fieldDisplay.ts). A table still heads the column "Tickets".
	cf.SetConfig(&data.FieldConfig{DisplayNameFromDS: "Tickets", Unit: "short"})
	fr := b.frame(field, vf, cf)
	fr.SetMeta(&data.FrameMeta{Type: data.FrameTypeNumericLong, TypeVersion: dataplane})
	return fr
}

// Stats returns one numeric-wide frame with a field per stat, for stat panels and alerts.
func (b Builder) Stats(res *engine.StatsResult) data.Frames {
	stat := func(name, display, unit string, v any) *data.Field {
		var f *data.Field
		switch x := v.(type) {
		case int64:
			f = data.NewField(name, nil, []int64{x})
		case float64:
			f = data.NewField(name, nil, []float64{x})
		}
		f.SetConfig(&data.FieldConfig{DisplayName: display, Unit: unit})
		return f
	}
	fr := b.frame("stats",
		stat("total", "Tickets in range", "short", res.Total),
		stat("open", "Open now", "short", res.Open),
		stat("rate", "Tickets per minute", "short", res.RatePerMinute),
		stat("baseline", "Usual tickets per minute", "short", res.BaselineRatePerMinute),
	)
	fr.SetMeta(&data.FrameMeta{Type: data.FrameTypeNumericWide, TypeVersion: dataplane,
		Custom: map[string]int64{"tickets": res.Tickets, "baselineTotal": res.BaselineTotal}})
	return data.Frames{fr}
}

// MatchField names the boolean field of a tickets frame that says whether a row matches
// the search. Without a search every row matches, so nothing is greyed out.
const MatchField = "match"

// Tickets returns the rows as a table frame, one field per column, typed by the schema,
// with a "match" field for the search. The key column links to the ticket system.
func (b Builder) Tickets(res *engine.TicketsResult, search string) data.Frames {
	fields := make([]*data.Field, 0, len(res.Columns)+1)
	for i := range res.Columns {
		fields = append(fields, b.column(&res.Columns[i]))
	}
	match := make([]bool, len(res.Matches))
	for i, m := range res.Matches {
		match[i] = m || search == ""
	}
	mf := data.NewField(MatchField, nil, match)
	mf.SetConfig(&data.FieldConfig{DisplayName: "Search match"})
	fields = append(fields, mf)
	fr := b.frame("tickets", fields...)
	meta := &data.FrameMeta{
		Type:                   data.FrameTypeTable,
		PreferredVisualization: data.VisTypeTable,
		Custom:                 map[string]int{"total": res.Total},
	}
	meta.Notices = rowsNotice(res, len(match))
	fr.SetMeta(meta)
	return data.Frames{fr}
}

// rowsNotice says, when a frame shows n of more tickets, how to see the others.
func rowsNotice(res *engine.TicketsResult, n int) []data.Notice {
	switch {
	case res.Total <= n:
		return nil
	case res.Capped:
		return []data.Notice{{
			Severity: data.NoticeSeverityWarning,
			Text: fmt.Sprintf("Showing %d of %d tickets, the most a panel receives (%d left out); the export (the table's download links, or spacetime query --format tsv) gives all of them.",
				n, res.Total, res.Total-n),
		}}
	}
	return []data.Notice{{
		Severity: data.NoticeSeverityInfo,
		Text:     fmt.Sprintf("Showing %d of %d tickets; narrow the filter or raise the limit to see more.", n, res.Total),
	}}
}

// capNotice is rowsNotice for a frame whose shortness the panel shows by itself (a logs
// panel shows its line limit): only a result cut at MaxRows says so.
func capNotice(res *engine.TicketsResult, n int) []data.Notice {
	if !res.Capped {
		return nil
	}
	return rowsNotice(res, n)
}

// column makes a nullable field of the column's type with the schema's field config.
func (b Builder) column(c *engine.Column) *data.Field {
	null := func(i int) bool { return i < len(c.Nulls) && c.Nulls[i] }
	var f *data.Field
	switch {
	case c.Numbers != nil:
		v := make([]*float64, len(c.Numbers))
		for i := range c.Numbers {
			if !null(i) {
				v[i] = &c.Numbers[i]
			}
		}
		f = data.NewField(c.Name, nil, v)
	case c.Times != nil:
		v := make([]*time.Time, len(c.Times))
		for i := range c.Times {
			if !null(i) {
				v[i] = &c.Times[i]
			}
		}
		f = data.NewField(c.Name, nil, v)
	case c.Bools != nil:
		v := make([]*bool, len(c.Bools))
		for i := range c.Bools {
			if !null(i) {
				v[i] = &c.Bools[i]
			}
		}
		f = data.NewField(c.Name, nil, v)
	default:
		v := make([]*string, len(c.Strings))
		for i := range c.Strings {
			if !null(i) {
				v[i] = &c.Strings[i]
			}
		}
		f = data.NewField(c.Name, nil, v)
	}
	f.SetConfig(b.fieldConfig(c.Name))
	return f
}

func (b Builder) fieldConfig(name string) *data.FieldConfig {
	col, ok := b.Schema.Column(name)
	if !ok {
		return &data.FieldConfig{DisplayName: name}
	}
	fc := &data.FieldConfig{DisplayName: col.DisplayName(), Unit: col.Unit}
	if col.Link != "" {
		fc.Links = []data.DataLink{{Title: "Open " + col.DisplayName() + " in the ticket system", URL: col.Link, TargetBlank: true}}
	}
	if col.Type == schema.String || col.Type == schema.Number || col.Type == schema.Bool {
		fc.SetFilterable(true)
	}
	return fc
}
