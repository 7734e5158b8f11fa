package duration

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second},
		{"5m", 5 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"36h", 36 * time.Hour},
		{"90m", 90 * time.Minute},
		{"1d", Day},
		{"7d", 7 * Day},
		{"2w", 2 * Week},
		{" 30d ", 30 * Day},
		{"500ms", 500 * time.Millisecond},
		// The longest of each unit.
		{"106751d", 106751 * Day},
		{"15250w", 15250 * Week},
		{"2562047h", 2562047 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		in      string
		tooLong bool
	}{
		{"", false}, {"often", false}, {"0", false}, {"0s", false}, {"0d", false}, {"-5m", false},
		{"1.5d", false}, {"d", false}, {"5 m", false},
		// Beyond what time.Duration holds (about 292 years): "too long", never wrapped
		// around into a negative duration that other checks would misname.
		{"106752d", true}, {"15251w", true}, {"2562048h", true}, {"9223372037s", true}, {"99999999999999999999d", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.in, d)
			}
			if TooLong(err) != tt.tooLong {
				t.Errorf("TooLong(Parse(%q)) = %v, want %v (%v)", tt.in, TooLong(err), tt.tooLong, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `"`+strings.TrimSpace(tt.in)+`"`) {
				t.Errorf("Parse(%q): %q does not start with the text given", tt.in, msg)
			}
			if tt.tooLong {
				if !strings.Contains(msg, "too long") || !strings.Contains(msg, "106751d") {
					t.Errorf("Parse(%q): %q, want \"too long\" and the longest, 106751d", tt.in, msg)
				}
			} else if !strings.Contains(msg, "is not a positive duration (examples: 30s, 5m, 1h, 1d)") {
				t.Errorf("Parse(%q): %q, want examples of durations", tt.in, msg)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Minute, "10m"}, {Day, "1d"}, {7 * Day, "7d"}, {30 * Day, "30d"}, {90 * time.Minute, "1h30m"},
		{2 * time.Hour, "2h"}, {90 * time.Second, "1m30s"}, {36 * time.Hour, "36h"}, {500 * time.Millisecond, "500ms"},
		{25*time.Hour + 30*time.Minute, "25h30m"},
	}
	for _, tt := range tests {
		if got := Format(tt.d); got != tt.want {
			t.Errorf("Format(%s) = %q, want %q", tt.d, got, tt.want)
		}
		// What Format writes, Parse reads back.
		if back, err := Parse(Format(tt.d)); err != nil || back != tt.d {
			t.Errorf("Parse(Format(%s)) = %v, %v", tt.d, back, err)
		}
	}
}
