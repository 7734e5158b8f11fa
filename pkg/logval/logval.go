// Package logval writes durations and counts for the plugin's log lines so that they read
// the same in Grafana's log as in the plugin's.
//
// The SDK's logger writes each line as JSON (hclog with JSONFormat). Grafana starts the
// plugin with hashicorp/go-plugin, whose client decodes every such line into a
// map[string]interface{} (go-plugin log_entry.go, parseJSON) and logs its fields again
// through Grafana's own logger (grafana pkg/plugins/backendplugin/grpcplugin/log_wrapper.go).
// A JSON number becomes a float64 on the way, and is printed as one: a time.Duration
// (nanoseconds) reads took=4.495e+09, and any count from a million up reads 1e+06. A
// string arrives as written, so these values are written as text.
package logval

import (
	"strconv"
	"time"
)

// Duration writes d as Go writes durations ("35ms", "4.495s", "1m30s"), to the millisecond
// from a millisecond up.
func Duration(d time.Duration) string {
	if d >= time.Millisecond || d <= -time.Millisecond {
		d = d.Round(time.Millisecond)
	}
	return d.String()
}

// Count writes n as a whole number in decimal.
func Count[T ~int | ~int32 | ~int64 | ~uint | ~uint32 | ~uint64](n T) string {
	if n < 0 {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatUint(uint64(n), 10)
}
