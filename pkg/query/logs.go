package query

import (
	"context"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/schema"
)

// Logs: the newest tickets as log lines with every field (Grafana's logs panel).
const Logs Type = "logs"

// LogsQuery is the model of a logs query.
type LogsQuery struct {
	Common
	// Columns are the fields a line shows when expanded; empty: every column.
	Columns []string `json:"columns,omitempty"`
	// Limit is the number of lines; 0: the schema's table limit, else 200.
	Limit int `json:"limit,omitempty"`
	// LevelField is the column mapped onto each line's level; empty: a column named
	// severity, sev, priority or level, when the schema has one.
	LevelField string `json:"levelField,omitempty" arg:"FIELD" help:"the column, a FIELD, mapped onto each line's level (default: one named severity, sev, priority or level)"`
}

// Type is logs.
func (*LogsQuery) Type() Type { return Logs }

// Check checks the limit.
func (q *LogsQuery) Check() error { return checkLimit(q.Limit) }

func (q *LogsQuery) run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, _ Request) (data.Frames, error) {
	if scope.From.IsZero() || scope.To.IsZero() {
		return nil, invalidf("a logs query needs a time range")
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
func (env *Env) levelField(q *LogsQuery) (string, error) {
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
