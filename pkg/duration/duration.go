// Package duration reads and writes the durations that users type: in the query JSON
// (bucket, window, baseline), the data source's settings (window, follow, the source's
// interval, overlap and lease) and on the command line (--last, --span, now-7d). They are
// Go durations ("90s", "5m", "1h30m") or whole days and weeks ("1d", "7d", "2w"), which
// time.ParseDuration does not know.
//
// It is a leaf: it imports the standard library only, so that every package can use it
// without pulling in the engine, the frames or the SDK.
package duration

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	// Day and Week are the units Parse adds to Go's.
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// maxDuration is the longest time.Duration, about 292 years; it is named to users in
// whole days, MaxText.
const maxDuration = time.Duration(math.MaxInt64)

// MaxText is the longest duration Parse takes, in whole days.
var MaxText = strconv.FormatInt(int64(maxDuration/Day), 10) + "d"

// Parse reads a Go duration ("90s", "5m", "1h30m") or a whole number of days or weeks
// ("1d", "7d", "2w"). The duration must be positive. A duration longer than
// time.Duration holds is "too long" (see TooLong), never wrapped around into a negative
// one that later checks would misname.
func Parse(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"d", Day}, {"w", Week}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil || v > int64(maxDuration/u.unit) {
				return 0, &Error{Text: s, tooLong: true}
			}
			if v > 0 {
				return time.Duration(v) * u.unit, nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, &Error{Text: s, tooLong: overflows(s)}
	}
	if d <= 0 {
		return 0, &Error{Text: s}
	}
	return d, nil
}

// Format writes d the way Parse reads it, and the way users write it: whole days as
// "7d", else Go's form without its zero units ("10m", "36h", "1h30m", "1m30s").
func Format(d time.Duration) string {
	if d >= Day && d%Day == 0 {
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	s := d.String()
	// time.Duration writes 10m0s and 24h0m0s: drop the zero units.
	for _, zero := range []string{"m0s", "h0m"} {
		if strings.HasSuffix(s, zero) {
			s = s[:len(s)-len(zero)+1]
		}
	}
	return s
}

// Error is Parse's error: the text is not a positive duration, or is too long.
type Error struct {
	// Text is the text given.
	Text    string
	tooLong bool
}

// TooLong reports whether the duration was refused for being longer than the longest.
func (e *Error) TooLong() bool { return e.tooLong }

func (e *Error) Error() string {
	if e.tooLong {
		return "\"" + e.Text + "\" is too long: the longest duration is " + MaxText + " (about 292 years)"
	}
	return "\"" + e.Text + "\" is not a positive duration (examples: 30s, 5m, 1h, 1d)"
}

// TooLong reports whether err is Parse's error for a duration longer than the longest.
func TooLong(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.tooLong
}

// goUnits are time.ParseDuration's units, in nanoseconds.
var goUnits = map[string]float64{
	"ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9,
}

// overflows reports whether s is written as a Go duration (numbers with units) whose
// value is beyond time.Duration: time.ParseDuration refuses those with the same error as
// text that is no duration at all.
func overflows(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	total := 0.0
	for s != "" {
		i := 0
		for i < len(s) && (s[i] == '.' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		v, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return false
		}
		s = s[i:]
		j := 0
		for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
			j++
		}
		unit, ok := goUnits[s[:j]]
		if !ok {
			return false
		}
		s = s[j:]
		total += v * unit
	}
	return total >= float64(maxDuration)
}
