package frames

import (
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
