package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/stores"
	"github.com/spacetime/tickets/pkg/ticket"
)

// runCmd runs the command line and returns its exit status and outputs.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeTemp(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// storedTickets opens the store (after the command closed it) and returns the records of
// keys that it holds.
func storedTickets(t *testing.T, spec string, keys ...string) map[string]ticket.Record {
	t.Helper()
	st, err := stores.Open(context.Background(), spec)
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	defer st.Close()
	recs, err := st.Get(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ticket.Record{}
	for _, r := range recs {
		out[r.Key] = r.Clone()
	}
	return out
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	file := writeTemp(t, dir, "tickets.csv", ""+
		"Ticket,Priority,Summary,Service,Create Date,colour\n"+
		"INC1,2,Disk full,db,2026-11-25T10:00:00Z,red\n"+
		"INC2,high,Bad severity,web,2026-11-25T10:01:00Z,red\n"+
		"INC3,3,\"Two\nlines\",web,2026-11-25T10:02:00Z,blue\n"+
		"INC4,4,Bad time,web,31/31/2020,red\n")
	db := filepath.Join(dir, "store", "tickets.db")
	code, stdout, stderr := runCmd(t, "import", "--store", db, "--quiet", "--allow-rejects", file)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		file + ": 4 records read: 2 inserted, 0 updated, 0 unchanged, 0 stale, 2 rejected",
		file + `:3: severity: "high" is not a number (key "INC2")`,
		file + `:6: created: "31/31/2020" is not a time (tried RFC 3339, unix time) (key "INC4")`,
		`ignored source columns (not in the schema; map them with --map SOURCE=COLUMN): "colour"`,
		"left empty: status, region",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if stderr != "" {
		t.Errorf("--quiet, yet stderr has %q", stderr)
	}
	got := storedTickets(t, db, "INC1", "INC2", "INC3", "INC4")
	if len(got) != 2 {
		t.Fatalf("stored %d tickets, want INC1 and INC3", len(got))
	}
	inc3 := got["INC3"]
	if v := inc3.Get("title"); v.S != "Two\nlines" {
		t.Errorf("INC3 title = %q", v.S)
	}
	if v := inc3.Get("created"); v.I != time.Date(2026, 11, 25, 10, 2, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("INC3 created = %v", v.Time())
	}

	// A second import of the same file changes nothing.
	code, stdout, _ = runCmd(t, "import", "--store", db, "--quiet", "--allow-rejects", file)
	if code != 0 || !strings.Contains(stdout, "4 records read: 0 inserted, 0 updated, 2 unchanged, 0 stale, 2 rejected") {
		t.Errorf("re-import: exit %d, stdout %q", code, stdout)
	}
}

// Two rows of one ticket with the same version: the later one wins, and importing the
// file again reports each such tie as an update (the earlier row replaces the stored one,
// then the later row replaces it back), not as unchanged. docs/sources.md quotes this.
func TestImportCommandReplayWithTies(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	file := writeTemp(t, dir, "updates.csv", `id,status,created,updated
INC1,open,2026-11-24 06:00,2026-11-24 06:00
INC1,acknowledged,2026-11-24 06:00,2026-11-24 06:05
INC1,resolved,2026-11-24 06:00,2026-11-24 06:05
INC2,open,2026-11-24 06:01,2026-11-24 06:01
`)
	for i, want := range []string{
		"4 records read: 2 inserted, 2 updated, 0 unchanged, 0 stale, 0 rejected",
		"4 records read: 0 inserted, 2 updated, 1 unchanged, 1 stale, 0 rejected",
	} {
		code, stdout, stderr := runCmd(t, "import", "--quiet", "--store", db, file)
		if code != 0 || !strings.Contains(stdout, want) {
			t.Fatalf("import %d: exit %d, stdout %q, stderr %q; want %q", i+1, code, stdout, stderr, want)
		}
		got := storedTickets(t, db, "INC1")["INC1"]
		if status := got.Values[schema.Default().Index("status")].S; status != "resolved" {
			t.Errorf("import %d: INC1 is %q, want the later row of its version, resolved", i+1, status)
		}
	}
}

func TestImportCommandOptions(t *testing.T) {
	dir := t.TempDir()
	schemaFile := writeTemp(t, dir, "schema.yaml", `
key: number
time: opened
columns:
  - {name: number, type: string}
  - {name: opened, type: time}
  - {name: urgent, type: bool}
  - {name: team, type: string}
`)
	file := writeTemp(t, dir, "export.txt", "Nr\tÖffnung\tDringend\tTeam\tjunk\n"+
		"A-1\t29/2/2016 02:16\tja\tunbekannt\tx\n"+
		"A-2\t1/3/2016 00:00\tnein\tDB\ty\n")
	db := filepath.Join(dir, "t.db")
	code, stdout, stderr := runCmd(t, "import", "--store", "file:"+db, "--schema", schemaFile, "--format", "tsv",
		"--map", "Nr=number", "--map", "Öffnung=opened", "--map", "Dringend=urgent", "--map", "junk=",
		"--null", "unbekannt", "--time-layout", "2/1/2006 15:04", "--tz", "Europe/Berlin", "--quiet", file)
	// ja/nein are not bools: are rejected, which shows --map reached the column.
	if code != 1 || !strings.Contains(stdout, `urgent: "ja" is not a bool`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "every record was rejected") {
		t.Errorf("stderr %q should say that every record was rejected", stderr)
	}
	file = writeTemp(t, dir, "export.txt", "Nr\tÖffnung\tDringend\tTeam\tjunk\n"+
		"A-1\t29/2/2016 02:16\tyes\tunbekannt\tx\n"+
		"A-2\t1/3/2016 00:00\tno\tDB\ty\n")
	code, stdout, stderr = runCmd(t, "import", "--store", "file:"+db, "--schema", schemaFile, "--format", "tsv",
		"--map", "Nr=number", "--map", "Öffnung=opened", "--map", "Dringend=urgent", "--map", "junk=",
		"--null", "unbekannt", "--time-layout", "2/1/2006 15:04", "--tz", "Europe/Berlin", "--quiet", file)
	if code != 0 || !strings.Contains(stdout, "2 inserted") || strings.Contains(stdout, "ignored") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	got := storedTickets(t, db, "A-1", "A-2")
	checks := []struct {
		key, col string
		want     ticket.Value
	}{
		{"A-1", "opened", ticket.TimeMS(time.Date(2016, 2, 29, 1, 16, 0, 0, time.UTC).UnixMilli())},
		{"A-1", "urgent", ticket.BoolOf(true)},
		{"A-1", "team", ticket.Value{}},
		{"A-2", "opened", ticket.TimeMS(time.Date(2016, 2, 29, 23, 0, 0, 0, time.UTC).UnixMilli())},
		{"A-2", "team", ticket.String("DB")},
	}
	for _, c := range checks {
		rec := got[c.key]
		if v := rec.Get(c.col); !v.Equal(c.want) {
			t.Errorf("%s %s = %+v, want %+v", c.key, c.col, v, c.want)
		}
	}
}

func TestImportCommandManyRejects(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,severity\nOK1,1\n")
	for i := range 25 {
		fmt.Fprintf(&b, "BAD%d,x%d\n", i, i)
	}
	file := writeTemp(t, dir, "t.csv", b.String())
	code, stdout, _ := runCmd(t, "import", "--store", filepath.Join(dir, "t.db"), "--quiet", "--allow-rejects", file)
	if code != 0 {
		t.Fatalf("exit %d: a file with one good record imports it", code)
	}
	lines := strings.Count(stdout, file+":")
	// The summary line, 20 rejects, the missing columns line.
	if lines != 22 || !strings.Contains(stdout, "... and 5 more\n") || !strings.Contains(stdout, file+`:22: severity: "x19"`) {
		t.Errorf("want 20 rejects listed and 5 more:\n%s", stdout)
	}
}

func TestImportCommandFailures(t *testing.T) {
	dir := t.TempDir()
	good := writeTemp(t, dir, "good.csv", "id,severity\nINC1,1\n")
	allBad := writeTemp(t, dir, "bad.csv", "id,severity\nINC1,x\nINC2,y\n")
	noKey := writeTemp(t, dir, "nokey.csv", "name,severity\nx,1\n")
	empty := writeTemp(t, dir, "empty.jsonl", "")
	unknown := writeTemp(t, dir, "tickets.xlsx", "id\nINC1\n")
	missing := filepath.Join(dir, "missing.csv")
	db := filepath.Join(dir, "t.db")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no store", []string{good}, 2, "--store is required"},
		{"no files", []string{"--store", db}, 2, "name at least one file"},
		{"bad batch", []string{"--store", db, "--batch", "0", good}, 2, "--batch must be positive"},
		{"bad format", []string{"--store", db, "--format", "xml", good}, 2, `unknown format "xml"`},
		{"bad rename", []string{"--store", db, "--map", "severity", good}, 2, "write SOURCE=COLUMN"},
		{"rename to an unknown column", []string{"--store", db, "--map", "prio=sevrity", good}, 2, `unknown field "sevrity"; did you mean "severity"?`},
		{"bad zone", []string{"--store", db, "--tz", "Mars/Olympus", good}, 2, `unknown time zone "Mars/Olympus"`},
		{"stdin without a format", []string{"--store", db, "-"}, 2, "needs --format"},
		{"unknown flag", []string{"--store", db, "--colour", good}, 2, "flag provided but not defined"},
		{"missing file", []string{"--store", db, "--quiet", missing}, 1, "no such file"},
		{"everything rejected", []string{"--store", db, "--quiet", allBad}, 1, "every record was rejected"},
		{"no key column", []string{"--store", db, "--quiet", noKey}, 1, `key column "id"`},
		{"empty file", []string{"--store", db, "--quiet", empty}, 1, "the file has no records"},
		{"unknown extension", []string{"--store", db, "--quiet", unknown}, 1, "cannot tell the format"},
		{"one good, one missing", []string{"--store", db, "--quiet", good, missing}, 1, "missing.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, append([]string{"import"}, tt.args...)...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
	// The good file of the last case went in despite the missing one.
	if got := storedTickets(t, db, "INC1"); len(got) != 1 {
		t.Errorf("the good file was not imported next to a missing one")
	}
}

// TestGenerateImportRoundTrip generates files with the command, imports them with the
// command, and checks the store against the generator's own final records.
func TestGenerateImportRoundTrip(t *testing.T) {
	const tickets = 3000
	end := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	opts := gen.Options{Tickets: tickets, End: end, Span: 7 * 24 * time.Hour, Seed: 11, Outages: 2}
	var final []ticket.Record
	if err := gen.Generate(context.Background(), opts, func(r *ticket.Record) error {
		final = append(final, r.Clone())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		file    string
		extra   []string
		updates bool
	}{
		{name: "JSONL", file: "t.jsonl"},
		{name: "CSV", file: "t.csv"},
		{name: "CSV gzip", file: "t.csv.gz"},
		{name: "JSONL update log", file: "log.jsonl", extra: []string{"--updates"}, updates: true},
		{name: "format flag over the name", file: "t.data", extra: []string{"--format", "csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, tt.file)
			args := append([]string{"generate", "--tickets", fmt.Sprint(tickets), "--end", end.Format(time.RFC3339),
				"--span", "7d", "--seed", "11", "--outages", "2", "--out", out}, tt.extra...)
			code, stdout, stderr := runCmd(t, args...)
			if code != 0 || stdout != "" {
				t.Fatalf("generate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if !strings.Contains(stderr, fmt.Sprintf("wrote %d tickets", tickets)) || strings.Count(stderr, "outage: ") != 2 {
				t.Errorf("generate's report %q", stderr)
			}
			importArgs := []string{"import", "--store", filepath.Join(dir, "t.db"), "--quiet"}
			if slices.Contains(tt.extra, "--format") {
				importArgs = append(importArgs, "--format", "csv")
			}
			code, stdout, stderr = runCmd(t, append(importArgs, out)...)
			if code != 0 {
				t.Fatalf("import: exit %d, stderr %q", code, stderr)
			}
			wantInserted := fmt.Sprintf(": %d inserted,", tickets)
			if !strings.Contains(stdout, wantInserted) || !strings.Contains(stdout, " 0 rejected") || strings.Contains(stdout, "ignored") {
				t.Errorf("import summary %q, want %q and no rejects or ignored columns", stdout, wantInserted)
			}
			if tt.updates && strings.Contains(stdout, " 0 updated") {
				t.Errorf("an update log should update tickets: %q", stdout)
			}
			keys := make([]string, len(final))
			for i := range final {
				keys[i] = final[i].Key
			}
			got := storedTickets(t, filepath.Join(dir, "t.db"), keys...)
			if len(got) != tickets {
				t.Fatalf("stored %d of %d tickets", len(got), tickets)
			}
			for i := range final {
				g := got[final[i].Key]
				if g.Version != final[i].Version || !g.SameValues(&final[i]) {
					t.Fatalf("%s: stored %v, generated %v", final[i].Key, g.Values, final[i].Values)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Errorf("the directory holds %d entries, want the data set and the store (no temporary file left)", len(entries))
			}
		})
	}
}

func TestGenerateToStdout(t *testing.T) {
	args := []string{"generate", "--tickets", "500", "--end", "2026-11-25T00:00:00Z", "--seed", "4"}
	code, first, stderr := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, second, _ := runCmd(t, args...)
	if first != second {
		t.Error("two runs with one seed and end wrote different data")
	}
	sc := bufio.NewScanner(strings.NewReader(first))
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v", lines+1, err)
		}
		if len(obj) != len(schema.Default().Columns) {
			t.Fatalf("line %d has %d keys, want the schema's %d columns", lines+1, len(obj), len(schema.Default().Columns))
		}
		lines++
	}
	if lines != 500 {
		t.Errorf("%d lines, want 500", lines)
	}

	code, out, _ := runCmd(t, "generate", "--tickets", "5", "--format", "csv", "--end", "2026-11-25")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 6 || !slices.Equal(rows[0], gen.Names()) {
		t.Errorf("CSV: exit %d, %d rows, header %q, err %v", code, len(rows), rows[0], err)
	}
}

func TestGenerateUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "--tickets must be given"},
		{[]string{"--tickets", "-5"}, "--tickets must be given and positive"},
		{[]string{"--tickets", "5", "--outages", "-1"}, "--outages must not be negative"},
		{[]string{"--tickets", "5", "--span", "forever"}, `--span: "forever" is not a positive duration`},
		{[]string{"--tickets", "5", "--end", "tomorrow"}, `--end: "tomorrow" is not a time`},
		{[]string{"--tickets", "5", "--format", "tsv"}, "generate writes jsonl or csv"},
		{[]string{"--tickets", "5", "--format", "xml"}, `unknown format "xml"`},
		{[]string{"--tickets", "5", "out.jsonl"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, append([]string{"generate"}, tt.args...)...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %d bytes, stderr %q; want 2 and %q", code, len(stdout), stderr, tt.want)
			}
		})
	}
	// A failed write leaves no file behind.
	dir := t.TempDir()
	code, _, stderr := runCmd(t, "generate", "--tickets", "5", "--out", filepath.Join(dir, "no", "such", "dir.jsonl"))
	if code != 1 || !strings.Contains(stderr, "no such file or directory") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestProgressPrinter(t *testing.T) {
	p1 := ingest.Progress{Bytes: 50, Size: 200, Records: 1000, Rejected: 2, Elapsed: 2 * time.Second}
	p2 := ingest.Progress{Bytes: 100, Size: 200, Records: 9, Elapsed: 3 * time.Second}
	tests := []struct {
		name     string
		terminal bool
		quiet    bool
		want     string
	}{
		{name: "log file", want: "import t.csv: 25% 1000 records, 2 rejected, 500 records/s\nimport t.csv: 50% 9 records, 3 records/s\n"},
		{name: "terminal", terminal: true, want: "\rimport t.csv: 25% 1000 records, 2 rejected, 500 records/s" +
			"\rimport t.csv: 50% 9 records, 3 records/s" + strings.Repeat(" ", 17) + "\r" + strings.Repeat(" ", 40) + "\r"},
		{name: "quiet", quiet: true, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := &progressPrinter{w: &buf, file: "t.csv", terminal: tt.terminal, quiet: tt.quiet}
			p.print(p1)
			p.print(p2)
			p.done()
			if buf.String() != tt.want {
				t.Errorf("printed %q\nwant    %q", buf.String(), tt.want)
			}
		})
	}
}

func TestParseZone(t *testing.T) {
	at := time.Date(2016, 2, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in         string
		wantOffset int
		wantErr    bool
	}{
		{"UTC", 0, false},
		{"Europe/Paris", 3600, false},
		{"America/New_York", -5 * 3600, false},
		{"+02:00", 2 * 3600, false},
		{"-0530", -(5*3600 + 30*60), false},
		{"UTC+3", 3 * 3600, false},
		{"+25:00", 0, true},
		{"Nowhere/Town", 0, true},
	}
	for _, tt := range tests {
		loc, err := parseZone(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseZone(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil {
			if _, off := at.In(loc).Zone(); off != tt.wantOffset {
				t.Errorf("parseZone(%q) offset %d, want %d", tt.in, off, tt.wantOffset)
			}
		}
	}
}
