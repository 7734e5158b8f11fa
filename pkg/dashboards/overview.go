package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/logs"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

// Panel ids of the overview. They are fixed because the alert rules link to a panel by id.
const (
	panelChartsRow = 1 + iota
	panelTotal
	panelOpen
	panelRate
	panelSpike
	panelCounts
	panelMovers
	panelTicketsRow
	panelTable
	panelFeed
	panelPatterns
	panelCause
	// panelDimensions is the first id of the charts by dimension, one each.
	panelDimensions = 20
)

// checkedPanel is the panel whose query checks the filter expression and fails with its
// error: the first under the variables, "Tickets in range", which cannot count what it
// cannot read.
const checkedPanel = panelTotal

// CountsPanelID is the overview's ticket count over time, which the alert rules link to.
const CountsPanelID = panelCounts

// Spike defaults shared by the overview's "against the usual rate" panel and the alert
// rules: the same question, asked the same way.
const (
	spikeWindow   = "10m"
	spikeBaseline = "24h"
)

// filterRef is the filter expression text box as a query's viewerFilter. The raw format
// keeps the expression as typed: the frontend's own format (formatFilterVariable) escapes
// the quotes of a single value, which is right for `service = "$var"` but would break a
// whole expression. A format in the reference wins over the one the frontend passes
// (sceneInterpolator: "const fmt = fmt2 || fmt3 || format").
//
// It is the viewer's filter, not the query's (query.Query.ViewerFilter): a typo in the box
// would otherwise turn every panel into the same error. Now one panel checks it
// (checkedPanel) and shows the error, where the viewer looks after typing, and the others
// answer without it, with a short notice that does not repeat the error.
var filterRef = "${" + VarFilter + ":raw}"

