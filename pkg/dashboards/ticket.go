package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
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
	one := func(columns []string) query.Model {
		// The default filter is off: a ticket that it hides (a resolved one) still has a record.
		return &query.TicketsQuery{Common: query.Common{Filter: byKey, NoDefaultFilter: true}, Columns: columns, Limit: 1}
	}
	// The tickets frame always ends with the search's match field, which means nothing
	// without a search: both panels leave it out (filterFieldsByName, exclude).
	noMatch := dashboard.DataTransformerConfig{
		Id:      "filterFieldsByName",
		Options: map[string]any{"exclude": map[string]any{"names": []string{frames.MatchField}}},
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
			Tooltip("Back to the overview, same time range and data source").
			KeepTime(true).
			IncludeVars(true)).
		WithVariable(datasourceVariable()).
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
			WithTransformation(noMatch).
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
			WithTransformation(noMatch).
			WithTransformation(timesAsText(s)).
			// Transpose turns the one row into a field / value list (transposeTransformer,
			// packages/grafana-data/src/transformations/transformers/transpose.ts). The key,
			// the first field, becomes the value column's header, and a value keeps none of
			// its field's config: the key's link to the ticket system is the panel's link.
			WithTransformation(dashboard.DataTransformerConfig{
				Id:      "transpose",
				Options: map[string]any{"firstFieldName": "Field", "restFieldsName": "Value"},
			}).
			Links(ticketSystemLinks(s)).
			CellHeight(common.TableCellHeightLg).
			CellOptions(common.TableCellOptions{TableAutoCellOptions: &common.TableAutoCellOptions{Type: common.TableCellDisplayModeAuto, WrapText: ptr(true)}}).
			Height(18).
			Span(24)).
		Build()
}

// timeTextFormat is how the record shows a time: the format of Grafana's dateTimeAsIso
// unit, which the schema gives its time columns.
const timeTextFormat = "YYYY-MM-DD HH:mm:ss"

// timesAsText turns the time columns into text before the transpose: it puts every value
// in one column, and a time there is its epoch milliseconds ("${v}" in the transpose's
// fieldValuesAsStrings). convertFieldType writes a time with a date format instead, in the
// dashboard's time zone (fieldToStringField in
// packages/grafana-data/src/transformations/transformers/convertFieldType.ts).
func timesAsText(s *schema.Schema) dashboard.DataTransformerConfig {
	var conversions []any
	for _, c := range s.Ordered() {
		if c.Type == schema.Time {
			conversions = append(conversions, map[string]any{
				"targetField": c.Name, "destinationType": "string", "dateFormat": timeTextFormat,
			})
		}
	}
	return dashboard.DataTransformerConfig{Id: "convertFieldType", Options: map[string]any{"conversions": conversions}}
}

// ticketSystemLinks is the record panel's link to the ticket in the ticket system: the
// schema key column's link with the field's value (${__value.raw} and its kin) replaced by
// the ticket variable.
func ticketSystemLinks(s *schema.Schema) []cog.Builder[dashboard.DashboardLink] {
	c, ok := s.Column(s.Key)
	if !ok || c.Link == "" {
		return nil
	}
	url := strings.NewReplacer("${__value.raw}", "${"+VarTicket+"}", "${__value.text}", "${"+VarTicket+"}",
		"${__value}", "${"+VarTicket+"}").Replace(c.Link)
	return []cog.Builder[dashboard.DashboardLink]{panelLink("Open ${"+VarTicket+"} in the ticket system", url)}
}

func displayName(s *schema.Schema, name string) string {
	if c, ok := s.Column(name); ok {
		return c.DisplayName()
	}
	return name
}

var _ cog.Builder[dashboard.Dashboard] = (*dashboard.DashboardBuilder)(nil)
