package dashboards

import (
	"strings"

	"github.com/spacetime/tickets/pkg/filter"
)

// Grafana's scenes dashboards keep ad hoc filters in the URL as var-NAME parameters, one
// per filter. The format is AdHocFiltersVariableUrlSyncHandler's (grafana/scenes,
// packages/scenes/src/variables/adhoc/AdHocFiltersVariableUrlSyncHandler.ts, getUrlState
// and toFilter, with escapeUrlPipeDelimiters, escapeUrlCommaDelimiters and
// unescapeUrlDelimiters of packages/scenes/src/variables/utils.ts):
//
//	key[,keyLabel]|operator[,operatorLabel]|value[,valueLabel][|value[,valueLabel]...][\originalValues\originalOperator\origin]
//
// "|" separates the parts and "," a value from its label, so inside a key, operator, value
// or label they are written __gfp__ and __gfc__ (and "#" __gfh__). Several values follow a
// multi-value operator (=| and !=|). What follows a backslash marks filters injected by
// scopes or by another dashboard, which this product does not use.

// urlUnescaper undoes the escapes of a part.
var urlUnescaper = strings.NewReplacer("__gfp__", "|", "__gfc__", ",", "__gfh__", "#")

// urlEscaper escapes a key or a value as getUrlState does.
var urlEscaper = strings.NewReplacer("|", "__gfp__", ",", "__gfc__")

// isMultiValueOperator is scenes' isMultiValueOperator: the operators with several values.
func isMultiValueOperator(op string) bool { return op == "=|" || op == "!=|" }

// EncodeURLFilter writes one ad hoc filter as a var-NAME parameter value, as Grafana does
// (labels omitted: a filter's labels equal its key and values here).
func EncodeURLFilter(f filter.AdHocFilter) string {
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

// DecodeURLFilters reads the values of a var-NAME parameter (as url.Values gives them, one
// per filter) into ad hoc filters, as updateFromUrl does: empty values, which mean "no
// filters", are skipped, and so is a value without a key.
func DecodeURLFilters(values []string) []filter.AdHocFilter {
	var out []filter.AdHocFilter
	for _, v := range values {
		if f, ok := decodeURLFilter(v); ok {
			out = append(out, f)
		}
	}
	return out
}

func decodeURLFilter(v string) (filter.AdHocFilter, bool) {
	if v == "" {
		return filter.AdHocFilter{}, false
	}
	main, _, _ := strings.Cut(v, `\`)
	// Each "|"-part is "text[,label]"; toFilter flattens them to text, label, text, label...
	var flat []string
	for _, part := range strings.Split(main, "|") {
		text, label, hasLabel := strings.Cut(part, ",")
		if !hasLabel {
			label = text
		}
		flat = append(flat, urlUnescaper.Replace(text), urlUnescaper.Replace(label))
	}
	if len(flat) < 4 || flat[0] == "" {
		return filter.AdHocFilter{}, false
	}
	f := filter.AdHocFilter{Key: flat[0], Operator: flat[2]}
	rest := flat[4:]
	if len(rest) > 0 {
		f.Value = rest[0]
	}
	if isMultiValueOperator(f.Operator) {
		for i := 0; i < len(rest); i += 2 {
			f.Values = append(f.Values, rest[i])
		}
	}
	return f, true
}
