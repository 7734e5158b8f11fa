package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/stores"
	"github.com/spacetime/tickets/pkg/storeschema"
)

// listFlag collects a comma-separated or repeated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("query")
	var (
		storeSpec  = fs.String("store", "", storeUsage+" (required)")
		schemaFile = fs.String("schema", "", "the column schema `FILE` (default: the schema the store records, else the built-in one)")
		jsonQuery  = fs.String("json", "", "the `QUERY` as JSON, as a panel sends it, or @FILE; the flags of its fields override them")
		from       = fs.String("from", "", "the start of the range, a `TIME`: RFC 3339, YYYY-MM-DD, or now-DURATION (default: the oldest ticket)")
		to         = fs.String("to", "", "the end of the range, a `TIME` in the same forms (default: just after the newest ticket)")
		last       = fs.String("last", "", "the range ending now, a `DURATION` such as 24h or 7d (instead of --from and --to)")
		format     = fs.String("format", "table", "the output `FORMAT`: table, tsv, csv or json")
	)
	fields := queryFlagValues(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *storeSpec == "" {
		return fmt.Errorf("%w: --store is required", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	out, err := newPrinter(*format, stdout)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}

	var raw []byte
	if *jsonQuery != "" {
		raw = []byte(*jsonQuery)
		if name, ok := strings.CutPrefix(*jsonQuery, "@"); ok {
			if raw, err = os.ReadFile(name); err != nil {
				return fmt.Errorf("read the query: %w", err)
			}
		}
		if _, err = query.Decode(raw); err != nil {
			return err
		}
	}
	values, err := fields()
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if raw, err = overlay(raw, values); err != nil {
		return err
	}
	// Decoded after the flags, so that a bad --type gets the list of valid ones.
	q, err := query.Decode(raw)
	if err != nil {
		return err
	}

	var given *schema.Schema
	if *schemaFile != "" {
		if given, err = schema.Load(*schemaFile); err != nil {
			return err
		}
	}
	st, err := stores.Open(ctx, *storeSpec, stores.MustExist())
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w; check --store: a query reads a store and never creates one", err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	// Without --schema, the tickets are read with the schema they were written with.
	sch, mismatch, err := storeschema.Choose(ctx, st, given)
	if err != nil {
		return err
	}
	if mismatch != nil {
		fmt.Fprintf(stderr, "spacetime query: warning: --schema %s: %s; leave --schema out to read them with the store's\n", *schemaFile, mismatch)
	}
	env, err := query.NewEnv(sch)
	if err != nil {
		return err
	}
	eng := engine.New(sch, st, engine.Options{Open: env.Open})
	if _, err := eng.Sync(ctx); err != nil {
		return fmt.Errorf("load the tickets: %w", err)
	}

	now := time.Now().UTC()
	req := query.Request{Query: q}
	if *last != "" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["from"] || set["to"] {
			return fmt.Errorf("%w: use --last or --from/--to, not both", errUsage)
		}
		d, err := duration.Parse(*last)
		if err != nil {
			return fmt.Errorf("%w: --last: %v", errUsage, err)
		}
		req.From, req.To = now.Add(-d), now
	} else {
		if req.From, err = parseTimeFlag(*from, now); err != nil {
			return fmt.Errorf("%w: --from: %v", errUsage, err)
		}
		if req.To, err = parseTimeFlag(*to, now); err != nil {
			return fmt.Errorf("%w: --to: %v", errUsage, err)
		}
		if req.From.IsZero() || req.To.IsZero() {
			lo, hi, ok, err := extent(ctx, eng, sch, q.Base().TimeField)
			if err != nil {
				return err
			}
			if !ok {
				lo, hi = now.Add(-24*time.Hour), now
			}
			if req.From.IsZero() {
				req.From = lo
			}
			if req.To.IsZero() {
				req.To = hi
			}
		}
	}
	frames, err := query.Run(ctx, eng, env, req)
	if err != nil {
		return err
	}
	return out.print(frames)
}

// extent finds the oldest and newest ticket's time, so that a query without a range looks
// at all the tickets; the end is one millisecond past the newest since ranges are [from, to).
func extent(ctx context.Context, eng *engine.Engine, sch *schema.Schema, timeField string) (lo, hi time.Time, ok bool, err error) {
	for _, desc := range []bool{false, true} {
		field := timeField
		if field == "" {
			field = sch.Time
		}
		res, err := eng.Tickets(ctx, engine.TicketsRequest{Columns: []string{field}, Sort: []schema.SortKey{{Field: field, Desc: desc}}, Limit: 1,
			Scope: engine.Scope{TimeField: timeField}})
		if err != nil {
			return lo, hi, false, fmt.Errorf("find the time extent: %w", err)
		}
		var col *engine.Column
		for i := range res.Columns {
			if res.Columns[i].Name == field {
				col = &res.Columns[i]
			}
		}
		if col == nil || len(col.Times) == 0 || (len(col.Nulls) > 0 && col.Nulls[0]) {
			return lo, hi, false, nil
		}
		if desc {
			hi = col.Times[0].Add(time.Millisecond)
		} else {
			lo = col.Times[0]
		}
	}
	return lo, hi, true, nil
}

