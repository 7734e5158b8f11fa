// Package engine is the in-memory columnar index of the stored tickets and the execution of
// every query on it. It knows nothing of Grafana: it takes typed requests and returns typed
// results, which package frames turns into data frames.
package engine

import (
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// Scope selects the tickets a query looks at: those whose time field lies in [From, To)
// and that match Where. Every query type takes a Scope.
type Scope struct {
	From, To time.Time
	// TimeField is the time column the range applies to; empty means the schema's time.
	TimeField string
	// Where is the whole filter, already ANDed from the query's expression, the ad hoc
	// filters and the schema default, and checked against the schema (filter.Check).
	// nil matches everything.
	Where filter.Expr
	// Search marks rows (tickets query) whose text columns or key contain every word of
	// Search, case-insensitively. It never removes rows. Empty marks nothing.
	Search string
}

// Series is one line of a counts result.
type Series struct {
	// Name is the split field's value ("" with no split; OtherName for the rest).
	Name string
	// Null is set for the series of tickets with no value in the split field.
	Null   bool
	Counts []int64 // one per bucket
}

// OtherName names the series or slice that sums everything beyond the top N.
const OtherName = "other"

// CountsRequest asks for tickets per time bucket.
type CountsRequest struct {
	Scope
	// Bucket is the width of a bucket (> 0). Buckets are aligned to multiples of Bucket
	// since the Unix epoch, so refreshes line up.
	Bucket time.Duration
	// SplitBy names a string, number or bool field to split the counts by; empty: one series.
	SplitBy string
	// Top keeps the Top series with the most tickets in the range and sums the rest into
	// OtherName; 0 means 10.
	Top int
}

// CountsResult holds the bucket start times and one or more series over them. Empty
// buckets are present with a zero count, so a chart shows gaps as zeros.
type CountsResult struct {
	Times  []time.Time
	Series []Series
}

// BreakdownRequest asks for the number of tickets per value of a field.
type BreakdownRequest struct {
	Scope
	Field string
	// Top keeps the Top values and sums the rest into OtherName; 0 means 10.
	Top int
}

// Bucket is one value of a field with its count.
type Bucket struct {
	Value string // formatted value; "" for null
	Null  bool
	Other bool
	Count int64
}

// BreakdownResult lists values by count, highest first (ties by value), then Other.
type BreakdownResult struct {
	Field   string
	Buckets []Bucket
	Total   int64
}

// TicketsRequest asks for rows.
type TicketsRequest struct {
	Scope
	// Columns to return; empty means the schema's table columns. The key column is always
	// returned, first unless Columns places it.
	Columns []string
	// Sort keys; empty means the schema's table sort, then the time field descending.
	Sort []schema.SortKey
	// Limit on the rows; 0 means the schema's table limit, or 200.
	Limit int
}

// Column holds the values of one returned column, typed by the schema: []string for string
// and text (with Nulls marking nulls), []float64 for number, []time.Time for time, []bool
// for bool. Exactly one of the slices is set.
type Column struct {
	Name    string
	Strings []string
	Numbers []float64
	Times   []time.Time
	Bools   []bool
	Nulls   []bool // Nulls[i] is true when row i has no value
}

// TicketsResult holds the rows, column by column, and the search marks.
type TicketsResult struct {
	Columns []Column
	// Matches[i] says whether row i matches Scope.Search (all false without a search).
	Matches []bool
	// Total is the number of tickets in scope, of which Rows shows the first Limit.
	Total int
}

// StatsRequest asks for the single stats.
type StatsRequest struct {
	Scope
}

// StatsResult holds the single stats of the tickets in scope.
type StatsResult struct {
	// Total is the number of tickets in scope.
	Total int64
	// Open is the number of those that match the schema's Open filter (all, without one).
	Open int64
	// RatePerMinute is Total divided by the length of the range in minutes.
	RatePerMinute float64
	// Tickets is the number of tickets the engine holds in all.
	Tickets int64
}

// ValuesRequest asks for the distinct values of a field with their counts, for template
// variables and ad hoc filter values.
type ValuesRequest struct {
	Scope
	Field string
	// Prefix keeps values that start with it, case-insensitively.
	Prefix string
	// Limit on the values returned, most frequent first; 0 means 100.
	Limit int
}

// ValuesResult lists values by count, highest first (ties by value).
type ValuesResult struct {
	Field  string
	Values []Bucket
}
