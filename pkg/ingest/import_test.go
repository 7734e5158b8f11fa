package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

func openStore(t testing.TB) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "tickets.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if strings.HasSuffix(name, ".gz") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		data = buf.Bytes()
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// stored returns the stored records of keys, by key.
func stored(t testing.TB, st store.Store, keys ...string) map[string]ticket.Record {
	t.Helper()
	recs, err := st.Get(context.Background(), keys)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	out := make(map[string]ticket.Record, len(recs))
	for _, r := range recs {
		out[r.Key] = r.Clone()
	}
	return out
}

// sample is a ticket as a source writes it, with the values import must make of it.
type sample struct {
	id, severity, title, status, service, created, updated string
	want                                                   map[string]ticket.Value
	wantVersion                                            int64
}

var feb29 = utc(2016, 2, 29, 1, 16, 0, 0)

var samples = []sample{
	{
		id: "INC1", severity: "2", title: "Disk full, again", status: "open", service: "db",
		created: "2016-02-29T01:16:00Z", updated: "2016-02-29T01:20:00.250+00:00",
		want: map[string]ticket.Value{
			"severity": ticket.Number(2), "title": ticket.String("Disk full, again"), "status": ticket.String("open"),
			"service": ticket.String("db"), "created": ticket.TimeMS(feb29), "updated": ticket.TimeMS(feb29 + 4*60000 + 250),
			"region": {}, "resolved": {},
		},
		wantVersion: feb29 + 4*60000 + 250,
	},
	{
		id: "INC2", severity: "", title: `A "quoted" word`, status: "resolved", service: "web",
		created: "1456708560", updated: "1456708560123",
		want: map[string]ticket.Value{
			"severity": {}, "title": ticket.String(`A "quoted" word`), "status": ticket.String("resolved"),
			"service": ticket.String("web"), "created": ticket.TimeMS(feb29), "updated": ticket.TimeMS(feb29 + 123),
		},
		wantVersion: feb29 + 123,
	},
	{
		id: "INC3", severity: "5", title: "Ünïcode ✓", status: "acknowledged", service: "N/A",
		created: "2016-02-29", updated: "2016-02-29 01:16:00",
		want: map[string]ticket.Value{
			"severity": ticket.Number(5), "title": ticket.String("Ünïcode ✓"), "service": {},
			"created": ticket.TimeMS(utc(2016, 2, 29, 0, 0, 0, 0)), "updated": ticket.TimeMS(feb29),
		},
		wantVersion: feb29,
	},
}

// Source column names as another system writes them: the default schema's From aliases
// and near names map them.
var sampleHeader = []string{"Ticket", "Priority", "Summary", "State", "Service", "Create Date", "updated_at"}

func (s sample) fields() []string {
	return []string{s.id, s.severity, s.title, s.status, s.service, s.created, s.updated}
}

