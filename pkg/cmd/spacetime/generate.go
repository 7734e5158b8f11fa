package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/ticket"
)

func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate")
	var (
		tickets    = fs.Int("tickets", 0, "the number of tickets (required)")
		endFlag    = fs.String("end", "", "the newest created time and \"now\" of the data set: RFC 3339, YYYY-MM-DD or now-DURATION (default: now, to the minute)")
		spanFlag   = fs.String("span", "720h", "how far back from --end tickets are created, e.g. 720h or 30d")
		seed       = fs.Int64("seed", 1, "the random seed: the same seed and --end give the same data")
		outages    = fs.Int("outages", 3, "the number of outages (spikes of one service in one region)")
		updates    = fs.Bool("updates", false, "also write the earlier versions of each ticket before its final one, as an update log")
		formatName = fs.String("format", "", "jsonl or csv (default: from --out's extension, else jsonl)")
		out        = fs.String("out", "", "the file to write, replaced only when complete; a .gz name is compressed (default: standard output)")
	)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q (write to a file with --out)", errUsage, fs.Args())
	}
	if *tickets <= 0 {
		return fmt.Errorf("%w: --tickets must be given and positive", errUsage)
	}
	if *outages < 0 {
		return fmt.Errorf("%w: --outages must not be negative", errUsage)
	}
	span, err := duration.Parse(*spanFlag)
	if err != nil {
		return fmt.Errorf("%w: --span: %v", errUsage, err)
	}
	now := time.Now().UTC().Truncate(time.Minute)
	end, err := parseTimeFlag(*endFlag, now)
	if err != nil {
		return fmt.Errorf("%w: --end: %v", errUsage, err)
	}
	if end.IsZero() {
		end = now
	}
	format, err := generateFormat(*formatName, *out)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	opts := gen.Options{Tickets: *tickets, End: end, Span: span, Seed: *seed, Outages: *outages, Updates: *updates}

	start := time.Now()
	var records int
	write := func(w io.Writer) error {
		var rw gen.Writer
		if format == ingest.CSV {
			rw = gen.NewCSVWriter(w, gen.Names())
		} else {
			rw = gen.NewJSONLWriter(w)
		}
		err := gen.Generate(ctx, opts, func(rec *ticket.Record) error {
			records++
			return rw.Write(rec)
		})
		if err != nil {
			return err
		}
		return rw.Flush()
	}
	dest := "standard output"
	if *out == "" {
		err = write(stdout)
	} else {
		dest = *out
		err = writeFileAtomically(*out, func(w io.Writer) error {
			if strings.HasSuffix(strings.ToLower(*out), ".gz") {
				zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // the level is valid; speed matters more than size here
				if err := write(zw); err != nil {
					return err
				}
				return zw.Close()
			}
			return write(w)
		})
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stderr, "wrote %d tickets (%d records) as %s to %s in %v (%.0f tickets/s), created %s to %s\n",
		*tickets, records, format, dest, elapsed.Round(time.Millisecond), float64(*tickets)/elapsed.Seconds(),
		end.Add(-span).Format(time.RFC3339), end.Format(time.RFC3339))
	for _, o := range gen.PlanOutages(opts) {
		fmt.Fprintf(stderr, "outage: %s in %s from %s to %s (%s, total rate x%.1f at its peak)\n",
			o.Service, o.Region, o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339), o.Kind, o.Factor)
	}
	return nil
}

// generateFormat is the format asked for, or the one --out's name says, or JSONL.
func generateFormat(name, out string) (ingest.Format, error) {
	var f ingest.Format
	switch {
	case name != "":
		var err error
		if f, err = ingest.ParseFormat(name); err != nil {
			return "", fmt.Errorf("--format: %v", err)
		}
	case out != "":
		f, _ = ingest.FormatOf(out)
	}
	switch f {
	case "", ingest.JSONL:
		return ingest.JSONL, nil
	case ingest.CSV:
		return ingest.CSV, nil
	}
	return "", fmt.Errorf("generate writes jsonl or csv, not %s", f)
}

// writeFileAtomically writes a temporary file beside path and renames it over path only
// when write succeeded, so that an interrupted run leaves no half-written data set.
func writeFileAtomically(path string, write func(w io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := write(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file private; a data set is as readable as any file made with
	// os.Create.
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
