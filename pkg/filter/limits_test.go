package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestFilterSizeLimits(t *testing.T) {
	conditions := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("title contains \"w%d\"", i)
		}
		return strings.Join(parts, " or ")
	}
	list := func(n int) string {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprintf("%d", i)
		}
		return "sev in (" + strings.Join(vals, ",") + ")"
	}
	tests := []struct {
		name    string
		text    string
		wantErr string
	}{
		{"at the condition limit", conditions(MaxConditions), ""},
		{"past the condition limit", conditions(MaxConditions + 1), "the filter has 257 conditions; a filter may have at most 256"},
		{"the 1.2 MB filter that once killed the plugin", conditions(45_000), "bytes long; a filter may be at most 65536 bytes"},
		{"longer than the text limit", strings.Repeat(" ", MaxLength) + "a = 1", "the filter is 65541 bytes long; a filter may be at most 65536 bytes"},
		{"a list at its limit", list(MaxListValues), ""},
		{"a list past its limit", list(MaxListValues + 1), "the filter has 10001 values in one list; a filter may have at most 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.text)
			if err == nil {
				err = Limit(e)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLimitCountsAdHocFilters(t *testing.T) {
	var many []Expr
	for i := range MaxConditions + 10 {
		many = append(many, &Compare{Field: "service", Op: Eq, Value: Literal{Kind: LitString, S: fmt.Sprint(i)}})
	}
	var le *LimitError
	if err := Limit(All(many...)); !errors.As(err, &le) || le.Got != MaxConditions+10 {
		t.Fatalf("got %v, want a LimitError counting %d conditions", err, MaxConditions+10)
	}
}
