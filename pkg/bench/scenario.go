// Package bench defines the benchmark workload: a responder drilling down into an outage
// on the overview dashboard. Each refresh sends the seven panel queries of the overview;
// the drill-down is nine refreshes that add filters one by one (0 to 4, among them a
// regex), search, and zoom. The engine benchmarks, `spacetime bench` and the gRPC
// benchmark all run this same workload, so their numbers compare.
package bench

import (
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/query"
)

// Refresh is one dashboard refresh: the panel queries and the time range they share.
type Refresh struct {
	Name     string
	From, To time.Time
	Queries  []query.Model
}

// Panels returns the seven queries of one overview refresh under the given ad hoc filters
// and search: counts split by severity, four breakdowns, the 200 newest tickets, the total.
func Panels(adhoc []filter.AdHocFilter, search string) []query.Model {
	base := query.Common{AdHocFilters: adhoc}
	out := []query.Model{&query.CountsQuery{Common: base, SplitBy: "severity"}}
	for _, f := range []string{"severity", "service", "region", "category"} {
		out = append(out, &query.BreakdownQuery{Common: base, Field: f, Top: 10})
	}
	withSearch := base
	withSearch.Search = search
	return append(out, &query.TicketsQuery{Common: withSearch, Limit: 200}, &query.StatsQuery{Common: base})
}

// Drilldown returns the nine refreshes of a drill-down over [to-window, to): the outage's
// service and region are what a responder would click on.
func Drilldown(to time.Time, window time.Duration, service, regionRegex string) []Refresh {
	from := to.Add(-window)
	sev := filter.AdHocFilter{Key: "severity", Operator: "<=", Value: "2"}
	svc := filter.AdHocFilter{Key: "service", Operator: "=", Value: service}
	reg := filter.AdHocFilter{Key: "region", Operator: "=~", Value: regionRegex}
	open := filter.AdHocFilter{Key: "status", Operator: "!=", Value: "resolved"}
	steps := []struct {
		name   string
		adhoc  []filter.AdHocFilter
		search string
		zoom   bool
	}{
		{"no filter", nil, "", false},
		{"severity", []filter.AdHocFilter{sev}, "", false},
		{"+service", []filter.AdHocFilter{sev, svc}, "", false},
		{"+region regex", []filter.AdHocFilter{sev, svc, reg}, "", false},
		{"+open", []filter.AdHocFilter{sev, svc, reg, open}, "", false},
		{"+search", []filter.AdHocFilter{sev, svc, reg, open}, "error rate", false},
		{"zoom to the last tenth", []filter.AdHocFilter{sev, svc, reg, open}, "error rate", true},
		{"drop region", []filter.AdHocFilter{sev, svc, open}, "error rate", true},
		{"back to all, searching", nil, "latency", false},
	}
	out := make([]Refresh, len(steps))
	for i, s := range steps {
		r := Refresh{Name: s.name, From: from, To: to, Queries: Panels(s.adhoc, s.search)}
		if s.zoom {
			r.From = to.Add(-window / 10)
		}
		out[i] = r
	}
	return out
}

// Investigation returns the nine refreshes of a harder drill-down over [to-window, to),
// with the kinds of filter that cost most: a regular expression, a negation, a union
// with a text predicate on the titles, and searches. Each refresh keeps the filters of
// the one before (cumulative), as a responder's clicks do, until the last one starts over.
func Investigation(to time.Time, window time.Duration, service, regionRegex string) []Refresh {
	from := to.Add(-window)
	sev := filter.AdHocFilter{Key: "severity", Operator: "<=", Value: "2"}
	svc := filter.AdHocFilter{Key: "service", Operator: "=", Value: service}
	reg := filter.AdHocFilter{Key: "region", Operator: "=~", Value: regionRegex}
	notResolved := `not status in ("resolved", "closed")`
	union := `(category = "Performance" or title contains "error")`
	steps := []struct {
		name   string
		adhoc  []filter.AdHocFilter
		expr   string
		search string
		zoom   bool
	}{
		{"no filter", nil, "", "", false},
		{"negation", nil, notResolved, "", false},
		{"+severity", []filter.AdHocFilter{sev}, notResolved, "", false},
		{"+union with a title test", []filter.AdHocFilter{sev}, notResolved + " and " + union, "", false},
		{"+service", []filter.AdHocFilter{sev, svc}, notResolved + " and " + union, "", false},
		{"+region regex", []filter.AdHocFilter{sev, svc, reg}, notResolved + " and " + union, "", false},
		{"+search", []filter.AdHocFilter{sev, svc, reg}, notResolved + " and " + union, "timeout", false},
		{"zoom to the last tenth", []filter.AdHocFilter{sev, svc, reg}, notResolved + " and " + union, "timeout", true},
		{"start over: a title regex", nil, `title =~ "(?i)disk|memory"`, "latency", false},
	}
	out := make([]Refresh, len(steps))
	for i, s := range steps {
		qs := Panels(s.adhoc, s.search)
		for j := range qs {
			qs[j].Base().Filter = s.expr
		}
		r := Refresh{Name: s.name, From: from, To: to, Queries: qs}
		if s.zoom {
			r.From = to.Add(-window / 10)
		}
		out[i] = r
	}
	return out
}
