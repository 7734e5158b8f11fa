package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
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
func (d *Datasource) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /status", d.handleStatus)
	mux.HandleFunc("POST /push", d.handlePush)
	mux.HandleFunc("GET /schema", d.handleSchema)
	mux.HandleFunc("GET /values", d.handleValues)
	mux.HandleFunc("POST /validate", d.handleValidate)
	mux.HandleFunc("POST /validate-schema", handleValidateSchema)
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
	q := query.Query{QueryType: query.Values, Field: p.Get("field"), Prefix: p.Get("prefix"), Filter: p.Get("filter")}
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
		writeError(w, http.StatusBadRequest, err)
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
		writeError(w, http.StatusBadRequest, err)
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

func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read the request body: %w", err)
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
