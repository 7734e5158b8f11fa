package pluginhost_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.yaml.in/yaml/v3"

	"github.com/spacetime/tickets/pkg/dashboards"
	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/pluginhost"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

// The dashboard contract tests (design.md, "Testing without Grafana") load the committed
// dashboards, alert rules and provisioned data source the way Grafana would, interpolate
// every panel's targets as Grafana and the data source's frontend would, send them to the
// plugin binary over gRPC and check that each answer has the shape its panel needs. Data
// links are followed the same way: interpolated with a row of the real answer, decoded as
// Grafana reads the URL, and the drill-down they lead to is queried too.

// repo is the repository root, from this package's directory.
const repo = "../.."

// provisionedJSONData reads the jsonData of the provisioned data source (uid spacetime)
// from provisioning/datasources, as Grafana's provisioning does, with the store path
// pointed at storePath: the provisioned path is the Docker container's.
func provisionedJSONData(t *testing.T, storePath string) map[string]any {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repo, "provisioning", "datasources", "*.y*ml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no data source provisioning file: %v", err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Datasources []struct {
				UID      string         `yaml:"uid"`
				Type     string         `yaml:"type"`
				JSONData map[string]any `yaml:"jsonData"`
			} `yaml:"datasources"`
		}
		if err := yaml.Unmarshal(raw, &file); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, ds := range file.Datasources {
			if ds.UID != dashboards.DatasourceUID {
				continue
			}
			if ds.Type != dashboards.PluginID {
				t.Fatalf("%s: data source %s has type %q, want %q", p, ds.UID, ds.Type, dashboards.PluginID)
			}
			jd := ds.JSONData
			if jd == nil {
				jd = map[string]any{}
			}
			jd["storePath"] = storePath
			return jd
		}
	}
	t.Fatalf("no provisioned data source has uid %q, which the dashboards and alert rules use", dashboards.DatasourceUID)
	return nil
}

// copyStore copies the imported store, so that a source in the provisioned settings (the
// demo source writes tickets) never changes the store the other tests compare with.
func copyStore(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(built.store)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "spacetime.db")
	if err := os.WriteFile(dst, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func loadBoard(t *testing.T, path string) *dashboards.Board {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, path))
	if err != nil {
		t.Fatal(err)
	}
	b, err := dashboards.ParseBoard(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// scenario is a state of the dashboard a responder might be in.
type scenario struct {
	name  string
	span  time.Duration
	adhoc []filter.AdHocFilter
	// values overrides variables' current values (text boxes, lists).
	values map[string][]string
}

// panelInterval is the interval Grafana gives a panel about 1000 pixels wide: the range
// over the data points, rounded to a round interval (rangeutil.calculateInterval and
// roundInterval in packages/grafana-data/src/datetime/rangeutil.ts round to the nearest
// of such steps; taking the next one up is close enough for the backend, which snaps the
// bucket itself).
func panelInterval(span time.Duration, maxDataPoints int64) time.Duration {
	raw := span / time.Duration(maxDataPoints)
	for _, d := range []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second,
		30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
		20 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if d >= raw {
			return d
		}
	}
	return 24 * time.Hour
}

// maxDataPoints is a panel's width in pixels, which Grafana sends as MaxDataPoints.
const maxDataPoints = 1000

// variablesOf are the board's variables at their current values, changed by the scenario.
func variablesOf(b *dashboards.Board, sc scenario) []*dashboards.Variable {
	var out []*dashboards.Variable
	for _, v := range b.Templating.List {
		dv := &dashboards.Variable{Name: v.Name, Type: v.Type, Multi: v.Multi, Values: v.CurrentValues()}
		if v.Type == "textbox" && len(dv.Values) == 0 {
			var q string
			_ = json.Unmarshal(v.Query, &q)
			dv.Values = []string{q}
		}
		if v.Type == "adhoc" {
			dv.Filters = sc.adhoc
		}
		if vals, ok := sc.values[v.Name]; ok {
			dv.Values = vals
		}
		out = append(out, dv)
	}
	return out
}

// panelInstance is a panel as it is drawn: a repeated panel once per value.
type panelInstance struct {
	dashboards.BoardPanel
	repeat map[string]string
	label  string
}

func instances(b *dashboards.Board, vars []*dashboards.Variable) []panelInstance {
	var out []panelInstance
	for _, p := range b.AllPanels() {
		if p.Repeat == "" {
			out = append(out, panelInstance{BoardPanel: p, label: p.Title})
			continue
		}
		for _, v := range vars {
			if v.Name != p.Repeat {
				continue
			}
			for _, val := range v.Values {
				out = append(out, panelInstance{BoardPanel: p, repeat: map[string]string{p.Repeat: val}, label: p.Title + " [" + val + "]"})
			}
		}
	}
	return out
}

// contract runs every panel of a board in a scenario.
type contract struct {
	t      *testing.T
	host   *pluginhost.Host
	pc     backend.PluginContext
	board  *dashboards.Board
	schema *schema.Schema
	from   time.Time
	to     time.Time
	vars   []*dashboards.Variable
}

func (c *contract) interpolator(repeat map[string]string) *dashboards.Interpolator {
	span := c.to.Sub(c.from)
	return &dashboards.Interpolator{Scope: dashboards.Scope{
		From: c.from, To: c.to, Interval: panelInterval(span, maxDataPoints), Variables: c.vars, Repeat: repeat,
	}}
}

// run sends a panel's targets as Grafana would and returns the frames of each.
func (c *contract) run(t *testing.T, p panelInstance) []data.Frames {
	t.Helper()
	ip := c.interpolator(p.repeat)
	var queries []backend.DataQuery
	for _, tg := range p.Targets {
		q := ip.ApplyTemplateVariables(tg)
		if len(ip.Unresolved) > 0 {
			t.Fatalf("target %s refers to variables that do not exist: %v", tg.RefID, ip.Unresolved)
		}
		raw, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, backend.DataQuery{
			RefID: tg.RefID, QueryType: string(q.QueryType), JSON: raw,
			TimeRange: backend.TimeRange{From: c.from, To: c.to},
			Interval:  ip.Scope.Interval, MaxDataPoints: maxDataPoints,
		})
	}
	resp, err := c.host.QueryData(context.Background(), &backend.QueryDataRequest{PluginContext: c.pc, Queries: queries})
	if err != nil {
		t.Fatal(err)
	}
	var out []data.Frames
	for _, q := range queries {
		r, ok := resp.Responses[q.RefID]
		if !ok {
			t.Fatalf("no answer for target %s", q.RefID)
		}
		if r.Error != nil {
			t.Fatalf("target %s %s: %v", q.RefID, q.JSON, r.Error)
		}
		if len(r.Frames) == 0 {
			t.Fatalf("target %s %s: no frames", q.RefID, q.JSON)
		}
		out = append(out, r.Frames)
	}
	return out
}

