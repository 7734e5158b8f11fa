package main

import (
	"fmt"
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

// TestQueryLocalizeSummary: a localize summary's number is headed by its labels as
// name=value pairs (joined as the split series' single values are, they read as a row of
// unnamed cells), and a split series is still headed by its value alone.
func TestQueryLocalizeSummary(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,title,service,region,created\n")
	for i := range 60 {
		fmt.Fprintf(&b, "B-%d,alarm,svc-%d,r-%d,2026-11-29T%02d:%02d:00Z\n", i, i%3, i%2, 10+i/30, (2*i)%60)
	}
	for i := range 40 {
		fmt.Fprintf(&b, "S-%d,alarm,checkout,r-0,2026-11-30T10:%02d:00Z\n", i, i)
	}
	csv := writeTemp(t, dir, "t.csv", b.String())
	store := filepath.Join(dir, "t.db")
	if code, _, stderr := runCmd(t, "import", "--store", store, csv); code != 0 {
		t.Fatalf("import exited %d: %s", code, stderr)
	}
	code, stdout, stderr := runCmd(t, "query", "--store", store, "--type", "localize", "--summary", "--dimensions", "service,region",
		"--baseline", "24h", "--from", "2026-11-30T10:00:00Z", "--to", "2026-11-30T11:00:00Z")
	if code != 0 {
		t.Fatalf("query exited %d: %s", code, stderr)
	}
	header, _, _ := strings.Cut(stdout, "\n")
	for _, want := range []string{"cause=service=checkout; ", "tickets=40; ", "verdict=localized"} {
		if !strings.Contains(header, want) {
			t.Errorf("header %q lacks %q", header, want)
		}
	}
	code, stdout, stderr = runCmd(t, "query", "--store", store, "--type", "counts", "--split-by", "service", "--bucket", "1h",
		"--from", "2026-11-30T10:00:00Z", "--to", "2026-11-30T11:00:00Z")
	if header, _, _ = strings.Cut(stdout, "\n"); code != 0 || !strings.Contains(header, "checkout") || strings.Contains(header, "service=") {
		t.Errorf("split counts: exit %d, header %q (%s)", code, header, stderr)
	}
}