// Overview builds the "Spacetime overview" dashboard for a schema.
func Overview(opts Options) (dashboard.Dashboard, error) {
	s := opts.Schema
	charts, err := opts.charts()
	if err != nil {
		return dashboard.Dashboard{}, err
	}
	b := dashboard.NewDashboardBuilder("Spacetime overview").
		Uid(OverviewUID).
		Description("Where is the outage? The most likely cause and what changed first, then high-severity tickets over time, by dimension, and the tickets themselves. Click a cause, a slice or a bar to filter; drag over the chart to zoom.").
		Tags([]string{"spacetime", "tickets"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Timezone(common.TimeZoneBrowser).
		Time("now-6h", "now").
		Refresh("1m").
		Timepicker(timePicker())

	for _, v := range overviewVariables(s, charts) {
		b.WithVariable(v)
	}

	b.WithRow(dashboard.NewRowBuilder("Charts").Id(panelChartsRow).Collapsed(false))
	// Where is it: the combinations that explain the rise, then the single values that rose.
	b.WithPanel(causePanel(s))
	b.WithPanel(moversPanel())
	b.WithPanel(statPanel(panelTotal, "Tickets in range", "How many tickets match the filters in the time range. A filter expression with an error shows its error here; the other panels answer without it.", []string{"total"}, 4))
	b.WithPanel(statPanel(panelOpen, "Open now", "Of those, how many are still open (the schema's open filter).", []string{"open"}, 4))
	b.WithPanel(statPanel(panelRate, "Tickets per minute, against the usual", "The rate in the time range, beside the usual rate: the day before the range.", []string{"rate", "baseline"}, 6).Decimals(1))
	b.WithPanel(spikePanel())
	b.WithPanel(countsPanel(s))
	for i, c := range charts {
		b.WithPanel(dimensionPanel(uint32(panelDimensions+i), s, c))
	}
	if name, _ := s.PatternField(); name != "" {
		b.WithPanel(patternsPanel())
	}

	b.WithRow(dashboard.NewRowBuilder("Tickets").Id(panelTicketsRow).Collapsed(false))
	b.WithPanel(ticketsPanel(s))
	b.WithPanel(feedPanel(s))
	return b.Build()
}

// timePicker offers the ranges responders ask for; any past range stays one click away in
// the picker's absolute range.
func timePicker() *dashboard.TimePickerBuilder {
	var ranges []cog.Builder[dashboard.TimeOption]
	for _, r := range []struct{ display, from string }{
		{"Last hour", "now-1h"}, {"Last 6 hours", "now-6h"}, {"Last 24 hours", "now-24h"}, {"Last 7 days", "now-7d"},
	} {
		ranges = append(ranges, dashboard.NewTimeOptionBuilder().Display(r.display).From(r.from).To("now"))
	}
	return dashboard.NewTimePickerBuilder().
		RefreshIntervals([]string{"1m", "5m", "15m", "1h"}).
		QuickRanges(ranges)
}

func overviewVariables(s *schema.Schema, charts []Chart) []cog.Builder[dashboard.VariableModel] {
	var facets, columns, changed []string
	for _, c := range s.Facets() {
		facets = append(facets, c.Name)
	}
	for _, c := range s.Ordered() {
		if !c.Detail {
			columns = append(columns, c.Name)
		}
	}
	for _, c := range charts {
		if col, ok := s.Column(c.Field); ok && col.Type == schema.String {
			changed = append(changed, c.Field)
		}
	}
	if len(changed) == 0 {
		changed = facets
	}
	stack := facets[0]
	if len(charts) > 0 {
		stack = charts[0].Field
	}
	return []cog.Builder[dashboard.VariableModel]{
		datasourceVariable(),
		dashboard.NewAdHocVariableBuilder(VarFilters).
			Label("Filters").
			Description("Dimension filters, all of them applied (=, !=, regex =~ and !~, one of =|, none of !=|). Clicking a slice, a bar or a table cell adds one.").
			Datasource(*datasourceRef()),
		dashboard.NewTextBoxVariableBuilder(VarFilter).
			Label("Filter expression").
			Description(`A filter in Spacetime's filter language, ANDed with the filters: unions, grouping and negation, such as (service = "checkout" or region =~ "^eu-") and not status in ("resolved").`).
			DefaultValue(dashboard.StringOrMap{String: ptr("")}),
		dashboard.NewTextBoxVariableBuilder(VarSearch).
			Label("Search").
			Description("Words the tickets contain. Matching tickets are highlighted in the table and the feed; the others are greyed out, not removed.").
			DefaultValue(dashboard.StringOrMap{String: ptr("")}),
		customVariable(VarStack, "Stack by", "The field the ticket count over time is split by.", facets, []string{stack}, false),
		customVariable(VarColumns, "Columns", "The ticket table's columns, in the schema's order by default.", columns, s.TableColumns(), true),
		customVariable(VarChanged, "What changed, by", "The fields ranked by how far their values rose above the period before.", facets, changed, true),
	}
}

// datasourceVariable picks the Spacetime data source the dashboard shows, the provisioned
// one by default.
func datasourceVariable() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder(VarDatasource).
		Label("Data source").
		Description("The Spacetime data source to show: the provisioned one, or one added in Grafana.").
		Type(PluginID).
		Current(dashboard.VariableOption{
			Text:  dashboard.StringOrArrayOfString{String: ptr("Spacetime")},
			Value: dashboard.StringOrArrayOfString{String: ptr(DatasourceUID)},
		}).
		Multi(false).
		IncludeAll(false)
}

// customVariable is a list variable of fixed values with its current selection.
func customVariable(name, label, description string, values, current []string, multi bool) *dashboard.CustomVariableBuilder {
	options := make([]dashboard.VariableOption, len(values))
	for i, v := range values {
		options[i] = dashboard.VariableOption{
			Text: dashboard.StringOrArrayOfString{String: ptr(v)}, Value: dashboard.StringOrArrayOfString{String: ptr(v)},
			Selected: ptr(contains(current, v)),
		}
	}
	cur := dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: ptr(current[0])}, Value: dashboard.StringOrArrayOfString{String: ptr(current[0])}}
	if multi {
		cur = dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{ArrayOfString: current}, Value: dashboard.StringOrArrayOfString{ArrayOfString: current}}
	}
	return dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Description(description).
		Values(dashboard.StringOrMap{String: ptr(strings.Join(values, ","))}).
		Options(options).
		Current(cur).
		Multi(multi).
		IncludeAll(false)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// statPanel shows fields of the stats query. A filterFieldsByName transformation picks