func samplesCSV(t testing.TB) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(sampleHeader)
	for _, s := range samples {
		_ = w.Write(s.fields())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func samplesTSV() []byte {
	var b strings.Builder
	b.WriteString(strings.Join(sampleHeader, "\t") + "\r\n")
	for _, s := range samples {
		b.WriteString(strings.Join(s.fields(), "\t") + "\n")
	}
	return []byte(b.String())
}

func samplesJSONL(t testing.TB) []byte {
	var b bytes.Buffer
	for i, s := range samples {
		obj := map[string]any{}
		for j, name := range sampleHeader {
			obj[name] = s.fields()[j]
		}
		if s.severity != "" {
			obj["Priority"] = json.Number(s.severity)
		} else {
			obj["Priority"] = nil
		}
		if i == 1 {
			// a number in the source stays exact: milliseconds as a JSON number
			obj["updated_at"] = json.Number(s.updated)
		}
		line, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteString("\n")
		if i == 0 {
			b.WriteString("\n") // a blank line is skipped
		}
	}
	return b.Bytes()
}

func TestImportFormats(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		data   func(t testing.TB) []byte
		format ingest.Format
	}{
		{name: "CSV", file: "tickets.csv", data: samplesCSV},
		{name: "CSV gzip", file: "tickets.csv.gz", data: samplesCSV},
		{name: "TSV", file: "tickets.tsv", data: func(testing.TB) []byte { return samplesTSV() }},
		{name: "JSONL", file: "tickets.jsonl", data: samplesJSONL},
		{name: "NDJSON gzip", file: "tickets.ndjson.gz", data: samplesJSONL},
		{name: "format given, gzip without its extension", file: "export.data", data: samplesJSONL, format: ingest.JSONL},
	}
	s := schema.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data(t)
			path := writeFile(t, tt.file, data)
			if tt.format != "" {
				// Compress under a name that says nothing: the magic bytes tell.
				path = writeFile(t, tt.file+".gz", data)
				if err := os.Rename(path, filepath.Join(filepath.Dir(path), tt.file)); err != nil {
					t.Fatal(err)
				}
				path = filepath.Join(filepath.Dir(path), tt.file)
			}
			st := openStore(t)
			rep, err := ingest.ImportFile(context.Background(), path, s, ingest.Options{Format: tt.format}, st.Upsert)
			if err != nil {
				t.Fatalf("ImportFile: %v", err)
			}
			if rep.Rows != 3 || rep.Records != 3 || rep.Rejected != 0 || rep.Result.Inserted != 3 {
				t.Fatalf("report = %+v, want 3 rows and records, 3 inserted, no rejects (rejects: %v)", rep, rep.Rejects)
			}
			got := stored(t, st, "INC1", "INC2", "INC3")
			for _, smp := range samples {
				rec, ok := got[smp.id]
				if !ok {
					t.Fatalf("%s is not stored", smp.id)
				}
				if rec.Version != smp.wantVersion {
					t.Errorf("%s version = %d, want %d", smp.id, rec.Version, smp.wantVersion)
				}
				if v := rec.Get("id"); v.S != smp.id {
					t.Errorf("%s id column = %+v", smp.id, v)
				}
				for col, want := range smp.want {
					if v := rec.Get(col); !v.Equal(want) {
						t.Errorf("%s %s = %+v, want %+v", smp.id, col, v, want)
					}
				}
			}
			if len(rep.Unmapped) != 0 {
				t.Errorf("unmapped = %+v, want none", rep.Unmapped)
			}
			if !contains(rep.Missing, "region") || contains(rep.Missing, "title") {
				t.Errorf("missing = %q: want region (not in the file) and not title", rep.Missing)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestImportRejects(t *testing.T) {
	type wantReject struct {
		line   int
		key    string
		reason string
	}
	tests := []struct {
		name         string
		file         string
		text         string
		wantKeys     []string
		wantRejects  []wantReject
		wantLines    int
		wantUnmapped []string
	}{
		{
			name: "CSV",
			file: "t.csv",
			text: "id,severity,title,created,colour\n" + // 1
				"INC1,2,ok,2020-01-01T00:00:00Z,red\n" + // 2
				"INC2,high,bad severity,2020-01-01T00:00:00Z,red\n" + // 3
				"INC3,3,\"a title\n" + // 4
				"over two lines\",2020-01-01T00:00:00Z,blue\n" + // 5
				"INC4,3,bad time,31/31/2020,red\n" + // 6
				"INC5,3,\"bad \"quote\",2020-01-01T00:00:00Z,red\n" + // 7
				"N/A,3,no key,2020-01-01T00:00:00Z,red\n" + // 8
				"INC6,3,too,many,fields,red\n" + // 9
				"\n" + // 10: blank, skipped
				"INC7,1,last,2020-01-02T00:00:00Z,red", // 11, no line end
			wantKeys: []string{"INC1", "INC3", "INC7"},
			wantRejects: []wantReject{
				{3, "INC2", `severity: "high" is not a number`},
				{6, "INC4", `created: "31/31/2020" is not a time (tried RFC 3339, unix time)`},
				{7, "", `malformed CSV: extraneous or missing " in quoted-field (line 7, column`},
				{8, "", "id: the key is missing"},
				{9, "", "the row has 6 fields, the header has 5"},
			},
			wantLines:    11,
			wantUnmapped: []string{"colour"},
		},
		{
			// The file: the quote opened on line 3 is never closed, and used to
			// swallow every record after it ("2 records read").
			name: "CSV unclosed quote to the end",
			file: "t.csv",
			text: "id,severity,title,created\n" + // 1
				"INC1,2,ok,2020-01-01T00:00:00Z\n" + // 2
				"INC2,2,\"unclosed,2020-01-01T00:00:00Z\n" + // 3
				"INC3,3,fine,2020-01-01T00:00:00Z\n" + // 4
				"INC4,4,also fine,2020-01-01T00:00:00Z\n", // 5
			wantKeys: []string{"INC1", "INC3", "INC4"},
			wantRejects: []wantReject{
				{3, "", "the quote opened on line 3 is never closed"},
			},
			wantLines: 5,
		},
		{
			// The unclosed quote runs into a quoted field lines later, where the CSV
			// reader finds a quote it cannot read: the records in between come back.
			name: "CSV unclosed quote up to a later quote",
			file: "t.csv",
			text: "id,severity,title,created\n" + // 1
				"INC1,2,\"unclosed,2020-01-01T00:00:00Z\n" + // 2
				"\n" + // 3
				"INC2,3,fine,2020-01-01T00:00:00Z\n" + // 4
				"INC3,3,\"quoted, properly\",2020-01-01T00:00:00Z\n" + // 5
				"INC4,3,\"two\nlines\",2020-01-01T00:00:00Z\n" + // 6, 7
				"INC5,5,\"unclosed at the end", // 8
			wantKeys: []string{"INC2", "INC3", "INC4"},
			wantRejects: []wantReject{
				{2, "", "the quote opened on line 2 is never closed"},
				{8, "", "the quote opened on line 8 is never closed"},
			},
			wantLines: 8,
		},
		{
			name: "TSV",
			file: "t.tsv",
			text: "id\tseverity\ttitle\n" +
				"INC1\t2\tok\n" +
				"INC2\t2\n" +
				"INC3\tx\tbad\n" +
				"INC4\t4\t\"quotes are text\"\n",
			wantKeys: []string{"INC1", "INC4"},
			wantRejects: []wantReject{
				{3, "", "the row has 2 fields, the header has 3"},
				{4, "INC3", `severity: "x" is not a number`},
			},
			wantLines: 5,
		},
		{
			name: "JSONL",
			file: "t.jsonl",
			text: `{"id":"A1","severity":1,"created":"2020-01-01T00:00:00Z"}` + "\n" + // 1
				`{"id":"A2","severity":"x"}` + "\n" + // 2
				"\n" + // 3
				`{"id":"A3", bad json}` + "\n" + // 4
				`[1,2]` + "\n" + // 5
				`{"id":"A4","created":1577836800,"extra":{"deep":true}}` + "\n" + // 6
				`{"id":"A5"} {"id":"A6"}` + "\n" + // 7
				`{"severity":2}` + "\n" + // 8
				`{"id":"A7","title":"unclosed` + "\n" + // 9
				`{"id":"A8",}` + "\n" + // 10
				`{"id" "A9"}` + "\n" + // 11
				`{"id":A10}` + "\n" + // 12
				`{"id":"A11","title":"first","title":"last","tags":["a",1,true,null]}` + "\n", // 13
			wantKeys: []string{"A1", "A4", "A11"},
			wantRejects: []wantReject{
				{2, "A2", `severity: "x" is not a number`},
				{4, "", `malformed JSON: expects " or n, but found b`},
				{5, "", "malformed JSON: the line is not a JSON object"},
				{7, "", "malformed JSON: more after the object"},
				{8, "", "id: the key is missing"},
				{9, "", "malformed JSON"},
				{10, "", "malformed JSON"},
				{11, "", "malformed JSON"},
				{12, "", "malformed JSON"},
			},
			wantLines:    13,
			wantUnmapped: []string{"extra.deep", "tags"},
		},
	}
	s := schema.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, []byte(tt.text))
			st := openStore(t)
			rep, err := ingest.ImportFile(context.Background(), path, s, ingest.Options{}, st.Upsert)
			if err != nil {
				t.Fatalf("ImportFile: %v", err)
			}
			if rep.Rejected != len(tt.wantRejects) || len(rep.Rejects) != len(tt.wantRejects) {
				t.Fatalf("rejected %d, listed %v; want %d", rep.Rejected, rep.Rejects, len(tt.wantRejects))
			}
			for i, w := range tt.wantRejects {
				got := rep.Rejects[i]
				if got.Line != w.line || got.Key != w.key || !strings.Contains(got.Reason, w.reason) {
					t.Errorf("reject %d = %+v, want line %d, key %q, a reason containing %q", i, got, w.line, w.key, w.reason)
				}
			}
			if rep.Records != len(tt.wantKeys) || rep.Result.Inserted != len(tt.wantKeys) {
				t.Errorf("records %d, inserted %d; want %d", rep.Records, rep.Result.Inserted, len(tt.wantKeys))
			}
			if rep.Rows != rep.Records+rep.Rejected {
				t.Errorf("rows %d != records %d + rejected %d", rep.Rows, rep.Records, rep.Rejected)
			}
			if rep.Lines != tt.wantLines {
				t.Errorf("lines = %d, want %d", rep.Lines, tt.wantLines)
			}
			got := stored(t, st, tt.wantKeys...)
			if len(got) != len(tt.wantKeys) {
				t.Errorf("stored %d of %q", len(got), tt.wantKeys)
			}
			var unmapped []string
			for _, u := range rep.Unmapped {
				unmapped = append(unmapped, u.Name)
			}
			if strings.Join(unmapped, ",") != strings.Join(tt.wantUnmapped, ",") {
				t.Errorf("unmapped = %q, want %q", unmapped, tt.wantUnmapped)
			}
		})
	}
}

