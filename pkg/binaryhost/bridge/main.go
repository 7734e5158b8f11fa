// Command bridge is Grafana's HTTP API for the plugin, without Grafana: it answers the
// routes Spacetime's frontend calls (POST /api/ds/query, /api/datasources/uid/UID/resources/...,
// /api/datasources/uid/UID/health) by calling the real plugin binary over gRPC as Grafana
// does (package binaryhost starts it), for the TypeScript contract suite (contract/), which
// runs the frontend's own src/datasource.ts against it. Tests only: it is not shipped.
//
// The data sources it serves are the provisioned ones (provisioning/datasources, those of
// the plugin's type), with their settings, over a generated data set (package gen) with
// known contents, which it writes as JSON lines beside the store so that a test can count
// the truth itself. Two settings are changed, and say why: storePath points at the
// generated store, and the ticket source is off (the provisioned demo source would add
// tickets at the real clock, and nothing could be counted). -extra UID serves one more
// Spacetime data source with the same settings over a data set of its own, as a data
// source added in Grafana's UI would be (another uid, another store).
//
// Once it listens it prints one JSON line on stdout (Ready) and serves until stdin closes
// or it gets SIGINT or SIGTERM, so that a test runner that dies takes it along.
//
//	go run ./pkg/binaryhost/bridge -dir /tmp/x
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"go.yaml.in/yaml/v3"

	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/stores"
)

// Ready is what the bridge prints once it listens.
type Ready struct {
	// URL is where Grafana's API is served, such as http://127.0.0.1:40123.
	URL         string       `json:"url"`
	Datasources []Datasource `json:"datasources"`
}

// Datasource is one data source the bridge serves, as Grafana's /api/datasources lists
// it, plus the data set behind it.
type Datasource struct {
	ID       int64          `json:"id"`
	UID      string         `json:"uid"`
	Name     string         `json:"name"`
	Type     string         `json:"type"`
	JSONData map[string]any `json:"jsonData"`
	// Provisioned is false for the -extra data sources.
	Provisioned bool `json:"provisioned"`
	// Tickets is the generated data set as JSON lines, one ticket a line (gen.WriteJSONL).
	Tickets string `json:"tickets"`
	// Dataset are the generator's options.
	Dataset Dataset `json:"dataset"`
}

// Dataset are the options the data set was generated with (gen.Options).
type Dataset struct {
	Tickets int       `json:"tickets"`
	Seed    int64     `json:"seed"`
	End     time.Time `json:"end"`
	Span    string    `json:"span"`
	Outages int       `json:"outages"`
	// Planned are the outages the generator put in the data set (gen.PlanOutages), oldest
	// first: the ground truth of a test that asks where a spike is.
	Planned []Outage `json:"planned"`
}

