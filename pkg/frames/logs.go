package frames

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/schema"
)

// The logs frame follows the dataplane LogLines contract (grafana/dataplane,
// docs/contract/logs.md, version 0.0) as Grafana reads it: with Meta.Type log-lines,
// parseDataplaneLogsFrame (grafana/grafana, public/app/features/logs/logsFrame.ts) takes
// the time field named "timestamp", the string field "body", and optionally the string
// fields "severity" and "id" and the JSON ("other") field "labels". Every other field is
// an extra field, which the log details show when a line is expanded, with the data
// links of its field config; getDataframeFields (public/app/features/logs/utils.ts)
// hides from the details the fields named "id", "labels" and "tsNs", the body and the
// first time field. So each schema column becomes an extra field, and a column whose
// name collides with one of those names is shown under another name (LogFieldName).

// Log field names of the dataplane logs contract.
const (
	LogTimeField     = "timestamp"
	LogBodyField     = "body"
	LogSeverityField = "severity"
	LogIDField       = "id"
	LogLabelsField   = "labels"
)

// reservedLogNames are the field names Grafana's logs panel treats specially: a column of
// that name would be taken for them, or hidden.
var reservedLogNames = map[string]bool{
	LogTimeField: true, LogBodyField: true, LogSeverityField: true, LogIDField: true, LogLabelsField: true, "tsNs": true,
}

// logsTypeVersion is the version of the LogLines contract the frame follows.
var logsTypeVersion = data.FrameTypeVersion{0, 0}

// LogsOptions say how a tickets result (all the columns of the lines) becomes a logs frame.
type LogsOptions struct {
	// TimeField is the column the lines' timestamps come from; empty: the schema's time.
	TimeField string
	// LevelField is the column mapped onto each line's level (see Level); empty: every
	// line's level is "unknown" rather than guessed from its text by Grafana.
	LevelField string
	// Fields are the columns shown when a line is expanded, in order; empty: every column
	// of the result.
	Fields []string
	// Search is the query's search, whose words Grafana highlights in the lines.
	Search string
	// Limit is the number of lines asked for: Grafana shows it as the line limit.
	Limit int
}

// Logs returns a log-lines frame: one line per ticket of res, in res's order (newest
// first for a logs query). The body is the ticket's key, its text columns and its facets
// ("INC1 Checkout slow — Sev: 1 · Service: checkout"); the labels are its dimensions
// (string columns and facets); the level comes from LevelField; and every column is a
// field shown when the line is expanded, detail columns such as the description included.
func (b Builder) Logs(res *engine.TicketsResult, opts LogsOptions) data.Frames {
	byName := make(map[string]*engine.Column, len(res.Columns))
	for i := range res.Columns {
		byName[res.Columns[i].Name] = &res.Columns[i]
	}
	timeName := opts.TimeField
	if timeName == "" {
		timeName = b.Schema.Time
	}
	n := len(res.Matches)
	key := byName[b.Schema.Key]
	times := make([]time.Time, n)
	if tc := byName[timeName]; tc != nil && tc.Times != nil {
		copy(times, tc.Times)
	}
	ids := make([]string, n)
	if key != nil {
		copy(ids, key.Strings)
	}
	bodies := make([]string, n)
	levels := make([]string, n)
	labels := make([]json.RawMessage, n)
	level := byName[opts.LevelField]
	texts, facets, dims := b.logColumns(byName)
	for i := range n {
		bodies[i] = logBody(ids[i], texts, facets, i)
		levels[i] = LevelUnknown
		if level != nil {
			levels[i] = levelAt(level, i)
		}
		labels[i] = logLabels(dims, i)
	}
	fields := []*data.Field{
		data.NewField(LogTimeField, nil, times),
		data.NewField(LogBodyField, nil, bodies),
		data.NewField(LogSeverityField, nil, levels),
		data.NewField(LogIDField, nil, ids),
		data.NewField(LogLabelsField, nil, labels),
	}
	fields[0].SetConfig(&data.FieldConfig{DisplayName: b.title(timeName)})
	names := opts.Fields
	if len(names) == 0 {
		for _, c := range res.Columns {
			names = append(names, c.Name)
		}
	}
	for _, name := range names {
		if c := byName[name]; c != nil {
			f := b.column(c)
			f.Name = b.LogFieldName(name)
			fields = append(fields, f)
		}
	}
	fr := b.frame("logs", fields...)
	custom := map[string]any{"total": res.Total}
	if opts.Limit > 0 {
		custom["limit"] = opts.Limit
	}
	if words := SearchWords(opts.Search); len(words) > 0 {
		custom["searchWords"] = words
	}
	fr.SetMeta(&data.FrameMeta{
		Type:                   data.FrameTypeLogLines,
		TypeVersion:            logsTypeVersion,
		PreferredVisualization: data.VisTypeLogs,
		Custom:                 custom,
		Notices:                capNotice(res, len(times)),
	})
	return data.Frames{fr}
}

// LogFieldName is the name of a column's field in a logs frame: its own name, or, when
// that is a name the logs contract reserves ("id", "severity"...), its title, or its name
// with a trailing underscore when the title is reserved or names another column too.
func (b Builder) LogFieldName(column string) string {
	if !reservedLogNames[column] {
		return column
	}
	if c, ok := b.Schema.Column(column); ok {
		t := c.DisplayName()
		if _, other := b.Schema.Column(t); !reservedLogNames[t] && !other {
			return t
		}
	}
	return column + "_"
}

