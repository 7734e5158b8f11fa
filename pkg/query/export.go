package query

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
)

// ExportFormat is a file format of Export.
type ExportFormat string

const (
	// TSV is tab-separated values: a header of column names, one line per ticket, and a
	// tab, newline, carriage return or backslash inside a value written as \t, \n, \r or
	// \\, so that every ticket is exactly one line.
	TSV ExportFormat = "tsv"
	// CSV is comma-separated values as RFC 4180 writes them (encoding/csv): values with
	// commas, quotes or line breaks are quoted.
	CSV ExportFormat = "csv"
)

// ParseExportFormat reads a format name, ignoring case.
func ParseExportFormat(s string) (ExportFormat, error) {
	switch f := ExportFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case TSV, CSV:
		return f, nil
	}
	return "", invalidf("unknown export format %q; use tsv or csv", s)
}

// ContentType is the media type of the format, for an HTTP response.
func (f ExportFormat) ContentType() string {
	if f == CSV {
		return "text/csv; charset=utf-8"
	}
	return "text/tab-separated-values; charset=utf-8"
}

// exportPage is how many tickets Export reads from the engine at a time: enough that the
// store reads their detail columns in few round trips, few enough that an export of a
// million tickets never holds them all in memory.
const exportPage = 1000

// Export writes every ticket that the request's query selects to w as TSV or CSV: a header
// of column names, then one record per ticket, in the query's sort order. It reads the
// query as a tickets query whatever its queryType: its filter, ad hoc filters, default
// filter, time field and range, columns (default: the schema's table columns, the key
// first) and sort. Unlike a tickets panel, its limit is unbounded unless the query sets
// one. With a search, a last column "match" says whether each ticket matches it.
//
// Export streams: it reads and writes a page of tickets at a time and flushes each, so a
// backend resource can pass its response writer. Times are RFC 3339 in UTC, numbers are
// plain decimals, nulls are empty. An error before the first byte is written is the
// query's (wrapping ErrInvalid or engine.ErrBadRequest) or the engine's; later ones are
// the writer's.
func Export(ctx context.Context, eng *engine.Engine, env *Env, r Request, format ExportFormat, w io.Writer) error {
	if format != TSV && format != CSV {
		return invalidf("unknown export format %q; use tsv or csv", format)
	}
	q, ok := r.Query.(*TicketsQuery)
	if !ok {
		return invalidf("an export is of a tickets query")
	}
	if err := q.Check(); err != nil {
		return err
	}
	scope, err := env.scope(r)
	if err != nil {
		return err
	}
	out := newRecordWriter(format, w)
	withMatch := q.Search != ""
	first := true
	err = eng.TicketPages(ctx, engine.TicketsRequest{Scope: scope, Columns: q.Columns, Sort: q.Sort, Limit: q.Limit}, exportPage,
		func(page *engine.TicketsResult) error {
			record := make([]string, len(page.Columns), len(page.Columns)+1)
			if first {
				first = false
				for i, c := range page.Columns {
					record[i] = c.Name
				}
				if withMatch {
					record = append(record, frames.MatchField)
				}
				if err := out.write(record); err != nil {
					return err
				}
			}
			for row := range page.Matches {
				record = record[:len(page.Columns)]
				for i := range page.Columns {
					record[i] = exportCell(&page.Columns[i], row)
				}
				if withMatch {
					record = append(record, strconv.FormatBool(page.Matches[row]))
				}
				if err := out.write(record); err != nil {
					return err
				}
			}
			return out.flush()
		})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// exportCell formats one value for a file.
func exportCell(c *engine.Column, i int) string {
	if i < len(c.Nulls) && c.Nulls[i] {
		return ""
	}
	switch {
	case c.Numbers != nil:
		return strconv.FormatFloat(c.Numbers[i], 'f', -1, 64)
	case c.Times != nil:
		return c.Times[i].UTC().Format(time.RFC3339Nano)
	case c.Bools != nil:
		return strconv.FormatBool(c.Bools[i])
	}
	return c.Strings[i]
}

// recordWriter writes records in one format, buffered.
type recordWriter struct {
	csv *csv.Writer
	tsv *bufio.Writer
}

func newRecordWriter(format ExportFormat, w io.Writer) *recordWriter {
	if format == CSV {
		return &recordWriter{csv: csv.NewWriter(w)}
	}
	return &recordWriter{tsv: bufio.NewWriterSize(w, 64<<10)}
}

// tsvEscaper keeps a value on one line and within its column.
var tsvEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func (rw *recordWriter) write(record []string) error {
	if rw.csv != nil {
		if err := rw.csv.Write(record); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		return nil
	}
	for i, v := range record {
		if i > 0 {
			if err := rw.tsv.WriteByte('\t'); err != nil {
				return fmt.Errorf("write tsv: %w", err)
			}
		}
		if _, err := tsvEscaper.WriteString(rw.tsv, v); err != nil {
			return fmt.Errorf("write tsv: %w", err)
		}
	}
	if err := rw.tsv.WriteByte('\n'); err != nil {
		return fmt.Errorf("write tsv: %w", err)
	}
	return nil
}

func (rw *recordWriter) flush() error {
	if rw.csv != nil {
		rw.csv.Flush()
		if err := rw.csv.Error(); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		return nil
	}
	if err := rw.tsv.Flush(); err != nil {
		return fmt.Errorf("write tsv: %w", err)
	}
	return nil
}
