package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDashboardsCommand(t *testing.T) {
	dir := t.TempDir()
	out, alerts := filepath.Join(dir, "dashboards"), filepath.Join(dir, "alerting")
	args := []string{"dashboards", "--out", out, "--alerts", alerts}

	if code, _, stderr := runCmd(t, append(args, "--check")...); code != 1 || !strings.Contains(stderr, "spacetime-overview.json") {
		t.Fatalf("--check before writing: exit %d, %q; want 1 naming the missing files", code, stderr)
	}
	if code, stdout, stderr := runCmd(t, args...); code != 0 || strings.Count(stdout, "wrote ") != 3 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want three files written", code, stdout, stderr)
	}
	for _, p := range []string{filepath.Join(out, "spacetime-overview.json"), filepath.Join(out, "spacetime-ticket.json"), filepath.Join(alerts, "spacetime-rules.yml")} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if code, _, stderr := runCmd(t, append(args, "--check")...); code != 0 {
		t.Fatalf("--check after writing: exit %d, %q", code, stderr)
	}
	writeTemp(t, alerts, "spacetime-rules.yml", "apiVersion: 1\n")
	if code, _, stderr := runCmd(t, append(args, "--check")...); code != 1 || !strings.Contains(stderr, "spacetime-rules.yml") {
		t.Fatalf("--check after an edit: exit %d, %q; want 1 naming the file", code, stderr)
	}

	schemaFile := writeTemp(t, dir, "schema.yaml", "key: id\ntime: t\ncolumns:\n  - {name: id, type: string}\n  - {name: t, type: time}\n  - {name: team, type: string, facet: true}\n")
	if code, _, _ := runCmd(t, "dashboards", "--schema", schemaFile, "--out", out, "--alerts", alerts, "--charts", "team:bar"); code != 0 {
		t.Fatalf("a schema of its own with --charts: exit %d", code)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad charts", []string{"--charts", "team"}, 2, "FIELD:pie"},
		{"chart not a facet", []string{"--charts", "title:pie"}, 1, `"title" is not a facet`},
		{"stray argument", []string{"extra"}, 2, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, append([]string{"dashboards", "--out", out, "--alerts", alerts}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, %q; want %d saying %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}
