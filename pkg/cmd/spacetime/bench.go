package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/bench"
	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// runBench measures, in one run on a generated data set, the figures the performance
// documentation quotes: `spacetime import` of a CSV file, the start-up of a process from
// the store and from the engine image with its resident memory, the drill-down passes
// in process (warm, and after a write, which empties the selection cache) and through
// the plugin binary over gRPC; with the machine's load average before and after, since
// the machines it runs on are shared.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench")
	var (
		n       = fs.Int("tickets", 1_000_000, "tickets to generate")
		spanS   = fs.String("span", "30d", "the time the tickets span, ending now")
		outages = fs.Int("outages", 12, "outage spikes in the data set")
		dir     = fs.String("dir", "", "keep the files (CSV, store, image) in this directory (default: a temporary one, removed after)")
		rounds  = fs.Int("rounds", 20, "drill-down passes per range and mode")
		plugin  = fs.String("plugin", "", "the plugin binary for the gRPC passes (default: build it from the source, if there)")
		noGRPC  = fs.Bool("no-grpc", false, "skip the passes through the plugin binary")
	)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	span, err := duration.Parse(*spanS)
	if err != nil {
		return fmt.Errorf("%w: --span: %v", errUsage, err)
	}
	if *n <= 0 || *rounds <= 0 {
		return fmt.Errorf("%w: --tickets and --rounds must be positive", errUsage)
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "spacetime-bench-")
		if err != nil {
			return fmt.Errorf("make a temporary directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	} else if err := os.MkdirAll(*dir, 0o750); err != nil {
		return fmt.Errorf("make the directory: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program to start it again: %w", err)
	}
	out := &report{w: stdout}
	out.line("machine", "%d cores (%s), Go %s; load average %s", runtime.NumCPU(), cpuModel(), runtime.Version(), loadAverage())
	end := time.Now().UTC().Truncate(time.Minute)

	// The data set, as `spacetime generate --format csv` writes it.
	csvPath := filepath.Join(*dir, "tickets.csv")
	start := time.Now()
	opts := gen.Options{Tickets: *n, End: end, Span: span, Seed: 1, Outages: *outages}
	if err := writeCSV(ctx, csvPath, opts); err != nil {
		return err
	}
	out.line("data", "%d tickets over %s, %s of CSV, generated in %s", *n, *spanS, mib(fileSize(csvPath)), secs(time.Since(start)))

	// (1) `spacetime import` of that file into a new embedded store.
	storePath := filepath.Join(*dir, "bench.db")
	imagePath := storePath + ".image"
	for _, p := range []string{storePath, imagePath} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	start = time.Now()
	if err := runImport(ctx, []string{"--quiet", "--store", storePath, csvPath}, io.Discard, stderr); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	took := time.Since(start)
	out.line("import", "spacetime import: %d tickets in %s, %.0f tickets/s (store file %s)", *n, secs(took), float64(*n)/took.Seconds(), mib(fileSize(storePath)))

	// (2) Start-up, each in a new process as after a restart: from the store (which then
	// writes the image), and from the image.
	fromStore, err := startupChild(ctx, self, storePath, imagePath, false)
	if err != nil {
		return err
	}
	out.startup("from the store", fromStore)
	out.line("image", "written in %s: %s, %.0f B/ticket", secs(fromStore.SaveTook), mib(fromStore.ImageBytes), float64(fromStore.ImageBytes)/float64(fromStore.Tickets))
	fromImage, err := startupChild(ctx, self, storePath, imagePath, true)
	if err != nil {
		return err
	}
	if !fromImage.FromImage {
		return fmt.Errorf("the start-up from the image did not use it: %s", fromImage.ImageError)
	}
	out.startup("from the image", fromImage)

	// (3) The drill-down passes in this process, through query.Run as the plugin runs
	// them (filters, engine, frames).
	if err := inProcessPasses(ctx, out, storePath, imagePath, end, span, *spanS, *rounds); err != nil {
		return err
	}

	// (4) The same through the plugin binary over gRPC, one request per panel.
	if *noGRPC {
		out.line("gRPC", "skipped (--no-grpc)")
	} else if err := grpcPasses(ctx, out, *plugin, *dir, storePath, end, span, *spanS, *rounds); err != nil {
		out.line("gRPC", "skipped: %v", err)
	}
	out.line("machine", "load average %s at the end", loadAverage())
	return out.err
}