func TestImportKeepsTheFirstRejects(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,severity\n")
	for i := range 50 {
		fmt.Fprintf(&b, "INC%d,bad%d\n", i, i)
	}
	path := writeFile(t, "t.csv", []byte(b.String()))
	rep, err := ingest.ImportFile(context.Background(), path, schema.Default(), ingest.Options{KeepRejects: 5}, openStore(t).Upsert)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected != 50 || len(rep.Rejects) != 5 || rep.Rejects[4].Line != 6 || rep.Records != 0 {
		t.Fatalf("rejected %d, kept %+v, records %d; want 50 rejected, the first 5 kept", rep.Rejected, rep.Rejects, rep.Records)
	}
}

func TestImportWithoutKeyColumn(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             []string
	}{
		{"CSV", "t.csv", "number_of_it,title\nINC1,x\n", []string{`key column "id"`, `"number_of_it", "title"`}},
		{"TSV", "t.tsv", "title\tsev\nx\t1\n", []string{`key column "id"`, `"title", "sev"`}},
		{"JSONL", "t.jsonl", `{"title":"x","sev":1}` + "\n" + `{"id":"INC2"}` + "\n", []string{"line 1", `key column "id"`, `"sev", "title"`}},
		{"empty CSV", "t.csv", "", []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, []byte(tt.text))
			calls := 0
			sink := func(context.Context, []ticket.Record) (store.UpsertResult, error) {
				calls++
				return store.UpsertResult{}, nil
			}
			_, err := ingest.ImportFile(context.Background(), path, schema.Default(), ingest.Options{}, sink)
			if err == nil {
				t.Fatal("ImportFile accepted a file without a key column")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q should contain %q", err, w)
				}
			}
			if calls != 0 {
				t.Errorf("the sink was called %d times", calls)
			}
		})
	}
}

