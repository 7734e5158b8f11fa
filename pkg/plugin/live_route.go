package plugin

import (
	"net/http"

	"github.com/spacetime/tickets/pkg/live"
)

// liveResponse is the answer of POST live: the channel of a live query, under the data
// source's scope ("ds/<uid>/<path>" for Grafana Live).
type liveResponse struct {
	Path string `json:"path"`
}

// handleLive gives the channel path of a live query (live.Spec, the subscription's data),
// or 400 with why the query cannot stream. It writes nothing, so any user who can query
// may call it; SubscribeStream checks the same again.
func (d *Datasource) handleLive(w http.ResponseWriter, r *http.Request) {
	if d.env == nil {
		writeError(w, http.StatusServiceUnavailable, d.setupErr)
		return
	}
	body, err := readBody(r, live.MaxSpecBytes, "")
	if err != nil {
		writeError(w, bodyStatus(err), err)
		return
	}
	path, err := live.Check(d.env, body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, liveResponse{Path: path})
}