// report prints aligned lines.
type report struct {
	w   io.Writer
	err error
}

func (r *report) line(what, format string, args ...any) {
	if r.err != nil {
		return
	}
	_, r.err = fmt.Fprintf(r.w, "%-9s %s\n", what+":", fmt.Sprintf(format, args...))
}

func (r *report) startup(how string, s startupResult) {
	per := func(b int64) float64 { return float64(b) / float64(s.Tickets) }
	r.line("start-up", "%s: %d tickets ready to answer in %s; resident %.0f B/ticket (anonymous %.0f + mapped file %.0f), Go heap %.0f B/ticket; %.0f B/ticket resident once the garbage is returned (anonymous %.0f)",
		how, s.Tickets, secs(s.Took), per(s.Anon+s.File), per(s.Anon), per(s.File), per(s.Heap), per(s.SettledAnon+s.SettledFile), per(s.SettledAnon))
}

func writeCSV(ctx context.Context, path string, opts gen.Options) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gen.WriteCSV(ctx, f, opts); err != nil {
		f.Close()
		return fmt.Errorf("generate %s: %w", path, err)
	}
	return f.Close()
}

// startupResult is what a start-up child process reports.
type startupResult struct {
	Tickets    int           `json:"tickets"`
	FromImage  bool          `json:"fromImage"`
	ImageError string        `json:"imageError,omitempty"`
	Took       time.Duration `json:"took"`
	// Anon and File are the resident anonymous memory and mapped file pages right after
	// the start-up, Heap the Go heap in use; Settled* after a GC that returns the
	// garbage to the operating system.
	Anon        int64         `json:"anon"`
	File        int64         `json:"file"`
	Heap        int64         `json:"heap"`
	SettledAnon int64         `json:"settledAnon"`
	SettledFile int64         `json:"settledFile"`
	SaveTook    time.Duration `json:"saveTook,omitempty"`
	ImageBytes  int64         `json:"imageBytes,omitempty"`
}

// benchStartupCommand is the internal command a bench runs in a child process, so that
// a start-up is measured as after a restart: a process whose memory holds nothing else.
const benchStartupCommand = "bench-startup"

func startupChild(ctx context.Context, self, storePath, imagePath string, useImage bool) (startupResult, error) {
	var res startupResult
	args := []string{benchStartupCommand, "--store", storePath, "--image", imagePath}
	if useImage {
		args = append(args, "--use-image")
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("start-up in a new process: %w", err)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return res, fmt.Errorf("start-up in a new process: its report %q: %w", raw, err)
	}
	return res, nil
}

// runBenchStartup is the child's side: open the store, load the engine (from the image
// when asked), measure, and write the image when it was not used.
func runBenchStartup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	fs := flag.NewFlagSet(benchStartupCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	storePath := fs.String("store", "", "the store file")
	imagePath := fs.String("image", "", "the engine image")
	useImage := fs.Bool("use-image", false, "start from the image")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	st, err := bolt.Open(*storePath, bolt.Options{})
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
	var res startupResult
	if *useImage {
		if _, err := eng.LoadImage(ctx, *imagePath); err != nil {
			res.ImageError = err.Error()
		} else {
			res.FromImage = true
		}
	}
	if _, err := eng.Sync(ctx); err != nil {
		return err
	}
	res.Took = time.Since(start)
	res.Tickets = eng.Len()
	rss := residentBytes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.Anon, res.File, res.Heap = rss.anon, rss.file, int64(ms.HeapInuse)
	runtime.GC()
	debug.FreeOSMemory()
	rss = residentBytes()
	res.SettledAnon, res.SettledFile = rss.anon, rss.file
	if !*useImage {
		info, err := eng.SaveImage(ctx, *imagePath)
		if err != nil {
			return err
		}
		res.SaveTook, res.ImageBytes = info.Took, info.Bytes
	}
	runtime.KeepAlive(eng)
	return json.NewEncoder(stdout).Encode(res)
}