func TestImportRenamesAndOptions(t *testing.T) {
	csvText := "Nummer,Prio,Eröffnet,Gruppe,Notiz\n" +
		"T-1,unbekannt,29/2/2016 02:16,DB,x\n" +
		"T-2,2,1/3/2016 00:00,unbekannt,y\n"
	path := writeFile(t, "t.csv", []byte(csvText))
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	opts := ingest.Options{Map: ingest.MapOptions{
		Renames:  map[string]string{"Nummer": "id", "Prio": "severity", "Eröffnet": "created", "Gruppe": "assignee_group", "Notiz": ""},
		Nulls:    []string{"unbekannt"},
		Layouts:  []string{"2/1/2006 15:04"},
		Location: paris,
	}}
	st := openStore(t)
	rep, err := ingest.ImportFile(context.Background(), path, schema.Default(), opts, st.Upsert)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 2 || rep.Rejected != 0 || len(rep.Unmapped) != 0 {
		t.Fatalf("report = %+v", rep)
	}
	got := stored(t, st, "T-1", "T-2")
	checks := []struct {
		key, col string
		want     ticket.Value
	}{
		{"T-1", "severity", ticket.Value{}},
		{"T-1", "created", ticket.TimeMS(feb29)},
		{"T-1", "assignee_group", ticket.String("DB")},
		{"T-2", "severity", ticket.Number(2)},
		{"T-2", "created", ticket.TimeMS(utc(2016, 2, 29, 23, 0, 0, 0))},
		{"T-2", "assignee_group", ticket.Value{}},
	}
	for _, c := range checks {
		rec := got[c.key]
		if v := rec.Get(c.col); !v.Equal(c.want) {
			t.Errorf("%s %s = %+v, want %+v", c.key, c.col, v, c.want)
		}
	}
}