// logColumns picks, from the result's columns in display order, the text columns that
// make up a line's message, the facets appended to it, and the dimensions that become
// its labels (string columns and facets).
func (b Builder) logColumns(byName map[string]*engine.Column) (texts, facets, dims []logColumn) {
	for _, sc := range b.Schema.Ordered() {
		c := byName[sc.Name]
		if c == nil || sc.Detail || sc.Name == b.Schema.Key {
			continue
		}
		lc := logColumn{name: sc.Name, title: sc.DisplayName(), col: c}
		if sc.Type == schema.Text {
			texts = append(texts, lc)
		}
		if sc.Facet {
			facets = append(facets, lc)
		}
		if sc.Facet || sc.Type == schema.String {
			dims = append(dims, lc)
		}
	}
	return texts, facets, dims
}

type logColumn struct {
	name, title string
	col         *engine.Column
}

// logBody is a line's message: "KEY text — Facet: value · Facet: value", without the
// parts that are null.
func logBody(key string, texts, facets []logColumn, i int) string {
	var sb strings.Builder
	sb.WriteString(key)
	sep := " "
	for _, t := range texts {
		if v, ok := cellText(t.col, i); ok && v != "" {
			sb.WriteString(sep)
			sb.WriteString(v)
			sep = " — "
		}
	}
	sep = " — "
	for _, f := range facets {
		if v, ok := cellText(f.col, i); ok {
			sb.WriteString(sep)
			sb.WriteString(f.title)
			sb.WriteString(": ")
			sb.WriteString(v)
			sep = " · "
		}
	}
	return sb.String()
}

// logLabels is a line's dimensions as a JSON object, null values left out.
func logLabels(dims []logColumn, i int) json.RawMessage {
	m := make(map[string]string, len(dims))
	for _, d := range dims {
		if v, ok := cellText(d.col, i); ok {
			m[d.name] = v
		}
	}
	raw, err := json.Marshal(m) // a map of strings always marshals
	if err != nil {
		return json.RawMessage("{}")
	}
	return raw
}

// cellText formats row i of a column as breakdowns and filters show values, and says
// whether it has one.
func cellText(c *engine.Column, i int) (string, bool) {
	if i < len(c.Nulls) && c.Nulls[i] {
		return "", false
	}
	switch {
	case c.Numbers != nil:
		return strconv.FormatFloat(c.Numbers[i], 'g', -1, 64), true
	case c.Times != nil:
		return c.Times[i].UTC().Format(time.RFC3339), true
	case c.Bools != nil:
		return strconv.FormatBool(c.Bools[i]), true
	case c.Strings != nil:
		return c.Strings[i], true
	}
	return "", false
}

// SearchWords are the patterns Grafana highlights for a search. Grafana's logs panel
// reads them from meta.custom.searchWords (logSeriesToLogsModel in grafana/grafana,
// public/app/features/logs/logsModel.ts) and treats each as a JavaScript regular
// expression whose leading "(?i)" becomes the case-insensitive flag (findMatchesInText
// and parseFlags, packages/grafana-data/src/text/text.ts). The search matches words as
// plain text, ignoring case, so each word is quoted and marked case-insensitive.
func SearchWords(search string) []string {
	var out []string
	for _, w := range strings.Fields(search) {
		out = append(out, "(?i)"+regexp.QuoteMeta(w))
	}
	return out
}

// Log levels as Grafana's logs panel knows them (the LogLevel enum of @grafana/data).
const (
	LevelCritical = "critical"
	LevelError    = "error"
	LevelWarning  = "warning"
	LevelInfo     = "info"
	LevelDebug    = "debug"
	LevelTrace    = "trace"
	LevelUnknown  = "unknown"
)

// levelAt maps row i of the level column onto a log level.
func levelAt(c *engine.Column, i int) string {
	if i < len(c.Nulls) && c.Nulls[i] {
		return LevelUnknown
	}
	switch {
	case c.Numbers != nil:
		return NumberLevel(c.Numbers[i])
	case c.Strings != nil:
		return TextLevel(c.Strings[i])
	}
	return LevelUnknown
}

// NumberLevel maps a severity number, where 1 is the most severe (sev 1, P1), onto a log
// level: 1 (or less) critical, 2 error, 3 warning, 4 info, 5 and above debug.
func NumberLevel(f float64) string {
	switch {
	case math.IsNaN(f):
		return LevelUnknown
	case f <= 1:
		return LevelCritical
	case f <= 2:
		return LevelError
	case f <= 3:
		return LevelWarning
	case f <= 4:
		return LevelInfo
	}
	return LevelDebug
}

var levelDigits = regexp.MustCompile(`\d+(\.\d+)?`)

// TextLevel maps a severity or priority written as text onto a log level: level names
// ("crit", "Error", "WARN"), a number inside ("SEV1", "P2", "2 - High") as NumberLevel
// does, or priority words (highest or blocker, high or major, medium, low or minor,
// lowest or trivial). Anything else is unknown.
func TextLevel(s string) string {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "critical", "crit", "emerg", "emergency", "alert", "fatal":
		return LevelCritical
	case "error", "err", "eror":
		return LevelError
	case "warning", "warn":
		return LevelWarning
	case "info", "information", "informational", "notice":
		return LevelInfo
	case "debug", "dbug":
		return LevelDebug
	case "trace":
		return LevelTrace
	}
	if d := levelDigits.FindString(v); d != "" {
		if f, err := strconv.ParseFloat(d, 64); err == nil {
			return NumberLevel(f)
		}
	}
	switch v {
	case "highest", "blocker":
		return LevelCritical
	case "high", "major":
		return LevelError
	case "medium", "moderate":
		return LevelWarning
	case "low", "minor":
		return LevelInfo
	case "lowest", "trivial":
		return LevelDebug
	}
	return LevelUnknown
}