// ranges are the drill-down's time ranges: the last day, week, and the whole data set.
func ranges(span time.Duration, spanName string) []struct {
	name   string
	window time.Duration
} {
	return []struct {
		name   string
		window time.Duration
	}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"all " + spanName, span + time.Minute}}
}

func inProcessPasses(ctx context.Context, out *report, storePath, imagePath string, end time.Time, span time.Duration, spanName string, rounds int) error {
	st, err := bolt.Open(storePath, bolt.Options{})
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
	if _, err := eng.LoadImage(ctx, imagePath); err != nil {
		return err
	}
	if _, err := eng.Sync(ctx); err != nil {
		return err
	}
	// A ticket written again, unchanged: the engine's generation moves, which empties the
	// selection cache, as a poll's write does every minute.
	again, err := st.Get(ctx, []string{"INC00000001"})
	if err != nil || len(again) != 1 {
		return fmt.Errorf("read a ticket to write again: %v", err)
	}
	service, region := outageFocus(ctx, eng, env, end, span)
	out.line("passes", "9 refreshes x 7 panels, drilling into service %q and regions ~ %q; %d passes per range and mode", service, region, rounds)
	for _, w := range ranges(span, spanName) {
		refreshes := bench.Drilldown(end.Add(time.Minute), w.window, service, region)
		pass := func() (time.Duration, error) {
			t0 := time.Now()
			for _, rf := range refreshes {
				for _, q := range rf.Queries {
					if _, err := query.Run(ctx, eng, env, query.Request{Query: q, From: rf.From, To: rf.To, Interval: time.Minute, MaxDataPoints: 1000}); err != nil {
						return 0, fmt.Errorf("refresh %q, %s query: %w", rf.Name, q.Type(), err)
					}
				}
			}
			return time.Since(t0), nil
		}
		if _, err := pass(); err != nil { // fills the cache for the warm passes
			return err
		}
		var warm, cold []time.Duration
		for range rounds {
			d, err := pass()
			if err != nil {
				return err
			}
			warm = append(warm, d)
		}
		for range rounds {
			eng.Apply(again)
			d, err := pass()
			if err != nil {
				return err
			}
			cold = append(cold, d)
		}
		out.line("pass", "range %-8s warm %s; after a write (no reuse) %s", w.name, spread(warm), spread(cold))
	}
	return nil
}