func TestDashboardContracts(t *testing.T) {
	f := setup(t)
	s := schema.Default()
	pc := f.context(t, dashboards.DatasourceUID, provisionedJSONData(t, copyStore(t)))
	health, err := f.host.CheckHealth(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	if health.Status != backend.HealthStatusOk {
		t.Fatalf("the provisioned data source is not healthy: %s", health.Message)
	}

	topService := topValue(f.rows, end.Add(-time.Hour), end, func(r row) string { return r.service })
	topCategoryWord := frequentTitleWord(f.rows, end.Add(-24*time.Hour), end)
	scenarios := []scenario{
		{name: "last 6 hours, no filter", span: 6 * time.Hour},
		{name: "last hour, a clicked service", span: time.Hour,
			adhoc: []filter.AdHocFilter{{Key: "service", Operator: "=", Value: topService}}},
		{name: "last 24 hours, regex, one-of and negation, a union expression, a search, other columns", span: 24 * time.Hour,
			adhoc: []filter.AdHocFilter{
				{Key: "region", Operator: "=~", Value: "^(eu|us)-"},
				{Key: "severity", Operator: "=|", Value: "1", Values: []string{"1", "2", "3"}},
				{Key: "status", Operator: "!=", Value: "resolved"},
			},
			values: map[string][]string{
				dashboards.VarFilter:  {`(service = "` + topService + `" or category != "network") and not (severity > 2 and region =~ "^ap-")`},
				dashboards.VarSearch:  {topCategoryWord},
				dashboards.VarStack:   {"service"},
				dashboards.VarColumns: {"created", "id", "title", "severity", "service", "updated"},
				dashboards.VarChanged: {"service", "region", "assignee_group"},
			}},
		{name: "last 7 days, a search", span: 7 * 24 * time.Hour,
			values: map[string][]string{dashboards.VarSearch: {topCategoryWord + " " + strings.ToUpper(topCategoryWord[:2])}}},
	}

	overview := loadBoard(t, dashboards.OverviewFile)
	ticketBoard := loadBoard(t, dashboards.TicketFile)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c := &contract{t: t, host: f.host, pc: pc, board: overview, schema: s, from: end.Add(-sc.span), to: end, vars: variablesOf(overview, sc)}
			for _, p := range instances(overview, c.vars) {
				t.Run(p.label, func(t *testing.T) {
					frames := c.run(t, p)
					checkPanelShape(t, s, p, c.vars, frames)
					c.followLinks(t, p, frames, ticketBoard)
				})
			}
		})
	}

	t.Run("ticket dashboard", func(t *testing.T) {
		from, to := end.Add(-6*time.Hour), end
		id := newestTicket(f.rows, from, to)
		c := &contract{t: t, host: f.host, pc: pc, board: ticketBoard, schema: s, from: from, to: to,
			vars: variablesOf(ticketBoard, scenario{values: map[string][]string{dashboards.VarTicket: {id}}})}
		c.checkTicketBoard(t, id)
	})
}

// topValue is the most frequent value in a range, from the CSV file.
func topValue(rows []row, from, to time.Time, key func(row) string) string {
	counts := countBy(rows, inRange(from, to), key)
	best, n := "", int64(-1)
	for v, c := range counts {
		if c > n || c == n && v < best {
			best, n = v, c
		}
	}
	return best
}

// frequentTitleWord is a word of five letters or more that many titles in a range hold.
func frequentTitleWord(rows []row, from, to time.Time) string {
	words := map[string]int{}
	for _, r := range rows {
		if !inRange(from, to)(r) {
			continue
		}
		for _, w := range regexp.MustCompile(`[A-Za-z]{5,}`).FindAllString(r.title, -1) {
			words[strings.ToLower(w)]++
		}
	}
	best, n := "", -1
	for w, c := range words {
		if c > n || c == n && w < best {
			best, n = w, c
		}
	}
	return best
}

func newestTicket(rows []row, from, to time.Time) string {
	var best row
	for _, r := range rows {
		if inRange(from, to)(r) && r.created.After(best.created) {
			best = r
		}
	}
	return best.id
}

// fieldByName finds a field by its name or its display name, as Grafana's byName matcher
// does (nameMatcher.ts in packages/grafana-data/src/transformations/matchers).
func fieldByName(fr *data.Frame, name string) *data.Field {
	for _, fd := range fr.Fields {
		if fd.Name == name || (fd.Config != nil && (fd.Config.DisplayName == name || fd.Config.DisplayNameFromDS == name)) {
			return fd
		}
	}
	return nil
}

func isNumber(fd *data.Field) bool { return fd.Type().Numeric() }

// filterable says whether the table offers "filter for / filter out" on the field's cells.
func filterable(fd *data.Field) bool {
	return fd.Config != nil && fd.Config.Filterable != nil && *fd.Config.Filterable
}

func frameType(fr *data.Frame) data.FrameType {
	if fr.Meta == nil {
		return ""
	}
	return fr.Meta.Type
}

