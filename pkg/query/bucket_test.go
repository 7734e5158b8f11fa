package query

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestChooseBucket(t *testing.T) {
	tests := []struct {
		name      string
		explicit  string
		interval  time.Duration
		span      time.Duration
		maxPoints int64
		want      time.Duration
		wantErr   bool
	}{
		{"interval below a minute rounds up to a minute", "", 5 * time.Second, time.Hour, 1000, time.Minute, false},
		{"interval snaps to the next nice width", "", 70 * time.Second, 24 * time.Hour, 1000, 2 * time.Minute, false},
		{"max points raises the width", "", time.Minute, 7 * 24 * time.Hour, 500, 30 * time.Minute, false},
		{"explicit bucket used as given", "7m", time.Minute, 24 * time.Hour, 1000, 7 * time.Minute, false},
		{"explicit days", "1d", time.Minute, 30 * 24 * time.Hour, 1000, 24 * time.Hour, false},
		{"explicit too fine for the range", "1s", time.Minute, 30 * 24 * time.Hour, 1000, 0, true},
		{"explicit not a duration", "five minutes", 0, time.Hour, 0, 0, true},
		{"explicit below a second", "10ms", 0, time.Second, 0, 0, true},
		{"huge span beyond a week rounds to whole weeks", "", 0, 4000 * 7 * 24 * time.Hour, 1000, 28 * 24 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChooseBucket(tt.explicit, tt.interval, tt.span, tt.maxPoints)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("bucket errors must be the user's (ErrInvalid): %v", err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    Type
		wantErr string
	}{
		{"empty query is counts", `{}`, Counts, ""},
		{"no body is counts", ``, Counts, ""},
		{"grafana envelope fields are ignored", `{"refId":"A","datasource":{"uid":"x"},"queryType":"breakdown","field":"service","hide":false}`, Breakdown, ""},
		{"unknown type lists valid ones", `{"queryType":"histogram"}`, "", "use one of counts, breakdown, tickets, stats, values"},
		{"not JSON", `{"queryType":`, "", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Decode([]byte(tt.raw))
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want an ErrInvalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || q.Type() != tt.want || q.Base().QueryType != tt.want {
				t.Fatalf("Decode = %v, %v; want type %v", q, err, tt.want)
			}
		})
	}
}

// A duration beyond what time.Duration holds (about 292 years) is "too long", with the
// longest; it never wraps around into a negative one that other checks then misname
// ("shorter than a second", negative hours).
func TestParseDurationSaysTooLong(t *testing.T) {
	for _, s := range []string{"106752d", "15251w", "2562048h", "9223372037s", "99999999999999999999d"} {
		t.Run(s, func(t *testing.T) {
			d, err := ParseDuration(s)
			if err == nil {
				t.Fatalf("ParseDuration(%q) = %v, want an error", s, d)
			}
			if msg := err.Error(); !strings.Contains(msg, "too long") || !strings.Contains(msg, "106751d") {
				t.Fatalf("ParseDuration(%q): %q, want \"too long\" and the longest, 106751d", s, msg)
			}
			if _, err := ChooseBucket(s, 0, time.Hour, 0); err == nil || !strings.Contains(err.Error(), "too long") {
				t.Fatalf("ChooseBucket(%q): %v, want \"too long\"", s, err)
			}
		})
	}
	for s, want := range map[string]time.Duration{"106751d": 106751 * 24 * time.Hour, "15250w": 15250 * 7 * 24 * time.Hour, "2562047h": 2562047 * time.Hour} {
		if d, err := ParseDuration(s); err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, d, err, want)
		}
	}
}
