package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	jsoniter "github.com/json-iterator/go"
)

// Format is a file format that Import reads.
type Format string

const (
	// CSV is comma-separated values with a header row and RFC 4180 quoting.
	CSV Format = "csv"
	// TSV is tab-separated lines with a header line and no quoting.
	TSV Format = "tsv"
	// JSONL is one JSON object per line (also called NDJSON).
	JSONL Format = "jsonl"
)

// ParseFormat reads a format name as a user types it.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "csv":
		return CSV, nil
	case "tsv":
		return TSV, nil
	case "jsonl", "ndjson":
		return JSONL, nil
	}
	return "", fmt.Errorf("unknown format %q (want csv, tsv or jsonl)", s)
}

// FormatOf tells the format from a file name: .csv, .tsv, .jsonl or .ndjson, optionally
// followed by .gz.
func FormatOf(name string) (Format, bool) {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".gz" {
		ext = strings.ToLower(filepath.Ext(strings.TrimSuffix(name, filepath.Ext(name))))
	}
	switch ext {
	case ".csv":
		return CSV, true
	case ".tsv":
		return TSV, true
	case ".jsonl", ".ndjson":
		return JSONL, true
	}
	return "", false
}

// maxLineBytes bounds one line of a TSV or JSONL file, so that a file without line ends
// cannot take all memory; a longer line is rejected and skipped.
const maxLineBytes = 16 << 20

var errLineTooLong = fmt.Errorf("the line is longer than %d MiB", maxLineBytes>>20)

// countingReader counts the bytes read through it, for progress against the file size.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// lineCounter counts the physical lines of the (decompressed) text read through it.
type lineCounter struct {
	r     io.Reader
	lines int
	last  byte
	any   bool
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.lines += bytes.Count(p[:n], []byte{'\n'})
		c.last, c.any = p[n-1], true
	}
	return n, err
}

// total is the number of lines, counting a last line without a line end.
func (c *lineCounter) total() int {
	if c.any && c.last != '\n' {
		return c.lines + 1
	}
	return c.lines
}

// decompress returns r, or its gzip decompression when it starts with the gzip magic
// bytes (whatever the file's name says).
func decompress(r io.Reader) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("open the gzip stream: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() error { return nil }, nil
}

