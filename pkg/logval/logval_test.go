package logval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// roundTrip logs key=v as the SDK's logger does (hclog, JSON), decodes the line as
// go-plugin's client does (log_entry.go, parseJSON: into a map[string]interface{}) and
// prints the value as a logger prints a value it does not know (fmt).
func roundTrip(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	hclog.New(&hclog.LoggerOptions{JSONFormat: true, Output: &buf}).Info("m", "key", v)
	var fields map[string]interface{}
	if err := json.Unmarshal(buf.Bytes(), &fields); err != nil {
		t.Fatalf("%s: %v", buf.Bytes(), err)
	}
	return fmt.Sprint(fields["key"])
}

func TestValuesSurviveGrafanasDecodingOfLogLines(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{Duration(4495 * time.Millisecond), "4.495s"},
		{Duration(4495123456 * time.Nanosecond), "4.495s"},
		{Duration(90 * time.Second), "1m30s"},
		{Duration(350 * time.Microsecond), "350µs"},
		{Count(1_500_000), "1500000"},
		{Count(int64(12_345_678_901)), "12345678901"},
		{Count(0), "0"},
		{Count(-3), "-3"},
	} {
		if got := roundTrip(t, tt.v); got != tt.want {
			t.Errorf("%v arrives as %q, want %q", tt.v, got, tt.want)
		}
	}
	// What the values above avoid: the raw numbers arrive as floats.
	if got := roundTrip(t, 4495*time.Millisecond); got != "4.495e+09" {
		t.Errorf("a time.Duration arrives as %q; the premise of this package has changed", got)
	}
	if got := roundTrip(t, 1_500_000); got != "1.5e+06" {
		t.Errorf("an int arrives as %q; the premise of this package has changed", got)
	}
}
