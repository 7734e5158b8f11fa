package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryTicketsTable: the table for people shows the search match column only when a
// search was given; without one every row matches and the column said nothing.
func TestQueryTicketsTable(t *testing.T) {
	dir := t.TempDir()
	csv := writeTemp(t, dir, "t.csv", "id,title,severity,created\n"+
		"A-1,disk full on db-1,2,2026-11-30T10:00:00Z\n"+
		"A-2,queue backlog,3,2026-11-30T11:00:00Z\n")
	store := filepath.Join(dir, "t.db")
	if code, _, stderr := runCmd(t, "import", "--store", store, csv); code != 0 {
		t.Fatalf("import exited %d: %s", code, stderr)
	}
	tests := []struct {
		name      string
		args      []string
		wantMatch bool
	}{
		{name: "no search", wantMatch: false},
		{name: "a search", args: []string{"--search", "disk"}, wantMatch: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"query", "--store", store, "--type", "tickets", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-01T00:00:00Z"}, tt.args...)
			code, stdout, stderr := runCmd(t, args...)
			if code != 0 {
				t.Fatalf("query exited %d: %s", code, stderr)
			}
			header, _, _ := strings.Cut(stdout, "\n")
			if !strings.Contains(header, "Ticket") || !strings.Contains(stdout, "A-2") {
				t.Fatalf("not the tickets table:\n%s", stdout)
			}
			if got := strings.Contains(header, "Search match"); got != tt.wantMatch {
				t.Errorf("header %q: search match column shown = %v, want %v", header, got, tt.wantMatch)
			}
		})
	}
}
