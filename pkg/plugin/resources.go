package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/logval"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

// The resources the editors call, under /api/datasources/uid/UID/resources/:
//
//	GET  schema                  the column schema, with the facet names
//	GET  values?field=F&prefix=P&limit=N&from=MS&to=MS&filter=EXPR
//	                             distinct values of a field with counts, most frequent first
//	POST validate                {"filter": "..."}: the parse or check error with its position
//	POST validate-schema         {"schema": "..."}: every problem of a schema text, with lines
//	GET  status                  the store and the ticket source's polling (see status.go)
//	POST push                    a batch of tickets (webhooks), with each ticket's outcome
//	GET  export?format=tsv|csv&from=MS&to=MS&filter=EXPR&search=S&columns=a,b
//	     &var-filters=KEY|OP|VALUE...&adhoc=JSON
//	                             every ticket of the filters as a file (the dashboards' links)
func (d *Datasource) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /status", d.handleStatus)
	mux.HandleFunc("POST /push", d.handlePush)
	mux.HandleFunc("GET /schema", d.handleSchema)
	mux.HandleFunc("GET /values", d.handleValues)
	mux.HandleFunc("POST /validate", d.handleValidate)
	mux.HandleFunc("POST /validate-schema", handleValidateSchema)
	mux.HandleFunc("GET /export", d.handleExport)
}

type schemaResponse struct {
	*schema.Schema
	Facets []string `json:"facets"`
}

func (d *Datasource) handleSchema(w http.ResponseWriter, r *http.Request) {
	if d.env == nil {
		writeError(w, http.StatusServiceUnavailable, d.setupErr)
		return
	}
	resp := schemaResponse{Schema: d.env.Schema, Facets: []string{}}
	for _, c := range d.env.Schema.Facets() {
		resp.Facets = append(resp.Facets, c.Name)
	}
	writeJSON(w, http.StatusOK, resp)
}

type valueCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

type valuesResponse struct {
	Field  string       `json:"field"`
	Values []valueCount `json:"values"`
}