// them: its matcher takes a field's name as well as its display name (byNames in
// packages/grafana-data/src/transformations/matchers/nameMatcher.ts), whereas the stat
// panel's reduceOptions.fields regex sees only display names.
func statPanel(id uint32, title, description string, fields []string, width uint32) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(id).
		Title(title).
		Description(description).
		Datasource(*datasourceRef()).
		WithTarget(target("A", &query.StatsQuery{Common: query.Common{Live: true, ViewerFilter: filterRef, CheckViewerFilter: id == checkedPanel}, Baseline: spikeBaseline})).
		WithTransformation(dashboard.DataTransformerConfig{
			Id:      "filterFieldsByName",
			Options: map[string]any{"include": map[string]any{"names": fields}},
		}).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Values(false).Calcs([]string{"lastNotNull"})).
		GraphMode(common.BigValueGraphModeNone).
		// The value in the text's colour: these counts have no level that is good or bad
		// in itself, and "value" colour mode would paint them by Grafana's default
		// thresholds (red from 80), so 128 tickets would look alarming and 79 fine.
		ColorMode(common.BigValueColorModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		Orientation(common.VizOrientationAuto).
		Unit("short").
		Height(5).
		Span(width)
}

// spikePanel draws the ticket rate of the last few minutes against its usual rate, the
// measure the "Ticket spike" alert rule watches.
func spikePanel() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(panelSpike).
		Title("Rate against the usual rate").
		Description("Tickets per minute over the last " + spikeWindow + " at each point, and the usual rate over the " + spikeBaseline + " before: what the Ticket spike alert compares.").
		Datasource(*datasourceRef()).
		WithTarget(target("A", &query.SpikeQuery{
			Common: query.Common{ViewerFilter: filterRef},
			Window: spikeWindow, Baseline: spikeBaseline, Series: []string{frames.SpikeRate, frames.SpikeBaseline},
		})).
		DrawStyle(common.GraphDrawStyleLine).
		LineWidth(2).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		Unit("short").
		Min(0).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone)).
		Height(5).
		Span(10)
}

// countsPanel is the spike chart: ticket counts over time, stacked by the chosen field.
// Dragging over it zooms the dashboard's time range, which every panel follows.
func countsPanel(s *schema.Schema) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(panelCounts).
		Title("Tickets over time, by ${" + VarStack + "}").
		Description("New tickets per interval, stacked by the chosen field. Drag over a spike to zoom every panel to it.").
		Datasource(*datasourceRef()).
		WithTarget(target("A", &query.CountsQuery{Common: query.Common{Live: true, ViewerFilter: filterRef, TimeField: s.Time}, SplitBy: "$" + VarStack, Top: 10})).
		DrawStyle(common.GraphDrawStyleBars).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal).Group("A")).
		FillOpacity(80).
		LineWidth(1).
		Unit("short").
		Min(0).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementRight)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
		Height(9).
		Span(24)
}

// ChartKind is how a dimension is charted.
type ChartKind string

const (
	// Pie suits a dimension with a few values (severity, region).
	Pie ChartKind = "pie"
	// Bar suits a long-tailed dimension, its top values (services, categories).
	Bar ChartKind = "bar"
)

// Chart is one chart by dimension of the overview.
type Chart struct {
	Field string
	Kind  ChartKind
}

