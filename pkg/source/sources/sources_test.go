package sources_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source/sources"
)

func TestBuildFromSettings(t *testing.T) {
	tests := []struct {
		name     string
		json     string
		secrets  sources.Secrets
		wantDesc string
		err      string
	}{
		{"no source", `{}`, sources.Secrets{}, "", ""},
		{"none", `{"type": "none"}`, sources.Secrets{}, "", ""},
		{"demo", `{"type": "demo", "interval": "1m", "demo": {"backfill": "7d"}}`, sources.Secrets{}, "demo generator", ""},
		{"jira with basic auth", `{"type": "http", "interval": "5s", "http": {"preset": "jira", "url": "https://example.atlassian.net", "auth": "basic", "username": "me@example.com"}}`,
			sources.Secrets{HTTPPassword: "tok"}, "Jira at https://example.atlassian.net", ""},
		{"custom with a mapping", `{"type": "http", "http": {"preset": "custom", "url": "https://t.example.com/api?since={since}", "mapping": "id: key\ntitle: fields.summary"}}`,
			sources.Secrets{}, "HTTP API at https://t.example.com/api", ""},
		{"files", `{"type": "files", "files": {"dir": "/var/lib/grafana/inbox"}}`, sources.Secrets{}, "files in /var/lib/grafana/inbox", ""},
		{"unknown type", `{"type": "kafka"}`, sources.Secrets{}, "", `unknown source "kafka"`},
		{"bad interval", `{"type": "demo", "interval": "soon"}`, sources.Secrets{}, "", "source.interval"},
		{"interval too short", `{"type": "demo", "interval": "100ms"}`, sources.Secrets{}, "", "shorter than the shortest interval"},
		{"bad backfill", `{"type": "demo", "demo": {"backfill": "a week"}}`, sources.Secrets{}, "", "source.demo.backfill"},
		{"http without URL", `{"type": "http", "http": {"preset": "github"}}`, sources.Secrets{}, "", "needs a URL"},
		{"bearer without token", `{"type": "http", "http": {"preset": "github", "url": "https://api.github.com/repos/a/b", "auth": "bearer"}}`, sources.Secrets{}, "", "httpToken"},
		{"header without value", `{"type": "http", "http": {"url": "https://x.example.com", "auth": "header", "headerName": "X-Key"}}`, sources.Secrets{}, "", "httpHeaderValue"},
		{"unknown preset", `{"type": "http", "http": {"preset": "zendesk", "url": "https://x.example.com"}}`, sources.Secrets{}, "", `unknown preset "zendesk"`},
		{"mapping to an unknown column", `{"type": "http", "http": {"preset": "jira", "url": "https://x.atlassian.net", "mapping": "sevrity: fields.priority.id"}}`, sources.Secrets{}, "", `did you mean "severity"`},
		{"custom mapping without the key", `{"type": "http", "http": {"url": "https://x.example.com", "mapping": "title: summary"}}`, sources.Secrets{}, "", "no line for the key column"},
		{"bad mapping YAML", `{"type": "http", "http": {"url": "https://x.example.com", "mapping": "id: [a"}}`, sources.Secrets{}, "", "source.http.mapping"},
		{"a URL that is not http", `{"type": "http", "http": {"url": "ftp://x.example.com"}}`, sources.Secrets{}, "", "not an http"},
		{"a stray brace", `{"type": "http", "http": {"url": "https://x.example.com/t?since={sinc}"}}`, sources.Secrets{}, "", "placeholder"},
		{"relative files dir", `{"type": "files", "files": {"dir": "inbox"}}`, sources.Secrets{}, "", "absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var set sources.Settings
			if err := json.Unmarshal([]byte(tt.json), &set); err != nil {
				t.Fatal(err)
			}
			src, err := sources.Build(schema.Default(), set, tt.secrets, sources.Options{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantDesc == "" {
				if src != nil {
					t.Fatalf("got a source %q, want none", src.Describe())
				}
				return
			}
			if src == nil || !strings.HasPrefix(src.Describe(), tt.wantDesc) {
				t.Fatalf("source %v, want %q", src, tt.wantDesc)
			}
		})
	}
}

func TestKeyAndTiming(t *testing.T) {
	a := sources.Settings{Type: "http", Interval: "1m", HTTP: sources.HTTPSettings{Preset: "jira", URL: "https://a.atlassian.net"}}
	b := a
	b.Interval = "5s"
	c := a
	c.HTTP.URL = "https://b.atlassian.net"
	if a.Key() != b.Key() {
		t.Error("changing the interval must keep the watermark")
	}
	if a.Key() == c.Key() {
		t.Error("another ticket system must have its own watermark")
	}
	tm, err := b.Timing()
	if err != nil || tm.Interval != 5*time.Second || tm.Overlap != 5*time.Minute {
		t.Errorf("timing %+v (%v), want 5s and the default overlap", tm, err)
	}
	if (sources.Settings{}).Kind() != "none" {
		t.Error("no type means none")
	}
	if tm.LeaseTTL != 30*time.Second {
		t.Errorf("lease %s, want the default 30s", tm.LeaseTTL)
	}
	d := a
	d.Lease = "2m"
	if a.Key() != d.Key() {
		t.Error("changing the lease must keep the watermark")
	}
	if tm, err := d.Timing(); err != nil || tm.LeaseTTL != 2*time.Minute {
		t.Errorf("timing %+v (%v), want a 2m lease", tm, err)
	}
	for lease, want := range map[string]string{"soon": "source.lease", "500ms": "shorter than the shortest lease, 1s"} {
		d.Lease = lease
		if _, err := d.Timing(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("lease %q: error %v, want one saying %q", lease, err, want)
		}
	}
}
