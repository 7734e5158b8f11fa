// Package query is the wire format of a Spacetime query (the JSON that a Grafana panel, an
// alert rule or `spacetime query` sends) and its translation into engine requests. The
// plugin and the command line share it, so both give the same answers.
package query

import (
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// Type is the kind of a query, Grafana's queryType.
type Type string

const (
	// Counts: tickets per time bucket, optionally split by a field (time series; alerting).
	Counts Type = "counts"
	// Breakdown: tickets per value of a field, top N plus "other" (pie and bar charts).
	Breakdown Type = "breakdown"
	// Tickets: rows with chosen columns, sorted and limited; search matches are marked.
	Tickets Type = "tickets"
	// Stats: total, open now, rate per minute.
	Stats Type = "stats"
	// Values: distinct values of a field with counts (variables, ad hoc filter values).
	Values Type = "values"
	// Logs: the newest tickets as log lines with every field (Grafana's logs panel).
	Logs Type = "logs"
	// Spike: the recent ticket rate against its trailing baseline, over time (alerting).
	Spike Type = "spike"
	// Movers: the values of a field that rose most above their baseline ("what changed?").
	Movers Type = "movers"
)

// Types lists the query types in documentation order.
var Types = []Type{Counts, Breakdown, Tickets, Stats, Values, Logs, Spike, Movers}

// Query is the JSON model of one query. Fields that do not apply to a query type are
// ignored. See the README's query reference.
type Query struct {
	// RefID and the other Grafana envelope fields (datasource, hide, ...) are ignored here.
	QueryType Type `json:"queryType"`
	// Filter is an expression in the filter language.
	Filter string `json:"filter,omitempty"`
	// ViewerFilter is a filter expression typed by whoever views the dashboard (the
	// overview's "Filter expression" box), ANDed like Filter. It travels apart from Filter
	// because a typo in it is the viewer's, not the dashboard's: when it does not parse or
	// check, the query answers without it, with a notice, so that one typo does not turn
	// every panel into the same error. The panel that sets CheckViewerFilter fails with the
	// error instead, which is where the viewer reads it.
	ViewerFilter string `json:"viewerFilter,omitempty"`
	// CheckViewerFilter makes an error in ViewerFilter the query's error.
	CheckViewerFilter bool `json:"checkViewerFilter,omitempty"`
	// AdHocFilters are Grafana's ad hoc filters, copied into the query by the frontend.
	AdHocFilters []filter.AdHocFilter `json:"adhocFilters,omitempty"`
	// Search marks the rows that contain every word (tickets, logs); it removes none.
	Search string `json:"search,omitempty"`
	// NoDefaultFilter switches the schema's default filter off for this query.
	NoDefaultFilter bool `json:"noDefaultFilter,omitempty"`
	// TimeField is the time column the range applies to; empty: the schema's time column.
	TimeField string `json:"timeField,omitempty"`
	// Field is the field of a breakdown, values or movers query.
	Field string `json:"field,omitempty"`
	// SplitBy splits a counts or spike query into one series per value of this field.
	SplitBy string `json:"splitBy,omitempty"`
	// Top is the number of series or slices kept before "other", or of movers (default 10).
	Top int `json:"top,omitempty"`
	// FilterField adds to a breakdown or movers frame the field adhocFilter: for each row,
	// the ad hoc filter that narrows to it, written as Grafana's dashboard URL writes a
	// filter, for a data link (frames.AdHocFilterField).
	FilterField bool `json:"filterField,omitempty"`
	// Bucket is the counts bucket width, or the spacing of spike points, as a duration
	// ("1m", "5m", "1h"); empty: the panel's interval, at least one minute... see Bucket
	// in the README.
	Bucket string `json:"bucket,omitempty"`
	// Columns of a tickets query (empty: the schema's table columns), or the fields a
	// logs line shows when expanded (empty: every column).
	Columns []string `json:"columns,omitempty"`
	// Sort of a tickets query; empty: the schema's table sort.
	Sort []schema.SortKey `json:"sort,omitempty"`
	// Limit on rows (tickets, logs) or values (values); 0: the default.
	Limit int `json:"limit,omitempty"`
	// Prefix keeps the values that start with it (values).
	Prefix string `json:"prefix,omitempty"`
	// Window is the recent period of a spike query ("10m" by default).
	Window string `json:"window,omitempty"`
	// Baseline is the period before that a spike (default "24h"), movers or stats query
	// (default: as long as the range) compares with.
	Baseline string `json:"baseline,omitempty"`
	// Series picks the measures of a spike query: "rate", "baseline", "ratio"; empty: all.
	Series []string `json:"series,omitempty"`
	// LevelField is the column a logs query maps onto each line's level; empty: a
	// column named severity, sev, priority or level, when the schema has one.
	LevelField string `json:"levelField,omitempty"`
}
