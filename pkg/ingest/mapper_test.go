package ingest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// testSchema has a column of every type, a time column with a day-first layout, and a
// version column, so that each conversion can be checked on its own.
const testSchema = `
key: id
version: updated
time: created
nulls: ["", "N/A"]
columns:
  - {name: id, type: string, from: [ticket]}
  - {name: title, type: text, from: [summary]}
  - {name: severity, type: number, from: [sev, priority]}
  - {name: created, type: time, layouts: ["2/1/2006 15:04"], from: [opened_at]}
  - {name: updated, type: time}
  - {name: flagged, type: bool}
  - {name: assignee_group, type: string}
`

var testHeader = []string{"id", "title", "severity", "created", "updated", "flagged", "assignee_group"}

func mustSchema(t testing.TB, text string) *schema.Schema {
	t.Helper()
	s, err := schema.Parse([]byte(text))
	if err != nil {
		t.Fatalf("parse the test schema: %v", err)
	}
	return s
}

func utc(y int, mo time.Month, d, h, mi, s, ms int) int64 {
	return time.Date(y, mo, d, h, mi, s, ms*int(time.Millisecond), time.UTC).UnixMilli()
}

// TestConvert checks each value form through MapRow: a row of valid values with one cell
// replaced by the case's text.
func TestConvert(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("load Europe/Paris: %v", err)
	}
	feb29 := utc(2016, time.February, 29, 1, 16, 0, 0)
	tests := []struct {
		name    string
		column  string
		raw     string
		opts    ingest.MapOptions
		want    ticket.Value
		wantErr string
	}{
		{name: "string kept as is", column: "assignee_group", raw: "  DB team ", want: ticket.String("  DB team ")},
		{name: "string null token", column: "assignee_group", raw: "N/A", want: ticket.Value{}},
		{name: "null token with spaces", column: "assignee_group", raw: " N/A ", want: ticket.Value{}},
		{name: "empty string is a schema null token", column: "title", raw: "", want: ticket.Value{}},
		{name: "extra null token", column: "assignee_group", raw: "unknown", opts: ingest.MapOptions{Nulls: []string{"unknown"}}, want: ticket.Value{}},
		{name: "null tokens are exact", column: "assignee_group", raw: "n/a", want: ticket.String("n/a")},
		{name: "invalid UTF-8 replaced", column: "title", raw: "caf\xe9 down", want: ticket.String("caf\uFFFD down")},
		{name: "number", column: "severity", raw: "3", want: ticket.Number(3)},
		{name: "number with spaces and fraction", column: "severity", raw: " 2.5 ", want: ticket.Number(2.5)},
		{name: "negative exponent number", column: "severity", raw: "-1e2", want: ticket.Number(-100)},
		{name: "number null token", column: "severity", raw: "N/A", want: ticket.Value{}},
		{name: "blank number is null", column: "severity", raw: "   ", want: ticket.Value{}},
		{name: "not a number", column: "severity", raw: "high", wantErr: `severity: "high" is not a number`},
		{name: "NaN is not a number", column: "severity", raw: "NaN", wantErr: `severity: "NaN" is not a number`},
		{name: "RFC 3339 UTC", column: "created", raw: "2016-02-29T01:16:00Z", want: ticket.TimeMS(feb29)},
		{name: "RFC 3339 fraction and offset", column: "created", raw: "2016-02-29T02:16:00.123+01:00", want: ticket.TimeMS(feb29 + 123)},
		{name: "RFC 3339 without zone is UTC", column: "created", raw: "2016-02-29T01:16:00", want: ticket.TimeMS(feb29)},
		{name: "without zone in the given zone", column: "created", raw: "2016-02-29T02:16:00", opts: ingest.MapOptions{Location: paris}, want: ticket.TimeMS(feb29)},
		{name: "zone in the text wins over the option", column: "created", raw: "2016-02-29T01:16:00Z", opts: ingest.MapOptions{Location: paris}, want: ticket.TimeMS(feb29)},
		{name: "space for T", column: "created", raw: "2016-02-29 01:16:00", want: ticket.TimeMS(feb29)},
		{name: "space for T with fraction", column: "created", raw: "2016-02-29 01:16:00.5", want: ticket.TimeMS(feb29 + 500)},
		{name: "Jira offset without colon", column: "created", raw: "2016-02-29T01:16:00.000+0000", want: ticket.TimeMS(feb29)},
		{name: "date only", column: "created", raw: "2016-02-29", want: ticket.TimeMS(utc(2016, time.February, 29, 0, 0, 0, 0))},
		{name: "unix seconds", column: "created", raw: "1456708560", want: ticket.TimeMS(feb29)},
		{name: "unix milliseconds", column: "created", raw: "1456708560123", want: ticket.TimeMS(feb29 + 123)},
		{name: "unix seconds with fraction", column: "created", raw: "1456708560.25", want: ticket.TimeMS(feb29 + 250)},
		{name: "day-first layout of the column", column: "created", raw: "29/2/2016 01:16", want: ticket.TimeMS(feb29)},
		{name: "day-first layout in the given zone", column: "created", raw: "29/2/2016 02:16", opts: ingest.MapOptions{Location: paris}, want: ticket.TimeMS(feb29)},
		{name: "extra layout for a column without one", column: "updated", raw: "Feb 29, 2016 at 1:16am", opts: ingest.MapOptions{Layouts: []string{"Jan 2, 2006 at 3:04pm"}}, want: ticket.TimeMS(feb29)},
		{name: "time null token", column: "created", raw: "N/A", want: ticket.Value{}},
		{name: "not a time, with the layouts tried", column: "created", raw: "31/31/2020", wantErr: `created: "31/31/2020" is not a time (tried RFC 3339, unix time, 2/1/2006 15:04)`},
		{name: "not a time, extra layouts listed", column: "updated", raw: "soon", opts: ingest.MapOptions{Layouts: []string{"02.01.2006"}}, wantErr: `updated: "soon" is not a time (tried RFC 3339, unix time, 02.01.2006)`},
		{name: "day out of range", column: "created", raw: "2015-02-29", wantErr: `created: "2015-02-29" is not a time`},
		{name: "unix time out of range", column: "created", raw: "1e300", wantErr: `created: "1e300" is out of range`},
		{name: "bool yes", column: "flagged", raw: "yes", want: ticket.BoolOf(true)},
		{name: "bool F", column: "flagged", raw: "F", want: ticket.BoolOf(false)},
		{name: "bool 1", column: "flagged", raw: "1", want: ticket.BoolOf(true)},
		{name: "bool TRUE", column: "flagged", raw: "TRUE", want: ticket.BoolOf(true)},
		{name: "bool No", column: "flagged", raw: "No", want: ticket.BoolOf(false)},
		{name: "not a bool", column: "flagged", raw: "maybe", wantErr: `flagged: "maybe" is not a bool`},
		{name: "long value cut in the message", column: "severity", raw: strings.Repeat("x", 500), wantErr: `... (500 bytes) is not a number`},
	}
	s := mustSchema(t, testSchema)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ingest.NewMapper(s, testHeader, tt.opts)
			if err != nil {
				t.Fatalf("NewMapper: %v", err)
			}
			row := []string{"INC1", "a title", "2", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", "false", "db"}
			col := s.Index(tt.column)
			row[col] = tt.raw
			rec, err := m.MapRow(row)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("MapRow error = %v, want one containing %q", err, tt.wantErr)
				}
				var re *ingest.RecordError
				if !errors.As(err, &re) || re.Key != "INC1" {
					t.Errorf("the error should be a *RecordError with the key INC1, got %#v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("MapRow: %v", err)
			}
			if got := rec.Values[col]; !got.Equal(tt.want) {
				t.Errorf("%s = %+v, want %+v", tt.column, got, tt.want)
			}
		})
	}
}