// dimensionPanel charts the top values of a field. Clicking a slice or a bar follows a data
// link that reopens the dashboard with one more ad hoc filter: the one the clicked row of
// the breakdown carries in its frames.AdHocFilterField (query option filterField), written
// by the backend in the dashboard URL's own format. A link cannot write it from the value:
// no variable format escapes "|", "," and "#" as the URL needs, and the rest ("other")
// must narrow to the values not shown, which only the backend knows. The link is in the
// panel's defaults, which Grafana adds to the links of every field
// (setFieldConfigDefaults in packages/grafana-data/src/field/fieldOverrides.ts), so the
// count field, whose slices and bars are drawn, carries it.
func dimensionPanel(id uint32, s *schema.Schema, c Chart) cog.Builder[dashboard.Panel] {
	col, _ := s.Column(c.Field)
	words := strings.ReplaceAll(c.Field, "_", " ")
	description := fmt.Sprintf("Tickets by %s, the top 10 and the rest as \"other\". Click one to add the filter %s = value; \"other\" narrows to the values not shown.", col.DisplayName(), c.Field)
	q := &query.BreakdownQuery{Common: query.Common{ViewerFilter: filterRef}, Field: c.Field, Top: 10, FilterField: true}
	links := []cog.Builder[dashboard.DashboardLink]{dataLink("Narrow to "+c.Field+" ${__data.fields."+c.Field+"}", NarrowURL(OverviewPath), false)}
	// The filter field is the link's, not a series to draw or list.
	hideFilter := []dashboard.DynamicConfigValue{{
		Id: "custom.hideFrom", Value: map[string]bool{"legend": true, "tooltip": true, "viz": true},
	}}
	if c.Kind == Bar {
		// A bar chart draws its x field and its number fields only (prepareBarChartDisplayValues
		// in Grafana's public/app/plugins/panel/barchart/utils.ts).
		return barchart.NewPanelBuilder().
			Id(id).
			Title("Top "+words+" values").
			Description(description).
			Datasource(*datasourceRef()).
			WithTarget(target("A", q)).
			XField(c.Field).
			OverrideByName(frames.AdHocFilterField, hideFilter).
			Orientation(common.VizOrientationHorizontal).
			ShowValue(common.VisibilityModeAuto).
			Legend(common.NewVizLegendOptionsBuilder().ShowLegend(false)).
			Tooltip(singleTooltip()).
			Unit("short").
			DataLinks(links).
			Height(8).
			Span(6)
	}
	// A pie chart names each slice after the count field's display name when one is set, and
	// otherwise after every string field of its row, the filter field too
	// (getSmartDisplayNameForRow in packages/grafana-data/src/field/fieldDisplay.ts). So the
	// count's display name is the row's value, read per row through the __data macro.
	return piechart.NewPanelBuilder().
		Id(id).
		Title("By "+words).
		Description(description).
		Datasource(*datasourceRef()).
		WithTarget(target("A", q)).
		OverrideByName(frames.CountField, []dashboard.DynamicConfigValue{{Id: "displayName", Value: "${__data.fields." + c.Field + "}"}}).
		OverrideByName(frames.AdHocFilterField, hideFilter).
		PieType(piechart.PieChartTypeDonut).
		Orientation(common.VizOrientationAuto).
		Tooltip(singleTooltip()).
		DisplayLabels([]piechart.PieChartLabels{piechart.PieChartLabelsName}).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Values(true).Calcs([]string{"lastNotNull"})).
		Legend(piechart.NewPieChartLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementRight).Values([]piechart.PieChartLegendValues{piechart.PieChartLegendValuesValue})).
		Unit("short").
		DataLinks(links).
		Height(8).
		Span(6)
}

func singleTooltip() *common.VizTooltipOptionsBuilder {
	return common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone)
}