// checkPanelShape asserts that the frames are what the panel type draws.
func checkPanelShape(t *testing.T, s *schema.Schema, p panelInstance, vars []*dashboards.Variable, answers []data.Frames) {
	t.Helper()
	frames := answers[0]
	fr := frames[0]
	switch p.Type {
	case "timeseries":
		// The time series panel and alerting read dataplane time series: a time field,
		// then numeric fields, one series each.
		for _, fr := range frames {
			if ft := frameType(fr); ft != data.FrameTypeTimeSeriesWide && ft != data.FrameTypeTimeSeriesMulti {
				t.Fatalf("frame type %q, want a dataplane time series", ft)
			}
			if len(fr.Fields) < 2 || fr.Fields[0].Type() != data.FieldTypeTime {
				t.Fatalf("want a time field then values, got %s", fieldList(fr))
			}
			for _, fd := range fr.Fields[1:] {
				if !isNumber(fd) {
					t.Fatalf("field %s is %s, not a number", fd.Name, fd.Type())
				}
			}
		}
		if tg := p.Targets[0]; tg.SplitBy != "" {
			split := valueOf(vars, p.repeat, strings.TrimPrefix(tg.SplitBy, "$"))
			for _, fd := range fr.Fields[1:] {
				if _, ok := fd.Labels[split]; !ok {
					t.Errorf("series %s has labels %v, want one for %s", fd.Name, fd.Labels, split)
				}
			}
		}
	case "piechart", "barchart":
		// A slice or bar per row: a string field names it and a number field sizes it.
		var str, num *data.Field
		for _, fd := range fr.Fields {
			switch {
			case fd.Type() == data.FieldTypeString && str == nil:
				str = fd
			case isNumber(fd) && num == nil:
				num = fd
			}
		}
		if str == nil || num == nil {
			t.Fatalf("want a string field and a number field, got %s", fieldList(fr))
		}
		if n, _ := fr.RowLen(); n == 0 {
			t.Fatalf("no rows: nothing to draw")
		}
		if !filterable(str) {
			t.Errorf("the value field %s is not filterable", str.Name)
		}
		if p.Type == "barchart" {
			var opts struct {
				XField string `json:"xField"`
			}
			_ = json.Unmarshal(p.Options, &opts)
			if opts.XField != str.Name {
				t.Errorf("xField %q, but the string field is %q", opts.XField, str.Name)
			}
		}
	case "stat":
		for _, fd := range fr.Fields {
			if !isNumber(fd) {
				t.Errorf("stat field %s is %s, not a number", fd.Name, fd.Type())
			}
		}
		for _, name := range transformNames(t, p) {
			if fieldByName(fr, name) == nil {
				t.Errorf("the transformation keeps field %q, which the frame lacks (%s)", name, fieldList(fr))
			}
		}
	case "logs":
		// The dataplane logs contract: a log-lines frame with timestamp and body.
		if frameType(fr) != data.FrameTypeLogLines || fr.Meta.PreferredVisualization != data.VisTypeLogs {
			t.Fatalf("frame meta %+v, want log-lines for the logs panel", fr.Meta)
		}
		if ts := fr.Fields[0]; ts.Name != "timestamp" || ts.Type() != data.FieldTypeTime {
			t.Errorf("first field %s %s, want the time field timestamp", ts.Name, ts.Type())
		}
		if body := fieldByName(fr, "body"); body == nil || body.Type() != data.FieldTypeString {
			t.Errorf("no string field body: %s", fieldList(fr))
		}
		if search := valueOf(vars, nil, "search"); strings.TrimSpace(search) != "" {
			custom, _ := fr.Meta.Custom.(map[string]any)
			if words, _ := custom["searchWords"].([]any); len(words) != len(strings.Fields(search)) {
				t.Errorf("searchWords %v for the search %q", custom["searchWords"], search)
			}
		}
		if description := fieldByName(fr, "description"); description == nil {
			t.Errorf("the feed's lines lack the description, a detail field: %s", fieldList(fr))
		}
	case "table":
		checkTableShape(t, s, p, vars, fr)
	default:
		t.Fatalf("panel type %q has no contract", p.Type)
	}
	checkOverrideMatchers(t, p, fr)
}

func checkTableShape(t *testing.T, s *schema.Schema, p panelInstance, vars []*dashboards.Variable, fr *data.Frame) {
	t.Helper()
	tg := p.Targets[0]
	switch tg.QueryType {
	case "tickets":
		if frameType(fr) != data.FrameTypeTable {
			t.Fatalf("frame type %q, want table", frameType(fr))
		}
		want := strings.Split(valueOf(vars, nil, strings.TrimPrefix(tg.Columns[0], "$")), ",")
		if !slices.Contains(want, s.Key) {
			want = append([]string{s.Key}, want...)
		}
		var got []string
		for _, fd := range fr.Fields {
			got = append(got, fd.Name)
		}
		if !slices.Equal(got[:len(got)-1], want) || got[len(got)-1] != "match" {
			t.Fatalf("columns %v, want %v then match", got, want)
		}
		if m := fr.Fields[len(fr.Fields)-1]; m.Type() != data.FieldTypeBool {
			t.Errorf("match is %s, want bool", m.Type())
		}
		for _, fd := range fr.Fields[:len(fr.Fields)-1] {
			col, _ := s.Column(fd.Name)
			dimension := col.Type == schema.String || col.Type == schema.Number || col.Type == schema.Bool
			if dimension != filterable(fd) {
				t.Errorf("column %s (%s): filterable %v", fd.Name, col.Type, !dimension)
			}
			if col.Link != "" && (fd.Config == nil || len(fd.Config.Links) == 0 || fd.Config.Links[0].URL != col.Link) {
				t.Errorf("column %s lacks its link to the ticket system", fd.Name)
			}
		}
		var sortBy struct {
			SortBy []struct {
				DisplayName string `json:"displayName"`
			} `json:"sortBy"`
		}
		_ = json.Unmarshal(p.Options, &sortBy)
		for _, k := range sortBy.SortBy {
			if fd := fieldByName(fr, k.DisplayName); fd == nil || fd.Config == nil || fd.Config.DisplayName != k.DisplayName {
				t.Errorf("sortBy %q names no column's display name", k.DisplayName)
			}
		}
	case "movers":
		if frameType(fr) != data.FrameTypeNumericLong || fr.Fields[0].Type() != data.FieldTypeString {
			t.Fatalf("want a numeric-long frame led by the value field, got %q %s", frameType(fr), fieldList(fr))
		}
		if field := valueOf(vars, p.repeat, dashboardsVar(tg.Field)); fr.Fields[0].Name != field {
			t.Errorf("value field %s, want %s", fr.Fields[0].Name, field)
		}
		var sortBy struct {
			SortBy []struct {
				DisplayName string `json:"displayName"`
			} `json:"sortBy"`
		}
		_ = json.Unmarshal(p.Options, &sortBy)
		for _, k := range sortBy.SortBy {
			if fd := fieldByName(fr, k.DisplayName); fd == nil {
				t.Errorf("sortBy %q names no field of %s", k.DisplayName, fieldList(fr))
			}
		}
	default:
		t.Fatalf("table panel with query type %q has no contract", tg.QueryType)
	}
}

