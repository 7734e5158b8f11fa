package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// DefaultBatchSize is the number of records handed to the sink at once: large enough that
// a store's per-call cost (a transaction, an fsync) is spread thin, small enough to keep
// memory flat.
const DefaultBatchSize = 5000

// DefaultKeepRejects is how many rejects a Report keeps when Options does not say.
const DefaultKeepRejects = 100

// progressInterval is the least time between two progress callbacks.
const progressInterval = time.Second

// Sink receives batches of mapped records; the CLI passes a store's Upsert. The records
// and their values are reused once the sink returns: a sink that keeps them must Clone.
// The sink runs on its own goroutine, while the next batch is read.
type Sink func(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error)

// Options configure Import.
type Options struct {
	// Map says how source columns and values map onto the schema.
	Map MapOptions
	// Format of the input; empty means from the file name's extension.
	Format Format
	// BatchSize is the number of records per sink call; 0 means DefaultBatchSize.
	BatchSize int
	// KeepRejects is the number of rejects the report lists (all are counted); 0 means
	// DefaultKeepRejects.
	KeepRejects int
	// Progress, when set, is called at most once a second during the import.
	Progress func(Progress)
}

// Progress is how far an import has come.
type Progress struct {
	// Bytes is how much of the file has been read (compressed bytes for a .gz file), and
	// Size the file's size, or 0 when unknown: together they give a fraction done.
	Bytes, Size int64
	Lines       int
	Rows        int
	Records     int
	Rejected    int
	// Result sums what the sink has written so far (a batch behind Records).
	Result  store.UpsertResult
	Elapsed time.Duration
}

// Reject is a record that was not imported.
type Reject struct {
	// Line is the physical line of the file where the record starts.
	Line int `json:"line"`
	// Key is the record's key when it could be read.
	Key    string `json:"key,omitempty"`
	Reason string `json:"reason"`
}

func (r Reject) String() string {
	if r.Key != "" {
		return fmt.Sprintf("line %d: %s (key %q)", r.Line, r.Reason, r.Key)
	}
	return fmt.Sprintf("line %d: %s", r.Line, r.Reason)
}

