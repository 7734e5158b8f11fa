package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	// The command may run where the system has no zone database (a scratch container);
	// --tz must still understand Europe/Paris.
	_ "time/tzdata"

	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/stores"
	"github.com/spacetime/tickets/pkg/storeschema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// repeatedFlag collects a flag given several times. Unlike listFlag it does not split on
// commas, which time layouts ("Jan 2, 2006") and null tokens may contain.
type repeatedFlag []string

func (r *repeatedFlag) String() string { return strings.Join(*r, " ") }
func (r *repeatedFlag) Set(v string) error {
	*r = append(*r, v)
	return nil
}

// importGCPercent is the garbage collector's target during an import (GOGC).
const importGCPercent = 400

// shownRejects is how many rejects the summary of a file lists.
const shownRejects = 20

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import")
	var (
		storeSpec  = fs.String("store", "", storeUsage+" (required)")
		schemaFile = fs.String("schema", "", "the column schema `FILE` (default: the schema the store records, else the built-in one); the store records it")
		formatName = fs.String("format", "", "csv, tsv or jsonl (default: from each file's extension, .gz allowed)")
		tz         = fs.String("tz", "UTC", "the time zone of times written without one: a zone name (Europe/Paris), Local, or an offset (+02:00)")
		batch      = fs.Int("batch", ingest.DefaultBatchSize, "records written to the store at once")
		quiet      = fs.Bool("quiet", false, "print no progress line")
		allowRej   = fs.Bool("allow-rejects", false, "exit 0 when some records are rejected (by default any reject makes the exit status 1;\n"+
			"the records that fit are imported either way)")
		bulk = fs.Bool("bulk", false, "DynamoDB only: read the stored versions, then write with BatchWriteItem, several times faster;\n"+
			"for seeding or re-importing history while no other process writes the same tickets")
		renames repeatedFlag
		layouts repeatedFlag
		nulls   repeatedFlag
	)
	fs.Var(&renames, "map", "map a source column onto a schema column: SOURCE=COLUMN; SOURCE= drops it (repeatable)")
	fs.Var(&layouts, "time-layout", "a Go time layout for times in another form, e.g. '2/1/2006 15:04' for 29/2/2016 01:16 (repeatable)")
	fs.Var(&nulls, "null", "a value that means \"no value\", besides the schema's nulls (repeatable)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	files := fs.Args()
	switch {
	case *storeSpec == "":
		return fmt.Errorf("%w: --store is required", errUsage)
	case len(files) == 0:
		return fmt.Errorf("%w: name at least one file to import", errUsage)
	case *batch <= 0:
		return fmt.Errorf("%w: --batch must be positive", errUsage)
	}
	opts := ingest.Options{BatchSize: *batch, KeepRejects: shownRejects}
	if *formatName != "" {
		f, err := ingest.ParseFormat(*formatName)
		if err != nil {
			return fmt.Errorf("%w: --format: %v", errUsage, err)
		}
		opts.Format = f
	}
	for _, f := range files {
		if f == "-" && opts.Format == "" {
			return fmt.Errorf("%w: reading standard input (-) needs --format", errUsage)
		}
	}
	opts.Map.Renames = make(map[string]string, len(renames))
	for _, r := range renames {
		src, dst, err := ingest.ParseRename(r)
		if err != nil {
			return fmt.Errorf("%w: --map: %v", errUsage, err)
		}
		if prev, dup := opts.Map.Renames[src]; dup && prev != dst {
			return fmt.Errorf("%w: --map: %q is mapped twice, to %q and %q", errUsage, src, prev, dst)
		}
		opts.Map.Renames[src] = dst
	}
	loc, err := parseZone(*tz)
	if err != nil {
		return fmt.Errorf("%w: --tz: %v", errUsage, err)
	}
	opts.Map.Location = loc
	opts.Map.Layouts = layouts
	opts.Map.Nulls = nulls

	var given *schema.Schema
	if *schemaFile != "" {
		if given, err = schema.Load(*schemaFile); err != nil {
			return err
		}
	}
	// Without --schema, the tickets are imported with the schema the store records, the
	// one its tickets were written with. A store that does not exist yet is created only
	// once the renames and the files are known to be fine, so that a typo costs nothing.
	st, err := stores.Open(ctx, *storeSpec, stores.MustExist())
	switch {
	case errors.Is(err, os.ErrNotExist):
		st = nil // not a store holding a nil pointer
	case err != nil:
		return err
	}
	closeStore := func() {
		if st != nil {
			_ = st.Close()
		}
	}
	var stored *storeschema.Stored
	if st != nil {
		if stored, err = storeschema.Read(ctx, st); err != nil {
			closeStore()
			return err
		}
	}
	sch := given
	switch {
	case sch == nil && stored != nil:
		sch = stored.Schema
	case sch == nil:
		sch = schema.Default()
	case stored != nil && stored.Hash != sch.Hash():
		fmt.Fprintf(stderr, "spacetime import: warning: --schema %s: %s; the store records this one from now on\n",
			*schemaFile, &storeschema.Mismatch{Stored: stored, Diff: schema.Compare(stored.Schema, sch)})
	}
	recorded := stored != nil && stored.Hash == sch.Hash()
	if _, err := ingest.NewMapper(sch, nil, opts.Map); err != nil {
		closeStore()
		return fmt.Errorf("%w: --map: %v", errUsage, err)
	}

	// Files that cannot be read are reported before the store is created or written: when
	// none can, the command writes nothing and creates no store.
	var failures []string
	readable := files[:0:0]
	for _, file := range files {
		if err := checkInput(file, opts.Format); err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", file, err))
			continue
		}
		readable = append(readable, file)
	}
	if len(readable) == 0 {
		closeStore()
		return errors.New(strings.Join(failures, "; "))
	}

	// An import allocates a lot and keeps little: two batches. Collecting a fifth as
	// often costs a few tens of megabytes of heap and saves a tenth of the CPU.
	defer debug.SetGCPercent(debug.SetGCPercent(importGCPercent))
	if st == nil {
		if st, err = stores.Open(ctx, *storeSpec); err != nil {
			return err
		}
	}
	if !recorded {
		// Recorded before the tickets, so that a reader of a partly imported store reads
		// them with it too.
		if err := storeschema.Write(ctx, st, sch, "spacetime import", time.Now()); err != nil {
			_ = st.Close()
			return err
		}
	}
	sink := st.Upsert
	if *bulk {
		b, ok := st.(bulkLoader)
		if !ok {
			_ = st.Close()
			return fmt.Errorf("%w: --bulk is for a DynamoDB store; the embedded store writes whole batches at once already", errUsage)
		}
		sink = b.BulkLoad
	}
	var rejected, read int
	for _, file := range readable {
		progress := newProgressPrinter(stderr, file, *quiet)
		opts.Progress = progress.print
		var rep ingest.Report
		if file == "-" {
			rep, err = ingest.Import(ctx, os.Stdin, "-", sch, opts, sink)
		} else {
			rep, err = ingest.ImportFile(ctx, file, sch, opts, sink)
		}
		progress.done()
		if err == nil || rep.Rows > 0 {
			printSummary(stdout, file, rep)
		}
		rejected += rep.Rejected
		read += rep.Rows
		switch {
		case err != nil:
			failures = append(failures, fmt.Sprintf("%s: %v", file, err))
		case rep.Rows > 0 && rep.Records == 0:
			failures = append(failures, fmt.Sprintf("%s: every record was rejected", file))
		case rep.Rows == 0:
			failures = append(failures, fmt.Sprintf("%s: the file has no records", file))
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err := st.Close(); err != nil {
		failures = append(failures, fmt.Sprintf("close the store: %v", err))
	}
	if rejected > 0 && rejected < read && !*allowRej {
		failures = append(failures, fmt.Sprintf("%d of %d records rejected (the others were imported; the summary lists why); "+
			"fix them and import again, or pass --allow-rejects to accept a partial import", rejected, read))
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "; "))
	}
	return nil
}

