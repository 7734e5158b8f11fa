package frames

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/localize"
)

// The fields of a localize frame beyond AdHocFilterField: a combination of up to three
// values is up to three ad hoc filters, the first in AdHocFilterField (so that a link made
// for breakdowns narrows to it) and the others in these, empty when the combination is
// shorter. A link that applies the whole combination appends one var-NAME parameter per
// non-empty field.
const (
	AdHocFilterField2 = "adhocFilter2"
	AdHocFilterField3 = "adhocFilter3"
)

// Localize returns one table frame, a row per cause, most excess first: the combination,
// its tickets now, expected at the usual rate, above what the rest of the answer expects,
// its share of the whole rise, its rate ratio and score; with withFilter, its ad hoc
// filters. The frame's notice says when there is no localized cause, and its custom meta
// carries the verdict and the totals.
func (b Builder) Localize(res *localize.Result, withFilter bool) data.Frames {
	n := len(res.Causes)
	causes := make([]string, n)
	now := make([]int64, n)
	expected, excess, share, ratio, score := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	var filters [3][]string
	for i := range filters {
		filters[i] = make([]string, n)
	}
	for i, c := range res.Causes {
		causes[i] = c.String()
		now[i], expected[i], excess[i], share[i], ratio[i], score[i] = c.Now, c.Expected, c.Excess, c.Share, c.Ratio, c.Score
		for j, f := range c.URLFilters() {
			filters[j][i] = f
		}
	}
	num := func(name, display, unit string, v any) *data.Field {
		f := data.NewField(name, nil, v)
		f.SetConfig(&data.FieldConfig{DisplayName: display, Unit: unit})
		return f
	}
	cf := data.NewField("cause", nil, causes)
	cf.SetConfig(&data.FieldConfig{DisplayName: "Most likely cause"})
	fr := b.frame("localize", cf,
		num("current", "Tickets now", "short", now),
		num("expected", "Expected at the usual rate", "short", expected),
		num("excess", "Above the rest", "short", excess),
		num("share", "Share of the rise", "percentunit", share),
		num("ratio", "Rate ratio", "short", ratio),
		num("score", "Score", "short", score),
	)
	if withFilter {
		fr.Fields = append(fr.Fields, filterField(filters[0]))
		for j, name := range []string{AdHocFilterField2, AdHocFilterField3} {
			f := data.NewField(name, nil, filters[j+1])
			f.SetConfig(&data.FieldConfig{DisplayName: "Ad hoc filter " + string(rune('2'+j))})
			fr.Fields = append(fr.Fields, f)
		}
	}
	meta := &data.FrameMeta{
		Type:                   data.FrameTypeNumericLong,
		TypeVersion:            dataplane,
		PreferredVisualization: data.VisTypeTable,
		Custom: map[string]any{
			"verdict": string(res.Verdict), "now": res.Now, "expected": res.Expected,
			"explained": res.Explained, "level": res.Level, "candidates": res.Candidates,
		},
	}
	switch res.Verdict {
	case localize.Spread:
		meta.Notices = []data.Notice{{Severity: data.NoticeSeverityInfo,
			Text: "No localized cause: the tickets rose, but evenly across the values"}}
	case localize.NoRise:
		meta.Notices = []data.Notice{{Severity: data.NoticeSeverityInfo,
			Text: "No localized cause: the tickets did not rise significantly"}}
	}
	if res.TriplesSkipped {
		meta.Notices = append(meta.Notices, data.Notice{Severity: data.NoticeSeverityWarning,
			Text: "Combinations of three fields were not weighed: the range holds too many combinations of values; narrow the range or the dimensions"})
	}
	fr.SetMeta(meta)
	return data.Frames{fr}
}