// Report says what an import did.
type Report struct {
	// Format is the format the input was read as.
	Format Format `json:"format"`
	// Lines counts the physical lines of the (decompressed) input.
	Lines int `json:"lines"`
	// Rows counts the records read: data rows or JSON objects, malformed ones included;
	// Rows = Records + Rejected.
	Rows int `json:"rows"`
	// Records counts the records mapped and handed to the sink.
	Records int `json:"records"`
	// Result sums the sink's results.
	Result   store.UpsertResult `json:"result"`
	Rejected int                `json:"rejected"`
	// Rejects are the first rejects (Options.KeepRejects of them).
	Rejects []Reject `json:"rejects,omitempty"`
	// Unmapped are the source columns no schema column takes.
	Unmapped []Unmapped `json:"unmapped,omitempty"`
	// Missing are the schema columns no source column filled.
	Missing []string      `json:"missing,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
}

// ImportFile imports the file at path; see Import.
func ImportFile(ctx context.Context, path string, s *schema.Schema, opts Options, sink Sink) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return importFrom(ctx, f, path, size, s, opts, sink)
}

// Import reads records from r (named name, whose extension gives the format unless
// opts.Format does), maps them onto s, and hands them to sink in batches, in constant
// memory. A record that does not fit, or a malformed line, is rejected with its line and a
// reason, and the import goes on. It returns an error, with the report so far, when the
// input cannot be read, has no key column, or the sink fails.
func Import(ctx context.Context, r io.Reader, name string, s *schema.Schema, opts Options, sink Sink) (Report, error) {
	return importFrom(ctx, r, name, 0, s, opts, sink)
}

func importFrom(ctx context.Context, r io.Reader, name string, size int64, s *schema.Schema, opts Options, sink Sink) (Report, error) {
	start := time.Now()
	format := opts.Format
	if format == "" {
		f, ok := FormatOf(name)
		if !ok {
			return Report{}, fmt.Errorf("cannot tell the format of %q from its name; give the format (csv, tsv or jsonl)", name)
		}
		format = f
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.KeepRejects <= 0 {
		opts.KeepRejects = DefaultKeepRejects
	}
	if _, err := NewMapper(s, nil, opts.Map); err != nil {
		return Report{}, err
	}
	raw := &countingReader{r: r}
	text, closeText, err := decompress(raw)
	if err != nil {
		return Report{}, err
	}
	lines := &lineCounter{r: text}

	im := &importer{
		ctx:    ctx,
		schema: s,
		opts:   opts,
		raw:    raw,
		lines:  lines,
		size:   size,
		began:  start,
		report: Report{Format: format},
	}
	im.pipe = newPipeline(ctx, sink, opts.BatchSize, len(s.Columns))
	im.batch = im.pipe.take()

	switch format {
	case CSV:
		err = im.readCSV(lines)
	case TSV:
		err = im.readTSV(lines)
	case JSONL:
		err = im.readJSONL(lines)
	default:
		err = fmt.Errorf("unknown format %q (want csv, tsv or jsonl)", format)
	}
	if err == nil {
		err = closeText()
	}
	if err == nil && im.batch != nil && len(im.batch.recs) > 0 {
		err = im.pipe.send(im.batch)
	}
	sinkErr := im.pipe.close()
	// The sink's error explains a cancelled send better than the cancellation does.
	if sinkErr != nil {
		err = sinkErr
	}
	im.report.Lines = lines.total()
	im.report.Result = im.pipe.result()
	if im.mapper != nil {
		im.report.Unmapped = im.mapper.Unmapped()
		im.report.Missing = im.mapper.Missing()
	}
	im.report.Elapsed = time.Since(start)
	return im.report, err
}

type importer struct {
	ctx    context.Context
	schema *schema.Schema
	opts   Options
	mapper *Mapper
	report Report
	pipe   *pipeline
	batch  *batch

	raw   *countingReader
	lines *lineCounter
	size  int64
	began time.Time

	lastProgress time.Time
	sinceCheck   int
}

// start makes the mapper of a positional source from its header.
func (im *importer) start(header []string) error {
	m, err := NewMapper(im.schema, header, im.opts.Map)
	if err != nil {
		return err
	}
	im.mapper = m
	return nil
}

func (im *importer) row(line int, fields []string) error {
	im.report.Rows++
	vals := im.batch.slot()
	key, version, err := im.mapper.mapRow(vals, fields)
	return im.add(line, key, version, vals, err)
}

func (im *importer) object(line int, pairs []pair) error {
	if im.mapper == nil {
		m, err := NewMapper(im.schema, nil, im.opts.Map)
		if err != nil {
			return err
		}
		if err := m.checkKeyed(pairs); err != nil {
			return fmt.Errorf("line %d, the first record: %w", line, err)
		}
		im.mapper = m
	}
	im.report.Rows++
	vals := im.batch.slot()
	key, version, err := im.mapper.mapPairs(vals, pairs)
	return im.add(line, key, version, vals, err)
}

func (im *importer) add(line int, key string, version int64, vals []ticket.Value, err error) error {
	if err != nil {
		im.reject(line, err)
		return im.tick(false)
	}
	im.batch.add(ticket.Record{Key: key, Version: version, Layout: im.mapper.Layout(), Values: vals}, line)
	im.report.Records++
	if len(im.batch.recs) < cap(im.batch.recs) {
		return im.tick(false)
	}
	if err := im.pipe.send(im.batch); err != nil {
		im.batch = nil
		return err
	}
	b, err := im.pipe.takeCtx()
	if err != nil {
		return err
	}
	im.batch = b
	return im.tick(true)
}

func (im *importer) malformed(line int, reason string) error {
	im.report.Rows++
	im.reject(line, &RecordError{Reason: reason})
	return im.tick(false)
}

func (im *importer) reject(line int, err error) {
	im.report.Rejected++
	if len(im.report.Rejects) >= im.opts.KeepRejects {
		return
	}
	rej := Reject{Line: line, Reason: err.Error()}
	var re *RecordError
	if errors.As(err, &re) {
		// A clone, so that the kept key does not hold on to the whole source line.
		rej.Key = strings.Clone(re.Key)
	}
	im.report.Rejects = append(im.report.Rejects, rej)
}

// tick checks for cancellation and reports progress, every so many rows or after a batch.
func (im *importer) tick(force bool) error {
	im.sinceCheck++
	if !force && im.sinceCheck < 1024 {
		return nil
	}
	im.sinceCheck = 0
	if err := im.ctx.Err(); err != nil {
		return err
	}
	if im.opts.Progress == nil {
		return nil
	}
	now := time.Now()
	if im.lastProgress.IsZero() {
		// The first report comes a second after the start, not at once.
		im.lastProgress = im.began
	}
	if now.Sub(im.lastProgress) < progressInterval {
		return nil
	}
	im.lastProgress = now
	im.opts.Progress(Progress{
		Bytes:    im.raw.n,
		Size:     im.size,
		Lines:    im.lines.lines,
		Rows:     im.report.Rows,
		Records:  im.report.Records,
		Rejected: im.report.Rejected,
		Result:   im.pipe.result(),
		Elapsed:  now.Sub(im.began),
	})
	return nil
}

// batch is a reusable set of records whose values share one array.
type batch struct {
	recs      []ticket.Record
	vals      []ticket.Value
	width     int
	firstLine int
	lastLine  int
}

func newBatch(size, width int) *batch {
	return &batch{recs: make([]ticket.Record, 0, size), vals: make([]ticket.Value, size*width), width: width}
}

// slot is the values of the next record; it is taken only when add is called.
func (b *batch) slot() []ticket.Value {
	i := len(b.recs) * b.width
	return b.vals[i : i+b.width : i+b.width]
}

func (b *batch) add(rec ticket.Record, line int) {
	if len(b.recs) == 0 {
		b.firstLine = line
	}
	b.lastLine = line
	b.recs = append(b.recs, rec)
}

func (b *batch) reset() {
	clear(b.recs)
	b.recs = b.recs[:0]
}

// pipeline hands full batches to the sink on a second goroutine, so that reading and
// writing overlap. Two batches circulate: one being filled, one being written; memory
// stays at two batches whatever the input's size.
type pipeline struct {
	ctx    context.Context
	cancel context.CancelFunc
	sink   Sink
	free   chan *batch
	full   chan *batch
	done   chan struct{}

	mu  sync.Mutex
	sum store.UpsertResult
	err error
}

func newPipeline(ctx context.Context, sink Sink, size, width int) *pipeline {
	ctx, cancel := context.WithCancel(ctx)
	p := &pipeline{
		ctx:    ctx,
		cancel: cancel,
		sink:   sink,
		free:   make(chan *batch, 2),
		full:   make(chan *batch),
		done:   make(chan struct{}),
	}
	p.free <- newBatch(size, width)
	p.free <- newBatch(size, width)
	go p.run()
	return p
}

func (p *pipeline) run() {
	defer close(p.done)
	for b := range p.full {
		p.mu.Lock()
		failed := p.err != nil
		p.mu.Unlock()
		if !failed {
			// A batch handed over just before a cancellation is not written, and says so.
			var res store.UpsertResult
			err := p.ctx.Err()
			if err == nil {
				res, err = p.sink(p.ctx, b.recs)
			}
			p.mu.Lock()
			p.sum.Add(res)
			if err != nil {
				p.err = fmt.Errorf("write the records of lines %d-%d: %w", b.firstLine, b.lastLine, err)
				p.cancel()
			}
			p.mu.Unlock()
		}
		b.reset()
		p.free <- b
	}
}

// take returns a free batch; there is always one at the start.
func (p *pipeline) take() *batch { return <-p.free }

// takeCtx waits for the sink to give a batch back.
func (p *pipeline) takeCtx() (*batch, error) {
	select {
	case b := <-p.free:
		return b, nil
	case <-p.ctx.Done():
		return nil, p.ctx.Err()
	}
}

// send hands a full batch to the sink.
func (p *pipeline) send(b *batch) error {
	// A select with both cases ready picks one at random: check first, so that nothing is
	// handed over after a cancellation.
	if err := p.ctx.Err(); err != nil {
		return err
	}
	select {
	case p.full <- b:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}

// close waits for the sink to finish and returns its error.
func (p *pipeline) close() error {
	close(p.full)
	<-p.done
	p.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *pipeline) result() store.UpsertResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sum
}