func dashboardsVar(ref string) string { return strings.Trim(strings.TrimPrefix(ref, "$"), "{}") }

// valueOf is a variable's value as the frontend's list format writes it.
func valueOf(vars []*dashboards.Variable, repeat map[string]string, name string) string {
	if v, ok := repeat[name]; ok {
		return v
	}
	for _, v := range vars {
		if v.Name == name {
			return strings.Join(v.Values, ",")
		}
	}
	return name
}

func transformNames(t *testing.T, p panelInstance) []string {
	var names []string
	for _, raw := range p.Transformations {
		var tr struct {
			ID      string `json:"id"`
			Options struct {
				Include struct {
					Names []string `json:"names"`
				} `json:"include"`
			} `json:"options"`
		}
		if err := json.Unmarshal(raw, &tr); err != nil {
			t.Fatal(err)
		}
		if tr.ID == "filterFieldsByName" {
			names = append(names, tr.Options.Include.Names...)
		}
	}
	return names
}

// checkOverrideMatchers asserts that every field override of the panel matches a field.
func checkOverrideMatchers(t *testing.T, p panelInstance, fr *data.Frame) {
	t.Helper()
	for _, o := range p.FieldConfig.Overrides {
		switch o.Matcher.ID {
		case "byName":
			if fieldByName(fr, o.Matcher.Options) == nil {
				t.Errorf("override for field %q matches no field of %s", o.Matcher.Options, fieldList(fr))
			}
		case "byType":
			found := false
			for _, fd := range fr.Fields {
				if grafanaFieldType(fd) == o.Matcher.Options {
					found = true
				}
			}
			if !found {
				t.Errorf("override for type %q matches no field of %s", o.Matcher.Options, fieldList(fr))
			}
		default:
			t.Errorf("override matcher %q has no contract", o.Matcher.ID)
		}
	}
}

// grafanaFieldType is the FieldType the frontend gives a field of this Go type, which the
// byType matcher compares with.
func grafanaFieldType(fd *data.Field) string {
	switch {
	case fd.Type().Numeric():
		return "number"
	case fd.Type().Time():
		return "time"
	case fd.Type() == data.FieldTypeString || fd.Type() == data.FieldTypeNullableString:
		return "string"
	case fd.Type() == data.FieldTypeBool || fd.Type() == data.FieldTypeNullableBool:
		return "boolean"
	}
	return "other"
}

