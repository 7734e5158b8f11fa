package dashboards

import (
	"strings"

	"github.com/spacetime/tickets/pkg/frames"
)

// Names that the dashboards, the alert rules and the contract tests share.
const (
	// PluginID is the data source plugin's id.
	PluginID = "spacetime-tickets-datasource"
	// DatasourceUID is the uid of the provisioned data source
	// (provisioning/datasources/datasources.yml): the data source variable's default and the
	// alert rules' data source.
	DatasourceUID = "spacetime"
	// DatasourceRef is the uid every panel, ad hoc filter and link of the dashboards names:
	// the data source variable. A Spacetime data source added in Grafana's UI gets a uid of
	// its own, and the variable offers every Spacetime data source, the provisioned one
	// first if there is one, else whichever there is (scenes' DataSourceVariable picks the
	// first option when its value is not among them).
	DatasourceRef = "${" + VarDatasource + "}"
	// OverviewUID and TicketUID are the dashboards' uids, which their URLs carry.
	OverviewUID = "spacetime-overview"
	TicketUID   = "spacetime-ticket"
	// FolderTitle is the Grafana folder of the dashboards and the alert rules.
	FolderTitle = "Spacetime"
)

// Variable names of the dashboards. A URL carries each as var-NAME.
const (
	// VarDatasource is the data source variable: which Spacetime data source the dashboard shows.
	VarDatasource = "datasource"
	// VarFilters is the ad hoc filter variable: every dimension filter, cumulative.
	VarFilters = "filters"
	// VarFilter is a text box holding a filter expression (unions, grouping, negation).
	VarFilter = "filter"
	// VarSearch is a text box of search words: matching tickets are marked, none removed.
	VarSearch = "search"
	// VarStack picks the field the ticket count over time is stacked by.
	VarStack = "stack"
	// VarColumns is the multi-value list of the ticket table's columns.
	VarColumns = "columns"
	// VarChanged is the multi-value list of fields the "what changed?" tables rank.
	VarChanged = "changed"
	// VarTicket is the Ticket dashboard's ticket key.
	VarTicket = "ticket"
)

// OverviewPath and TicketPath are the dashboards' URL paths. Grafana prefixes a link that
// starts with "/" with its sub-path (locationUtil.assureBaseUrl in getLinksSupplier,
// packages/grafana-data/src/field/fieldOverrides.ts), so they work under one too.
var (
	OverviewPath = "/d/" + OverviewUID + "/spacetime-overview"
	TicketPath   = "/d/" + TicketUID + "/ticket"
)

// keepView is the part of a link's query string that keeps the viewer's time range and
// every variable, ad hoc filters included. ${__url_time_range} and ${__all_variables} are
// Grafana's data link macros (DataLinkBuiltInVars keepTime and includeVars; in scenes
// dashboards UrlTimeRangeMacro and AllVariablesMacro, grafana/scenes
// packages/scenes/src/variables/macros). AllVariablesMacro writes each variable with the
// queryparam format, which for a variable with URL sync (the ad hoc filters) is exactly
// what the URL holds: one var-filters=key|operator|value parameter per filter.
const keepView = "${__url_time_range}&${__all_variables}"

// NarrowURL is a data link that reopens the overview with one more ad hoc filter, the one
// the clicked row of a breakdown or movers frame carries in its frames.AdHocFilterField
// (query option filterField), keeping the other filters, variables and the time range.
//
// Grafana's scenes dashboards read ad hoc filters from the URL in
// AdHocFiltersVariableUrlSyncHandler.updateFromUrl (grafana/scenes,
// packages/scenes/src/variables/adhoc/AdHocFiltersVariableUrlSyncHandler.ts): every
// var-NAME parameter is one filter "key|operator|value", "|", "," and "#" inside a key or
// value written as __gfp__, __gfc__ and __gfh__, and a repeated parameter gives several
// filters. So appending one more var-filters parameter after ${__all_variables} adds a
// filter and keeps the rest. No variable format writes those escapes, so a link cannot
// write the filter from a clicked value; the backend writes it, in that format: a value
// holding "|", "," or "#" arrives whole, "(none)" narrows to the tickets without a value,
// and the rest ("other") to the values not shown (key !=| the top values). The
// percentencode format keeps "&" and "#" of the field's text from cutting the URL (a data
// link's default format, uriencode, is encodeURI, which leaves them).
func NarrowURL(dashboardPath string) string {
	return dashboardPath + "?" + keepView + "&var-" + VarFilters + "=${__data.fields." + frames.AdHocFilterField + ":percentencode}"
}