// checkInput says why file cannot be imported before anything is written: it cannot be
// opened, or its format cannot be told from its name.
func checkInput(file string, format ingest.Format) error {
	if file == "-" {
		return nil
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	f.Close()
	if format == "" {
		if _, ok := ingest.FormatOf(file); !ok {
			return fmt.Errorf("cannot tell the format of %q from its name; give the format (csv, tsv or jsonl)", file)
		}
	}
	return nil
}

// bulkLoader is a store with a faster write path that keeps the version rule only against
// what was stored before the call (dynamo.Store.BulkLoad).
type bulkLoader interface {
	BulkLoad(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error)
}

func printSummary(w io.Writer, file string, rep ingest.Report) {
	r := rep.Result
	rate := ""
	if s := rep.Elapsed.Seconds(); s > 0 && rep.Records > 0 {
		rate = fmt.Sprintf(", %.0f records/s", float64(rep.Records)/s)
	}
	fmt.Fprintf(w, "%s: %d records read: %d inserted, %d updated, %d unchanged, %d stale, %d rejected (%s%s)\n",
		file, rep.Rows, r.Inserted, r.Updated, r.Unchanged, r.Stale, rep.Rejected, rep.Elapsed.Round(time.Millisecond), rate)
	for _, rej := range rep.Rejects {
		key := ""
		if rej.Key != "" {
			key = fmt.Sprintf(" (key %q)", rej.Key)
		}
		fmt.Fprintf(w, "%s:%d: %s%s\n", file, rej.Line, rej.Reason, key)
	}
	if more := rep.Rejected - len(rep.Rejects); more > 0 {
		fmt.Fprintf(w, "... and %d more\n", more)
	}
	if len(rep.Unmapped) > 0 {
		names := make([]string, len(rep.Unmapped))
		for i, u := range rep.Unmapped {
			names[i] = strconv.Quote(u.Name)
			if !strings.HasPrefix(u.Reason, "no schema column") {
				names[i] += " (" + u.Reason + ")"
			}
		}
		fmt.Fprintf(w, "%s: ignored source columns (not in the schema; map them with --map SOURCE=COLUMN): %s\n", file, strings.Join(names, ", "))
	}
	if len(rep.Missing) > 0 && rep.Records > 0 {
		fmt.Fprintf(w, "%s: schema columns the file does not have, left empty: %s\n", file, strings.Join(rep.Missing, ", "))
	}
}

var offsetPattern = regexp.MustCompile(`^(?:UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$`)

// parseZone reads a zone name, Local, or a fixed offset such as +02:00, -0530 or UTC+2.
func parseZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if m := offsetPattern.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins := 0
		if m[3] != "" {
			mins, _ = strconv.Atoi(m[3])
		}
		if h > 14 || mins > 59 {
			return nil, fmt.Errorf("%q is not a UTC offset", s)
		}
		off := (h*60 + mins) * 60
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone(s, off), nil
	}
	if s == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (give a name such as Europe/Paris, Local, or an offset such as +02:00)", s)
	}
	return loc, nil
}

