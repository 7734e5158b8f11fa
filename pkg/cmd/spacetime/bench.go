package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/bench"
	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// runBench measures, on a generated data set, what the README's performance section
// quotes: import throughput into the embedded store, start-up (loading the store into the
// engine), resident memory per ticket, and the time of the drill-down workload.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		n       = fs.Int("tickets", 1_000_000, "tickets to generate")
		spanS   = fs.String("span", "30d", "the time the tickets span, ending now")
		outages = fs.Int("outages", 12, "outage spikes in the data set")
		dir     = fs.String("dir", "", "keep the store in this directory (default: a temporary one, removed after)")
		rounds  = fs.Int("rounds", 20, "times to run the drill-down per range; the median is reported")
		batch   = fs.Int("batch", 10_000, "records per store write")
	)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	span, err := query.ParseDuration(*spanS)
	if err != nil {
		return fmt.Errorf("%w: --span: %v", errUsage, err)
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "spacetime-bench-")
		if err != nil {
			return fmt.Errorf("make a temporary directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	path := filepath.Join(*dir, "bench.db")
	end := time.Now().UTC().Truncate(time.Minute)

	// (e) import throughput: generate and write in batches, as `spacetime import` does.
	st, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		return err
	}
	start := time.Now()
	buf := make([]ticket.Record, 0, *batch)
	var written store.UpsertResult
	flush := func() error {
		res, err := st.Upsert(ctx, buf)
		written.Add(res)
		buf = buf[:0]
		return err
	}
	err = gen.Generate(ctx, gen.Options{Tickets: *n, End: end, Span: span, Seed: 1, Outages: *outages}, func(r *ticket.Record) error {
		buf = append(buf, r.Clone())
		if len(buf) == cap(buf) {
			return flush()
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		err = flush()
	}
	if err != nil {
		st.Close()
		return fmt.Errorf("generate and store: %w", err)
	}
	importTime := time.Since(start)
	fmt.Fprintf(stdout, "import:   %d tickets in %v: %.0f tickets/s (generation included, batches of %d)\n",
		written.Inserted+written.Updated, importTime.Round(time.Millisecond), float64(*n)/importTime.Seconds(), *batch)
	if err := st.Close(); err != nil {
		return err
	}

	// (d) start-up and (c) memory: open the store and load it into a new engine.
	runtime.GC()
	debug.FreeOSMemory()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := residentBytes()
	start = time.Now()
	st, err = bolt.Open(path, bolt.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	sch := schema.Default()
	env, err := query.NewEnv(sch)
	if err != nil {
		return err
	}
	eng := engine.New(sch, st, engine.Options{Open: env.Open})
	loaded, err := eng.Sync(ctx)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	loadTime := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapInuse) - int64(before.HeapInuse)
	fmt.Fprintf(stdout, "start-up: %d tickets loaded from the store in %v\n", loaded, loadTime.Round(time.Millisecond))
	fmt.Fprintf(stdout, "memory:   %.0f bytes per ticket of Go heap in use", float64(heap)/float64(eng.Len()))
	if rss := residentBytes(); rss.anon > 0 && rssBefore.anon > 0 {
		fmt.Fprintf(stdout, "; the process's anonymous resident memory grew %.0f bytes per ticket (plus %.0f of the store file's pages, mapped by bbolt: page cache the kernel can drop)",
			float64(rss.anon-rssBefore.anon)/float64(eng.Len()), float64(rss.file-rssBefore.file)/float64(eng.Len()))
	}
	fmt.Fprintln(stdout)

	// (a) the drill-down: nine refreshes of seven panels, through query.Run as the plugin
	// runs them (filter parsing, engine, frames), for several time ranges.
	service, region := outageFocus(ctx, eng, env, end, span)
	fmt.Fprintf(stdout, "workload: 9 refreshes x 7 panels, drilling into service %q and regions ~ %q\n", service, region)
	for _, w := range []struct {
		name   string
		window time.Duration
	}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"all " + *spanS, span + time.Minute}} {
		refreshes := bench.Drilldown(end.Add(time.Minute), w.window, service, region)
		times := make([]time.Duration, 0, *rounds)
		for r := 0; r < *rounds; r++ {
			t0 := time.Now()
			for _, rf := range refreshes {
				for _, q := range rf.Queries {
					if _, err := query.Run(ctx, eng, env, query.Request{Query: q, From: rf.From, To: rf.To, Interval: time.Minute, MaxDataPoints: 1000}); err != nil {
						return fmt.Errorf("refresh %q, %s query: %w", rf.Name, q.QueryType, err)
					}
				}
			}
			times = append(times, time.Since(t0))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		fmt.Fprintf(stdout, "refresh:  range %-8s 9 refreshes in %v median (min %v, max %v over %d rounds)\n",
			w.name, times[len(times)/2].Round(10*time.Microsecond), times[0].Round(10*time.Microsecond), times[len(times)-1].Round(10*time.Microsecond), len(times))
	}
	return nil
}

// outageFocus picks what a responder would click on: the service and the region of the
// biggest spike, found with the same queries the dashboard sends.
func outageFocus(ctx context.Context, eng *engine.Engine, env *query.Env, end time.Time, span time.Duration) (service, regionRegex string) {
	service, region := "unknown", "^eu-"
	top := func(field string) string {
		frames, err := query.Run(ctx, eng, env, query.Request{Query: query.Query{QueryType: query.Breakdown, Field: field, Top: 1}, From: end.Add(-span), To: end.Add(time.Minute)})
		if err != nil || len(frames) == 0 || frames[0].Fields[0].Len() == 0 {
			return ""
		}
		return frames[0].Fields[0].At(0).(string)
	}
	if s := top("service"); s != "" {
		service = s
	}
	if r := top("region"); r != "" {
		if i := strings.Index(r, "-"); i > 0 {
			region = "^" + r[:i+1]
		}
	}
	return service, region
}

// resident is the process's resident memory by kind, from /proc/self/status (Linux):
// anonymous memory is what the process itself holds (heap, stacks); file memory is mapped
// files, here bbolt's read-only map of the store.
type resident struct{ anon, file int64 }

// residentBytes reads the resident set, or zeros where /proc is not there.
func residentBytes() resident {
	var r resident
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return r
	}
	for _, line := range strings.Split(string(raw), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "RssAnon:":
			r.anon = kb * 1024
		case "RssFile:":
			r.file = kb * 1024
		}
	}
	return r
}
