package query

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/schema"
)

// Request is one query with what Grafana sends around it.
type Request struct {
	Query Query
	// From and To bound the time field; zero values mean no bound (values queries).
	From, To time.Time
	// Interval is the panel's suggested interval, used for counts without a bucket.
	Interval time.Duration
	// MaxDataPoints caps the number of buckets of a counts query (0: 2 000).
	MaxDataPoints int64
	// RefID names the frames.
	RefID string
}

// Decode reads a query's JSON. Unknown query types are an error that lists the valid ones;
// an empty type means counts, the first thing a new panel should show.
func Decode(raw []byte) (Query, error) {
	var q Query
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &q); err != nil {
			return q, invalidf("the query is not valid JSON for Spacetime: %w", err)
		}
	}
	if q.QueryType == "" {
		q.QueryType = Counts
	}
	for _, t := range Types {
		if q.QueryType == t {
			return q, nil
		}
	}
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return q, invalidf("unknown queryType %q; use one of %s", q.QueryType, strings.Join(names, ", "))
}

// Run answers one query from the engine as data frames. Errors in the query wrap
// ErrInvalid or engine.ErrBadRequest; other errors are the engine's or the store's.
func Run(ctx context.Context, eng *engine.Engine, env *Env, r Request) (data.Frames, error) {
	frs, err := runQuery(ctx, eng, env, r)
	if err == nil && !r.Query.CheckViewerFilter && env.ViewerFilterProblem(&r.Query) != nil {
		for _, fr := range frs {
			fr.AppendNotices(data.Notice{Severity: data.NoticeSeverityInfo, Text: ignoredViewerFilter})
		}
	}
	return frs, err
}

func runQuery(ctx context.Context, eng *engine.Engine, env *Env, r Request) (data.Frames, error) {
	q := &r.Query
	scope, err := env.scope(r)
	if err != nil {
		return nil, err
	}
	b := frames.Builder{Schema: env.Schema, RefID: r.RefID}
	switch q.QueryType {
	case Counts:
		return runCounts(ctx, eng, env, b, scope, r)
	case Breakdown:
		return runBreakdown(ctx, eng, env, b, scope, q)
	case Tickets:
		return runTickets(ctx, eng, b, scope, q)
	case Stats:
		return runStats(ctx, eng, b, scope, q)
	case Values:
		return runValues(ctx, eng, env, b, scope, q)
	case Logs:
		return runLogs(ctx, eng, env, b, scope, q)
	case Spike:
		return runSpike(ctx, eng, env, b, scope, r)
	case Movers:
		return runMovers(ctx, eng, env, b, scope, q)
	}
	return nil, invalidf("unknown queryType %q", q.QueryType)
}

