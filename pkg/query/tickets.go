package query

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/schema"
)

// Tickets: rows with chosen columns, sorted and limited; search matches are marked.
const Tickets Type = "tickets"

// TicketsQuery is the model of a tickets query, and of an export (Export).
type TicketsQuery struct {
	Common
	// Columns are the columns shown; empty: the schema's table columns.
	Columns []string `json:"columns,omitempty" arg:"COLUMNS" help:"the COLUMNS of a tickets query, or the fields a logs line shows, comma-separated"`
	// Sort orders the rows; empty: the schema's table sort.
	Sort []schema.SortKey `json:"sort,omitempty" arg:"KEYS" help:"the sort KEYS, comma-separated; -field sorts descending"`
	// Limit is the number of rows; 0: the default.
	Limit int `json:"limit,omitempty" arg:"N" help:"the N rows (tickets, logs) or values (values) to return"`
}

// Type is tickets.
func (*TicketsQuery) Type() Type { return Tickets }

// Check checks the limit.
func (q *TicketsQuery) Check() error { return checkLimit(q.Limit) }

func (q *TicketsQuery) run(ctx context.Context, eng *engine.Engine, _ *Env, b frames.Builder, scope engine.Scope, _ Request) (data.Frames, error) {
	res, err := eng.Tickets(ctx, engine.TicketsRequest{Scope: scope, Columns: q.Columns, Sort: q.Sort, Limit: q.Limit})
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	return b.Tickets(res, q.Search), nil
}

func checkLimit(limit int) error {
	if limit < 0 {
		return invalidf("limit must not be negative")
	}
	return nil
}
