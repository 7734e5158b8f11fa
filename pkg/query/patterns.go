package query

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/schema"
)

// Patterns: the top patterns of the titles in scope (see package patterns), each with its
// template, count, first and last ticket, an example, its counts over time and the ad hoc
// filter that selects it.
const Patterns Type = "patterns"

// PatternsQuery is the model of a patterns query.
type PatternsQuery struct {
	Common
	// Top is the number of patterns (default 10, at most maxPatternsTop).
	Top int `json:"top,omitempty"`
	// Bucket asks for the counts over time of each pattern, in buckets of this width, as
	// a second frame (sparklines); empty: the table alone, which is what a table panel
	// shows (it reads one frame).
	Bucket string `json:"bucket,omitempty"`
}

// maxPatternsTop bounds Top: each pattern costs two small tickets lookups (its first and
// last ticket), and a table of more patterns than this is no longer read.
const maxPatternsTop = 100

// patternPoints bounds the counts over time: at most 4×patternPoints buckets, since a
// sparkline in a table cell shows no more; an explicit bucket narrower than that allows is
// an error naming the narrowest one allowed (ChooseBucket).
const patternPoints = 30

// Type is patterns.
func (*PatternsQuery) Type() Type { return Patterns }

// Check bounds top.
func (q *PatternsQuery) Check() error {
	if q.Top < 0 || q.Top > maxPatternsTop {
		return invalidf("top: %d patterns; a patterns query shows 1 to %d (0: 10)", q.Top, maxPatternsTop)
	}
	return nil
}

// PatternsFrame and PatternsTrendFrame name the frames of a patterns query: the table of
// patterns, and, when the query has a bucket, their counts over time (a wide time
// series, one field per pattern, named by its id and labelled pattern=ID, for sparklines).
const (
	PatternsFrame      = "patterns"
	PatternsTrendFrame = "patterns-trend"
)

func (q *PatternsQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, r Request) (data.Frames, error) {
	name, source := eng.PatternField()
	if name == "" {
		return nil, invalidf("a patterns query needs the schema's patterns option (patterns: {field: title})")
	}
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a patterns query needs a time range")
	}
	top := q.Top
	if top == 0 {
		top = 10
	}
	bd, err := eng.Breakdown(ctx, engine.BreakdownRequest{Scope: scope, Field: name, Top: top})
	if err != nil {
		return nil, fmt.Errorf("patterns: %w", err)
	}
	var ids []string
	var counts []int64
	for _, bk := range bd.Buckets {
		if !bk.Null && !bk.Other { // tickets without a title, and the rest, are no pattern
			ids = append(ids, bk.Value)
			counts = append(counts, bk.Count)
		}
	}
	infos, _, err := eng.Patterns(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("patterns: %w", err)
	}
	timeField := scope.TimeField
	if timeField == "" {
		timeField = env.Schema.Time
	}
	n := len(ids)
	templates, filters := make([]string, n), make([]string, n)
	first, last := make([]*time.Time, n), make([]*time.Time, n)
	examples, exampleTexts := make([]string, n), make([]string, n)
	for i, id := range ids {
		templates[i] = infos[i].Template
		filters[i] = filter.FormatURLFilter(filter.AdHocFilter{Key: name, Operator: "=", Value: id})
		// The first and the last ticket of the pattern in scope; the last is the example.
		only, err := patternScope(env.Schema, scope, name, id)
		if err != nil {
			return nil, err
		}
		for _, desc := range []bool{false, true} {
			res, err := eng.Tickets(ctx, engine.TicketsRequest{Scope: only, Columns: []string{env.Schema.Key, timeField, source},
				Sort: []schema.SortKey{{Field: timeField, Desc: desc}}, Limit: 1})
			if err != nil {
				return nil, fmt.Errorf("patterns: %w", err)
			}
			if len(res.Columns) < 3 || len(res.Columns[1].Times) == 0 {
				continue // the pattern's tickets changed since the breakdown
			}
			at := res.Columns[1].Times[0]
			if desc {
				last[i] = &at
				examples[i] = res.Columns[0].Strings[0]
				exampleTexts[i] = res.Columns[2].Strings[0]
			} else {
				first[i] = &at
			}
		}
	}

	table := data.NewFrame(PatternsFrame,
		data.NewField(name, nil, ids),
		data.NewField("template", nil, templates),
		data.NewField("count", nil, counts),
		data.NewField("first", nil, first),
		data.NewField("last", nil, last),
		data.NewField("example", nil, examples),
		data.NewField("exampleText", nil, exampleTexts),
		data.NewField(frames.AdHocFilterField, nil, filters),
	)
	table.RefID = r.RefID
	table.Fields[0].Config = (&data.FieldConfig{DisplayName: "Pattern"}).SetFilterable(true)
	table.Fields[1].Config = &data.FieldConfig{DisplayName: "Template"}
	table.Fields[2].Config = &data.FieldConfig{DisplayName: "Tickets"}
	table.Fields[3].Config = &data.FieldConfig{DisplayName: "First"}
	table.Fields[4].Config = &data.FieldConfig{DisplayName: "Last"}
	table.Fields[5].Config = &data.FieldConfig{DisplayName: "Example"}
	table.Fields[6].Config = &data.FieldConfig{DisplayName: "Example " + source}
	table.Fields[7].Config = &data.FieldConfig{DisplayName: "Ad hoc filter"}
	table.Meta = &data.FrameMeta{Type: data.FrameTypeTable, Custom: map[string]int64{"total": bd.Total}}

	if q.Bucket == "" {
		return data.Frames{table}, nil
	}
	bucket, err := ChooseBucket(q.Bucket, 0, r.To.Sub(r.From), patternPoints*4)
	if err != nil {
		return nil, err
	}
	trend, err := eng.Counts(ctx, engine.CountsRequest{Scope: scope, Bucket: bucket, SplitBy: name, Top: top})
	if err != nil {
		return nil, fmt.Errorf("patterns: %w", err)
	}
	series := data.NewFrame(PatternsTrendFrame, data.NewField("time", nil, trend.Times))
	series.RefID = r.RefID
	byID := map[string]int{}
	for i, id := range ids {
		byID[id] = i
	}
	for _, s := range trend.Series {
		i, ok := byID[s.Name]
		if s.Null || !ok {
			continue // no title, the rest, or a pattern that left the top meanwhile
		}
		f := data.NewField(s.Name, data.Labels{name: s.Name}, s.Counts)
		f.Config = &data.FieldConfig{DisplayName: templates[i], Interval: float64(bucket.Milliseconds())}
		series.Fields = append(series.Fields, f)
	}
	series.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide}
	return data.Frames{table, series}, nil
}

// patternScope is scope narrowed to the tickets of one pattern.
func patternScope(s *schema.Schema, scope engine.Scope, field, id string) (engine.Scope, error) {
	x, err := filter.Parse(field + " = " + strconv.Quote(id))
	if err == nil {
		x, err = filter.Check(x, s)
	}
	if err != nil {
		return scope, fmt.Errorf("patterns: the filter of pattern %s: %w", id, err)
	}
	scope.Where = filter.All(scope.Where, x)
	return scope, nil
}