// progressPrinter shows an import's progress on stderr: one line rewritten in place on a
// terminal, a line at a time otherwise (a log file).
type progressPrinter struct {
	w        io.Writer
	file     string
	terminal bool
	quiet    bool
	width    int
}

func newProgressPrinter(w io.Writer, file string, quiet bool) *progressPrinter {
	return &progressPrinter{w: w, file: file, terminal: isTerminal(w), quiet: quiet}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progressPrinter) print(pr ingest.Progress) {
	if p.quiet {
		return
	}
	line := progressLine(p.file, pr)
	if !p.terminal {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.width = len(line)
}

// done clears a terminal's progress line, so that the summary starts on a clean line.
func (p *progressPrinter) done() {
	if p.terminal && p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
		p.width = 0
	}
}

func progressLine(file string, pr ingest.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "import %s:", file)
	if pr.Size > 0 {
		fmt.Fprintf(&b, " %.0f%%", 100*float64(pr.Bytes)/float64(pr.Size))
	}
	fmt.Fprintf(&b, " %d records", pr.Records)
	if pr.Rejected > 0 {
		fmt.Fprintf(&b, ", %d rejected", pr.Rejected)
	}
	if s := pr.Elapsed.Seconds(); s > 0 {
		fmt.Fprintf(&b, ", %.0f records/s", float64(pr.Records)/s)
	}
	return b.String()
}