func TestImportFormatErrors(t *testing.T) {
	path := writeFile(t, "tickets.json", []byte(`{"id":"x"}`))
	_, err := ingest.ImportFile(context.Background(), path, schema.Default(), ingest.Options{}, openStore(t).Upsert)
	if err == nil || !strings.Contains(err.Error(), "cannot tell the format") {
		t.Errorf("error = %v, want cannot tell the format", err)
	}
	_, err = ingest.ImportFile(context.Background(), filepath.Join(t.TempDir(), "none.csv"), schema.Default(), ingest.Options{}, openStore(t).Upsert)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want a file that does not exist", err)
	}
}

// generated returns the tickets of opts, cloned, in the order Generate emits them.
func generated(t testing.TB, opts gen.Options) []ticket.Record {
	t.Helper()
	var out []ticket.Record
	err := gen.Generate(context.Background(), opts, func(r *ticket.Record) error {
		out = append(out, r.Clone())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeJSONL(t testing.TB, recs []ticket.Record) string {
	t.Helper()
	var buf bytes.Buffer
	w := gen.NewJSONLWriter(&buf)
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "log.jsonl", buf.Bytes())
}

// TestImportUpdateLog imports every version of every ticket and checks that the store
// ends with the final version of each, whether the log is in order or reversed, and
// whatever the batch boundaries.
func TestImportUpdateLog(t *testing.T) {
	base := gen.Options{Tickets: 2000, End: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), Span: 7 * 24 * time.Hour, Seed: 3, Outages: 1}
	final := generated(t, base)
	withUpdates := base
	withUpdates.Updates = true
	log := generated(t, withUpdates)
	if len(log) <= len(final)*3/2 {
		t.Fatalf("the update log has %d versions of %d tickets: too few updates to test", len(log), len(final))
	}
	reversed := append([]ticket.Record(nil), log...)
	sort.SliceStable(reversed, func(i, j int) bool { return reversed[i].Version > reversed[j].Version })

	tests := []struct {
		name      string
		recs      []ticket.Record
		batch     int
		wantStale int
		wantUpd   int
	}{
		{name: "in order", recs: log, batch: 7, wantUpd: len(log) - len(final)},
		{name: "in order, one batch", recs: log, batch: len(log), wantUpd: len(log) - len(final)},
		{name: "newest first", recs: reversed, batch: 100, wantStale: len(log) - len(final)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeJSONL(t, tt.recs)
			st := openStore(t)
			rep, err := ingest.ImportFile(context.Background(), path, schema.Default(), ingest.Options{BatchSize: tt.batch}, st.Upsert)
			if err != nil {
				t.Fatal(err)
			}
			want := store.UpsertResult{Inserted: len(final), Updated: tt.wantUpd, Stale: tt.wantStale}
			if rep.Result != want || rep.Rejected != 0 {
				t.Fatalf("result = %+v (rejected %d), want %+v", rep.Result, rep.Rejected, want)
			}
			keys := make([]string, len(final))
			for i := range final {
				keys[i] = final[i].Key
			}
			got := stored(t, st, keys...)
			for i := range final {
				f := &final[i]
				g, ok := got[f.Key]
				if !ok {
					t.Fatalf("%s is not stored", f.Key)
				}
				if g.Version != f.Version || !g.SameValues(f) {
					t.Fatalf("%s: stored %v@%d, want the final version %v@%d", f.Key, g.Values, g.Version, f.Values, f.Version)
				}
			}
		})
	}
}

