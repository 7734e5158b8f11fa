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

func (im *importer) readCSV(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
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
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read: %w", err)
			}
			reason := fmt.Sprintf("malformed CSV: %v (line %d, column %d)", pe.Err, pe.Line, pe.Column)
			if err := im.malformed(pe.StartLine, reason); err != nil {
				return err
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if err := im.row(line, fields); err != nil {
			return err
		}
	}
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