func TestKeyAndVersion(t *testing.T) {
	numVersion := strings.Replace(testSchema, "version: updated", "version: severity", 1)
	tests := []struct {
		name        string
		schema      string
		id, version string // version goes into the updated column, or severity with numVersion
		wantKey     string
		wantVersion int64
		wantErr     string
	}{
		{name: "time version in milliseconds", schema: testSchema, id: "INC1", version: "2016-02-29T01:16:00.5Z", wantKey: "INC1", wantVersion: utc(2016, 2, 29, 1, 16, 0, 500)},
		{name: "null version is zero", schema: testSchema, id: "INC1", version: "", wantKey: "INC1", wantVersion: 0},
		{name: "number version", schema: numVersion, id: "INC2", version: "42", wantKey: "INC2", wantVersion: 42},
		{name: "fractional number version", schema: numVersion, id: "INC2", version: "4.5", wantErr: "severity: 4.5 is not a whole number"},
		{name: "null key", schema: testSchema, id: "N/A", version: "", wantErr: "id: the key is missing"},
		{name: "key too long", schema: testSchema, id: strings.Repeat("k", ingest.MaxKeyLen+1), version: "", wantErr: "id: the key is 1025 bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSchema(t, tt.schema)
			m, err := ingest.NewMapper(s, testHeader, ingest.MapOptions{})
			if err != nil {
				t.Fatalf("NewMapper: %v", err)
			}
			row := []string{tt.id, "t", "3", "2020-01-01", "", "", ""}
			row[s.Index(s.Version)] = tt.version
			rec, err := m.MapRow(row)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("MapRow error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("MapRow: %v", err)
			}
			if rec.Key != tt.wantKey || rec.Version != tt.wantVersion {
				t.Errorf("key, version = %q, %d; want %q, %d", rec.Key, rec.Version, tt.wantKey, tt.wantVersion)
			}
			if rec.Layout != m.Layout() || rec.Layout.Len() != len(s.Columns) {
				t.Errorf("the record should share the mapper's layout of the schema's columns")
			}
		})
	}
}