func (d *Datasource) handleValues(w http.ResponseWriter, r *http.Request) {
	ix, err := d.ready(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	p := r.URL.Query()
	q := &query.ValuesQuery{Common: query.Common{Filter: p.Get("filter")}, Field: p.Get("field"), Prefix: p.Get("prefix")}
	var req query.Request
	var perr error
	if q.Limit, perr = intParam(p.Get("limit")); perr == nil {
		if req.From, perr = msParam(p.Get("from")); perr == nil {
			req.To, perr = msParam(p.Get("to"))
		}
	}
	if perr != nil {
		writeError(w, http.StatusBadRequest, perr)
		return
	}
	req.Query = q
	frames, err := query.Run(r.Context(), ix.Engine, d.env, req)
	if err != nil {
		status := http.StatusInternalServerError
		if isUserError(err) {
			status = http.StatusBadRequest
		}
		writeError(w, status, err)
		return
	}
	resp := valuesResponse{Field: q.Field, Values: []valueCount{}}
	if len(frames) == 1 && len(frames[0].Fields) == 2 {
		values, counts := frames[0].Fields[0], frames[0].Fields[1]
		for i := 0; i < values.Len(); i++ {
			resp.Values = append(resp.Values, valueCount{Value: values.At(i).(string), Count: counts.At(i).(int64)})
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// exportFile is the name a browser saves an export under, without the extension.
const exportFile = "spacetime-tickets"

// handleExport streams every ticket that the parameters select as TSV or CSV, for the
// overview's download links (dashboards.ExportURL). The ad hoc filters come as repeated
// var-filters parameters in Grafana's dashboard URL format, which is what a link can
// carry, or as adhoc, a JSON array of {key, operator, value, values} for other callers.
func (d *Datasource) handleExport(w http.ResponseWriter, r *http.Request) {
	ix, err := d.ready(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	format, req, err := d.exportRequest(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", exportFile+"."+string(format)))
	out := &flushingWriter{w: w}
	err = query.Export(r.Context(), ix.Engine, d.env, req, format, out)
	if err == nil {
		out.flush()
		return
	}
	if out.written > 0 {
		// The status line is gone: all that is left is to cut the file short and say why
		// in the log.
		log.DefaultLogger.FromContext(r.Context()).Error("Export failed after it started", "error", err, "bytes", logval.Count(out.written))
		return
	}
	w.Header().Del("Content-Disposition")
	status := http.StatusInternalServerError
	if isUserError(err) {
		status = http.StatusBadRequest
	}
	writeError(w, status, err)
}

// exportRequest reads the export parameters into a tickets query. Each error names the
// parameter it is about.
func (d *Datasource) exportRequest(p url.Values) (query.ExportFormat, query.Request, error) {
	var req query.Request
	format := query.TSV
	if s := p.Get("format"); s != "" {
		f, err := query.ParseExportFormat(s)
		if err != nil {
			return "", req, fmt.Errorf("format: %w", err)
		}
		format = f
	}
	var err error
	if req.From, err = msParam(p.Get("from")); err != nil {
		return "", req, fmt.Errorf("from: %w", err)
	}
	if req.To, err = msParam(p.Get("to")); err != nil {
		return "", req, fmt.Errorf("to: %w", err)
	}
	// The tickets query, with the ad hoc filters of the link, is read by package query.
	q, err := d.env.ExportQuery(p)
	if err != nil {
		return "", req, err
	}
	req.Query = q
	return format, req, nil
}

// flushingWriter sends the response on in chunks as Export writes it: the SDK's resource
// adapter keeps the whole body in memory until the handler returns unless it is flushed,
// and an export of a week of tickets should not.
type flushingWriter struct {
	w       http.ResponseWriter
	written int64
	pending int
}

// exportChunk is about how much of the file each resource response message carries.
const exportChunk = 256 << 10

func (fw *flushingWriter) Write(p []byte) (int, error) {
	n, err := fw.w.Write(p)
	fw.written += int64(n)
	fw.pending += n
	if err != nil {
		return n, err
	}
	if fw.pending >= exportChunk {
		fw.flush()
	}
	return n, nil
}

func (fw *flushingWriter) flush() {
	fw.pending = 0
	if f, ok := fw.w.(http.Flusher); ok {
		f.Flush()
	}
}

type validateRequest struct {
	Filter string `json:"filter"`
}

type validateResponse struct {
	Valid bool          `json:"valid"`
	Error *filter.Error `json:"error,omitempty"`
}

func (d *Datasource) handleValidate(w http.ResponseWriter, r *http.Request) {
	if d.env == nil {
		writeError(w, http.StatusServiceUnavailable, d.setupErr)
		return
	}
	var req validateRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, bodyStatus(err), err)
		return
	}
	err := d.env.ValidateFilter(req.Filter)
	if err == nil {
		writeJSON(w, http.StatusOK, validateResponse{Valid: true})
		return
	}
	var fe *filter.Error
	if !errors.As(err, &fe) {
		fe = &filter.Error{Msg: err.Error()}
	}
	writeJSON(w, http.StatusOK, validateResponse{Error: fe})
}

type validateSchemaRequest struct {
	Schema string `json:"schema"`
}

type validateSchemaResponse struct {
	Valid    bool             `json:"valid"`
	Columns  int              `json:"columns,omitempty"`
	Problems []schema.Problem `json:"problems,omitempty"`
}

func handleValidateSchema(w http.ResponseWriter, r *http.Request) {
	var req validateSchemaRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, bodyStatus(err), err)
		return
	}
	s, err := schema.Parse([]byte(req.Schema))
	if err == nil {
		_, err = query.NewEnv(s)
	}
	if err == nil {
		writeJSON(w, http.StatusOK, validateSchemaResponse{Valid: true, Columns: len(s.Columns)})
		return
	}
	var se *schema.Error
	if !errors.As(err, &se) {
		se = &schema.Error{Problems: []schema.Problem{{Path: "(schema)", Msg: err.Error()}}}
	}
	writeJSON(w, http.StatusOK, validateSchemaResponse{Problems: se.Problems})
}

// maxRequestBytes bounds the body of the editors' POST routes (a filter, a schema text).
const maxRequestBytes = 1 << 20

// errEmptyBody says that a POST route got no body. Grafana sends an empty body as none, and
// the SDK's httpadapter then leaves Request.Body nil.
var errEmptyBody = errors.New("the request body is empty")

// tooLargeError is a body over the route's limit; the route answers 413 with it.
type tooLargeError struct {
	limit int64
	hint  string
}

func (e *tooLargeError) Error() string {
	msg := fmt.Sprintf("the request body is larger than the limit of %d MiB", e.limit>>20)
	if e.hint != "" {
		msg += "; " + e.hint
	}
	return msg
}

// readBody reads a request body of at most limit bytes: errEmptyBody without one, a
// *tooLargeError for a longer one (never a body cut short).
func readBody(r *http.Request, limit int64, hint string) ([]byte, error) {
	if r.Body == nil {
		return nil, errEmptyBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read the request body: %w", err)
	case int64(len(body)) > limit:
		return nil, &tooLargeError{limit: limit, hint: hint}
	case len(bytes.TrimSpace(body)) == 0:
		return nil, errEmptyBody
	}
	return body, nil
}

// bodyStatus is the status that answers a readBody or decodeBody error.
func bodyStatus(err error) int {
	var tl *tooLargeError
	if errors.As(err, &tl) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// decodeBody reads a JSON body of at most maxRequestBytes into v.
func decodeBody(r *http.Request, v any) error {
	body, err := readBody(r, maxRequestBytes, "")
	if errors.Is(err, errEmptyBody) {
		return fmt.Errorf("%w: send a JSON object", err)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("the request body is not the JSON expected: %w", err)
	}
	return nil
}

func intParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative whole number", s)
	}
	return n, nil
}

// msParam reads a time in milliseconds since the epoch, as Grafana's time range gives it.
func msParam(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time in milliseconds since the epoch", s)
	}
	return time.UnixMilli(n).UTC(), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	msg := "unknown error"
	if err != nil {
		msg = err.Error()
	}
	writeJSON(w, status, map[string]string{"error": msg})
}