// CauseURL is a data link that reopens the overview narrowed to a whole combination of a
// localize frame's row (query option filterField): one more var-filters parameter for each
// of its fields frames.AdHocFilterField, frames.AdHocFilterField2 and
// frames.AdHocFilterField3, keeping the other filters, variables and the time range.
//
// A data link is one URL with no condition, and a combination has one to three values, so
// the link always writes the three parameters and a shorter combination leaves the last
// ones empty ("var-filters="). An empty parameter adds no filter: scenes' URL sync turns
// each var-NAME value into a filter with toFilter, which returns null for an empty string,
// and keeps only the non-null ones (deserializeUrlToFilters in grafana/scenes,
// packages/scenes/src/variables/adhoc/AdHocFiltersVariableUrlSyncHandler.ts). The field
// values are interpolated per row by the __data macro with the format named in the
// reference (getLinksSupplier in packages/grafana-data/src/field/fieldOverrides.ts
// interpolates the link's URL with the panel's replaceVariables; scenes' sceneInterpolator
// lets a reference's own format win), and an empty field formats to "". So the backend
// needs to know neither the dashboard's variable name nor URL encoding: each field holds
// one filter in the URL's format, as for NarrowURL. The contract suite
// (contract/cause.contract.test.ts) follows such a link and reads it back as scenes does.
func CauseURL(dashboardPath string) string {
	var b strings.Builder
	b.WriteString(dashboardPath + "?" + keepView)
	for _, f := range []string{frames.AdHocFilterField, frames.AdHocFilterField2, frames.AdHocFilterField3} {
		b.WriteString("&var-" + VarFilters + "=${__data.fields." + f + ":percentencode}")
	}
	return b.String()
}

// TicketURL is a data link to the Ticket dashboard for the ticket whose key keyRef
// interpolates to, keeping the time range and the data source (the queryparam format
// writes the variable as its URL parameter: formatRegistry.ts in grafana/scenes).
func TicketURL(keyRef string) string {
	return TicketPath + "?${__url_time_range}&${" + VarDatasource + ":queryparam}&var-" + VarTicket + "=" + keyRef
}

// ExportPath is the backend resource of the dashboard's data source that streams the
// tickets of a query as a file.
const ExportPath = "/api/datasources/uid/" + DatasourceRef + "/resources/export"

// ExportURL is a link that downloads the tickets the overview's table shows, every one of
// them rather than the table's limit, as format (tsv or csv): the time range (${__from}
// and ${__to}, unix milliseconds), the filter expression and search (percent-encoded), the
// table's columns and the ad hoc filters. A link cannot write the ad hoc filters as JSON
// (no variable format does), so they travel as Grafana writes them in a dashboard URL:
// ${filters:queryparam} is one var-filters=key|operator|value parameter per filter (the
// queryparam format uses the variable's URL sync state; formatRegistry.ts in
// grafana/scenes), which filter.ParseURLFilters reads.
func ExportURL(format string) string {
	var b strings.Builder
	b.WriteString(ExportPath)
	b.WriteString("?format=" + format)
	b.WriteString("&from=${__from}&to=${__to}")
	b.WriteString("&filter=${" + VarFilter + ":percentencode}")
	b.WriteString("&search=${" + VarSearch + ":percentencode}")
	b.WriteString("&columns=${" + VarColumns + ":csv}")
	b.WriteString("&${" + VarFilters + ":queryparam}")
	return b.String()
}