func fieldList(fr *data.Frame) string {
	var parts []string
	for _, fd := range fr.Fields {
		parts = append(parts, fd.Name+":"+fd.Type().String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// rowText is a frame row as the __data macro shows it: each string field's text.
func rowText(fr *data.Frame, i int) map[string]string {
	out := map[string]string{}
	for _, fd := range fr.Fields {
		switch v := fd.At(i).(type) {
		case string:
			out[fd.Name] = v
		case *string:
			if v != nil {
				out[fd.Name] = *v
			}
		}
	}
	return out
}

// followLinks interpolates each data link of the panel with the first row of its answer,
// as a click would, checks that it resolves, and follows it: an added filter must narrow
// the dashboard to the clicked value and keep the rest; a ticket link must show that
// ticket; an export link must download the filtered tickets.
func (c *contract) followLinks(t *testing.T, p panelInstance, answers []data.Frames, ticketBoard *dashboards.Board) {
	t.Helper()
	fr := answers[0][0]
	type link struct {
		url   string
		field string
	}
	var links []link
	for _, l := range p.FieldConfig.Defaults.Links {
		// Defaults reach every field; the first string field is the one a slice or row names.
		links = append(links, link{url: l.URL, field: firstStringField(fr)})
	}
	overrides, err := p.OverrideLinks()
	if err != nil {
		t.Fatal(err)
	}
	for key, ls := range overrides {
		matcher, option, _ := strings.Cut(key, ":")
		for _, l := range ls {
			fieldName := option
			if matcher == "byType" {
				fieldName = firstStringField(fr)
			}
			links = append(links, link{url: l.URL, field: fieldName})
		}
	}
	n, _ := fr.RowLen()
	for _, l := range links {
		if n == 0 {
			t.Logf("no rows to click in this scenario: link %s not followed", l.url)
			continue
		}
		ip := c.interpolator(p.repeat)
		ip.Scope.Row = &dashboards.Row{Fields: rowText(fr, 0), Field: l.field}
		u, err := ip.FollowLink(l.url)
		if err != nil {
			t.Fatal(err)
		}
		if len(ip.Unresolved) > 0 {
			t.Fatalf("link %s: unresolved %v (fields of the frame: %s)", l.url, ip.Unresolved, fieldList(fr))
		}
		switch u.Path {
		case dashboards.OverviewPath:
			c.checkAddedFilter(t, u, ip.Scope.Row)
			// A link that reads the row's own ad hoc filter works on "other" too: click it.
			if last := n - 1; last > 0 && rowText(fr, last)[l.field] == engine.OtherName && strings.Contains(l.url, frames.AdHocFilterField) {
				ip := c.interpolator(p.repeat)
				ip.Scope.Row = &dashboards.Row{Fields: rowText(fr, last), Field: l.field}
				u, err := ip.FollowLink(l.url)
				if err != nil || len(ip.Unresolved) > 0 {
					t.Fatalf("link %s on %q: %v, unresolved %v", l.url, engine.OtherName, err, ip.Unresolved)
				}
				c.checkOtherFilter(t, u, fr, l.field)
			}
		case dashboards.TicketPath:
			checkKeepsTime(t, u, c.from, c.to)
			id := u.Query().Get("var-" + dashboards.VarTicket)
			if id != ip.Scope.Row.Fields[c.schema.Key] {
				t.Fatalf("ticket link carries %q, want the row's %q", id, ip.Scope.Row.Fields[c.schema.Key])
			}
			tc := &contract{t: t, host: c.host, pc: c.pc, board: ticketBoard, schema: c.schema, from: c.from, to: c.to,
				vars: variablesOf(ticketBoard, scenario{values: map[string][]string{dashboards.VarTicket: {id}}})}
			tc.checkTicketBoard(t, id)
		default:
			t.Fatalf("link goes to %s, which is no Spacetime dashboard", u.Path)
		}
	}
	for _, l := range p.Links {
		ip := c.interpolator(p.repeat)
		u, err := ip.FollowLink(l.URL)
		if err != nil || len(ip.Unresolved) > 0 {
			t.Fatalf("panel link %q: %v, unresolved %v", l.Title, err, ip.Unresolved)
		}
		t.Run(l.Title, func(t *testing.T) { c.checkExport(t, u) })
	}
}

func firstStringField(fr *data.Frame) string {
	for _, fd := range fr.Fields {
		if fd.Type() == data.FieldTypeString || fd.Type() == data.FieldTypeNullableString {
			return fd.Name
		}
	}
	return ""
}

func checkKeepsTime(t *testing.T, u *url.URL, from, to time.Time) {
	t.Helper()
	q := u.Query()
	if q.Get("from") != fmt.Sprint(from.UnixMilli()) || q.Get("to") != fmt.Sprint(to.UnixMilli()) {
		t.Errorf("link %s does not keep the time range %d..%d", u, from.UnixMilli(), to.UnixMilli())
	}
}

// checkAddedFilter reads the overview URL a click leads to, as Grafana would, and checks
// that it holds the old filters and variables, the time range and the new filter, and
// that the dashboard it opens is narrowed to the clicked value.
func (c *contract) checkAddedFilter(t *testing.T, u *url.URL, row *dashboards.Row) {
	t.Helper()
	checkKeepsTime(t, u, c.from, c.to)
	q := u.Query()
	got, err := filter.ParseURLFilters(q["var-"+dashboards.VarFilters])
	if err != nil {
		t.Fatal(err)
	}
	var old []filter.AdHocFilter
	for _, v := range c.vars {
		if v.Type == "adhoc" {
			old = v.Filters
		} else if !slices.Equal(q["var-"+v.Name], v.Values) && !(len(v.Values) == 0 && slices.Equal(q["var-"+v.Name], []string{""})) {
			t.Errorf("variable %s is %q after the click, was %q", v.Name, q["var-"+v.Name], v.Values)
		}
	}
	if len(got) != len(old)+1 {
		t.Fatalf("filters after the click %+v, want the %d old ones and one more", got, len(old))
	}
	for i := range old {
		if got[i].Key != old[i].Key || got[i].Operator != old[i].Operator || got[i].Value != old[i].Value {
			t.Errorf("filter %d changed from %+v to %+v", i, old[i], got[i])
		}
	}
	added := got[len(got)-1]
	if added.Operator != "=" || added.Value != row.Fields[added.Key] {
		t.Fatalf("added filter %+v, want %s = %q", added, added.Key, row.Fields[added.Key])
	}
	if added.Value == "other" || added.Value == "(none)" {
		return // not values of the field: "other" is the rest, "(none)" no value
	}
	// The overview after the click: a breakdown by the clicked field holds that value only.
	values := c.breakdownAfter(t, got, added.Key).Fields[0]
	if values.Len() != 1 || values.At(0).(string) != added.Value {
		t.Errorf("after filtering %s = %q the breakdown holds %d values, first %v", added.Key, added.Value, values.Len(), values.At(0))
	}
}

// breakdownAfter runs, with the ad hoc filters of the overview after a click, a breakdown
// by field with the filter of the board's first panel (the filter expression variable),
// as each chart of the overview runs it, and returns its frame.
func (c *contract) breakdownAfter(t *testing.T, filters []filter.AdHocFilter, field string) *data.Frame {
	t.Helper()
	after := make([]*dashboards.Variable, len(c.vars))
	for i, v := range c.vars {
		cp := *v
		if v.Type == "adhoc" {
			cp.Filters = filters
		}
		after[i] = &cp
	}
	next := &contract{t: t, host: c.host, pc: c.pc, board: c.board, schema: c.schema, from: c.from, to: c.to, vars: after}
	ip := next.interpolator(nil)
	tg := ip.ApplyTemplateVariables(dashboards.Target{RefID: "A", Query: query.Query{
		QueryType: query.Breakdown, Field: field, Top: 1000, Filter: c.board.AllPanels()[0].Targets[0].Filter,
	}})
	raw, _ := json.Marshal(tg)
	resp, err := c.host.QueryData(context.Background(), &backend.QueryDataRequest{PluginContext: c.pc, Queries: []backend.DataQuery{{
		RefID: "A", JSON: raw, TimeRange: backend.TimeRange{From: c.from, To: c.to}, Interval: time.Minute, MaxDataPoints: maxDataPoints,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses["A"]
	if r.Error != nil {
		t.Fatalf("the overview after the click fails: %v", r.Error)
	}
	return r.Frames[0]
}

// checkOtherFilter follows a click on the "other" bar of breakdown fr (its last row): the
// filter added must exclude exactly the values shown above it, and the overview after the
// click must count exactly the tickets "other" counted.
func (c *contract) checkOtherFilter(t *testing.T, u *url.URL, fr *data.Frame, field string) {
	t.Helper()
	checkKeepsTime(t, u, c.from, c.to)
	got, err := filter.ParseURLFilters(u.Query()["var-"+dashboards.VarFilters])
	if err != nil {
		t.Fatal(err)
	}
	n, _ := fr.RowLen()
	var shown []string
	for i := range n - 1 {
		shown = append(shown, rowText(fr, i)[field])
	}
	added := got[len(got)-1]
	if added.Key != field || added.Operator != "!=|" || !slices.Equal(added.Values, shown) {
		t.Fatalf("clicking %q added %+v, want %s !=| %q", engine.OtherName, added, field, shown)
	}
	count, _ := fr.Fields[1].At(n - 1).(int64)
	after := c.breakdownAfter(t, got, field)
	var total int64
	rows, _ := after.RowLen()
	for i := range rows {
		v, _ := after.Fields[0].At(i).(string)
		if slices.Contains(shown, v) {
			t.Errorf("after clicking %q the breakdown still holds %q, a value shown before", engine.OtherName, v)
		}
		k, _ := after.Fields[1].At(i).(int64)
		total += k
	}
	if total != count || count == 0 {
		t.Errorf("after clicking %q the overview counts %d tickets, want the %d %q counted", engine.OtherName, total, count, engine.OtherName)
	}
}

// checkTicketBoard runs the Ticket dashboard for one ticket: each panel finds it, and the
// record panel holds every column of the schema, detail columns included.
func (c *contract) checkTicketBoard(t *testing.T, id string) {
	t.Helper()
	if _, ok := c.board.Variable(dashboards.VarTicket); !ok {
		t.Fatalf("the Ticket dashboard has no variable %s", dashboards.VarTicket)
	}
	for _, l := range c.board.Links {
		if !strings.HasPrefix(l.URL, dashboards.OverviewPath) || !l.KeepTime {
			t.Errorf("dashboard link %q to %s should go back to the overview keeping the time", l.Title, l.URL)
		}
	}
	for _, p := range instances(c.board, c.vars) {
		frames := c.run(t, p)
		fr := frames[0][0]
		if p.Type != "table" || frameType(fr) != data.FrameTypeTable {
			t.Fatalf("panel %q: %s with a %q frame, want a table", p.Title, p.Type, frameType(fr))
		}
		key := fieldByName(fr, c.schema.Key)
		if n, _ := fr.RowLen(); n != 1 || key == nil || *key.At(0).(*string) != id {
			t.Fatalf("panel %q: want ticket %s alone, got %d rows", p.Title, id, n)
		}
		if len(p.Transformations) > 0 {
			for _, col := range c.schema.Columns {
				if fieldByName(fr, col.Name) == nil {
					t.Errorf("panel %q lacks column %s", p.Title, col.Name)
				}
			}
		}
	}
}

// checkExport follows an export link to the backend resource it names: the file must hold
// exactly the tickets that a tickets query with the dashboard's filters selects, every one
// of them rather than the table's limit.
func (c *contract) checkExport(t *testing.T, u *url.URL) {
	t.Helper()
	if u.Path != dashboards.ExportPath {
		t.Fatalf("panel link goes to %s, want the export resource %s", u.Path, dashboards.ExportPath)
	}
	q := u.Query()
	if q.Get("from") != fmt.Sprint(c.from.UnixMilli()) || q.Get("to") != fmt.Sprint(c.to.UnixMilli()) {
		t.Errorf("export link %s does not carry the time range", u)
	}
	var adhoc []filter.AdHocFilter
	want := query.Query{QueryType: query.Tickets, Limit: 1 << 30}
	for _, v := range c.vars {
		switch {
		case v.Type == "adhoc":
			adhoc = v.Filters
		case v.Type == "textbox" && q.Get(v.Name) != strings.Join(v.Values, ""):
			t.Errorf("export link carries %s=%q, want %q", v.Name, q.Get(v.Name), strings.Join(v.Values, ""))
		case v.Name == dashboards.VarFilter:
			want.Filter = strings.Join(v.Values, "")
		case v.Name == dashboards.VarSearch:
			want.Search = strings.Join(v.Values, "")
		case v.Name == dashboards.VarColumns:
			want.Columns = v.Values
		}
	}
	got, err := filter.ParseURLFilters(q["var-"+dashboards.VarFilters])
	if err != nil || len(got) != len(adhoc) {
		t.Errorf("export link carries the filters %+v (%v), want %+v", got, err, adhoc)
	}
	// The tickets query is built from the scenario's variables, not from the link, so a
	// filter the link loses or garbles shows as a difference.
	want.AdHocFilters = adhoc
	format := q.Get("format")
	// The data source may take new tickets in between (the provisioned demo source polls
	// every minute), so a comparison counts only when the tickets were the same before and
	// after the export.
	for range 3 {
		before := c.ticketIDs(t, want)
		status, body, err := c.host.CallResource(context.Background(), c.pc, http.MethodGet, "export", q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusOK {
			t.Fatalf("export answered %d: %s", status, body)
		}
		if !slices.Equal(before, c.ticketIDs(t, want)) {
			continue
		}
		header, ids := exportIDs(t, format, body, c.schema.Key)
		wantHeader := append([]string{}, want.Columns...)
		if !slices.Contains(wantHeader, c.schema.Key) {
			wantHeader = append([]string{c.schema.Key}, wantHeader...)
		}
		if want.Search != "" {
			wantHeader = append(wantHeader, "match")
		}
		if !slices.Equal(header, wantHeader) {
			t.Errorf("export header %q, want %q", header, wantHeader)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, before) {
			t.Fatalf("export holds %d tickets, the tickets query %d (first of the export %.5q, of the query %.5q)", len(ids), len(before), ids, before)
		}
		t.Logf("%s export: %d tickets, %d bytes", format, len(ids), len(body))
		return
	}
	t.Fatal("the tickets kept changing during three exports; nothing was compared")
}

// ticketIDs runs a tickets query over the contract's range and returns the keys, sorted.
func (c *contract) ticketIDs(t *testing.T, q query.Query) []string {
	t.Helper()
	raw, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.host.QueryData(context.Background(), &backend.QueryDataRequest{PluginContext: c.pc, Queries: []backend.DataQuery{{
		RefID: "A", QueryType: string(q.QueryType), JSON: raw, TimeRange: backend.TimeRange{From: c.from, To: c.to},
		Interval: time.Minute, MaxDataPoints: maxDataPoints,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses["A"]
	if r.Error != nil || len(r.Frames) == 0 {
		t.Fatalf("tickets query %s: %v", raw, r.Error)
	}
	key := fieldByName(r.Frames[0], c.schema.Key)
	if key == nil {
		t.Fatalf("the tickets frame has no key field: %s", fieldList(r.Frames[0]))
	}
	ids := make([]string, key.Len())
	for i := range ids {
		if v, ok := key.At(i).(*string); ok && v != nil {
			ids[i] = *v
		} else if v, ok := key.At(i).(string); ok {
			ids[i] = v
		}
	}
	slices.Sort(ids)
	return ids
}

// exportIDs reads an export file: its header and the key of every ticket.
func exportIDs(t *testing.T, format string, body []byte, key string) ([]string, []string) {
	t.Helper()
	var records [][]string
	switch format {
	case "csv":
		var err error
		if records, err = csv.NewReader(bytes.NewReader(body)).ReadAll(); err != nil {
			t.Fatalf("the CSV export does not parse: %v", err)
		}
	case "tsv":
		for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
			records = append(records, strings.Split(line, "\t"))
		}
	default:
		t.Fatalf("export link with format %q", format)
	}
	if len(records) == 0 {
		t.Fatalf("the %s export has no header line", format)
	}
	col := slices.Index(records[0], key)
	if col < 0 {
		t.Fatalf("the %s export has no %s column: %q", format, key, records[0])
	}
	ids := make([]string, 0, len(records)-1)
	for i, r := range records[1:] {
		if len(r) != len(records[0]) {
			t.Fatalf("%s export line %d has %d fields, the header %d", format, i+2, len(r), len(records[0]))
		}
		ids = append(ids, r[col])
	}
	return records[0], ids
}

// alertEval is one evaluation of a rule at a time.
type alertEval struct {
	at   time.Time
	fire bool
}

// TestAlertRulesEvaluate sends every data source query of the provisioned alert rules to
// the plugin exactly as the rule file stores it, at the times an evaluation would, checks
// that the answer is a frame Grafana alerting accepts, and evaluates the rule's reduce and
// threshold on it, comparing the value with one computed from the CSV file.
func TestAlertRulesEvaluate(t *testing.T) {
	f := setup(t)
	pc := f.context(t, "alerts", map[string]any{"storePath": f.store})
	paths, err := filepath.Glob(filepath.Join(repo, "provisioning", "alerting", "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no alert rule files: %v", err)
	}
	peak, quiet := busiestAndQuietestMinute(f.rows)
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var file dashboards.AlertFile
		if err := yaml.Unmarshal(raw, &file); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, g := range file.Groups {
			for _, rule := range g.Rules {
				t.Run(rule.Title, func(t *testing.T) {
					checkRuleLinks(t, rule)
					for _, at := range []time.Time{peak, quiet} {
						value := evaluateRule(t, f, pc, rule, at)
						want := expectedRuleValue(t, f.rows, rule, at)
						if math.Abs(value-want) > 1e-9 {
							t.Errorf("at %s the rule's value is %g, the CSV file gives %g", at.Format(time.RFC3339), value, want)
						}
						threshold := ruleThreshold(t, rule)
						t.Logf("at %s: %g (threshold %g)", at.Format(time.RFC3339), value, threshold)
						if at.Equal(peak) && rule.Title == "Ticket spike" && value <= threshold {
							t.Errorf("the Ticket spike rule does not fire at the data set's busiest minute (%g <= %g)", value, threshold)
						}
						if at.Equal(quiet) && value > threshold {
							t.Errorf("the rule fires at an ordinary minute (%g > %g)", value, threshold)
						}
					}
				})
			}
		}
	}
}

// busiestAndQuietestMinute are the minutes, a day or more into the data set, whose last 10
// minutes hold the most tickets, and an ordinary one (the median).
func busiestAndQuietestMinute(rows []row) (time.Time, time.Time) {
	start := end.Add(-span).Add(25 * time.Hour)
	perMinute := map[time.Time]int{}
	for _, r := range rows {
		perMinute[r.created.Truncate(time.Minute)]++
	}
	type minute struct {
		at time.Time
		n  int
	}
	var ms []minute
	for m := start; m.Before(end); m = m.Add(time.Minute) {
		n := 0
		for i := 1; i <= 10; i++ {
			n += perMinute[m.Add(-time.Duration(i)*time.Minute)]
		}
		ms = append(ms, minute{m, n})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].n > ms[j].n || ms[i].n == ms[j].n && ms[i].at.Before(ms[j].at) })
	return ms[0].at, ms[len(ms)/2].at
}

// checkRuleLinks asserts that the rule links back to the overview's panel and that its
// overview annotation opens the overview with filters Grafana can read.
func checkRuleLinks(t *testing.T, rule dashboards.AlertRule) {
	t.Helper()
	if rule.DashboardUID != dashboards.OverviewUID || rule.PanelID != dashboards.CountsPanelID {
		t.Errorf("rule links to dashboard %q panel %d, want the overview's ticket count", rule.DashboardUID, rule.PanelID)
	}
	u, err := url.Parse(rule.Annotations["overview"])
	if err != nil || u.Path != dashboards.OverviewPath || u.Query().Get("from") == "" {
		t.Errorf("overview annotation %q is not a link to the overview with a time range", rule.Annotations["overview"])
	}
	fs, err := filter.ParseURLFilters(u.Query()["var-"+dashboards.VarFilters])
	if err != nil {
		t.Errorf("overview annotation %q: %v", rule.Annotations["overview"], err)
	}
	for _, f := range fs {
		if _, ok := schema.Default().Column(f.Key); !ok {
			t.Errorf("overview annotation filters on %q, not a field", f.Key)
		}
	}
	for k, v := range rule.Labels {
		if strings.Contains(v, "$") {
			t.Errorf("label %s=%q: Grafana would replace $ with an environment variable", k, v)
		}
	}
	for k, v := range rule.Annotations {
		if strings.Contains(v, "${") {
			t.Errorf("annotation %s: Grafana would replace ${...} with an environment variable", k)
		}
	}
}

// evaluateRule runs the rule's data source query as Grafana's rule evaluation does (the
// model as the query JSON, the relative time range from the evaluation time, intervalMs
// and maxDataPoints from the model), checks the answer, and applies the reduce step.
func evaluateRule(t *testing.T, f *fixture, pc backend.PluginContext, rule dashboards.AlertRule, at time.Time) float64 {
	t.Helper()
	var value float64
	var reduced bool
	for _, q := range rule.Data {
		if q.DatasourceUID != dashboards.DatasourceUID {
			continue
		}
		raw, err := json.Marshal(q.Model)
		if err != nil {
			t.Fatal(err)
		}
		interval := time.Second
		if ms, ok := q.Model["intervalMs"].(int); ok {
			interval = time.Duration(ms) * time.Millisecond
		}
		maxPoints := int64(43200)
		if mp, ok := q.Model["maxDataPoints"].(int); ok {
			maxPoints = int64(mp)
		}
		resp, err := f.host.QueryData(context.Background(), &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
			RefID: q.RefID, QueryType: q.QueryType, JSON: raw, Interval: interval, MaxDataPoints: maxPoints,
			TimeRange: backend.TimeRange{
				From: at.Add(-time.Duration(q.RelativeTimeRange.From) * time.Second),
				To:   at.Add(-time.Duration(q.RelativeTimeRange.To) * time.Second),
			},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.Responses[q.RefID]
		if r.Error != nil {
			t.Fatalf("query %s: %v", q.RefID, r.Error)
		}
		series := alertSeries(t, r.Frames)
		if len(series) != 1 {
			t.Fatalf("query %s gives %d series; the rule is written for one alert instance", q.RefID, len(series))
		}
		// The reduce step: the last value.
		fd := series[0]
		v, ok := fd.ConcreteAt(fd.Len() - 1)
		if !ok {
			t.Fatalf("the last value is null")
		}
		value, reduced = toFloat(v), true
	}
	if !reduced {
		t.Fatalf("rule %s has no query on the data source %s", rule.Title, dashboards.DatasourceUID)
	}
	return value
}

// alertSeries checks that frames are what Grafana alerting takes from a data source, a
// dataplane time series (wide or multi) with a time field and numeric fields whose label
// sets differ (server-side expressions refuse "duplicate results with labels"), and returns
// the numeric fields.
func alertSeries(t *testing.T, frames data.Frames) []*data.Field {
	t.Helper()
	var out []*data.Field
	seen := map[string]bool{}
	for _, fr := range frames {
		if ft := frameType(fr); ft != data.FrameTypeTimeSeriesWide && ft != data.FrameTypeTimeSeriesMulti {
			t.Fatalf("frame type %q: alerting reads dataplane time series", ft)
		}
		if fr.Meta.TypeVersion == (data.FrameTypeVersion{}) {
			t.Errorf("frame has no dataplane type version")
		}
		if len(fr.Fields) < 2 || fr.Fields[0].Type() != data.FieldTypeTime {
			t.Fatalf("want a time field then numbers: %s", fieldList(fr))
		}
		for _, fd := range fr.Fields[1:] {
			if !isNumber(fd) {
				t.Fatalf("field %s is %s, not a number", fd.Name, fd.Type())
			}
			key := fd.Labels.String()
			if seen[key] {
				t.Fatalf("two series with labels %s", key)
			}
			seen[key] = true
			for i := range fd.Len() {
				if v, ok := fd.ConcreteAt(i); ok && (math.IsNaN(toFloat(v)) || math.IsInf(toFloat(v), 0)) {
					t.Fatalf("field %s holds %v", fd.Name, v)
				}
			}
			out = append(out, fd)
		}
	}
	return out
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return math.NaN()
}

func ruleThreshold(t *testing.T, rule dashboards.AlertRule) float64 {
	t.Helper()
	for _, q := range rule.Data {
		if q.RefID != rule.Condition {
			continue
		}
		raw, _ := json.Marshal(q.Model)
		var m struct {
			Type       string `json:"type"`
			Conditions []struct {
				Evaluator struct {
					Type   string    `json:"type"`
					Params []float64 `json:"params"`
				} `json:"evaluator"`
			} `json:"conditions"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || m.Type != "threshold" || len(m.Conditions) != 1 ||
			m.Conditions[0].Evaluator.Type != "gt" || len(m.Conditions[0].Evaluator.Params) != 1 {
			t.Fatalf("condition %s is not a threshold 'above' this test knows: %s", q.RefID, raw)
		}
		return m.Conditions[0].Evaluator.Params[0]
	}
	t.Fatalf("rule %s has no condition %s", rule.Title, rule.Condition)
	return 0
}

// expectedRuleValue computes a rule's value at a time from the CSV file: the spike measure
// of its query for the window that ends at that minute.
func expectedRuleValue(t *testing.T, rows []row, rule dashboards.AlertRule, at time.Time) float64 {
	t.Helper()
	var model struct {
		Filter   string   `json:"filter"`
		Window   string   `json:"window"`
		Baseline string   `json:"baseline"`
		Series   []string `json:"series"`
	}
	for _, q := range rule.Data {
		if q.DatasourceUID == dashboards.DatasourceUID {
			raw, _ := json.Marshal(q.Model)
			if err := json.Unmarshal(raw, &model); err != nil {
				t.Fatal(err)
			}
		}
	}
	window, err1 := time.ParseDuration(model.Window)
	baseline, err2 := time.ParseDuration(model.Baseline)
	if err1 != nil || err2 != nil || len(model.Series) != 1 {
		t.Fatalf("the rule's query is not one this test computes: %+v", model)
	}
	keep := func(r row) bool { return true }
	switch model.Filter {
	case "":
	case "severity <= 1":
		keep = func(r row) bool { return r.severity <= 1 }
	default:
		t.Fatalf("filter %q: teach the test to compute it", model.Filter)
	}
	var recent, before float64
	for _, r := range rows {
		if !keep(r) {
			continue
		}
		switch {
		case !r.created.Before(at.Add(-window)) && r.created.Before(at):
			recent++
		case !r.created.Before(at.Add(-window-baseline)) && r.created.Before(at.Add(-window)):
			before++
		}
	}
	switch model.Series[0] {
	case "rate":
		return recent / window.Minutes()
	case "ratio":
		return recent / math.Max(before*float64(window)/float64(baseline), 1)
	}
	t.Fatalf("series %v: teach the test to compute it", model.Series)
	return 0
}
