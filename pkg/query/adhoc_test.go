package query

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// TestExportQuery: an export link's parameters become a tickets query, the ad hoc filters
// of the URL format first and those of the JSON parameter after; each mistake is an
// invalid query naming its parameter.
func TestExportQuery(t *testing.T) {
	env, err := NewEnv(schema.Default())
	if err != nil {
		t.Fatal(err)
	}
	p := url.Values{
		"filter":      {"severity <= 2"},
		"search":      {"disk"},
		"columns":     {"id, title"},
		"var-filters": {filter.FormatURLFilter(filter.AdHocFilter{Key: "service", Operator: "=", Value: "a|b,c"}), "region|!=|eu"},
		"adhoc":       {`[{"key":"status","operator":"=|","values":["open","new"]}]`},
	}
	q, err := env.ExportQuery(p)
	if err != nil {
		t.Fatal(err)
	}
	want := &TicketsQuery{Common: Common{QueryType: Tickets, Filter: "severity <= 2", Search: "disk", AdHocFilters: []filter.AdHocFilter{
		{Key: "service", Operator: "=", Value: "a|b,c"}, {Key: "region", Operator: "!=", Value: "eu"},
		{Key: "status", Operator: "=|", Values: []string{"open", "new"}},
	}}, Columns: []string{"id", "title"}}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("query %+v\nwant %+v", q, want)
	}

	for _, tt := range []struct{ param, value, want string }{
		{"filter", "severty = 1", "filter:"},
		{"columns", "id,nosuch", `columns: unknown column "nosuch"`},
		{"var-filters", "nosuch|=|x", "var-filters:"},
		{"adhoc", `{"key":"service"}`, "adhoc: want a JSON array"},
		{"adhoc", `[{"key":"service","operator":"~~","value":"x"}]`, "adhoc: "},
	} {
		_, err := env.ExportQuery(url.Values{tt.param: {tt.value}})
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s=%s: %v; want an invalid query starting %q", tt.param, tt.value, err, tt.want)
		}
	}
}