func TestEmptyKeyWithoutNullToken(t *testing.T) {
	// Without "" among the null tokens an empty key is a string, and still must not reach
	// the store, which refuses a whole batch for one empty key.
	s := mustSchema(t, strings.Replace(testSchema, `nulls: ["", "N/A"]`, `nulls: ["N/A"]`, 1))
	m, err := ingest.NewMapper(s, testHeader, ingest.MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.MapRow([]string{"", "t", "3", "2020-01-01", "", "", ""})
	if err == nil || !strings.Contains(err.Error(), "id: the key is empty") {
		t.Fatalf("MapRow error = %v, want the key is empty", err)
	}
}

func TestHeaderMapping(t *testing.T) {
	tests := []struct {
		name         string
		header       []string
		renames      map[string]string
		want         map[string]string // schema column -> the header name it takes
		wantUnmapped []string
		wantMissing  []string
	}{
		{
			name:   "exact names",
			header: testHeader,
			want: map[string]string{"id": "id", "title": "title", "severity": "severity", "created": "created",
				"updated": "updated", "flagged": "flagged", "assignee_group": "assignee_group"},
			wantUnmapped: nil,
			wantMissing:  nil,
		},
		{
			name:         "source names from the schema",
			header:       []string{"ticket", "summary", "sev", "opened_at", "other"},
			want:         map[string]string{"id": "ticket", "title": "summary", "severity": "sev", "created": "opened_at"},
			wantUnmapped: []string{"other"},
			wantMissing:  []string{"updated", "flagged", "assignee_group"},
		},
		{
			name:   "case, spaces and dashes do not matter",
			header: []string{"ID", "Assignee Group", "FLAGGED", "Opened-At"},
			want:   map[string]string{"id": "ID", "assignee_group": "Assignee Group", "flagged": "FLAGGED", "created": "Opened-At"},
		},
		{
			name:         "an exact name beats a source name",
			header:       []string{"ticket", "id"},
			want:         map[string]string{"id": "id"},
			wantUnmapped: []string{"ticket"},
		},
		{
			name:         "a rename beats an exact name",
			header:       []string{"id", "number", "sev"},
			renames:      map[string]string{"number": "id"},
			want:         map[string]string{"id": "number", "severity": "sev"},
			wantUnmapped: []string{"id"},
		},
		{
			name:    "a rename to nothing drops a column quietly",
			header:  []string{"id", "junk"},
			renames: map[string]string{"junk": ""},
			want:    map[string]string{"id": "id"},
		},
	}
	s := mustSchema(t, testSchema)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ingest.NewMapper(s, tt.header, ingest.MapOptions{Renames: tt.renames})
			if err != nil {
				t.Fatalf("NewMapper: %v", err)
			}
			// Each cell expected to fill a column holds a value of that column's type that
			// tells the cells apart; the other cells hold text no typed column accepts.
			byHeader := map[string]string{}
			for col, src := range tt.want {
				byHeader[src] = col
			}
			row := make([]string, len(tt.header))
			want := map[string]ticket.Value{}
			for i, h := range tt.header {
				row[i] = "not a value"
				col, ok := byHeader[h]
				if !ok {
					continue
				}
				c, found := s.Column(col)
				if !found {
					t.Fatalf("bad test: no column %q", col)
				}
				switch c.Type {
				case schema.String, schema.Text:
					row[i], want[col] = h, ticket.String(h)
				case schema.Number:
					row[i], want[col] = "7", ticket.Number(7)
				case schema.Time:
					row[i], want[col] = "2020-01-02", ticket.TimeMS(utc(2020, 1, 2, 0, 0, 0, 0))
				case schema.Bool:
					row[i], want[col] = "yes", ticket.BoolOf(true)
				}
			}
			rec, err := m.MapRow(row)
			if err != nil {
				t.Fatalf("MapRow: %v", err)
			}
			for col, w := range want {
				if got := rec.Get(col); !got.Equal(w) {
					t.Errorf("%s = %+v, want %+v from %q", col, got, w, tt.want[col])
				}
			}
			var unmapped []string
			for _, u := range m.Unmapped() {
				unmapped = append(unmapped, u.Name)
			}
			if strings.Join(unmapped, ",") != strings.Join(tt.wantUnmapped, ",") {
				t.Errorf("unmapped = %q, want %q", unmapped, tt.wantUnmapped)
			}
			if tt.wantMissing != nil && strings.Join(m.Missing(), ",") != strings.Join(tt.wantMissing, ",") {
				t.Errorf("missing = %q, want %q", m.Missing(), tt.wantMissing)
			}
			missing := map[string]bool{}
			for _, c := range m.Missing() {
				missing[c] = true
			}
			for col := range tt.want {
				if missing[col] {
					t.Errorf("%s is reported missing, but %q fills it", col, tt.want[col])
				}
			}
		})
	}
}