// lineReader reads lines of any length up to maxLineBytes.
type lineReader struct {
	br   *bufio.Reader
	line int
	long []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its line end and its number; the slice is valid
// until the next call. A line too long is skipped and returned as errLineTooLong.
func (lr *lineReader) next() ([]byte, int, error) {
	b, err := lr.br.ReadSlice('\n')
	tooLong := false
	if errors.Is(err, bufio.ErrBufferFull) {
		lr.long = append(lr.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = lr.br.ReadSlice('\n')
			if len(lr.long)+len(b) > maxLineBytes {
				tooLong = true
				lr.long = lr.long[:0]
			} else if !tooLong {
				lr.long = append(lr.long, b...)
			}
		}
		b = lr.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, lr.line, err
	}
	if len(b) == 0 && !tooLong && errors.Is(err, io.EOF) {
		return nil, lr.line, io.EOF
	}
	lr.line++
	if tooLong {
		return nil, lr.line, errLineTooLong
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, lr.line, nil
}

var bom = "\ufeff"

func cleanHeader(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		if i == 0 {
			f = strings.TrimPrefix(f, bom)
		}
		out[i] = strings.TrimSpace(f)
	}
	return out
}

// readCSV reads CSV with encoding/csv, through csvLines: when a quote opened in a record
// is never closed, or closed so badly that the reader gives up lines later, the record is
// rejected and reading resumes at the line after its first, so that one stray quote costs
// one record, not every record after it.
func (im *importer) readCSV(r io.Reader) error {
	src := &csvLines{br: bufio.NewReaderSize(r, 64<<10)}
	cr := newCSVReader(src)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty: it has no header row")
	}
	if err != nil {
		return fmt.Errorf("read the header row: %w", err)
	}
	if err := im.start(cleanHeader(header)); err != nil {
		return err
	}
	// base is the number of lines before the current csv.Reader's first line.
	base := 0
	for {
		src.recordDone()
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		switch {
		case errors.Is(err, errRecordTooLong):
			// The open quote has run on for maxLineBytes: the same as never closed.
			first := src.firstLine()
			reason := fmt.Sprintf("malformed CSV: the record that starts on line %d is longer than %d MiB; it is rejected and reading resumes on line %d",
				first, maxLineBytes>>20, first+1)
			if src.openQuote() {
				reason = fmt.Sprintf("malformed CSV: the quote opened on line %d is never closed within %d MiB; the record is rejected and reading resumes on line %d",
					first, maxLineBytes>>20, first+1)
			}
			if err := im.malformed(first, reason); err != nil {
				return err
			}
			base = src.resumeAfter(first)
			cr = newCSVReader(src)
			continue
		case errors.As(err, &pe) && (pe.Line > pe.StartLine || src.atEOF() && src.openQuote()):
			first := base + pe.StartLine
			end := fmt.Sprintf("runs into line %d", base+pe.Line)
			if src.atEOF() {
				end = "runs to the end of the file"
			}
			reason := fmt.Sprintf("malformed CSV: the quote opened on line %d is never closed (the record %s); the record is rejected and reading resumes on line %d",
				first, end, first+1)
			if err := im.malformed(first, reason); err != nil {
				return err
			}
			base = src.resumeAfter(first)
			cr = newCSVReader(src)
			continue
		case errors.As(err, &pe):
			reason := fmt.Sprintf("malformed CSV: %v (line %d, column %d)", pe.Err, base+pe.Line, pe.Column)
			if err := im.malformed(base+pe.StartLine, reason); err != nil {
				return err
			}
			continue
		case err != nil:
			return fmt.Errorf("read: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if err := im.row(base+line, fields); err != nil {
			return err
		}
	}
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

// errRecordTooLong stops a CSV record whose quoted field has grown past maxLineBytes.
var errRecordTooLong = errors.New("the record is too long")

// csvLines hands encoding/csv its input one line per Read, so that the reader (whose
// buffer only fills as it asks) never holds more than the record it reads, and keeps the
// lines of that record. After a record whose quote never closes, resumeAfter hands out
// again the lines the reader took after its first, to a new reader.
type csvLines struct {
	br *bufio.Reader
	// keep holds the lines handed out since the last record ended; ends[i] is the end of
	// the i-th of them in keep, and first the number of the first (from 1).
	keep  []byte
	ends  []int
	first int
	// next is the number of the next line to hand out.
	next int
	// replay are lines to hand out again before reading on: offsets into keep.
	replay []int
	// cur is what is left of the line being handed out.
	cur []byte
	eof bool
}

// Read hands out at most one line.
func (c *csvLines) Read(p []byte) (int, error) {
	if len(c.cur) == 0 {
		if err := c.advance(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

// advance makes the next line current: a line to replay, else one read from br.
func (c *csvLines) advance() error {
	if len(c.replay) > 0 {
		i := c.replay[0]
		c.replay = c.replay[1:]
		start := 0
		if i > 0 {
			start = c.ends[i-1]
		}
		c.cur = c.keep[start:c.ends[i]]
		c.next++
		return nil
	}
	if c.eof {
		return io.EOF
	}
	if len(c.keep) > maxLineBytes {
		return errRecordTooLong
	}
	if len(c.ends) == 0 {
		c.first = c.next + 1
	}
	start := len(c.keep)
	for {
		b, err := c.br.ReadSlice('\n')
		c.keep = append(c.keep, b...)
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(c.keep)-start > maxLineBytes {
				// One line longer than the limit: keep its start only, and drop the
				// rest of it, as the record is rejected anyway.
				c.keep = c.keep[:start+maxLineBytes+1]
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = c.br.ReadSlice('\n')
				}
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				c.eof = err != nil
				break
			}
			continue
		}
		if errors.Is(err, io.EOF) {
			c.eof = true
		} else if err != nil {
			return err
		}
		break
	}
	if len(c.keep) == start {
		return io.EOF
	}
	c.next++
	c.ends = append(c.ends, len(c.keep))
	c.cur = c.keep[start:]
	return nil
}

// recordDone forgets the lines kept so far: the reader is between two records.
func (c *csvLines) recordDone() {
	if len(c.replay) > 0 {
		// Lines to replay are still ahead: keep them, drop those before.
		i := c.replay[0]
		start := 0
		if i > 0 {
			start = c.ends[i-1]
		}
		for j := range c.replay {
			c.replay[j] -= i
		}
		ends := c.ends[i:]
		for j := range ends {
			ends[j] -= start
		}
		c.first += i
		c.keep = append(c.keep[:0], c.keep[start:]...)
		c.ends = append(c.ends[:0], ends...)
		return
	}
	c.keep, c.ends = c.keep[:0], c.ends[:0]
}

// openQuote reports whether the kept lines hold an odd number of quotes: a quote opened
// and never closed (quotes inside a quoted field are doubled).
func (c *csvLines) openQuote() bool { return bytes.Count(c.keep, []byte{'"'})%2 == 1 }

// firstLine is the number of the first line of the record being read.
func (c *csvLines) firstLine() int { return c.first }

// atEOF reports whether the input is read to its end.
func (c *csvLines) atEOF() bool { return c.eof && len(c.replay) == 0 }

// resumeAfter arranges for the kept lines after line n to be handed out again, and
// returns the number of lines before the first of them, which a new csv.Reader counts
// from 1.
func (c *csvLines) resumeAfter(n int) int {
	c.replay = c.replay[:0]
	for i := range c.ends {
		if c.first+i > n {
			c.replay = append(c.replay, i)
		}
	}
	c.cur = nil
	c.next = n
	return n
}

func (im *importer) readTSV(r io.Reader) error {
	lr := newLineReader(r)
	var fields []string
	for started := false; ; {
		b, line, err := lr.next()
		switch {
		case errors.Is(err, io.EOF):
			if !started {
				return errors.New("the file is empty: it has no header line")
			}
			return nil
		case errors.Is(err, errLineTooLong) && started:
			if err := im.malformed(line, err.Error()); err != nil {
				return err
			}
			continue
		case err != nil:
			return fmt.Errorf("read line %d: %w", line, err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		fields = splitTabs(fields[:0], string(b))
		if !started {
			started = true
			if err := im.start(cleanHeader(fields)); err != nil {
				return err
			}
			continue
		}
		if err := im.row(line, fields); err != nil {
			return err
		}
	}
}

func splitTabs(dst []string, s string) []string {
	for {
		i := strings.IndexByte(s, '\t')
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}

func (im *importer) readJSONL(r io.Reader) error {
	lr := newLineReader(r)
	it := jsoniter.NewIterator(jsoniter.ConfigDefault)
	var pairs []pair
	for {
		b, line, err := lr.next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, errLineTooLong):
			if err := im.malformed(line, err.Error()); err != nil {
				return err
			}
			continue
		case err != nil:
			return fmt.Errorf("read line %d: %w", line, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte(bom))
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var reason string
		pairs, reason = decodeLine(it, b, pairs[:0])
		if reason != "" {
			if err := im.malformed(line, reason); err != nil {
				return err
			}
			continue
		}
		if err := im.object(line, pairs); err != nil {
			return err
		}
	}
}

// decodeLine flattens the JSON object on one line into pairs, as flatten does for a
// decoded object; on failure it returns why. It reads the line with jsoniter's
// iterator, straight into pairs: encoding/json into a map costs seven times as much, which
// made JSON lines the slowest format by far.
func decodeLine(it *jsoniter.Iterator, b []byte, dst []pair) ([]pair, string) {
	if b[0] != '{' {
		return dst, "malformed JSON: the line is not a JSON object"
	}
	it.ResetBytes(b)
	it.Error = nil
	dst = readObject(it, "", dst)
	if it.Error != nil && !errors.Is(it.Error, io.EOF) {
		return dst, "malformed JSON: " + jsoniterReason(it.Error)
	}
	if it.WhatIsNext() != jsoniter.InvalidValue {
		return dst, "malformed JSON: more after the object"
	}
	return dst, ""
}

func readObject(it *jsoniter.Iterator, prefix string, dst []pair) []pair {
	it.ReadObjectCB(func(it *jsoniter.Iterator, key string) bool {
		name := key
		if prefix != "" {
			name = prefix + "." + key
		}
		switch it.WhatIsNext() {
		case jsoniter.StringValue:
			dst = append(dst, pair{name: name, raw: it.ReadString()})
		case jsoniter.NumberValue:
			dst = append(dst, pair{name: name, raw: string(it.ReadNumber())})
		case jsoniter.NilValue:
			it.ReadNil()
			dst = append(dst, pair{name: name, null: true})
		case jsoniter.BoolValue:
			dst = append(dst, pair{name: name, raw: strconv.FormatBool(it.ReadBool())})
		case jsoniter.ObjectValue:
			dst = readObject(it, name, dst)
		case jsoniter.ArrayValue:
			raw, null := arrayText(it.SkipAndReturnBytes())
			dst = append(dst, pair{name: name, raw: raw, null: null})
		default:
			it.ReportError("read value", "not a JSON value")
		}
		return it.Error == nil
	})
	return dst
}

// arrayText is the text of a JSON array: its scalars joined with ", ", or its JSON text
// when it holds objects or arrays; null when it holds nothing but nulls.
func arrayText(raw []byte) (string, bool) {
	var v []any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(raw), false
	}
	return scalarText(v)
}

// jsoniterReason keeps the first part of a jsoniter error: the rest quotes the line, which
// a reject reason should not repeat.
func jsoniterReason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ", error found in #"); i >= 0 {
		msg = msg[:i]
	}
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		msg = rest
	}
	return msg
}
