package filter

import (
	"fmt"
	"regexp"
	"strings"
)

// Grafana's scenes dashboards keep ad hoc filters in the URL as var-NAME parameters, one
// per filter. The format is AdHocFiltersVariableUrlSyncHandler's (grafana/scenes,
// packages/scenes/src/variables/adhoc/AdHocFiltersVariableUrlSyncHandler.ts, getUrlState
// and toFilter, with escapeUrlPipeDelimiters, escapeUrlCommaDelimiters and
// unescapeUrlDelimiters of packages/scenes/src/variables/utils.ts):
//
//	key[,keyLabel]|operator[,operatorLabel]|value[,valueLabel][|value[,valueLabel]...][#origin[#restorable]]
//
// "|" separates the parts, "," a value from its label and "#" the filter from its origin,
// so inside a key, operator, value or label they are written __gfp__, __gfc__ and __gfh__
// (escapeOriginFilterUrlDelimiters and toUrlCommaDelimitedString). Several values follow a
// multi-value operator (=| and !=|). The origin marks filters injected by scopes or by
// another dashboard, which this product does not use. A backslash is an ordinary character
// (a regular expression's \d), as it is to scenes 6 and later. The dashboards' export links
// carry the filters in this format too, so both the dashboards and the plugin read it.

// urlUnescaper undoes the escapes of a part.
var urlUnescaper = strings.NewReplacer("__gfp__", "|", "__gfc__", ",", "__gfh__", "#")

// urlEscaper escapes a key or a value as getUrlState does.
var urlEscaper = strings.NewReplacer("|", "__gfp__", ",", "__gfc__", "#", "__gfh__")

// isMultiValueOperator is scenes' isMultiValueOperator: the operators with several values.
func isMultiValueOperator(op string) bool { return op == "=|" || op == "!=|" }

// FormatURLFilter writes one ad hoc filter as a var-NAME parameter value, as Grafana does
// (labels omitted: a filter's labels equal its key and values here).
func FormatURLFilter(f AdHocFilter) string {
	parts := []string{urlEscaper.Replace(f.Key), strings.ReplaceAll(f.Operator, "|", "__gfp__")}
	if isMultiValueOperator(f.Operator) {
		for _, v := range f.Values {
			parts = append(parts, urlEscaper.Replace(v))
		}
	} else {
		parts = append(parts, urlEscaper.Replace(f.Value))
	}
	return strings.Join(parts, "|")
}

// ParseURLFilters reads the values of a var-NAME parameter (as url.Values gives them, one
// per filter) into ad hoc filters, as updateFromUrl does. Empty values are skipped: Grafana
// writes one empty parameter for "no filters". Where Grafana silently drops a value it
// cannot read, ParseURLFilters says which one (1-based) and why, so that a hand-edited link
// fails loudly instead of exporting more tickets than meant. The operator is not checked
// here: FromAdHoc does that with the schema.
func ParseURLFilters(values []string) ([]AdHocFilter, error) {
	var out []AdHocFilter
	for i, v := range values {
		if v == "" {
			continue
		}
		f, err := parseURLFilter(v)
		if err != nil {
			return nil, fmt.Errorf("filter %d %q: %w", i+1, v, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func parseURLFilter(v string) (AdHocFilter, error) {
	main, _, _ := strings.Cut(v, "#")
	// Each "|"-part is "text[,label]"; toFilter flattens them to text, label, text, label...
	var flat []string
	for _, part := range strings.Split(main, "|") {
		text, label, hasLabel := strings.Cut(part, ",")
		if !hasLabel {
			label = text
		}
		flat = append(flat, urlUnescaper.Replace(text), urlUnescaper.Replace(label))
	}
	if flat[0] == "" {
		return AdHocFilter{}, fmt.Errorf("no key before the first %q", "|")
	}
	if len(flat) < 4 || flat[2] == "" {
		return AdHocFilter{}, fmt.Errorf("no operator: want key|operator|value")
	}
	f := AdHocFilter{Key: flat[0], Operator: flat[2]}
	rest := flat[4:]
	if len(rest) > 0 {
		f.Value = rest[0]
	}
	if isMultiValueOperator(f.Operator) {
		for i := 0; i < len(rest); i += 2 {
			f.Values = append(f.Values, rest[i])
		}
	}
	return f, nil
}

// ValueFilter is the ad hoc filter that narrows to one value of a field, or to the
// tickets without one (null), as a click on a breakdown's row or a localized cause's
// term applies it.
func ValueFilter(field, value string, null bool) AdHocFilter {
	if !null && value == NullLabel {
		// An ad hoc filter's value NullLabel means "no value" (FromAdHoc): a real value
		// spelled so is matched whole by a regular expression instead.
		return AdHocFilter{Key: field, Operator: "=~", Value: "^" + regexp.QuoteMeta(value) + "$"}
	}
	if null {
		value = NullLabel
	}
	return AdHocFilter{Key: field, Operator: "=", Value: value}
}