// Labels of a localize summary (LocalizeSummary), as an alert rule's template reads them
// from $values.REFID.Labels.
const (
	// SummaryVerdict is localized, spread, no rise, or unknown when the search could not
	// run (SummaryNote says why).
	SummaryVerdict = "verdict"
	// SummaryTickets is the window's tickets, in decimal.
	SummaryTickets = "tickets"
	// SummaryExpected is the window's tickets at the usual rate, rounded.
	SummaryExpected = "expected"
	// SummaryCause is the most likely cause, compactly: service=checkout region=us-east-1.
	// It is absent when no cause is localized.
	SummaryCause = "cause"
	// SummaryOthers lists the further causes with their share of the window's tickets:
	// "service=cart (6%), category=db region=eu-west-1 (3%)". Absent when there are none.
	SummaryOthers = "others"
	// SummaryNote says why the search could not run (verdict unknown).
	SummaryNote = "note"
)

// LocalizeSummary is a localize answer for an alert rule: one number, whose labels say the
// rest. Grafana's alerting keeps, of each query and expression of a rule, the numbers it
// returns, with their labels, and gives a notification's template the one that matches
// the alert instance as $values.REFID (queryDataResponseToExecutionResults and
// captures.go in grafana/grafana pkg/services/ngalert/eval; the template's Value type in
// pkg/services/ngalert/state/template/template.go). A rule whose condition has no labels
// matches every number, and of several numbers of one query the template sees only one,
// so the answer is exactly one number: the percentage of the window's tickets that are in
// the most likely cause (0 when none is localized), in a numeric-wide frame as the
// dataplane contract has it, which Grafana's expressions read as numbers with labels
// (handleDataplaneNumeric, pkg/expr/dataplane.go).
//
// The answer is never empty: a response with no frame, or a frame with no fields, is
// "no data", and one query with no data makes the whole rule NoData, hiding the spike it
// is there to explain (IsNoData and evaluateExecutionResult, eval.go). When the search
// could not run, res is nil and note says why.
func (b Builder) LocalizeSummary(res *localize.Result, note string) data.Frames {
	labels := data.Labels{SummaryVerdict: "unknown"}
	share := 0.0
	if res != nil {
		labels[SummaryVerdict] = string(res.Verdict)
		labels[SummaryTickets] = strconv.FormatInt(res.Now, 10)
		labels[SummaryExpected] = strconv.FormatFloat(math.Round(res.Expected), 'f', 0, 64)
		pct := func(c localize.Cause) float64 {
			if res.Now == 0 {
				return 0
			}
			return 100 * float64(c.Now) / float64(res.Now)
		}
		if len(res.Causes) > 0 {
			labels[SummaryCause] = CompactCause(res.Causes[0])
			share = pct(res.Causes[0])
		}
		if len(res.Causes) > 1 {
			others := make([]string, 0, len(res.Causes)-1)
			for _, c := range res.Causes[1:] {
				others = append(others, fmt.Sprintf("%s (%.0f%%)", CompactCause(c), pct(c)))
			}
			labels[SummaryOthers] = strings.Join(others, ", ")
		}
	}
	if note != "" {
		labels[SummaryNote] = note
	}
	f := data.NewField("share", labels, []float64{share})
	f.SetConfig(&data.FieldConfig{DisplayName: "Tickets in the most likely cause", Unit: "percent"})
	fr := b.frame("localize", f)
	fr.SetMeta(&data.FrameMeta{Type: data.FrameTypeNumericWide, TypeVersion: dataplane})
	return data.Frames{fr}
}

// CompactCause writes a combination for a sentence: service=checkout region=us-east-1. A
// value that is empty or holds a space, a quote or an equals sign is quoted, so that the
// terms stay apart; no value is (none), as the charts show it.
func CompactCause(c localize.Cause) string {
	parts := make([]string, len(c.Terms))
	for i, t := range c.Terms {
		v := t.Value
		switch {
		case t.Null:
			v = NullLabel
		case v == "" || strings.ContainsAny(v, " \t\n\"'="):
			v = strconv.Quote(v)
		}
		parts[i] = t.Name + "=" + v
	}
	return strings.Join(parts, " ")
}