func parseSort(keys []string) []schema.SortKey {
	out := make([]schema.SortKey, 0, len(keys))
	for _, k := range keys {
		desc := strings.HasPrefix(k, "-")
		out = append(out, schema.SortKey{Field: strings.TrimLeft(k, "-+"), Desc: desc})
	}
	return out
}

// parseTimeFlag reads RFC 3339, a date, a date and time, unix milliseconds, or now-DURATION.
func parseTimeFlag(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, nil
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-"):
		d, err := duration.Parse(s[4:])
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, YYYY-MM-DD[ HH:MM[:SS]], unix milliseconds or now-DURATION)", s)
}

// printer writes frames in one of the output formats.
type printer struct {
	format string
	w      io.Writer
}

func newPrinter(format string, w io.Writer) (*printer, error) {
	switch format {
	case "table", "tsv", "csv", "json":
		return &printer{format: format, w: w}, nil
	}
	return nil, fmt.Errorf("unknown --format %q; use table, tsv, csv or json", format)
}

// header names a field: a split series by its label value, a number with several labels
// (a localize summary) by its labels as name=value pairs, a table column by its display
// name in the table format and by its field name elsewhere (stable for scripts).
func (p *printer) header(f *data.Field) string {
	if len(f.Labels) == 1 {
		for _, v := range f.Labels {
			return v
		}
	}
	if len(f.Labels) > 1 {
		keys := make([]string, 0, len(f.Labels))
		for k := range f.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		pairs := make([]string, len(keys))
		for i, k := range keys {
			pairs[i] = k + "=" + f.Labels[k]
		}
		return strings.Join(pairs, "; ")
	}
	if p.format == "table" && f.Config != nil {
		if f.Config.DisplayName != "" {
			return f.Config.DisplayName
		}
		if f.Config.DisplayNameFromDS != "" {
			return f.Config.DisplayNameFromDS
		}
	}
	return f.Name
}

func cell(f *data.Field, i int) (string, any) {
	v, ok := f.ConcreteAt(i)
	if !ok {
		return "", nil
	}
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339), x.UTC().Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), x
	case int64:
		return strconv.FormatInt(x, 10), x
	case bool:
		return strconv.FormatBool(x), x
	case string:
		return x, x
	case json.RawMessage:
		return string(x), x
	}
	return fmt.Sprint(v), v
}

func (p *printer) print(frames data.Frames) error {
	for n, fr := range frames {
		rows, err := fr.RowLen()
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		headers := make([]string, len(fr.Fields))
		for i, f := range fr.Fields {
			headers[i] = p.header(f)
		}
		switch p.format {
		case "json":
			out := make([]map[string]any, rows)
			for r := range rows {
				row := make(map[string]any, len(fr.Fields))
				for i, f := range fr.Fields {
					_, row[headers[i]] = cell(f, r)
				}
				out[r] = row
			}
			enc := json.NewEncoder(p.w)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				return fmt.Errorf("write JSON: %w", err)
			}
		case "csv", "tsv":
			cw := csv.NewWriter(p.w)
			if p.format == "tsv" {
				cw.Comma = '\t'
			}
			_ = cw.Write(headers)
			rec := make([]string, len(fr.Fields))
			for r := range rows {
				for i, f := range fr.Fields {
					rec[i], _ = cell(f, r)
					if p.format == "tsv" {
						// TSV has no quoting: tabs and newlines inside a value become spaces.
						rec[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(rec[i])
					}
				}
				_ = cw.Write(rec)
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return fmt.Errorf("write %s: %w", p.format, err)
			}
		default:
			shown := shownFields(fr, rows)
			tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
			names := make([]string, len(shown))
			for j, i := range shown {
				names[j] = headers[i]
			}
			fmt.Fprintln(tw, strings.Join(names, "\t"))
			vals := make([]string, len(shown))
			for r := range rows {
				for j, i := range shown {
					s, _ := cell(fr.Fields[i], r)
					vals[j] = strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
				}
				fmt.Fprintln(tw, strings.Join(vals, "\t"))
			}
			if err := tw.Flush(); err != nil {
				return fmt.Errorf("write the table: %w", err)
			}
			if fr.Meta != nil {
				for _, n := range fr.Meta.Notices {
					fmt.Fprintln(p.w, n.Text)
				}
			}
		}
	}
	return nil
}

// shownFields lists the fields a table for people shows: all but a tickets frame's search
// match when every row matches (no search was given), where the column says nothing.
func shownFields(fr *data.Frame, rows int) []int {
	shown := make([]int, 0, len(fr.Fields))
	for i, f := range fr.Fields {
		if f.Name == frames.MatchField && f.Type() == data.FieldTypeBool {
			all := true
			for r := range rows {
				if v, ok := f.At(r).(bool); !ok || !v {
					all = false
					break
				}
			}
			if all {
				continue
			}
		}
		shown = append(shown, i)
	}
	return shown
}
