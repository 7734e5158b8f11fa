package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
)

const teamSchema = `
key: ref
time: opened
columns:
  - {name: ref, type: string}
  - {name: opened, type: time}
  - {name: team, type: string, facet: true}
  - {name: title, type: text}
`

// TestStoreRemembersSchema: a store imported with a schema of its own is queried, imported
// into again and printed without --schema, with the schema it records; a --schema that
// differs gets a warning that says how. Before, `query` without --schema read such a
// store with the built-in schema, and answered zeros (or "unknown field") with no warning.
func TestStoreRemembersSchema(t *testing.T) {
	dir := t.TempDir()
	t.Run("embedded", func(t *testing.T) { checkStoreRemembersSchema(t, dir, filepath.Join(dir, "tickets.db")) })
	t.Run("dynamodb", func(t *testing.T) {
		server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
		t.Setenv("AWS_ACCESS_KEY_ID", "test")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
		t.Setenv("AWS_CA_BUNDLE", "")
		spec := "dynamodb://schema-memory?region=eu-west-1&endpoint=" + server.Endpoint
		if code, stdout, stderr := runCmd(t, "migrate", "--store", spec); code != 0 {
			t.Fatalf("migrate: exit %d: %s %s", code, stdout, stderr)
		}
		checkStoreRemembersSchema(t, t.TempDir(), spec)
	})
}

func checkStoreRemembersSchema(t *testing.T, dir, spec string) {
	custom := writeTemp(t, dir, "team.yaml", teamSchema)
	builtIn := writeTemp(t, dir, "default.yaml", string(schema.DefaultText()))
	first := writeTemp(t, dir, "first.csv", "ref,opened,team,title\nT-1,2026-11-20T10:00:00Z,db,disk full\nT-2,2026-11-20T10:05:00Z,net,link down\n")
	if code, stdout, stderr := runCmd(t, "import", "--store", spec, "--schema", custom, first); code != 0 || stderr != "" {
		t.Fatalf("import --schema: exit %d: %s %s", code, stdout, stderr)
	}
	// Imported again without --schema: the store's schema maps the team column.
	second := writeTemp(t, dir, "second.csv", "ref,opened,team,title\nT-3,2026-11-20T11:00:00Z,db,dns\n")
	if code, stdout, stderr := runCmd(t, "import", "--store", spec, second); code != 0 || stderr != "" || !strings.Contains(stdout, "1 inserted") {
		t.Fatalf("import without --schema: exit %d: %s %s", code, stdout, stderr)
	}

	code, stdout, stderr := runCmd(t, "query", "--store", spec, "--type", "breakdown", "--field", "team", "--format", "tsv")
	if code != 0 || stderr != "" || !strings.Contains(stdout, "db\t2") || !strings.Contains(stdout, "net\t1") {
		t.Fatalf("query without --schema: exit %d, stdout %q, stderr %q; want db 2 and net 1, no warning", code, stdout, stderr)
	}
	code, _, stderr = runCmd(t, "query", "--store", spec, "--schema", builtIn, "--type", "stats")
	if code != 0 || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, `the key column is "id", not "ref"`) ||
		!strings.Contains(stderr, "spacetime import") {
		t.Errorf("query with another --schema: exit %d, stderr %q; want a warning saying how it differs", code, stderr)
	}
	if _, _, stderr = runCmd(t, "query", "--store", spec, "--schema", custom, "--type", "stats"); stderr != "" {
		t.Errorf("query with the store's own schema: stderr %q; want no warning", stderr)
	}

	code, printed, stderr := runCmd(t, "schema", "--store", spec)
	if code != 0 {
		t.Fatalf("schema --store: exit %d, %s", code, stderr)
	}
	back, err := schema.Parse([]byte(printed))
	want, _ := schema.Load(custom)
	if err != nil || back.Hash() != want.Hash() {
		t.Errorf("schema --store printed %q (%v); want the imported schema", printed, err)
	}
	if code, _, stderr := runCmd(t, "schema", "--check", custom, "--store", spec); code != 0 {
		t.Errorf("schema --check of the store's schema: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "schema", "--check", builtIn, "--store", spec); code != 1 || !strings.Contains(stderr, "lacks the column(s)") {
		t.Errorf("schema --check of another schema: exit %d, %q; want 1 saying how it differs", code, stderr)
	}

	// An import with another schema says so, and the store records that one from then on.
	other := writeTemp(t, dir, "other.yaml", teamSchema+"  - {name: region, type: string}\n")
	if code, _, stderr := runCmd(t, "import", "--store", spec, "--schema", other, second); code != 0 || !strings.Contains(stderr, `adds the column(s) "region"`) {
		t.Errorf("import with another --schema: exit %d, stderr %q; want a warning", code, stderr)
	}
	if _, printed, _ := runCmd(t, "schema", "--store", spec); !strings.Contains(printed, `"region"`) {
		t.Errorf("after an import with another schema the store records %s", printed)
	}
}

// TestImportTypoCreatesNoStore: with the store's schema read before the import, a --map
// typo still creates no store.
func TestImportTypoCreatesNoStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "new.db")
	csv := writeTemp(t, dir, "t.csv", "id,title,severity,created\nD-1,x,2,2026-11-20T10:00:00Z\n")
	if code, _, stderr := runCmd(t, "import", "--store", db, "--map", "title=nosuch", csv); code != 2 || !strings.Contains(stderr, "nosuch") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the store was created: %v", err)
	}
}

// TestIngestRecordsSchema: `spacetime ingest` records the schema it writes with; without
// schema: in its file it uses the store's, and with another one it says how it differs.
func TestIngestRecordsSchema(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	plain := writeTemp(t, dir, "plain.yaml", "store: "+db+"\nsource: {type: demo, demo: {backfill: 1h}}\n")
	if code, stdout, stderr := runCmd(t, "ingest", "--config", plain, "--once"); code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("ingest: exit %d: %s %s", code, stdout, stderr)
	}
	_, printed, _ := runCmd(t, "schema", "--store", db)
	if s, err := schema.Parse([]byte(printed)); err != nil || s.Hash() != schema.Default().Hash() {
		t.Fatalf("after an ingest with the built-in schema the store records %q (%v)", printed, err)
	}
	w := schema.Default()
	w.Columns = append(w.Columns, schema.Column{Name: "team", Type: schema.String})
	wider := writeTemp(t, dir, "wider.json", string(w.Canonical()))
	withSchema := writeTemp(t, dir, "with.yaml", "store: "+db+"\nschema: "+wider+"\nsource: {type: demo, demo: {backfill: 1h}}\n")
	if code, _, stderr := runCmd(t, "ingest", "--config", withSchema, "--once"); code != 0 || !strings.Contains(stderr, `adds the column(s) "team"`) {
		t.Fatalf("ingest with another schema: exit %d, stderr %q; want a warning", code, stderr)
	}
	// Without schema: the store's (the wider one) is used: no warning, and it stays.
	if code, _, stderr := runCmd(t, "ingest", "--config", plain, "--once"); code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("ingest without schema: exit %d, stderr %q", code, stderr)
	}
	if _, printed, _ := runCmd(t, "schema", "--store", db); !strings.Contains(printed, `"team"`) {
		t.Errorf("the store records %s; want the wider schema still", printed)
	}
}