func TestImportSinkError(t *testing.T) {
	var b strings.Builder
	b.WriteString("id\n")
	for i := range 100 {
		fmt.Fprintf(&b, "INC%d\n", i)
	}
	path := writeFile(t, "t.csv", []byte(b.String()))
	calls := 0
	sink := func(_ context.Context, recs []ticket.Record) (store.UpsertResult, error) {
		calls++
		if calls == 2 {
			return store.UpsertResult{}, errors.New("disk full")
		}
		return store.UpsertResult{Inserted: len(recs)}, nil
	}
	rep, err := ingest.ImportFile(context.Background(), path, schema.Default(), ingest.Options{BatchSize: 10}, sink)
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "lines 12-21") {
		t.Fatalf("error = %v, want the sink's error with the lines of its batch", err)
	}
	if rep.Result.Inserted != 10 || calls != 2 {
		t.Errorf("inserted %d in %d calls, want 10 in 2: the import must stop at the first error", rep.Result.Inserted, calls)
	}
}

func TestImportCancelled(t *testing.T) {
	path := writeFile(t, "t.csv", []byte("id\nINC1\nINC2\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := openStore(t)
	_, err := ingest.ImportFile(ctx, path, schema.Default(), ingest.Options{}, st.Upsert)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if got := stored(t, st, "INC1", "INC2"); len(got) != 0 {
		t.Errorf("a cancelled import stored %d tickets", len(got))
	}
}

// TestImportMemoryStaysFlat imports a generated file many times larger than a batch and
// checks that the heap does not grow with the file.
func TestImportMemoryStaysFlat(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 40_000
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := gen.Options{Tickets: n, End: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Seed: 1, Outages: 2}
	if err := gen.WriteCSV(context.Background(), f, opts); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapAlloc
	var (
		mu       sync.Mutex
		peak     uint64
		calls    int
		received int
		progress []ingest.Progress
	)
	sink := func(_ context.Context, recs []ticket.Record) (store.UpsertResult, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		received += len(recs)
		if calls%4 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return store.UpsertResult{Inserted: len(recs)}, nil
	}
	start := time.Now()
	rep, err := ingest.ImportFile(context.Background(), path, schema.Default(), ingest.Options{
		Progress: func(p ingest.Progress) { progress = append(progress, p) },
	}, sink)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != n || received != n || rep.Rejected != 0 || rep.Result.Inserted != n {
		t.Fatalf("records %d, received %d, rejected %d (%v); want %d", rep.Records, received, rep.Rejected, rep.Rejects, n)
	}
	growth := int64(peak) - int64(baseline)
	// Two batches of 5000 records of about 500 bytes are a few MB; the garbage collector
	// lets the heap reach twice the live data. The file is far larger than the bound.
	const bound = 32 << 20
	t.Logf("file %d MB, heap growth at peak %.1f MB, %d progress reports in %v", fi.Size()>>20, float64(growth)/(1<<20), len(progress), elapsed)
	if growth > bound {
		t.Errorf("the heap grew by %d MB importing a %d MB file; want under %d MB", growth>>20, fi.Size()>>20, bound>>20)
	}
	if !testing.Short() && fi.Size() < 2*bound {
		t.Errorf("the file (%d MB) is too small to show that memory stays flat", fi.Size()>>20)
	}
	// At most one progress report a second, each further than the last.
	if limit := int(elapsed/time.Second) + 1; len(progress) > limit {
		t.Errorf("%d progress reports in %v, want at most %d", len(progress), elapsed, limit)
	}
	for i, p := range progress {
		if p.Size != fi.Size() || p.Bytes > p.Size || p.Rows < p.Records {
			t.Errorf("progress %d = %+v is inconsistent with the file size %d", i, p, fi.Size())
		}
		if i > 0 && (p.Rows <= progress[i-1].Rows || p.Elapsed-progress[i-1].Elapsed < time.Second) {
			t.Errorf("progress %d = %+v does not follow %+v by a second", i, p, progress[i-1])
		}
	}
}

func TestImportJSONLValues(t *testing.T) {
	text := `{"id":12345678901234567890,"title":"first","title":"last","fields":{"status":{"name":"Open"}},` +
		`"tags":["a",1,true,null],"resolved":null,"created":"2016-02-29T01:16:00Z","severity":"\u0033"}` + "\n"
	path := writeFile(t, "t.jsonl", []byte(text))
	st := openStore(t)
	opts := ingest.Options{Map: ingest.MapOptions{Renames: map[string]string{"fields.status.name": "status", "tags": "category"}}}
	rep, err := ingest.ImportFile(context.Background(), path, schema.Default(), opts, st.Upsert)
	if err != nil || rep.Records != 1 {
		t.Fatalf("ImportFile: %v, report %+v", err, rep)
	}
	// A JSON number as the key keeps all its digits: it is never a float64.
	got := stored(t, st, "12345678901234567890")["12345678901234567890"]
	checks := map[string]ticket.Value{
		"title":    ticket.String("last"),
		"status":   ticket.String("Open"),
		"category": ticket.String("a, 1, true"),
		"resolved": {},
		"created":  ticket.TimeMS(feb29),
		"severity": ticket.Number(3),
	}
	for col, want := range checks {
		if v := got.Get(col); !v.Equal(want) {
			t.Errorf("%s = %+v, want %+v", col, v, want)
		}
	}
}

// A quote that stays open for more than the longest record (16 MiB) is rejected there, in
// bounded memory, and the lines it ran over are read as the records they are.
func TestImportCSVUnclosedQuoteRunningPastTheLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,severity,title,created\n")
	b.WriteString("INC0,2,\"unclosed,2020-01-01T00:00:00Z\n")
	long := strings.Repeat("x", 1<<20)
	const n = 18
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "INC%d,3,%s,2020-01-01T00:00:00Z\n", i, long)
	}
	path := writeFile(t, "long.csv", []byte(b.String()))
	keys := map[string]bool{}
	sink := func(_ context.Context, recs []ticket.Record) (store.UpsertResult, error) {
		for _, r := range recs {
			keys[r.Key] = true
		}
		return store.UpsertResult{Inserted: len(recs)}, nil
	}
	rep, err := ingest.ImportFile(context.Background(), path, schema.Default(), ingest.Options{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected != 1 || rep.Rejects[0].Line != 2 || !strings.Contains(rep.Rejects[0].Reason, "the quote opened on line 2 is never closed within 16 MiB") {
		t.Fatalf("rejects %d %+v, want line 2's quote never closed within 16 MiB", rep.Rejected, rep.Rejects)
	}
	if rep.Records != n || len(keys) != n || !keys["INC1"] || !keys[fmt.Sprintf("INC%d", n)] {
		t.Errorf("%d records (%d keys), want the %d after the broken one", rep.Records, len(keys), n)
	}
}
