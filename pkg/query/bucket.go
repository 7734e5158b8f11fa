package query

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// niceBuckets are the widths a counts chart snaps to, so that bars line up with clock
// minutes and hours however wide the panel is.
var niceBuckets = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 7 * 24 * time.Hour,
}

const defaultMaxBuckets = 2000

// ChooseBucket picks the bucket width of a counts query. An explicit bucket is used as
// given (at least a second); otherwise Grafana's interval is rounded up to a nice width of
// at least a minute, because tickets per second are noise rather than a signal. Either
// way the range is cut into at most maxPoints buckets (2 000 when 0).
func ChooseBucket(explicit string, interval, span time.Duration, maxPoints int64) (time.Duration, error) {
	if maxPoints <= 0 || maxPoints > defaultMaxBuckets {
		maxPoints = defaultMaxBuckets
	}
	floor := time.Duration(0)
	if span > 0 {
		floor = span / time.Duration(maxPoints)
	}
	if explicit != "" {
		d, err := ParseDuration(explicit)
		if err != nil {
			return 0, invalidf("bucket: %v", err)
		}
		if d < time.Second {
			return 0, invalidf("bucket: %q is shorter than a second", explicit)
		}
		if d < floor {
			return 0, invalidf("bucket: %q cuts the range into more than %d buckets; use at least %s", explicit, maxPoints, roundUp(floor))
		}
		return d, nil
	}
	want := max(interval, floor, time.Minute)
	return roundUp(want), nil
}

func roundUp(d time.Duration) time.Duration {
	for _, n := range niceBuckets {
		if n >= d {
			return n
		}
	}
	week := niceBuckets[len(niceBuckets)-1]
	return (d + week - 1) / week * week
}

// ParseDuration reads a Go duration ("90s", "5m", "1h30m") or a whole number of days or
// weeks ("1d", "7d", "2w"), which time.ParseDuration does not know. A duration longer than
// time.Duration holds is "too long", never wrapped around into a negative one.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil || v > int64(maxDuration/unit) {
				return 0, &durationError{s: s, tooLong: true}
			}
			if v > 0 {
				return time.Duration(v) * unit, nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, &durationError{s: s, tooLong: overflows(s)}
	}
	if d <= 0 {
		return 0, &durationError{s: s}
	}
	return d, nil
}

// maxDuration is the longest time.Duration, about 292 years; it is named to users in
// whole days, MaxDurationText.
const maxDuration = time.Duration(math.MaxInt64)

// MaxDurationText is the longest duration ParseDuration takes, in whole days.
var MaxDurationText = strconv.FormatInt(int64(maxDuration/(24*time.Hour)), 10) + "d"

// goUnits are time.ParseDuration's units.
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

type durationError struct {
	s       string
	tooLong bool
}

// TooLong reports whether the duration was refused for being longer than the longest.
func (e *durationError) TooLong() bool { return e.tooLong }

func (e *durationError) Error() string {
	if e.tooLong {
		return "\"" + e.s + "\" is too long: the longest duration is " + MaxDurationText + " (about 292 years)"
	}
	return "\"" + e.s + "\" is not a positive duration (examples: 30s, 5m, 1h, 1d)"
}
