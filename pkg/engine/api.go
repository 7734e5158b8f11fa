// Package engine is the in-memory columnar index of the stored tickets and the execution of
// every query on it. It knows nothing of Grafana: it takes typed requests and returns typed
// results, which package frames turns into data frames.
package engine

import (
	"math"
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
	// Capped is set when the request asked for more rows than MaxRows, the most a result
	// holds.
	Capped bool
}

// StatsRequest asks for the single stats.
type StatsRequest struct {
	Scope
	// Baseline is the length of the period just before the range whose rate is the usual
	// rate; 0 means as long as the range. Without both ends of the range there is none.
	Baseline time.Duration
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
	// BaselineTotal is the number of tickets that match the filter in the baseline period
	// [From-Baseline, From), and BaselineRatePerMinute that number per minute of it: the
	// usual rate that RatePerMinute is compared with. Both are 0 without a bounded range.
	BaselineTotal         int64
	BaselineRatePerMinute float64
}

// SpikeRequest asks, at points over the range, for the ticket rate of a short recent
// window against the rate of a long baseline just before that window: the series an
// alert rule compares with a threshold.
type SpikeRequest struct {
	// Scope bounds the points (both ends are needed); the tickets read reach back
	// Window+Baseline before From, since the first point's windows lie before it.
	Scope
	// Window is the recent period that ends at each point (> 0).
	Window time.Duration
	// Baseline is the period that ends where the window starts (at least Window).
	Baseline time.Duration
	// Step spaces the points, which are the multiples of Step since the Unix epoch in
	// [From, To], so that refreshes and alert evaluations line up. A range without such
	// a multiple gets one point at To.
	Step time.Duration
	// SplitBy names a string, number or bool field: one series per value; empty: one
	// series.
	SplitBy string
	// Top keeps the Top values with the most tickets between the first window's start
	// and the last point, and sums the rest into OtherName; 0 means 10.
	Top int
}

// SpikeSeries is one series of a spike result, one value per point.
type SpikeSeries struct {
	// Name is the split field's value ("" with no split; OtherName for the rest).
	Name string
	Null bool
	// Recent[i] counts the tickets in [Times[i]-Window, Times[i]) and Before[i] those in
	// the baseline before that window, [Times[i]-Window-Baseline, Times[i]-Window).
	Recent, Before []int64
	// Rate and Baseline are Recent and Before per minute of their periods; Ratio is
	// SpikeRatio of the two.
	Rate, Baseline, Ratio []float64
}

// SpikeResult holds the points and the series over them.
type SpikeResult struct {
	Times  []time.Time
	Series []SpikeSeries
}

// SpikeRatio says how many times more tickets a window holds than its baseline predicts
// for a window of its length: recent / max(before * window/baseline, 1). The floor of one
// ticket keeps a series that was quiet during the whole baseline from turning its first
// ticket into an infinite ratio: its ratio is then simply its window's count, so an alert
// threshold of 5 on a quiet service needs 5 tickets in the window. It is 0 for an empty
// window, never NaN or infinite.
func SpikeRatio(recent, before int64, window, baseline time.Duration) float64 {
	expected := float64(before) * (float64(window) / float64(baseline))
	return float64(recent) / max(expected, 1)
}

// MoversRequest asks which values of a field rose most above their baseline: the
// answer to "what changed?".
type MoversRequest struct {
	// Scope is the current period; both ends of the range are needed.
	Scope
	// Field is a string, number or bool field.
	Field string
	// Baseline is the length of the period just before From that the current period is
	// compared with; 0 means as long as the current period.
	Baseline time.Duration
	// Top keeps the Top values by score; 0 means 10.
	Top int
}

// Mover is one value of a movers result.
type Mover struct {
	Value string // formatted value; "" for null
	Null  bool
	// Current and Baseline count the value's tickets in the current and baseline periods.
	Current, Baseline int64
	// Expected is Baseline scaled to the length of the current period: the count the
	// current period would hold at the usual rate.
	Expected float64
	// Ratio is the smoothed rate ratio (Current+1)/(Expected+1), and Score the excess
	// over the expectation in units of its Poisson noise, (Current-Expected)/sqrt(Expected+1);
	// see MoverScore.
	Ratio, Score float64
}

// MoverScore ranks a value that had current tickets where expected were usual. A plain
// difference ranks the biggest value first even when it only wobbles, and a plain ratio
// ranks a value that went from 0 to 2 tickets above a real outage; dividing the excess
// by the square root of the expectation (the spread of a Poisson count) weighs both, and
// the +1 keeps values with no baseline finite.
func MoverScore(current int64, expected float64) float64 {
	return (float64(current) - expected) / math.Sqrt(expected+1)
}

// MoverRatio is the rate ratio smoothed by one ticket on each side, so that a value with
// no baseline has a finite ratio.
func MoverRatio(current int64, expected float64) float64 {
	return (float64(current) + 1) / (expected + 1)
}

// MoversResult lists the values that have tickets in the current period, by Score
// (highest first), then Current, then value (null last), at most Top of them.
type MoversResult struct {
	Field  string
	Movers []Mover
	// CurrentTotal and BaselineTotal count every ticket in scope in either period.
	CurrentTotal, BaselineTotal int64
	// BaselineFrom and BaselineTo bound the baseline period [BaselineFrom, BaselineTo).
	BaselineFrom, BaselineTo time.Time
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
