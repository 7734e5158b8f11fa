package query

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/spacetime/tickets/pkg/filter"
)

// AdHocFilters reads the ad hoc filters that a link or another caller sends outside the
// query JSON, checked against the schema: urlFilters in the format of Grafana's dashboard
// URLs (the values of var-NAME parameters, KEY|OP|VALUE), which is what a data link can
// carry, then adhocJSON, a JSON array of {key, operator, value, values}, for other
// callers. Each error names the parameter it is about (var-filters, adhoc).
func (env *Env) AdHocFilters(urlFilters []string, adhocJSON string) ([]filter.AdHocFilter, error) {
	fromURL, err := filter.ParseURLFilters(urlFilters)
	if err == nil {
		_, err = filter.FromAdHoc(fromURL, env.Schema)
	}
	if err != nil {
		return nil, invalidf("var-filters: %w", err)
	}
	var fromJSON []filter.AdHocFilter
	if adhocJSON != "" {
		if err := json.Unmarshal([]byte(adhocJSON), &fromJSON); err != nil {
			return nil, invalidf("adhoc: want a JSON array of {key, operator, value, values}: %w", err)
		}
		if _, err := filter.FromAdHoc(fromJSON, env.Schema); err != nil {
			return nil, invalidf("adhoc: %w", err)
		}
	}
	return append(fromURL, fromJSON...), nil
}

// ExportQuery reads the tickets query of an export link's parameters: filter, search,
// columns (comma-separated), the ad hoc filters as var-filters (repeated) and adhoc (see
// AdHocFilters). Each error names the parameter it is about.
func (env *Env) ExportQuery(p url.Values) (*TicketsQuery, error) {
	q := &TicketsQuery{Common: Common{QueryType: Tickets, Filter: p.Get("filter"), Search: p.Get("search")}}
	if err := env.ValidateFilter(q.Filter); err != nil {
		return nil, invalidf("filter: %w", err)
	}
	for _, c := range strings.Split(p.Get("columns"), ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		if _, ok := env.Schema.Column(c); !ok {
			return nil, invalidf("columns: unknown column %q", c)
		}
		q.Columns = append(q.Columns, c)
	}
	adhoc, err := env.AdHocFilters(p["var-filters"], p.Get("adhoc"))
	if err != nil {
		return nil, err
	}
	q.AdHocFilters = adhoc
	return q, nil
}