// scope is the engine scope of a request: its range, time field, whole filter and search.
func (env *Env) scope(r Request) (engine.Scope, error) {
	q := &r.Query
	where, err := env.Where(q)
	if err != nil {
		return engine.Scope{}, err
	}
	if q.TimeField != "" {
		if err := env.requireType(q.TimeField, "timeField", "time"); err != nil {
			return engine.Scope{}, err
		}
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.To.After(r.From) {
		return engine.Scope{}, invalidf("the time range is empty: from %s is not before to %s", r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	}
	return engine.Scope{From: r.From, To: r.To, TimeField: q.TimeField, Where: where, Search: q.Search}, nil
}

func runCounts(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, r Request) (data.Frames, error) {
	q := &r.Query
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a counts query needs a time range")
	}
	if q.SplitBy != "" {
		if err := env.requireType(q.SplitBy, "splitBy", "string", "number", "bool"); err != nil {
			return nil, err
		}
	}
	bucket, err := ChooseBucket(q.Bucket, r.Interval, r.To.Sub(r.From), r.MaxDataPoints)
	if err != nil {
		return nil, err
	}
	res, err := eng.Counts(ctx, engine.CountsRequest{Scope: scope, Bucket: bucket, SplitBy: q.SplitBy, Top: q.Top})
	if err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	return b.Counts(res, q.SplitBy, bucket), nil
}

func runBreakdown(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, q *Query) (data.Frames, error) {
	if q.Field == "" {
		return nil, invalidf("a breakdown query needs a field; facets are %s", env.facetList())
	}
	if err := env.requireType(q.Field, "field", "string", "number", "bool"); err != nil {
		return nil, err
	}
	res, err := eng.Breakdown(ctx, engine.BreakdownRequest{Scope: scope, Field: q.Field, Top: q.Top})
	if err != nil {
		return nil, fmt.Errorf("breakdown: %w", err)
	}
	return b.Breakdown(res, q.FilterField), nil
}

func runTickets(ctx context.Context, eng *engine.Engine, b frames.Builder, scope engine.Scope, q *Query) (data.Frames, error) {
	if q.Limit < 0 {
		return nil, invalidf("limit must not be negative")
	}
	res, err := eng.Tickets(ctx, engine.TicketsRequest{Scope: scope, Columns: q.Columns, Sort: q.Sort, Limit: q.Limit})
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	return b.Tickets(res, q.Search), nil
}

func runStats(ctx context.Context, eng *engine.Engine, b frames.Builder, scope engine.Scope, q *Query) (data.Frames, error) {
	baseline, err := durationOption("baseline", q.Baseline, 0)
	if err != nil {
		return nil, err
	}
	res, err := eng.Stats(ctx, engine.StatsRequest{Scope: scope, Baseline: baseline})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return b.Stats(res), nil
}

func runValues(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, q *Query) (data.Frames, error) {
	if q.Field == "" {
		return nil, invalidf("a values query needs a field")
	}
	// The values of an ad hoc filter's key, which may be a column's title, as the filter
	// reads it.
	q.Field = filter.FieldForKey(q.Field, env.Schema)
	if err := env.requireType(q.Field, "field", "string", "text", "number", "bool"); err != nil {
		return nil, err
	}
	res, err := eng.Values(ctx, engine.ValuesRequest{Scope: scope, Field: q.Field, Prefix: q.Prefix, Limit: q.Limit})
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	return b.Values(res), nil
}

// Defaults of the spike query: a window short enough to fire within minutes of an
// outage's start, and a baseline of a whole day, so that the usual rate includes the
// day's rhythm rather than only the hour before.
const (
	DefaultSpikeWindow   = 10 * time.Minute
	DefaultSpikeBaseline = 24 * time.Hour
)

func runLogs(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, q *Query) (data.Frames, error) {
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a logs query needs a time range")
	}
	if q.Limit < 0 {
		return nil, invalidf("limit must not be negative")
	}
	level, err := env.levelField(q)
	if err != nil {
		return nil, err
	}
	for _, c := range q.Columns {
		if _, ok := env.Schema.Column(c); !ok {
			return nil, invalidf("columns: %s", env.Schema.UnknownField(c))
		}
	}
	limit := q.Limit
	if limit == 0 {
		limit = env.Schema.Table.Limit
	}
	if limit == 0 {
		limit = defaultLogsLimit
	}
	timeField := q.TimeField
	if timeField == "" {
		timeField = env.Schema.Time
	}
	// Every column, detail columns too: a line expands to the whole ticket. The engine
	// reads the detail columns from the store for the returned lines only.
	var all []string
	for _, c := range env.Schema.Ordered() {
		all = append(all, c.Name)
	}
	res, err := eng.Tickets(ctx, engine.TicketsRequest{Scope: scope, Columns: all,
		Sort: []schema.SortKey{{Field: timeField, Desc: true}}, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	return b.Logs(res, frames.LogsOptions{TimeField: timeField, LevelField: level, Fields: q.Columns, Search: q.Search, Limit: limit}), nil
}

// defaultLogsLimit is the number of lines of a logs query when neither the query nor the
// schema's table says.
const defaultLogsLimit = 200

// levelGuesses are the column names a logs query maps onto the level when the query names
// none, in order of preference.
var levelGuesses = []string{"severity", "sev", "priority", "level"}

// levelField is the column a logs query maps onto the lines' level: the query's, or the
// first number or string column named like a severity, or none.
func (env *Env) levelField(q *Query) (string, error) {
	if q.LevelField != "" {
		if err := env.requireType(q.LevelField, "levelField", "number", "string"); err != nil {
			return "", err
		}
		return q.LevelField, nil
	}
	for _, guess := range levelGuesses {
		for _, c := range env.Schema.Columns {
			if strings.EqualFold(c.Name, guess) && (c.Type == schema.Number || c.Type == schema.String) {
				return c.Name, nil
			}
		}
	}
	return "", nil
}

func runSpike(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, r Request) (data.Frames, error) {
	q := &r.Query
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a spike query needs a time range")
	}
	window, err := durationOption("window", q.Window, DefaultSpikeWindow)
	if err != nil {
		return nil, err
	}
	baseline, err := durationOption("baseline", q.Baseline, DefaultSpikeBaseline)
	if err != nil {
		return nil, err
	}
	if baseline < window {
		return nil, invalidf("baseline: %s is shorter than the window (%s); the usual rate needs a longer period", frames.ShortDuration(baseline), frames.ShortDuration(window))
	}
	if q.SplitBy != "" {
		if err := env.requireType(q.SplitBy, "splitBy", "string", "number", "bool"); err != nil {
			return nil, err
		}
	}
	var measures []string
	for _, m := range q.Series {
		if !slices.Contains(frames.SpikeMeasures, m) {
			return nil, invalidf("series: unknown measure %q; use %s", m, strings.Join(frames.SpikeMeasures, ", "))
		}
		if !slices.Contains(measures, m) {
			measures = append(measures, m)
		}
	}
	step, err := ChooseBucket(q.Bucket, r.Interval, r.To.Sub(r.From), r.MaxDataPoints)
	if err != nil {
		return nil, err
	}
	res, err := eng.Spike(ctx, engine.SpikeRequest{Scope: scope, Window: window, Baseline: baseline, Step: step, SplitBy: q.SplitBy, Top: q.Top})
	if err != nil {
		return nil, fmt.Errorf("spike: %w", err)
	}
	return b.Spike(res, frames.SpikeOptions{SplitBy: q.SplitBy, Step: step, Window: window, Baseline: baseline, Measures: measures}), nil
}

func runMovers(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, q *Query) (data.Frames, error) {
	if q.Field == "" {
		return nil, invalidf("a movers query needs a field; facets are %s", env.facetList())
	}
	if err := env.requireType(q.Field, "field", "string", "number", "bool"); err != nil {
		return nil, err
	}
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a movers query needs a time range")
	}
	baseline, err := durationOption("baseline", q.Baseline, 0)
	if err != nil {
		return nil, err
	}
	res, err := eng.Movers(ctx, engine.MoversRequest{Scope: scope, Field: q.Field, Baseline: baseline, Top: q.Top})
	if err != nil {
		return nil, fmt.Errorf("movers: %w", err)
	}
	return b.Movers(res, q.FilterField), nil
}

// durationOption reads a duration option of the query, def when it is empty.
func durationOption(option, text string, def time.Duration) (time.Duration, error) {
	if text == "" {
		return def, nil
	}
	d, err := ParseDuration(text)
	if err != nil {
		return 0, invalidf("%s: %v", option, err)
	}
	return d, nil
}

// requireType checks that a field named by a query option exists and has one of the types.
func (env *Env) requireType(name, option string, types ...string) error {
	c, ok := env.Schema.Column(name)
	if !ok {
		return invalidf("%s: %s", option, env.Schema.UnknownField(name))
	}
	for _, t := range types {
		if string(c.Type) == t {
			return nil
		}
	}
	return invalidf("%s: %q is a %s field; it must be %s", option, name, c.Type, strings.Join(types, " or "))
}

func (env *Env) facetList() string {
	var names []string
	for _, c := range env.Schema.Facets() {
		names = append(names, fmt.Sprintf("%q", c.Name))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