// moversPanel answers "what changed?": a table per field of the changed variable (the
// panel repeats over it), the values that rose most above the period before the range.
func moversPanel() *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(panelMovers).
		Title("What changed: ${"+VarChanged+"}").
		Description("The values whose tickets rose most above the period before the range (as long as the range), ranked by how unlikely the rise is. Click a value to filter for it.").
		Datasource(*datasourceRef()).
		WithTarget(target("A", &query.MoversQuery{Common: query.Common{ViewerFilter: filterRef}, Field: "$" + VarChanged, Top: 10, FilterField: true})).
		Repeat(VarChanged).
		RepeatDirection(dashboard.PanelRepeatDirectionH).
		MaxPerRow(4).
		CellHeight(common.TableCellHeightSm).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Score").Desc(true)}).
		// The string fields of a movers frame are the value field, which a viewer clicks, and the
		// filter field, hidden, which the link reads (NarrowURL): the value arrives whole.
		OverrideByFieldType("string", []dashboard.DynamicConfigValue{{
			Id: "links",
			Value: []dataLinkJSON{{
				Title: "Add filter ${__field.name} = ${__value.text}",
				URL:   NarrowURL(OverviewPath),
			}},
		}}).
		OverrideByName(frames.AdHocFilterField, []dashboard.DynamicConfigValue{hideInTable}).
		OverrideByName("baseline", []dashboard.DynamicConfigValue{hideInTable}).
		Height(8).
		// A horizontal repeat fills the row, each copy 24/maxPerRow wide (Grafana lays the
		// copies out itself): the whole width keeps the next panels below it.
		Span(24)
}

// causeDimensions are the fields the cause panel and the spike alert's culprit combine:
// the schema's facets but its lifecycle columns (schema.Column.Lifecycle, status in the
// default schema). A window of recent tickets always differs from the period before it
// in status (new tickets are open, older ones resolved), and an outage's tickets,
// resolved together, make "service and region and status = resolved" fit a little
// better than the outage's own "service and region". The statistics are right and the
// answer misleads a responder (docs/patterns-and-localize.md, "Choose the dimensions;
// leave out status").
func causeDimensions(s *schema.Schema) []string {
	var out []string
	for _, c := range s.Facets() {
		if !c.Lifecycle {
			out = append(out, c.Name)
		}
	}
	return out
}

// causePanel answers "where is it?": the combinations of up to three values that explain
// the rise of the range over the day before it (query type localize), most excess first.
// The usual rate is the day's, as for the rate panel and the spike alert (spikeBaseline),
// not the period as long as the range that "what changed" compares with: an hour before
// an hour-long outage holds too few tickets of each combination, and the search then
// names the outage's service alone or its region alone (TestCausePanelNamesGeneratedOutages). A click on a row applies its whole combination as ad hoc filters (CauseURL),
// through the frame's filter fields, which the table hides. With no localized cause the
// table is empty and the frame's notice says why.
func causePanel(s *schema.Schema) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(panelCause).
		Title("Most likely cause").
		Description("The combinations of values (up to three fields) that explain the rise of tickets in the range over the usual rate (the day before the range), the largest first: tickets now, expected at the usual rate, above what the rest expects and share of the rise. Status is left out: it follows the tickets' age. Click a row to filter for its whole combination.").
		Datasource(*datasourceRef()).
		WithTarget(target("A", &query.LocalizeQuery{Common: query.Common{ViewerFilter: filterRef}, Dimensions: causeDimensions(s), Baseline: spikeBaseline, FilterField: true})).
		CellHeight(common.TableCellHeightSm).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Above the rest").Desc(true)}).
		// Every cell of a row carries the link (the panel's defaults reach every field,
		// setFieldConfigDefaults in packages/grafana-data/src/field/fieldOverrides.ts): a click
		// anywhere on the row applies its combination.
		DataLinks([]cog.Builder[dashboard.DashboardLink]{dataLink("Narrow to ${__data.fields.cause}", CauseURL(OverviewPath), false)}).
		OverrideByName("share", []dashboard.DynamicConfigValue{
			{Id: "custom.cellOptions", Value: map[string]any{"type": "gauge", "mode": "basic"}},
			{Id: "min", Value: 0}, {Id: "max", Value: 1},
		}).
		OverrideByName(frames.AdHocFilterField, []dashboard.DynamicConfigValue{hideInTable}).
		OverrideByName(frames.AdHocFilterField2, []dashboard.DynamicConfigValue{hideInTable}).
		OverrideByName(frames.AdHocFilterField3, []dashboard.DynamicConfigValue{hideInTable}).
		Height(7).
		Span(24)
}

