package dashboards

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
)

// This file reproduces, for the contract tests and for anyone who checks a dashboard
// without a Grafana, the parts of Grafana's variable interpolation that the Spacetime
// dashboards rely on. The reference is grafana/scenes (the interpolation of Grafana 12's
// dashboards): sceneInterpolator and formatValue in
// packages/scenes/src/variables/interpolation/sceneInterpolator.ts, the formats of
// formatRegistry.ts beside it, and the macros of packages/scenes/src/variables/macros.

// variableRegex is Grafana's VARIABLE_REGEX (packages/scenes/src/variables/constants.ts):
// $var, [[var]] or [[var:fmt]], ${var}, ${var.fieldPath} and ${var:fmt}.
var variableRegex = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}`)

// Format turns a variable's value into text. Grafana passes either a format name or a
// function; the data source's frontend passes functions (formatFilterVariable...).
type Format func(v Value) string

// Value is what a variable holds when it is interpolated.
type Value struct {
	// Values holds one value for a single-value variable, any number for a multi-value one.
	Values []string
	// Multi is true for a variable that can hold several values (multi or include all);
	// the frontend's formats quote such values in filter expressions.
	Multi bool
	// URLState is the variable's URL parameters, for the queryparam format: what
	// var-NAME=... a dashboard URL holds for it (ad hoc filters, text boxes, lists).
	URLState []string
	// Verbatim marks a macro value that no format changes (SkipFormattingValue).
	Verbatim bool
}

func (v Value) single() string {
	if len(v.Values) == 0 {
		return ""
	}
	return v.Values[0]
}

// Variable is one dashboard variable's current state.
type Variable struct {
	Name string
	// Type is Grafana's variable type: adhoc, textbox, custom, query, constant.
	Type   string
	Values []string
	Multi  bool
	// Filters are an ad hoc variable's filters.
	Filters []filter.AdHocFilter
}

// value is the variable's Value for interpolation.
func (v *Variable) value() Value {
	switch v.Type {
	case "adhoc":
		var state []string
		for _, f := range v.Filters {
			state = append(state, "var-"+v.Name+"="+encodeURIComponentAsAngular(filter.FormatURLFilter(f)))
		}
		if len(state) == 0 {
			// getUrlState writes an empty parameter when there are no filters.
			state = []string{"var-" + v.Name + "="}
		}
		// getValue of an ad hoc variable is its rendered filter expression; the Spacetime
		// dashboards never interpolate it other than as URL state.
		return Value{Values: []string{renderFilters(v.Filters)}, URLState: state}
	default:
		var state []string
		for _, s := range v.Values {
			state = append(state, "var-"+v.Name+"="+encodeURIComponentAsAngular(s))
		}
		if len(state) == 0 {
			state = []string{"var-" + v.Name + "="}
		}
		return Value{Values: v.Values, Multi: v.Multi, URLState: state}
	}
}

// renderFilters is scenes' default rendering of ad hoc filters (Prometheus label matchers),
// kept only so that a bare $filters reference has a value to show.
func renderFilters(fs []filter.AdHocFilter) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Key + f.Operator + strconv.Quote(f.Value)
	}
	return strings.Join(parts, ",")
}

// Row is the data a data link is interpolated with: one row of a frame and the field the
// link belongs to (the __data, __value and __field macros).
type Row struct {
	// Fields holds the row's display text by field name.
	Fields map[string]string
	// Field is the name of the field whose link is followed.
	Field string
}

// Scope is everything an interpolation can read: the time range, the panel interval, the
// dashboard's variables, a repeated panel's value and a data link's row.
type Scope struct {
	From, To  time.Time
	Interval  time.Duration
	Variables []*Variable
	// Repeat holds the single value of each variable a repeated panel is repeated over.
	Repeat map[string]string
	Row    *Row
}

// Interpolator replaces variable references as Grafana does. Unresolved collects the
// references it found no value for; Grafana leaves those in the text as they are.
type Interpolator struct {
	Scope      Scope
	Unresolved []string
}

// Interpolate replaces the references in text. defaultFormat applies to references
// without a format of their own (a format in the reference wins: "fmt2 || fmt3 || format"
// in sceneInterpolator); nil means Grafana's default, glob.
func (ip *Interpolator) Interpolate(text string, defaultFormat Format) string {
	return variableRegex.ReplaceAllStringFunc(text, func(match string) string {
		m := variableRegex.FindStringSubmatch(match)
		name := firstNonEmpty(m[1], m[2], m[4])
		fieldPath := m[5]
		formatName := firstNonEmpty(m[3], m[6])
		v, ok := ip.lookup(name, fieldPath)
		if !ok {
			ip.Unresolved = append(ip.Unresolved, match)
			return match
		}
		if v.Verbatim {
			return v.single()
		}
		if formatName != "" {
			f, err := namedFormat(formatName)
			if err != nil {
				ip.Unresolved = append(ip.Unresolved, match+" ("+err.Error()+")")
				return match
			}
			return f(v)
		}
		if defaultFormat != nil {
			return defaultFormat(v)
		}
		return globFormat(v)
	})
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (ip *Interpolator) variable(name string) *Variable {
	for _, v := range ip.Scope.Variables {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// lookup finds a reference's value: a repeated panel's own value first (LocalValueVariable),
// then the dashboard's variables, then the macros.
func (ip *Interpolator) lookup(name, fieldPath string) (Value, bool) {
	s := &ip.Scope
	if v, ok := s.Repeat[name]; ok && fieldPath == "" {
		return Value{Values: []string{v}, Multi: true}, true
	}
	if v := ip.variable(name); v != nil {
		if fieldPath != "" {
			return Value{}, false
		}
		return v.value(), true
	}
	switch name {
	case "__from", "__to":
		t := s.From
		if name == "__to" {
			t = s.To
		}
		return Value{Values: []string{strconv.FormatInt(t.UnixMilli(), 10)}}, true
	case "__interval":
		return Value{Values: []string{shortInterval(s.Interval)}}, true
	case "__interval_ms":
		return Value{Values: []string{strconv.FormatInt(s.Interval.Milliseconds(), 10)}}, true
	case "__url_time_range":
		// UrlTimeRangeMacro: the time range's URL state, from and to.
		q := "from=" + strconv.FormatInt(s.From.UnixMilli(), 10) + "&to=" + strconv.FormatInt(s.To.UnixMilli(), 10)
		return Value{Values: []string{q}, Verbatim: true}, true
	case "__all_variables":
		// AllVariablesMacro: every variable with URL sync in the queryparam format.
		var params []string
		for _, v := range s.Variables {
			params = append(params, v.value().URLState...)
		}
		return Value{Values: []string{strings.Join(params, "&")}, Verbatim: true}, true
	case "__data":
		// DataMacro: ${__data.fields.NAME} is the display text of the row's field NAME.
		if s.Row == nil {
			return Value{}, false
		}
		field, ok := strings.CutPrefix(fieldPath, "fields.")
		if !ok {
			return Value{}, false
		}
		text, ok := s.Row.Fields[field]
		return Value{Values: []string{text}}, ok
	case "__value":
		// ValueMacro: the linked field's value in the row (text and raw are alike for
		// the strings and numbers the dashboards link from).
		if s.Row == nil || (fieldPath != "" && fieldPath != "text" && fieldPath != "raw") {
			return Value{}, false
		}
		text, ok := s.Row.Fields[s.Row.Field]
		return Value{Values: []string{text}}, ok
	case "__field":
		// FieldMacro: ${__field.name} is the linked field's name.
		if s.Row == nil || fieldPath != "name" {
			return Value{}, false
		}
		return Value{Values: []string{s.Row.Field}}, true
	}
	return Value{}, false
}

// shortInterval writes a duration as Grafana's $__interval does ("30s", "5m", "1h").
func shortInterval(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d >= time.Second && d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// namedFormat is a format of Grafana's format registry (formatRegistry.ts), those the
// dashboards use.
func namedFormat(name string) (Format, error) {
	switch name {
	case "raw":
		return func(v Value) string { return strings.Join(v.Values, ",") }, nil
	case "glob":
		return globFormat, nil
	case "csv":
		return func(v Value) string { return strings.Join(v.Values, ",") }, nil
	case "percentencode":
		return func(v Value) string {
			if len(v.Values) > 1 {
				return encodeURIComponentStrict("{" + strings.Join(v.Values, ",") + "}")
			}
			return encodeURIComponentStrict(v.single())
		}, nil
	case "queryparam":
		return func(v Value) string { return strings.Join(v.URLState, "&") }, nil
	case "uriencode":
		return URIEncodeFormat, nil
	}
	return nil, fmt.Errorf("format %q is not one the dashboards may use", name)
}

// globFormat is Grafana's default format: {a,b} for several values.
func globFormat(v Value) string {
	if len(v.Values) > 1 {
		return "{" + strings.Join(v.Values, ",") + "}"
	}
	return v.single()
}

// URIEncodeFormat is the default format of a data link URL (getLinksSupplier interpolates
// the href with VariableFormatID.UriEncode): encodeURI, plus !'()*.
func URIEncodeFormat(v Value) string {
	s := v.single()
	if len(v.Values) > 1 {
		s = "{" + strings.Join(v.Values, ",") + "}"
	}
	return percentEncode(s, func(c byte) bool { return isUnreserved(c) || strings.IndexByte(";,/?:@&=+$#", c) >= 0 })
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// encodeURIComponentStrict is encodeURIComponent that also escapes !'()*: only RFC 3986's
// unreserved characters stay as they are.
func encodeURIComponentStrict(s string) string { return percentEncode(s, isUnreserved) }

// encodeURIComponentAsAngular is how urlUtil.toUrlParams (packages/grafana-data/src/utils/
// url.ts) writes a parameter: encodeURIComponent with @ : $ , kept, spaces as "+".
func encodeURIComponentAsAngular(s string) string {
	out := percentEncode(s, func(c byte) bool { return isUnreserved(c) || strings.IndexByte("@:$,", c) >= 0 || c == ' ' })
	return strings.ReplaceAll(out, " ", "+")
}

func percentEncode(s string, keep func(byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// The frontend's formats (src/filterLanguage.ts), applied by applyTemplateVariables in
// src/datasource.ts to the query fields it interpolates.

// FilterFormat is formatFilterVariable: a multi-value variable becomes a quoted list for
// "field in ($var)", a single value is escaped to stay inside the quotes around it.
func FilterFormat(v Value) string {
	if v.Multi {
		quoted := make([]string, len(v.Values))
		for i, s := range v.Values {
			quoted[i] = strconv.Quote(s)
		}
		return strings.Join(quoted, ", ")
	}
	return escapeInString(v.single())
}

// escapeInString is the frontend's escapeInString: backslashes, quotes and control
// characters escaped as in a filter string literal.
func escapeInString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '"', '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			if r < ' ' {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// SearchFormat is formatSearchVariable: values joined by spaces.
func SearchFormat(v Value) string { return strings.Join(v.Values, " ") }

// ListFormat is formatListVariable: values joined by commas.
func ListFormat(v Value) string { return strings.Join(v.Values, ",") }

// SingleFormat is formatSingleVariable: the first value.
func SingleFormat(v Value) string { return v.single() }

// ApplyTemplateVariables does to a target what the data source's frontend does before a
// query leaves the browser (applyTemplateVariables in src/datasource.ts): it interpolates
// filter, search, field, splitBy, timeField, bucket, prefix, window, baseline, levelField,
// the columns and the sort fields, each with its format, and appends the ad hoc filters of
// the dashboard. The other fields go to the backend as they are written in the dashboard.
func (ip *Interpolator) ApplyTemplateVariables(t Target) Target {
	out := t
	q := &out.Query
	q.Filter = ip.Interpolate(t.Filter, FilterFormat)
	q.Search = ip.Interpolate(t.Search, SearchFormat)
	q.Field = ip.Interpolate(t.Field, SingleFormat)
	q.SplitBy = ip.Interpolate(t.SplitBy, SingleFormat)
	q.TimeField = ip.Interpolate(t.TimeField, SingleFormat)
	q.Bucket = ip.Interpolate(t.Bucket, SingleFormat)
	q.Prefix = ip.Interpolate(t.Prefix, SingleFormat)
	q.Window = ip.Interpolate(t.Window, SingleFormat)
	q.Baseline = ip.Interpolate(t.Baseline, SingleFormat)
	q.LevelField = ip.Interpolate(t.LevelField, SingleFormat)
	if t.Columns != nil {
		seen := map[string]bool{}
		q.Columns = nil
		for _, c := range t.Columns {
			for _, s := range strings.Split(ip.Interpolate(c, ListFormat), ",") {
				if s = strings.TrimSpace(s); s != "" && !seen[s] {
					seen[s] = true
					q.Columns = append(q.Columns, s)
				}
			}
		}
	}
	if t.Sort != nil {
		q.Sort = append(q.Sort[:0:0], t.Sort...)
		for i := range q.Sort {
			q.Sort[i].Field = ip.Interpolate(q.Sort[i].Field, SingleFormat)
		}
	}
	q.AdHocFilters = append(append([]filter.AdHocFilter(nil), t.AdHocFilters...), ip.adHocFilters()...)
	if len(q.AdHocFilters) == 0 {
		q.AdHocFilters = nil
	}
	return out
}

// adHocFilters are the filters of every ad hoc variable, as Grafana hands them to the data
// source of the same uid (one ad hoc variable here).
func (ip *Interpolator) adHocFilters() []filter.AdHocFilter {
	var out []filter.AdHocFilter
	for _, v := range ip.Scope.Variables {
		if v.Type == "adhoc" {
			out = append(out, v.Filters...)
		}
	}
	return out
}

// FollowLink interpolates a data link or panel link URL as Grafana does (the href with the
// uriencode format) and parses it.
func (ip *Interpolator) FollowLink(link string) (*url.URL, error) {
	href := ip.Interpolate(link, URIEncodeFormat)
	u, err := url.Parse(href)
	if err != nil {
		return nil, fmt.Errorf("link %q interpolates to %q, which is not a URL: %w", link, href, err)
	}
	return u, nil
}

// References lists the variable names that text refers to, sorted, without duplicates,
// with the field path of those that have one ("__data.fields.service").
func References(text string) []string {
	seen := map[string]bool{}
	for _, m := range variableRegex.FindAllStringSubmatch(text, -1) {
		name := firstNonEmpty(m[1], m[2], m[4])
		if m[5] != "" {
			name += "." + m[5]
		}
		seen[name] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