// Outage is one outage of the data set: one service in one region opened many more
// tickets from Start to End (gen.Outage).
type Outage struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Service string    `json:"service"`
	Region  string    `json:"region"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bridge: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	root := moduleRoot()
	var extra []string
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	dir := flag.String("dir", "", "working directory for the data sets, stores and plugin data (default: a temporary one, removed at exit)")
	provisioning := flag.String("provisioning", filepath.Join(root, "provisioning", "datasources"), "Grafana's data source provisioning directory")
	binary := flag.String("plugin", "", "the plugin binary (default: build ./pkg)")
	tickets := flag.Int("tickets", 20000, "tickets in the data set")
	seed := flag.Int64("seed", 7, "the generator's seed (each -extra data source takes the next one)")
	end := flag.String("end", "2026-11-20T00:00:00Z", "the newest creation time of the data set, RFC 3339")
	span := flag.Duration("span", 7*24*time.Hour, "how far back from -end the tickets are created")
	outages := flag.Int("outages", 3, "outages (spikes) in the span")
	flag.Func("extra", "uid of one more Spacetime data source with the provisioned settings and a data set of its own (repeatable)", func(s string) error {
		if s == "" {
			return errors.New("empty uid")
		}
		extra = append(extra, s)
		return nil
	})
	flag.Parse()

	endTime, err := time.Parse(time.RFC3339, *end)
	if err != nil {
		return fmt.Errorf("-end: %w", err)
	}
	work := *dir
	if work == "" {
		if work, err = os.MkdirTemp("", "spacetime-bridge-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dss, err := provisioned(*provisioning)
	if err != nil {
		return err
	}
	for i, uid := range extra {
		if slices.ContainsFunc(dss, func(d Datasource) bool { return d.UID == uid }) {
			return fmt.Errorf("-extra %s: a provisioned data source has that uid", uid)
		}
		ds := dss[0]
		ds.UID, ds.Name, ds.Provisioned = uid, fmt.Sprintf("%s (added in the UI, %d)", dss[0].Name, i+1), false
		ds.JSONData = cloneMap(dss[0].JSONData)
		dss = append(dss, ds)
	}
	for i := range dss {
		ds := &dss[i]
		ds.ID = int64(i + 1)
		ds.Dataset = Dataset{Tickets: *tickets, Seed: *seed + int64(i), End: endTime, Span: span.String(), Outages: *outages}
		if err := ds.prepare(ctx, filepath.Join(work, ds.UID), *span); err != nil {
			return fmt.Errorf("data source %s: %w", ds.UID, err)
		}
	}

	bin := *binary
	if bin == "" {
		if bin, err = binaryhost.Build(ctx, work); err != nil {
			return err
		}
	}
	// Grafana starts a plugin in its own working directory, not the plugin's.
	host, err := binaryhost.Start(bin, work, []string{"GF_PATHS_DATA=" + filepath.Join(work, "grafana-data")})
	if err != nil {
		return err
	}
	defer host.Stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newServer(host, dss), ReadHeaderTimeout: 10 * time.Second}
	// One connection per request: a test runner's pooled idle connections would otherwise
	// keep it from exiting when its tests are done.
	srv.SetKeepAlivesEnabled(false)
	go func() {
		// The test runner holds stdin open; when it goes away, so does the bridge.
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()

	ready, err := json.Marshal(Ready{URL: "http://" + ln.Addr().String(), Datasources: dss})
	if err != nil {
		return err
	}
	fmt.Println(string(ready))
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// moduleRoot is the repository root, from this source file (go run keeps the path).
func moduleRoot() string {
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Join(filepath.Dir(here), "..", "..", "..")
}

// provisioned reads the data sources of the plugin's type from Grafana's provisioning
// files, as Grafana's provisioning does (apiVersion 1, datasources: name, uid, type,
// jsonData).
func provisioned(dir string) ([]Datasource, error) {
	var paths []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		p, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	slices.Sort(paths)
	var out []Datasource
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var file struct {
			Datasources []struct {
				Name     string         `yaml:"name"`
				UID      string         `yaml:"uid"`
				Type     string         `yaml:"type"`
				JSONData map[string]any `yaml:"jsonData"`
			} `yaml:"datasources"`
		}
		if err := yaml.Unmarshal(raw, &file); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, d := range file.Datasources {
			if d.Type != binaryhost.PluginID {
				continue
			}
			if d.UID == "" {
				return nil, fmt.Errorf("%s: data source %q has no uid; the dashboards need one to default to", p, d.Name)
			}
			out = append(out, Datasource{UID: d.UID, Name: d.Name, Type: d.Type, JSONData: d.JSONData, Provisioned: true})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no data source of type %s is provisioned in %s", binaryhost.PluginID, dir)
	}
	return out, nil
}

func cloneMap(m map[string]any) map[string]any {
	raw, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// prepare generates the data set into dir, imports it into an embedded store there, and
// points the settings at that store with the ticket source off.
func (ds *Datasource) prepare(ctx context.Context, dir string, span time.Duration) error {
	if ds.JSONData == nil {
		ds.JSONData = map[string]any{}
	}
	for _, k := range []string{"schema", "schemaPath"} {
		if v, _ := ds.JSONData[k].(string); v != "" {
			return fmt.Errorf("jsonData.%s is set, but the generated data set follows the default schema", k)
		}
	}
	if store, _ := ds.JSONData["store"].(string); store != "" && store != "embedded" {
		return fmt.Errorf("jsonData.store is %q; the bridge serves the embedded store only", store)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ds.Tickets = filepath.Join(dir, "tickets.jsonl")
	f, err := os.Create(ds.Tickets)
	if err != nil {
		return err
	}
	opts := gen.Options{Tickets: ds.Dataset.Tickets, Seed: ds.Dataset.Seed, End: ds.Dataset.End, Span: span, Outages: ds.Dataset.Outages}
	for _, o := range gen.PlanOutages(opts) {
		ds.Dataset.Planned = append(ds.Dataset.Planned, Outage{Start: o.Start, End: o.End, Service: o.Service, Region: o.Region})
	}
	if err := gen.WriteJSONL(ctx, f, opts); err != nil {
		f.Close()
		return fmt.Errorf("generate: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	storePath := filepath.Join(dir, "tickets.db")
	st, err := stores.Open(ctx, storePath)
	if err != nil {
		return err
	}
	rep, err := ingest.ImportFile(ctx, ds.Tickets, schema.Default(), ingest.Options{}, st.Upsert)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if rep.Rejected > 0 || rep.Records == 0 {
		return fmt.Errorf("import: %d records, %d rejected", rep.Records, rep.Rejected)
	}
	ds.JSONData["store"] = "embedded"
	ds.JSONData["storePath"] = storePath
	delete(ds.JSONData, "source")
	return nil
}

// server answers Grafana's API routes for the data sources.
type server struct {
	host *binaryhost.Host
	dss  map[string]*Datasource
	mux  *http.ServeMux
}

func newServer(host *binaryhost.Host, dss []Datasource) *server {
	s := &server{host: host, dss: map[string]*Datasource{}, mux: http.NewServeMux()}
	for i := range dss {
		s.dss[dss[i].UID] = &dss[i]
	}
	s.mux.HandleFunc("POST /api/ds/query", s.query)
	s.mux.HandleFunc("GET /api/datasources", s.list)
	s.mux.HandleFunc("GET /api/datasources/uid/{uid}", s.get)
	s.mux.HandleFunc("GET /api/datasources/uid/{uid}/health", s.health)
	s.mux.HandleFunc("/api/datasources/uid/{uid}/resources/{path...}", s.resource)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// pluginContext is what Grafana sends with each call for a data source.
func (s *server) pluginContext(ds *Datasource) (backend.PluginContext, error) {
	raw, err := json.Marshal(ds.JSONData)
	if err != nil {
		return backend.PluginContext{}, err
	}
	return backend.PluginContext{
		OrgID:    1,
		PluginID: ds.Type,
		// The contract suite acts as Grafana's default admin user.
		User: &backend.User{Login: "admin", Role: "Admin"},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: ds.ID, UID: ds.UID, Name: ds.Name, JSONData: raw, Updated: time.Unix(1700000000, 0),
		},
	}, nil
}

// apiError writes an error as Grafana's API does: {"message": "..."}.
func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *server) datasource(w http.ResponseWriter, r *http.Request) *Datasource {
	ds, ok := s.dss[r.PathValue("uid")]
	if !ok {
		apiError(w, http.StatusNotFound, "Data source not found")
	}
	return ds
}

func (s *server) list(w http.ResponseWriter, _ *http.Request) {
	out := make([]*Datasource, 0, len(s.dss))
	for _, ds := range s.dss {
		out = append(out, ds)
	}
	slices.SortFunc(out, func(a, b *Datasource) int { return int(a.ID - b.ID) })
	writeJSON(w, http.StatusOK, out)
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	if ds := s.datasource(w, r); ds != nil {
		writeJSON(w, http.StatusOK, ds)
	}
}

// health answers GET /api/datasources/uid/UID/health as Grafana does: the plugin's
// CheckHealth result, 200 when it is OK and 400 otherwise (CheckDatasourceHealth in
// Grafana's pkg/api/plugins.go).
func (s *server) health(w http.ResponseWriter, r *http.Request) {
	ds := s.datasource(w, r)
	if ds == nil {
		return
	}
	pc, err := s.pluginContext(ds)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	res, err := s.host.CheckHealth(r.Context(), pc)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "Plugin health check failed")
		log.Printf("health %s: %v", ds.UID, err)
		return
	}
	status := http.StatusOK
	if res.Status != backend.HealthStatusOk {
		status = http.StatusBadRequest
	}
	var details any
	if len(res.JSONDetails) > 0 {
		_ = json.Unmarshal(res.JSONDetails, &details)
	}
	writeJSON(w, status, map[string]any{"status": res.Status.String(), "message": res.Message, "details": details})
}

// resource answers /api/datasources/uid/UID/resources/PATH as Grafana's
// callPluginResourceWithDataSource does (pkg/api/plugin_resource.go): the path after
// resources/ and the raw query become the request's Path and URL, headers and body pass
// as they are, and the plugin's status, headers and body come back.
func (s *server) resource(w http.ResponseWriter, r *http.Request) {
	ds := s.datasource(w, r)
	if ds == nil {
		return
	}
	pc, err := s.pluginContext(ds)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		apiError(w, http.StatusBadRequest, "read the request body: "+err.Error())
		return
	}
	path := r.PathValue("path")
	u := path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	resp, err := s.host.CallResourceRequest(r.Context(), &backend.CallResourceRequest{
		PluginContext: pc, Path: path, Method: r.Method, URL: u, Headers: r.Header, Body: body,
	})
	if err != nil {
		apiError(w, http.StatusInternalServerError, "Failed to call resource")
		log.Printf("resource %s %s: %v", ds.UID, path, err)
		return
	}
	for k, vs := range resp.Headers {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// query answers POST /api/ds/query as Grafana's query service does (parseMetricRequest
// in pkg/services/query/query.go): the request's from and to give every query its time
// range; each query's refId (default "A"), maxDataPoints (default 100), intervalMs
// (default 1000) and queryType go into the DataQuery and the whole query object is its
// JSON; queries are grouped by data source uid and sent one request per data source.
// The status is 200, or 400 when any query answered with an error (toJsonStreamingResponse
// in pkg/api/metrics.go); the body is the SDK's QueryDataResponse JSON either way.
func (s *server) query(w http.ResponseWriter, r *http.Request) {
	var req struct {
		From    string            `json:"from"`
		To      string            `json:"to"`
		Queries []json.RawMessage `json:"queries"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "bad request data: "+err.Error())
		return
	}
	if len(req.Queries) == 0 {
		apiError(w, http.StatusBadRequest, "No queries found")
		return
	}
	now := time.Now()
	from, err1 := parseTime(req.From, now)
	to, err2 := parseTime(req.To, now)
	if err := errors.Join(err1, err2); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	byUID := map[string][]backend.DataQuery{}
	var order []string
	for _, raw := range req.Queries {
		var q struct {
			RefID         *string         `json:"refId"`
			MaxDataPoints *int64          `json:"maxDataPoints"`
			IntervalMs    *float64        `json:"intervalMs"`
			QueryType     string          `json:"queryType"`
			Datasource    json.RawMessage `json:"datasource"`
		}
		if err := json.Unmarshal(raw, &q); err != nil {
			apiError(w, http.StatusBadRequest, "bad request data: "+err.Error())
			return
		}
		uid := datasourceUID(q.Datasource)
		if uid == "__expr__" {
			apiError(w, http.StatusBadRequest, "the bridge does not evaluate server-side expressions")
			return
		}
		if _, ok := s.dss[uid]; !ok {
			apiError(w, http.StatusNotFound, fmt.Sprintf("Data source not found: %q", uid))
			return
		}
		dq := backend.DataQuery{RefID: "A", MaxDataPoints: 100, Interval: time.Second, QueryType: q.QueryType,
			TimeRange: backend.TimeRange{From: from.UTC(), To: to.UTC()}, JSON: raw}
		if q.RefID != nil {
			dq.RefID = *q.RefID
		}
		if q.MaxDataPoints != nil {
			dq.MaxDataPoints = *q.MaxDataPoints
		}
		if q.IntervalMs != nil {
			dq.Interval = time.Duration(*q.IntervalMs) * time.Millisecond
		}
		if _, ok := byUID[uid]; !ok {
			order = append(order, uid)
		}
		byUID[uid] = append(byUID[uid], dq)
	}
	out := backend.NewQueryDataResponse()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failed error
	for _, uid := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pc, err := s.pluginContext(s.dss[uid])
			var resp *backend.QueryDataResponse
			if err == nil {
				resp, err = s.host.QueryData(r.Context(), &backend.QueryDataRequest{PluginContext: pc, Queries: byUID[uid]})
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = errors.Join(failed, fmt.Errorf("%s: %w", uid, err))
				return
			}
			for k, v := range resp.Responses {
				out.Responses[k] = v
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		apiError(w, http.StatusInternalServerError, "Query data error")
		log.Printf("query: %v", failed)
		return
	}
	status := http.StatusOK
	for _, res := range out.Responses {
		if res.Error != nil {
			status = http.StatusBadRequest
		}
	}
	body, err := json.Marshal(out)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "encode the response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.Copy(w, bytes.NewReader(body))
}

// datasourceUID reads a query's data source: {"uid": ...}, or before Grafana 8.3 a bare
// string (getDataSourceFromQuery in pkg/services/query/query.go).
func datasourceUID(raw json.RawMessage) string {
	var ref struct {
		UID string `json:"uid"`
	}
	if json.Unmarshal(raw, &ref) == nil && ref.UID != "" {
		return ref.UID
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// parseTime reads a request's from or to as Grafana's gtime.NewTimeRange does for the
// forms the frontend sends: epoch milliseconds, "now", or "now-" a duration (s, m, h, d, w).
func parseTime(s string, now time.Time) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	if s == "now" {
		return now, nil
	}
	if rest, ok := strings.CutPrefix(s, "now-"); ok && len(rest) > 1 {
		n, err := strconv.Atoi(rest[:len(rest)-1])
		unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[rest[len(rest)-1]]
		if err == nil && unit > 0 {
			return now.Add(-time.Duration(n) * unit), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want epoch milliseconds or now-DURATION", s)
}