func TestUnmappedReason(t *testing.T) {
	s := mustSchema(t, testSchema)
	m, err := ingest.NewMapper(s, []string{"ticket", "id", "colour"}, ingest.MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := m.Unmapped()
	if len(got) != 2 || got[0].Name != "ticket" || got[1].Name != "colour" {
		t.Fatalf("unmapped = %+v, want ticket then colour", got)
	}
	if !strings.Contains(got[0].Reason, `"id"`) {
		t.Errorf("the reason for ticket should name the column that won: %q", got[0].Reason)
	}
}

func TestHeaderWithoutKey(t *testing.T) {
	s := mustSchema(t, testSchema)
	_, err := ingest.NewMapper(s, []string{"name", "severity", "created"}, ingest.MapOptions{})
	if err == nil {
		t.Fatal("NewMapper accepted a header without a key column")
	}
	for _, want := range []string{`key column "id"`, "ticket", `"name", "severity", "created"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q should contain %q", err, want)
		}
	}
}

func TestRenameToUnknownColumn(t *testing.T) {
	s := mustSchema(t, testSchema)
	_, err := ingest.NewMapper(s, testHeader, ingest.MapOptions{Renames: map[string]string{"prio": "sevrity"}})
	if err == nil || !strings.Contains(err.Error(), `unknown field "sevrity"`) || !strings.Contains(err.Error(), `"severity"`) {
		t.Fatalf("error = %v, want an unknown field with a suggestion", err)
	}
}

func TestParseRename(t *testing.T) {
	tests := []struct {
		in, src, dst string
		ok           bool
	}{
		{"Ticket Number=id", "Ticket Number", "id", true},
		{" a = b ", "a", "b", true},
		{"junk=", "junk", "", true},
		{"=id", "", "", false},
		{"noequals", "", "", false},
	}
	for _, tt := range tests {
		src, dst, err := ingest.ParseRename(tt.in)
		if (err == nil) != tt.ok || src != tt.src || dst != tt.dst {
			t.Errorf("ParseRename(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.in, src, dst, err, tt.src, tt.dst, tt.ok)
		}
	}
}

func TestMapObject(t *testing.T) {
	s := mustSchema(t, testSchema)
	renames := map[string]string{
		"key":                    "id",
		"fields.summary":         "title",
		"fields.priority.id":     "severity",
		"fields.created":         "created",
		"fields.labels":          "assignee_group",
		"fields.status.category": "",
	}
	m, err := ingest.NewMapper(s, nil, ingest.MapOptions{Renames: renames})
	if err != nil {
		t.Fatal(err)
	}
	text := `{"key": "PROJ-12345678901234567890", "fields": {"summary": "disk full",
		"priority": {"id": 2, "name": "High"}, "created": "2016-02-29T01:16:00.000+0000",
		"labels": ["db", "eu", null], "status": {"category": "open"}, "watchers": []}}`
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	rec, err := m.MapObject(obj)
	if err != nil {
		t.Fatalf("MapObject: %v", err)
	}
	checks := map[string]ticket.Value{
		"id":             ticket.String("PROJ-12345678901234567890"),
		"title":          ticket.String("disk full"),
		"severity":       ticket.Number(2),
		"created":        ticket.TimeMS(utc(2016, 2, 29, 1, 16, 0, 0)),
		"assignee_group": ticket.String("db, eu"),
		"flagged":        {},
	}
	for col, want := range checks {
		if got := rec.Get(col); !got.Equal(want) {
			t.Errorf("%s = %+v, want %+v", col, got, want)
		}
	}
	var unmapped []string
	for _, u := range m.Unmapped() {
		unmapped = append(unmapped, u.Name)
	}
	joined := "," + strings.Join(unmapped, ",") + ","
	for _, want := range []string{"fields.priority.name", "fields.watchers"} {
		if !strings.Contains(joined, ","+want+",") {
			t.Errorf("unmapped %q should include %q", unmapped, want)
		}
	}
	if strings.Contains(joined, "fields.status.category") {
		t.Errorf("a dropped name is reported as unmapped: %q", unmapped)
	}
}
