package query

import (
	"time"

	"github.com/spacetime/tickets/pkg/duration"
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
		d, err := duration.Parse(explicit)
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

// ParseDuration is duration.Parse.
//
// Deprecated: use duration.Parse, the one home of the durations users type.
func ParseDuration(s string) (time.Duration, error) { return duration.Parse(s) }
