package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

const (
	panelTicketSummary = 1 + iota
	panelTicketRecord
)

// Ticket builds the "Ticket" dashboard: one ticket's whole record, every field and the
// description, reached from the overview's table with the time range kept.
func Ticket(opts Options) (dashboard.Dashboard, error) {
	s := opts.Schema
	// The frontend interpolates a single-value variable in a filter escaped for the
	// quotes around it (formatFilterVariable), so a key with quotes stays one string.
	byKey := (&filter.Compare{Field: s.Key, Op: filter.Eq, Value: filter.Literal{Kind: filter.LitString, S: "$" + VarTicket}}).String()
	var all []string
	for _, c := range s.Ordered() {
		all = append(all, c.Name)
	}
	one := func(columns []string) query.Query {
		// The default filter is off: a ticket that it hides (a resolved one) still has a record.
		return query.Query{QueryType: query.Tickets, Filter: byKey, Columns: columns, Limit: 1, NoDefaultFilter: true}
	}
	return dashboard.NewDashboardBuilder("Ticket").
		Uid(TicketUID).
		Description("One ticket's whole record: every field and the description, with the link to the ticket system.").
		Tags([]string{"spacetime", "tickets"}).
		Editable().
		Timezone(common.TimeZoneBrowser).
		Time("now-6h", "now").
		Timepicker(timePicker()).
		Link(dashboard.NewDashboardLinkBuilder("Spacetime overview").
			Type(dashboard.DashboardLinkTypeLink).
			Url(OverviewPath).
			Icon("dashboard").
			Tooltip("Back to the overview, same time range").
			KeepTime(true)).
		WithVariable(dashboard.NewTextBoxVariableBuilder(VarTicket).
			Label(displayName(s, s.Key)).
			Description("The ticket's key. The overview's table links here with it.").
			DefaultValue(dashboard.StringOrMap{String: ptr("")})).
		WithPanel(table.NewPanelBuilder().
			Id(panelTicketSummary).
			Title("Ticket $" + VarTicket).
			Description("The ticket's table columns; its key links to the ticket system.").
			Datasource(*datasourceRef()).
			WithTarget(target("A", one(s.TableColumns()))).
			CellHeight(common.TableCellHeightSm).
			NoValue("No such ticket in the time range: widen the range or check the key.").
			Height(4).
			Span(24)).
		WithPanel(table.NewPanelBuilder().
			Id(panelTicketRecord).
			Title("All fields").
			Description("Every field of the ticket, one per line, the description included.").
			Datasource(*datasourceRef()).
			WithTarget(target("A", one(all))).
			// Transpose turns the one row into a field / value list (transposeTransformer,
			// packages/grafana-data/src/transformations/transformers/transpose.ts).
			WithTransformation(dashboard.DataTransformerConfig{
				Id:      "transpose",
				Options: map[string]any{"firstFieldName": "Field", "restFieldsName": "Value"},
			}).
			CellHeight(common.TableCellHeightLg).
			CellOptions(common.TableCellOptions{TableAutoCellOptions: &common.TableAutoCellOptions{Type: common.TableCellDisplayModeAuto, WrapText: ptr(true)}}).
			Height(18).
			Span(24)).
		Build()
}

func displayName(s *schema.Schema, name string) string {
	if c, ok := s.Column(name); ok {
		return c.DisplayName()
	}
	return name
}

var _ cog.Builder[dashboard.Dashboard] = (*dashboard.DashboardBuilder)(nil)
