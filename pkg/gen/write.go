package gen

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/spacetime/tickets/pkg/ticket"
)

// Writer writes records in a file format that `spacetime import` reads. Times are RFC 3339
// in UTC, nulls are JSON nulls or empty CSV cells.
type Writer interface {
	Write(rec *ticket.Record) error
	// Flush writes what is buffered; call it once at the end.
	Flush() error
}

// WriteJSONL generates the tickets of opts into w as JSON lines.
func WriteJSONL(ctx context.Context, w io.Writer, opts Options) error {
	return write(ctx, NewJSONLWriter(w), opts)
}

// WriteCSV generates the tickets of opts into w as CSV with a header row of the default
// schema's column names.
func WriteCSV(ctx context.Context, w io.Writer, opts Options) error {
	return write(ctx, NewCSVWriter(w, Names()), opts)
}

func write(ctx context.Context, w Writer, opts Options) error {
	if err := Generate(ctx, opts, w.Write); err != nil {
		return err
	}
	return w.Flush()
}

type jsonlWriter struct {
	w   *bufio.Writer
	buf []byte
}

// NewJSONLWriter returns a writer of one JSON object per record and line, with the keys
// in the record's layout order.
func NewJSONLWriter(w io.Writer) Writer {
	return &jsonlWriter{w: bufio.NewWriterSize(w, 256<<10)}
}

func (j *jsonlWriter) Write(rec *ticket.Record) error {
	b := append(j.buf[:0], '{')
	for i, name := range rec.Layout.Names() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		var v ticket.Value
		if i < len(rec.Values) {
			v = rec.Values[i]
		}
		b = appendJSONValue(b, v)
	}
	b = append(b, '}', '\n')
	j.buf = b
	if _, err := j.w.Write(b); err != nil {
		return fmt.Errorf("write JSON line: %w", err)
	}
	return nil
}

func (j *jsonlWriter) Flush() error {
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("write JSON lines: %w", err)
	}
	return nil
}

func appendJSONValue(b []byte, v ticket.Value) []byte {
	switch v.Kind {
	case ticket.Str:
		return appendJSONString(b, v.S)
	case ticket.Num:
		if math.IsNaN(v.F) || math.IsInf(v.F, 0) {
			return append(b, "null"...)
		}
		if math.Abs(v.F) < 1e21 {
			return strconv.AppendFloat(b, v.F, 'f', -1, 64)
		}
		return strconv.AppendFloat(b, v.F, 'e', -1, 64)
	case ticket.Time:
		b = append(b, '"')
		b = appendTime(b, v.I)
		return append(b, '"')
	case ticket.Bool:
		return strconv.AppendBool(b, v.Bool())
	}
	return append(b, "null"...)
}

func appendTime(b []byte, ms int64) []byte {
	return time.UnixMilli(ms).UTC().AppendFormat(b, time.RFC3339Nano)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD, everything else as is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

type csvWriter struct {
	w      *csv.Writer
	names  []string
	header bool
	fields []string
	buf    []byte
}

// NewCSVWriter returns a writer of CSV rows whose header row is names; a record's values
// are written under the header column of the same name.
func NewCSVWriter(w io.Writer, names []string) Writer {
	return &csvWriter{
		w:      csv.NewWriter(w),
		names:  append([]string(nil), names...),
		fields: make([]string, len(names)),
	}
}

func (c *csvWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	if err := c.w.Write(c.names); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	return nil
}

func (c *csvWriter) Write(rec *ticket.Record) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	for i, name := range c.names {
		var v ticket.Value
		if j := rec.Layout.Index(name); j >= 0 && j < len(rec.Values) {
			v = rec.Values[j]
		}
		switch v.Kind {
		case ticket.Str:
			c.fields[i] = v.S
		case ticket.Num:
			c.fields[i] = strconv.FormatFloat(v.F, 'f', -1, 64)
		case ticket.Time:
			c.buf = appendTime(c.buf[:0], v.I)
			c.fields[i] = string(c.buf)
		case ticket.Bool:
			c.fields[i] = strconv.FormatBool(v.Bool())
		default:
			c.fields[i] = ""
		}
	}
	if err := c.w.Write(c.fields); err != nil {
		return fmt.Errorf("write CSV row: %w", err)
	}
	return nil
}

func (c *csvWriter) Flush() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}
