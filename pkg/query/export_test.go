package query

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// readTSV splits a TSV export into records and undoes its escapes.
func readTSV(t *testing.T, text string) [][]string {
	t.Helper()
	unescape := strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r")
	var out [][]string
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		var rec []string
		for _, cell := range strings.Split(line, "\t") {
			rec = append(rec, unescape.Replace(cell))
		}
		out = append(out, rec)
	}
	return out
}

func readCSV(t *testing.T, text string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV export does not parse: %v", err)
	}
	return recs
}

// TestExportWritesEveryMatchingTicket exports far more tickets than a tickets panel shows,
// reads the file back as a spreadsheet would, and compares it with the data set.
func TestExportWritesEveryMatchingTicket(t *testing.T) {
	eng, env, tickets := newFixture(t)
	from, to := t0.Add(-40*time.Hour), t0.Add(time.Hour)
	// The expected records, computed from the data set: severity <= 4 (nulls fail), in
	// range, sorted by id.
	var want [][]string
	for _, ft := range tickets {
		if ft.severity == 0 || ft.severity > 4 || ft.created.Before(from) || !ft.created.Before(to) {
			continue
		}
		want = append(want, []string{ft.id, strconv.FormatFloat(ft.severity, 'f', -1, 64), ft.title, ft.created.Format(time.RFC3339), ft.description})
	}
	slices.SortFunc(want, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	if len(want) <= 3*exportPage/2 {
		t.Fatalf("the data set gives %d tickets; the test needs more than a page and far more than a panel's 200", len(want))
	}
	header := []string{"id", "severity", "title", "created", "description"}
	q := &TicketsQuery{Common: Common{Filter: "severity <= 4"}, Columns: header, Sort: []schema.SortKey{{Field: "id"}}}
	tests := []struct {
		format ExportFormat
		read   func(*testing.T, string) [][]string
	}{
		{TSV, readTSV},
		{CSV, readCSV},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Export(context.Background(), eng, env, Request{Query: q, From: from, To: to}, tt.format, &buf); err != nil {
				t.Fatal(err)
			}
			if tt.format == TSV && strings.Count(buf.String(), "\n") != len(want)+1 {
				t.Fatalf("TSV has %d lines, want one per ticket and a header (%d)", strings.Count(buf.String(), "\n"), len(want)+1)
			}
			got := tt.read(t, buf.String())
			if !slices.Equal(got[0], header) {
				t.Fatalf("header = %q, want %q", got[0], header)
			}
			got = got[1:]
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range want {
				if !slices.Equal(got[i], want[i]) {
					t.Fatalf("record %d = %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

func TestExportOptions(t *testing.T) {
	eng, env, _ := newFixture(t)
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	tests := []struct {
		name   string
		query  *TicketsQuery
		header []string
		rows   int
		check  func(t *testing.T, recs [][]string)
	}{
		{
			name:   "default columns are the table's, the limit caps the rows, newest first",
			query:  &TicketsQuery{Limit: 3},
			header: schema.Default().TableColumns(),
			rows:   3,
			check: func(t *testing.T, recs [][]string) {
				if recs[1][0] != "BURST049" || recs[3][0] != "BURST047" {
					t.Errorf("rows %q, %q; want the newest burst tickets first", recs[1][0], recs[3][0])
				}
			},
		},
		{
			name:   "a search adds the match column and removes nothing",
			query:  &TicketsQuery{Common: Common{Search: "LATENCY", AdHocFilters: []filter.AdHocFilter{{Key: "service", Operator: "=", Value: "svc-3"}}}, Columns: []string{"id", "title"}},
			header: []string{"id", "title", "match"},
			rows:   9, // svc-3 in the last hour: i = 3, 10, ..., 59
			check: func(t *testing.T, recs [][]string) {
				for _, r := range recs[1:] {
					if want := strconv.FormatBool(strings.Contains(strings.ToLower(r[1]), "latency")); r[2] != want {
						t.Errorf("%s %q: match %s, want %s", r[0], r[1], r[2], want)
					}
				}
			},
		},
		{
			name:   "nothing matches: the header alone",
			query:  &TicketsQuery{Common: Common{Filter: `service = "nope"`}, Columns: []string{"id"}},
			header: []string{"id"},
			rows:   0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Export(context.Background(), eng, env, Request{Query: tt.query, From: from, To: to}, CSV, &buf); err != nil {
				t.Fatal(err)
			}
			recs := readCSV(t, buf.String())
			if !slices.Equal(recs[0], tt.header) || len(recs)-1 != tt.rows {
				t.Fatalf("header %q and %d rows, want %q and %d", recs[0], len(recs)-1, tt.header, tt.rows)
			}
			if tt.check != nil {
				tt.check(t, recs)
			}
		})
	}
}

// failingWriter fails after n bytes, like a client that went away.
type failingWriter struct{ n int }

var errGone = errors.New("client went away")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return w.n, errGone
	}
	w.n -= len(p)
	return len(p), nil
}

func TestExportErrors(t *testing.T) {
	eng, env, _ := newFixture(t)
	from, to := t0.Add(-40*time.Hour), t0.Add(time.Hour)
	tests := []struct {
		name    string
		query   *TicketsQuery
		format  ExportFormat
		w       io.Writer
		invalid bool
		is      error
	}{
		{"unknown format", &TicketsQuery{}, "xlsx", io.Discard, true, nil},
		{"bad filter", &TicketsQuery{Common: Common{Filter: "severity <="}}, TSV, io.Discard, true, nil},
		{"unknown column", &TicketsQuery{Columns: []string{"servce"}}, CSV, io.Discard, false, engine.ErrBadRequest},
		{"negative limit", &TicketsQuery{Limit: -1}, CSV, io.Discard, true, nil},
		{"the writer fails mid-way", &TicketsQuery{}, TSV, &failingWriter{n: 100_000}, false, errGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Export(context.Background(), eng, env, Request{Query: tt.query, From: from, To: to}, tt.format, tt.w)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.invalid && !errors.Is(err, ErrInvalid) {
				t.Errorf("%v should be the user's error (ErrInvalid)", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v should wrap %v", err, tt.is)
			}
		})
	}
}

func TestParseExportFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    ExportFormat
		ctype   string
		wantErr bool
	}{
		{"tsv", TSV, "text/tab-separated-values; charset=utf-8", false},
		{" CSV ", CSV, "text/csv; charset=utf-8", false},
		{"json", "", "", true},
	}
	for _, tt := range tests {
		got, err := ParseExportFormat(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseExportFormat(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.ContentType() != tt.ctype {
			t.Errorf("%s content type %q, want %q", got, got.ContentType(), tt.ctype)
		}
	}
}
