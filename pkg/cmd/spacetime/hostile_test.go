package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The file: four records, the second with a quote that never closes. It used to
// read as "2 records read" and exit 0, the last two records swallowed into the broken one.
func TestImportUnclosedQuoteRejectsOneRecordAndFails(t *testing.T) {
	dir := t.TempDir()
	file := writeTemp(t, dir, "t.csv", "id,severity,title,created\n"+
		"INC1,2,ok,2026-11-25T10:00:00Z\n"+
		"INC2,2,\"unclosed,2026-11-25T10:01:00Z\n"+
		"INC3,3,fine,2026-11-25T10:02:00Z\n"+
		"INC4,4,also fine,2026-11-25T10:03:00Z\n")
	db := filepath.Join(dir, "t.db")
	code, stdout, stderr := runCmd(t, "import", "--store", db, "--quiet", file)
	if code != 1 {
		t.Errorf("exit %d, want 1: a record was rejected", code)
	}
	if want := file + ": 4 records read: 3 inserted, 0 updated, 0 unchanged, 0 stale, 1 rejected"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if want := file + ":3: malformed CSV: the quote opened on line 3 is never closed"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if want := "1 of 4 records rejected"; !strings.Contains(stderr, want) || !strings.Contains(stderr, "--allow-rejects") {
		t.Errorf("stderr %q, want %q and the flag that accepts it", stderr, want)
	}
	if got := storedTickets(t, db, "INC1", "INC2", "INC3", "INC4"); len(got) != 3 || got["INC2"].Key != "" {
		t.Errorf("stored %d tickets, want INC1, INC3 and INC4", len(got))
	}
	// --allow-rejects accepts a partial import, and says what it left out.
	code, stdout, stderr = runCmd(t, "import", "--store", db, "--quiet", "--allow-rejects", file)
	if code != 0 || !strings.Contains(stdout, "1 rejected") || stderr != "" {
		t.Errorf("--allow-rejects: exit %d, stdout %q, stderr %q; want 0", code, stdout, stderr)
	}
}

// An import whose files cannot be read writes nothing, and creates no store.
func TestImportOfMissingFilesCreatesNoStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "new", "t.db")
	unknown := writeTemp(t, dir, "tickets.xlsx", "id\nINC1\n")
	for _, files := range [][]string{{filepath.Join(dir, "missing.csv")}, {unknown}, {filepath.Join(dir, "a.csv"), unknown}} {
		code, _, stderr := runCmd(t, append([]string{"import", "--store", db, "--quiet"}, files...)...)
		if code != 1 || !strings.Contains(stderr, filepath.Base(files[0])) {
			t.Errorf("%v: exit %d, stderr %q; want 1 naming the file", files, code, stderr)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Fatalf("%v: the import left a store behind (%v)", files, err)
		}
		if _, err := os.Stat(filepath.Dir(db)); !os.IsNotExist(err) {
			t.Fatalf("%v: the import left the store's directory behind (%v)", files, err)
		}
	}
}

// A reading command never creates a store: a mistyped --store is an error naming the path,
// not an empty store that answers zeros.
func TestQueryDoesNotCreateAStore(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "tickest.db")
	code, stdout, stderr := runCmd(t, "query", "--store", typo, "--type", "stats")
	if code == 0 || !strings.Contains(stderr, typo) || !strings.Contains(stderr, "no store") {
		t.Errorf("exit %d, stdout %q, stderr %q; want an error naming %s", code, stdout, stderr, typo)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("query created %s (%v)", typo, err)
	}
	nested := filepath.Join(dir, "no", "such", "dir", "t.db")
	if code, _, _ := runCmd(t, "query", "--store", nested, "--type", "stats"); code == 0 {
		t.Errorf("query of %s succeeded", nested)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !os.IsNotExist(err) {
		t.Errorf("query created directories for %s (%v)", nested, err)
	}
}
