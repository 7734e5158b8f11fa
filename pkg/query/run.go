package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
)

// Request is one query with what Grafana sends around it.
type Request struct {
	Query Model
	// From and To bound the time field; zero values mean no bound (values queries).
	From, To time.Time
	// Interval is the panel's suggested interval, used for counts without a bucket.
	Interval time.Duration
	// MaxDataPoints caps the number of buckets of a counts query (0: 2 000).
	MaxDataPoints int64
	// RefID names the frames.
	RefID string
}

// Run answers one query from the engine as data frames. Errors in the query wrap
// ErrInvalid or engine.ErrBadRequest; other errors are the engine's or the store's.
func Run(ctx context.Context, eng *engine.Engine, env *Env, r Request) (data.Frames, error) {
	if r.Query == nil {
		return nil, invalidf("no query")
	}
	frs, err := runQuery(ctx, eng, env, r)
	base := r.Query.Base()
	if err == nil && !base.CheckViewerFilter && env.ViewerFilterProblem(base) != nil {
		for _, fr := range frs {
			fr.AppendNotices(data.Notice{Severity: data.NoticeSeverityInfo, Text: ignoredViewerFilter})
		}
	}
	return frs, err
}

func runQuery(ctx context.Context, eng *engine.Engine, env *Env, r Request) (data.Frames, error) {
	// A model built in Go, not decoded, is checked here.
	if err := r.Query.Check(); err != nil {
		return nil, err
	}
	scope, err := env.scope(r)
	if err != nil {
		return nil, err
	}
	return r.Query.run(ctx, eng, env, frames.Builder{Schema: env.Schema, RefID: r.RefID}, scope, r)
}

// scope is the engine scope of a request: its range, time field, whole filter and search.
func (env *Env) scope(r Request) (engine.Scope, error) {
	q := r.Query.Base()
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
