package binaryhost_test

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// TestWindowThroughTheBinary: a data source with jsonData.window, as Grafana sends it to
// the plugin process, holds the tickets created within the window and no others, and the
// health check says how many it left out.
func TestWindowThroughTheBinary(t *testing.T) {
	f := setup(t)
	// A window that ends in the middle of the generated week whatever the day of the run.
	window := time.Duration(math.Ceil(time.Since(end.Add(-span/2)).Hours())) * time.Hour
	before := time.Now()
	pc := f.context(t, "windowed", map[string]any{"storePath": f.store, "window": fmt.Sprintf("%dh", int(window.Hours()))})
	res, err := f.host.CheckHealth(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	m := regexp.MustCompile(`(\d+) tickets of the last \d+h \(the window; (\d+) versions of older tickets left out\)`).FindStringSubmatch(res.Message)
	if res.Status != backend.HealthStatusOk || m == nil {
		t.Fatalf("health = %v %q, want OK naming the tickets held in the window", res.Status, res.Message)
	}
	held, _ := strconv.Atoi(m[1])
	outside, _ := strconv.Atoi(m[2])
	// The cutoff moved while the plugin loaded: count against both ends.
	lo := len(countRows(f.rows, after.Add(-window)))
	hi := len(countRows(f.rows, before.Add(-window)))
	if held < lo || held > hi || held+outside != len(f.rows) || held == 0 || outside == 0 {
		t.Fatalf("the plugin holds %d tickets and left out %d; want between %d and %d of the %d held, the rest left out",
			held, outside, lo, hi, len(f.rows))
	}

	// Every query answers from the window: a breakdown of the whole week counts the held.
	resp := f.query(t, pc, end.Add(-span), end, map[string]any{"queryType": "breakdown", "field": "service", "top": 1000})
	var sum int64
	for _, n := range keyCounts(t, resp) {
		sum += n
	}
	if sum != int64(held) {
		t.Errorf("a breakdown of the whole week counts %d tickets, want the %d held", sum, held)
	}
}

// countRows returns the rows created at or after from.
func countRows(rows []row, from time.Time) []row {
	var out []row
	for _, r := range rows {
		if !r.created.Before(from) {
			out = append(out, r)
		}
	}
	return out
}