// patternsPanel lists the alarms behind the tickets: the top patterns of their titles
// (query type patterns), each with its count as a bar, its first and last ticket and an
// example. A click on a template narrows the dashboard to the pattern, through the
// frame's filter field as the movers do. The query's second frame (the counts over
// time) is not shown here: the table shows its first frame (Grafana's table panel
// picks frame 0 unless told otherwise).
func patternsPanel() *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(panelPatterns).
		Title("Patterns").
		Description("The alarms behind the tickets: titles that differ only in a host, an id or a number are one pattern (<*> marks the parts that vary). Click a template to filter for its tickets.").
		Datasource(*datasourceRef()).
		WithTarget(target("A", &query.PatternsQuery{Common: query.Common{ViewerFilter: filterRef}, Top: 10})).
		CellHeight(common.TableCellHeightSm).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Tickets").Desc(true)}).
		OverrideByName("template", []dashboard.DynamicConfigValue{{
			Id: "links",
			Value: []dataLinkJSON{{
				Title: "Filter for this pattern",
				URL:   NarrowURL(OverviewPath),
			}},
		}}).
		OverrideByName("count", []dashboard.DynamicConfigValue{
			{Id: "custom.cellOptions", Value: map[string]any{"type": "gauge", "mode": "basic"}},
		}).
		OverrideByName("pattern", []dashboard.DynamicConfigValue{hideInTable}).
		OverrideByName("exampleText", []dashboard.DynamicConfigValue{hideInTable}).
		OverrideByName(frames.AdHocFilterField, []dashboard.DynamicConfigValue{hideInTable}).
		Height(8).
		Span(24)
}

// dataLinkJSON is a data link as a field config override writes it.
type dataLinkJSON struct {
	Title       string `json:"title"`
	URL         string `json:"url"`
	TargetBlank bool   `json:"targetBlank,omitempty"`
}

// dataLink is a field's data link.
func dataLink(title, url string, targetBlank bool) cog.Builder[dashboard.DashboardLink] {
	return linkBuilder{dashboard.DashboardLink{Title: title, Url: ptr(url), TargetBlank: targetBlank, Tags: []string{}}}
}

type linkBuilder struct{ l dashboard.DashboardLink }

func (b linkBuilder) Build() (dashboard.DashboardLink, error) { return b.l, nil }

// panelLink is a link in a panel's header.
func panelLink(title, url string) cog.Builder[dashboard.DashboardLink] {
	return linkBuilder{dashboard.DashboardLink{Title: title, Type: dashboard.DashboardLinkTypeLink, Url: ptr(url), TargetBlank: true, Tags: []string{}}}
}

// hideInTable hides a field from a table panel. Grafana 12's table (TableNG) hides the fields
// whose custom.hideFrom.viz is set (getVisibleFields in
// packages/grafana-ui/src/components/Table/TableNG/utils.ts) and knows nothing of the older
// custom.hidden, which it rewrites to hideFrom.viz when it loads a panel (migrateHiddenFields
// in public/app/plugins/panel/table/migrations.ts). Written in the current form, the panel
// needs no migration, and what Grafana's published table draws from this JSON is what a
// user sees (the browser suite, tests/browser/panels.test.ts, draws it so).
var hideInTable = dashboard.DynamicConfigValue{Id: "custom.hideFrom.viz", Value: true}

// matchColours grey out the rows that do not match the search: a hidden "match" field
// whose colour, through a value mapping, paints the whole row. The table's
// color-background cell type with applyToRow colours a row from any field of the frame,
// hidden ones included (getApplyToRowBgFn(data.fields, ...) in
// packages/grafana-ui/src/components/Table/TableNG), and a transparent colour leaves the
// row as it is (getCellColorInlineStylesFactory). Value mappings look a boolean up as
// "true" or "false" (getValueMappingResult, vm.options[value], in
// packages/grafana-data/src/utils/valueMappings.ts).
var matchOverride = []dashboard.DynamicConfigValue{
	hideInTable,
	{Id: "custom.cellOptions", Value: map[string]any{"type": "color-background", "mode": "basic", "applyToRow": true}},
	{Id: "mappings", Value: []any{map[string]any{
		"type": "value",
		"options": map[string]any{
			"true":  map[string]any{"color": "transparent", "index": 0},
			"false": map[string]any{"color": NoMatchColour, "index": 1},
		},
	}}},
}

