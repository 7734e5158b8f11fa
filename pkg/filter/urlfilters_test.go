package filter

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseURLFilters(t *testing.T) {
	tests := []struct {
		name string
		// url is a var-filters value as Grafana writes it (getUrlState in grafana/scenes
		// AdHocFiltersVariableUrlSyncHandler.ts), written here by hand.
		url  string
		want AdHocFilter
	}{
		{"equality", "service|=|checkout", AdHocFilter{Key: "service", Operator: "=", Value: "checkout"}},
		{"labels are dropped", "region,Region|=~|^eu-,Europe", AdHocFilter{Key: "region", Operator: "=~", Value: "^eu-"}},
		{"escaped pipe and comma", "a__gfc__b|!=|x__gfp__y", AdHocFilter{Key: "a,b", Operator: "!=", Value: "x|y"}},
		{"escaped hash", "title|=~|issue __gfh__42", AdHocFilter{Key: "title", Operator: "=~", Value: "issue #42"}},
		{"one of", "severity|=__gfp__|1|2", AdHocFilter{Key: "severity", Operator: "=|", Value: "1", Values: []string{"1", "2"}}},
		{"none of with labels", "severity|!=__gfp__|1,Sev 1|2,Sev 2", AdHocFilter{Key: "severity", Operator: "!=|", Value: "1", Values: []string{"1", "2"}}},
		{"empty value", "resolved|=|", AdHocFilter{Key: "resolved", Operator: "=", Value: ""}},
		{"no value part", "resolved|!=", AdHocFilter{Key: "resolved", Operator: "!=", Value: ""}},
		{"origin part ignored", "service|=|api#dashboard#restorable", AdHocFilter{Key: "service", Operator: "=", Value: "api"}},
		{"a backslash is a character", `region|=~|^eu-\w+-\d$`, AdHocFilter{Key: "region", Operator: "=~", Value: `^eu-\w+-\d$`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURLFilters([]string{tt.url})
			if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Fatalf("ParseURLFilters(%q) = %+v, %v, want %+v", tt.url, got, err, tt.want)
			}
			back, err := ParseURLFilters([]string{FormatURLFilter(got[0])})
			if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], tt.want) {
				t.Fatalf("format then parse gave %+v, %v, want %+v", back, err, tt.want)
			}
		})
	}
	t.Run("empty values mean no filters", func(t *testing.T) {
		got, err := ParseURLFilters([]string{"", "service|=|a", ""})
		if err != nil || len(got) != 1 {
			t.Fatalf("got %+v, %v, want the one filter", got, err)
		}
		if got, err := ParseURLFilters([]string{""}); err != nil || len(got) != 0 {
			t.Fatalf("one empty value: got %+v, %v, want no filters", got, err)
		}
	})
}

func TestParseURLFiltersErrors(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"no key", []string{"|=|a"}, `filter 1 "|=|a": no key`},
		{"key alone", []string{"service|=|a", "service"}, `filter 2 "service": no operator`},
		{"empty operator", []string{"service||a"}, `filter 1 "service||a": no operator`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURLFilters(tt.values)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseURLFilters(%q) = %+v, %v, want an error containing %q", tt.values, got, err, tt.want)
			}
		})
	}
}
