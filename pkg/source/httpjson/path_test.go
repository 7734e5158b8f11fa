package httpjson

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPathGet(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"key": "OPS-1", "fields": {"status": {"name": "Open"},
		"components": [{"name": "api"}, {"name": "db"}], "labels": ["a", "b"], "empty": []},
		"matrix": [[{"v": 1}], [{"v": 2}, {"v": 3}]]}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want any
	}{
		{"key", "OPS-1"},
		{"fields.status.name", "Open"},
		{"$.fields.status.name", "Open"},
		{"fields.components[1].name", "db"},
		{"fields.components.1.name", "db"},
		{"fields.components.name", []any{"api", "db"}},
		{"fields.components[].name", []any{"api", "db"}},
		{"fields.labels", []any{"a", "b"}},
		{"fields.labels[0]", "a"},
		{"fields.components[5].name", nil},
		{"fields.missing.name", nil},
		{"key.deeper", nil},
		{"matrix[].v", []any{1.0, 2.0, 3.0}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := ParsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Get(doc); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Get = %#v, want %#v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"a..b", "a[1", "a[x]", "a[1]b"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) should fail", bad)
		}
	}
}

func TestMappingFields(t *testing.T) {
	var item any
	if err := json.Unmarshal([]byte(`{"priority": {"name": "High"}, "urgency": "low", "labels": [{"name": "bug"}, {"name": "Sev-3"}],
		"blank": "", "alt": "second", "obj": {"a": 1}}`), &item); err != nil {
		t.Fatal(err)
	}
	m, err := ParseMapping(`
translated: {path: priority.name, values: {high: 2}}
fallback: {path: [missing, urgency], values: {low: 4}}
pattern: {path: labels.name, pattern: '(?i)sev-(\d)'}
unknown: {path: urgency, values: {high: 1}}
first_with_value: [blank, alt]
object: obj
constant: {value: eu-west-1}
`)
	if err != nil {
		t.Fatal(err)
	}
	got := m.apply(item)
	want := map[string]any{"translated": "2", "fallback": "4", "pattern": "3", "first_with_value": "second",
		"object": `{"a":1}`, "constant": "eu-west-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("apply = %#v\nwant %#v", got, want)
	}
	for _, bad := range []struct{ text, msg string }{
		{"a: [x, 1", "not valid YAML"},
		{"- a\n- b", "column: json.path"},
		{"a: {pattern: '('}", "pattern"},
		{"a: {values: {x: 1}}", "give a path"},
		{"a: 'b..c'", "empty name"},
	} {
		if _, err := ParseMapping(bad.text); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("ParseMapping(%q) = %v, want an error saying %q", bad.text, err, bad.msg)
		}
	}
}

func TestExpandURL(t *testing.T) {
	since := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	now := since.Add(90*time.Minute + 30*time.Second)
	tests := []struct{ tmpl, want string }{
		{"https://x/t?since={since}", "https://x/t?since=2026-11-24T06%3A00%3A00Z"},
		{"https://x/t?from={since_ms}&to={now_unix}", "https://x/t?from=1795500000000&to=1795505430"},
		{`https://x/s?jql=updated >= "-{since_minutes}m"`, "https://x/s?jql=updated+%3E%3D+%22-91m%22"},
		{"https://x/t?d={since:2006-01-02 15:04}", "https://x/t?d=2026-11-24+06%3A00"},
		{"https://x/{since:2006}/list", "https://x/2026/list"},
	}
	for _, tt := range tests {
		got, err := expandURL(tt.tmpl, since, now)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("expandURL(%q) = %q, want %q", tt.tmpl, got, tt.want)
		}
		if _, err := url.Parse(got); err != nil {
			t.Errorf("%q is not a URL: %v", got, err)
		}
	}
	if err := checkTemplate("https://x/t?since={sinse}"); err == nil {
		t.Error("a misspelt placeholder should be refused")
	}
}

func TestRelNext(t *testing.T) {
	tests := []struct{ header, want string }{
		{`<https://api.github.com/repositories/1300192/issues?page=2>; rel="next", <https://api.github.com/repositories/1300192/issues?page=5>; rel="last"`,
			"https://api.github.com/repositories/1300192/issues?page=2"},
		{`<https://x/a?p=1>;rel="prev",<https://x/a?p=3,4>;rel="next"`, "https://x/a?p=3,4"},
		{`<https://x/a?p=9>; rel="last"`, ""},
		{`<https://x/a?p=2>; rel=next`, "https://x/a?p=2"},
		{`<https://x/a?p=2>; title="a; b"; rel="nofollow next"`, "https://x/a?p=2"},
	}
	for _, tt := range tests {
		if got := relNext(tt.header); got != tt.want {
			t.Errorf("relNext(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}