func grpcPasses(ctx context.Context, out *report, bin, dir, storePath string, end time.Time, span time.Duration, spanName string, rounds int) error {
	if bin == "" {
		built, err := binaryhost.Build(ctx, dir)
		if err != nil {
			return fmt.Errorf("no --plugin, and building it failed: %w", err)
		}
		bin = built
	}
	start := time.Now()
	host, err := binaryhost.Start(bin, dir, nil)
	if err != nil {
		return err
	}
	defer host.Stop()
	pc, err := binaryhost.Context("bench", map[string]any{"storePath": storePath})
	if err != nil {
		return err
	}
	// The health check waits for the load.
	if res, err := host.CheckHealth(ctx, pc); err != nil || res.Status != backend.HealthStatusOk {
		return fmt.Errorf("health: %v %v", res, err)
	}
	ready := time.Since(start)
	rss := processResident(host.PID())
	service, region := "unknown", "^eu-"
	top, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
		RefID: "A", JSON: []byte(`{"queryType":"breakdown","field":"service","top":1}`),
		TimeRange: backend.TimeRange{From: end.Add(-span), To: end.Add(time.Minute)},
	}}})
	if err == nil && top.Responses["A"].Error == nil && len(top.Responses["A"].Frames) > 0 && top.Responses["A"].Frames[0].Fields[0].Len() > 0 {
		service, _ = top.Responses["A"].Frames[0].Fields[0].At(0).(string)
	}
	if tickets := statsTickets(ctx, host, pc, end, span); tickets > 0 {
		out.line("gRPC", "the plugin binary started (go-plugin, as Grafana starts it) and answered its health check in %s; resident %.0f B/ticket (anonymous %.0f + mapped file %.0f)",
			secs(ready), float64(rss.anon+rss.file)/float64(tickets), float64(rss.anon)/float64(tickets), float64(rss.file)/float64(tickets))
	}
	for _, w := range ranges(span, spanName) {
		if w.name == "7d" {
			continue
		}
		var reqs []backend.DataQuery
		var times []backend.TimeRange
		for _, rf := range bench.Drilldown(end.Add(time.Minute), w.window, service, region) {
			for _, q := range rf.Queries {
				raw, err := query.Encode(q)
				if err != nil {
					return err
				}
				reqs = append(reqs, backend.DataQuery{RefID: "A", JSON: raw, Interval: time.Minute, MaxDataPoints: 1000})
				times = append(times, backend.TimeRange{From: rf.From, To: rf.To})
			}
		}
		pass := func() (time.Duration, error) {
			t0 := time.Now()
			for i, q := range reqs {
				q.TimeRange = times[i]
				resp, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{q}})
				if err != nil {
					return 0, err
				}
				if e := resp.Responses["A"].Error; e != nil {
					return 0, e
				}
			}
			return time.Since(t0), nil
		}
		if _, err := pass(); err != nil {
			return err
		}
		var warm []time.Duration
		for range rounds {
			d, err := pass()
			if err != nil {
				return err
			}
			warm = append(warm, d)
		}
		out.line("gRPC", "range %-8s warm %s (63 requests, one per panel, frames decoded)", w.name, spread(warm))
	}
	return nil
}

func statsTickets(ctx context.Context, host *binaryhost.Host, pc backend.PluginContext, end time.Time, span time.Duration) int64 {
	resp, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
		RefID: "A", JSON: []byte(`{"queryType":"stats"}`), TimeRange: backend.TimeRange{From: end.Add(-2 * span), To: end.Add(time.Hour)},
	}}})
	if err != nil || resp.Responses["A"].Error != nil || len(resp.Responses["A"].Frames) == 0 {
		return 0
	}
	f := resp.Responses["A"].Frames[0]
	for _, fl := range f.Fields {
		if fl.Name == "total" && fl.Len() > 0 {
			if v, ok := fl.At(0).(int64); ok {
				return v
			}
		}
	}
	return 0
}

// spread prints the median, 95th percentile and maximum of a set of durations.
func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	p95 := s[int(math.Ceil(0.95*float64(len(s))))-1]
	return fmt.Sprintf("median %s p95 %s max %s", ms(s[len(s)/2]), ms(p95), ms(s[len(s)-1]))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// loadAverage is the 1, 5 and 15 minute load averages, from /proc/loadavg (Linux).
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// outageFocus picks what a responder would click on: the service and the region of the
// biggest spike, found with the same queries the dashboard sends.
func outageFocus(ctx context.Context, eng *engine.Engine, env *query.Env, end time.Time, span time.Duration) (service, regionRegex string) {
	service, region := "unknown", "^eu-"
	top := func(field string) string {
		frames, err := query.Run(ctx, eng, env, query.Request{Query: &query.BreakdownQuery{Field: field, Top: 1}, From: end.Add(-span), To: end.Add(time.Minute)})
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

// resident is a process's resident memory by kind, from /proc/PID/status (Linux):
// anonymous memory is what the process itself holds (heap, stacks); file memory is mapped
// files, here bbolt's read-only map of the store.
type resident struct{ anon, file int64 }

// residentBytes reads this process's resident set, or zeros where /proc is not there.
func residentBytes() resident { return readResident("/proc/self/status") }

func processResident(pid int) resident {
	return readResident("/proc/" + strconv.Itoa(pid) + "/status")
}

func readResident(path string) resident {
	var r resident
	raw, err := os.ReadFile(path)
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
