package query

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// TestViewerFilter: the viewer's filter expression narrows like the query's own filter;
// with an error it is left out with a notice, unless the query checks it, which then fails
// with the error and its position.
func TestViewerFilter(t *testing.T) {
	eng, env, _ := newFixture(t)
	total := func(c Common) (int64, []data.Notice, error) {
		q := &StatsQuery{Common: c}
		fs, err := Run(context.Background(), eng, env, Request{From: t0.Add(-48 * time.Hour), To: t0.Add(time.Hour), Query: q})
		if err != nil {
			return 0, nil, err
		}
		n, _ := fs[0].Fields[0].ConcreteAt(0)
		return n.(int64), fs[0].Meta.Notices, nil
	}
	all, _, err := total(Common{})
	if err != nil {
		t.Fatal(err)
	}
	burst, _, err := total(Common{Filter: `service = "svc-burst"`})
	if err != nil || burst != burstTickets {
		t.Fatalf("the fixture's burst: %d, %v", burst, err)
	}
	tests := []struct {
		name    string
		q       Common
		want    int64
		notice  bool
		wantErr string
	}{
		{"a valid expression narrows", Common{ViewerFilter: `service = "svc-burst"`}, burst, false, ""},
		{"checked, a valid expression narrows", Common{ViewerFilter: `service = "svc-burst"`, CheckViewerFilter: true}, burst, false, ""},
		{"a typo is left out, with a notice", Common{ViewerFilter: `service = `}, all, true, ""},
		{"an unknown field is left out, with a notice", Common{ViewerFilter: `servce = "x"`}, all, true, ""},
		{"the query's own filter still applies", Common{Filter: `service = "svc-burst"`, ViewerFilter: `(`}, burst, true, ""},
		{"checked, a typo is the error", Common{ViewerFilter: `service = `, CheckViewerFilter: true}, 0, false, "filter expression: position 11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notices, err := total(tt.q)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want an invalid query saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%d tickets, want %d", got, tt.want)
			}
			if has := len(notices) == 1 && notices[0].Text == ignoredViewerFilter; has != tt.notice {
				t.Errorf("notices %+v, want the ignored-expression notice: %v", notices, tt.notice)
			}
		})
	}
}