// NoMatchColour is the row colour of a ticket that does not match the search. Its alpha stays
// under 0.3: below that the table writes on it in the theme's own text colour, above it in a
// colour chosen from the tint's brightness alone (getTextColorForAlphaBackground in
// packages/grafana-ui/src/utils/colors.ts), which for this grey is near-white and, in the
// light theme, left the greyed rows unreadable (contrast 1.4; tests/browser/panels.test.ts).
const NoMatchColour = "rgba(128, 128, 128, 0.25)"

// ticketsPanel is the ticket table. Its columns are the columns variable (the schema's
// table columns by default, in the schema's order); the backend sets each dimension field
// filterable, which gives its cells "filter for value" and "filter out value", and links
// the key to the ticket system. Every cell also links to the Ticket dashboard, which shows
// the whole ticket.
func ticketsPanel(s *schema.Schema) *table.PanelBuilder {
	var sortBy []cog.Builder[common.TableSortByFieldState]
	for _, k := range s.Table.Sort {
		if c, ok := s.Column(k.Field); ok {
			sortBy = append(sortBy, common.NewTableSortByFieldStateBuilder().DisplayName(c.DisplayName()).Desc(k.Desc))
		}
	}
	return table.NewPanelBuilder().
		Id(panelTable).
		Title("Tickets").
		Description("The newest tickets that match the filters. Sort by a column header, filter a column from its header, hover a cell to filter for or out its value. With a search, matching tickets stand out and the rest are greyed. Download: the panel's links (every filtered ticket, TSV or CSV) or Inspect > Data (the rows shown).").
		Datasource(*datasourceRef()).
		WithTarget(target("A", &query.TicketsQuery{
			Common:  query.Common{ViewerFilter: filterRef, Search: "$" + VarSearch},
			Columns: []string{"$" + VarColumns}, Limit: 500,
		})).
		Links([]cog.Builder[dashboard.DashboardLink]{
			panelLink("Download all filtered tickets (TSV)", ExportURL("tsv")),
			panelLink("Download all filtered tickets (CSV)", ExportURL("csv")),
		}).
		Filterable(true).
		Inspect(true).
		CellHeight(common.TableCellHeightSm).
		SortBy(sortBy).
		DataLinks([]cog.Builder[dashboard.DashboardLink]{
			dataLink("Show ticket ${__data.fields."+s.Key+"}", TicketURL("${__data.fields."+s.Key+":percentencode}"), false),
		}).
		OverrideByName(frames.MatchField, matchOverride).
		Height(12).
		Span(24)
}

// feedPanel is the ticket feed: each ticket a log line that expands to every field, the
// description included, with the search words highlighted (the backend sets
// meta.custom.searchWords).
func feedPanel(s *schema.Schema) *logs.PanelBuilder {
	return logs.NewPanelBuilder().
		Id(panelFeed).
		Title("Ticket feed").
		Description("The newest tickets as a feed. Expand one for all its fields and its description; search words are highlighted.").
		Datasource(*datasourceRef()).
		WithTarget(target("A", &query.LogsQuery{Common: query.Common{Live: true, ViewerFilter: filterRef, Search: "$" + VarSearch, TimeField: s.Time}, Limit: 200})).
		ShowTime(true).
		WrapLogMessage(true).
		EnableLogDetails(true).
		PrettifyLogMessage(false).
		SortOrder(common.LogsSortOrderDescending).
		DedupStrategy(common.LogsDedupStrategyNone).
		Height(12).
		Span(24)
}
