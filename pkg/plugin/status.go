package plugin

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store"
)

// statusResponse is the answer of GET status: what the store holds and how the polling of
// the ticket source goes, for operators and scripts (the health check says the same in
// words).
type statusResponse struct {
	Store   *store.Info `json:"store,omitempty"`
	Tickets int         `json:"tickets"`
	// Window is how far back the tickets are held (jsonData.window), and OutsideWindow
	// how many versions of older tickets were left out (engine.Engine.Outside); both
	// absent without a window.
	Window        string `json:"window,omitempty"`
	OutsideWindow int64  `json:"outsideWindow,omitempty"`
	// SourceType is the configured source ("none" without one).
	SourceType string `json:"sourceType"`
	// Source is the poller's status; absent without a source or when its settings are
	// wrong, which SourceError then says.
	Source      *source.Status `json:"source,omitempty"`
	SourceError string         `json:"sourceError,omitempty"`
	// Summary says the same in a sentence.
	Summary string `json:"summary,omitempty"`
}

func (d *Datasource) handleStatus(w http.ResponseWriter, r *http.Request) {
	ix, err := d.ready(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	resp := statusResponse{Tickets: ix.Engine.Len(), SourceType: d.settings.Source.Kind(), Source: d.sourceStatus()}
	if w := d.target.Window; w > 0 {
		resp.Window, resp.OutsideWindow = duration.Format(w), ix.Engine.Outside()
	}
	if info, err := ix.Store.Info(r.Context()); err == nil {
		resp.Store = &info
	}
	switch {
	case d.sourceErr() != nil:
		srcErr := d.sourceErr()
		resp.SourceError = srcErr.Error()
		resp.Summary = "The ticket source is not polled: " + srcErr.Error()
	case resp.Source != nil:
		resp.Summary = resp.Source.Summary(time.Now())
	}
	writeJSON(w, http.StatusOK, resp)
}

// maxPushBytes bounds a push body: MaxPushRecords tickets of a few kilobytes.
const maxPushBytes = 32 << 20

// MaxRequestMessage is the largest gRPC message the plugin takes from Grafana, which
// main passes to the SDK (datasource.ManageOpts.GRPCSettings). Grafana sends a resource
// call's body in one message, whatever its size (pkg/api/plugin_resource.go reads the
// body whole; go-plugin's client sends up to math.MaxInt32), and the SDK's server refuses
// messages above 16 MiB unless told otherwise, which made a push of 16 to 32 MiB fail
// with ResourceExhausted. With twice the push limit, a body up to 64 MiB reaches the
// push handler, which answers 413 above 32 MiB; the rest of a message (the plugin
// context, with the settings) is a few kilobytes.
const MaxRequestMessage = 2 * maxPushBytes

// handlePush takes a batch of tickets from a webhook: a JSON array, {"tickets": [...]},
// or one ticket object, mapped onto the schema as `spacetime import` maps JSON lines. It
// answers 200 with each ticket's outcome (accepted, stale or rejected) unless every
// ticket was rejected (422), 400 for a body that is not tickets, 413 for one over
// maxPushBytes.
func (d *Datasource) handlePush(w http.ResponseWriter, r *http.Request) {
	ix, err := d.ready(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	body, err := readBody(r, maxPushBytes, "push fewer tickets at once")
	if err != nil && !errors.Is(err, errEmptyBody) {
		writeError(w, bodyStatus(err), err)
		return
	}
	items, err := source.DecodePush(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	res, err := ix.Push(r.Context(), items)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrClosed) {
			status = http.StatusServiceUnavailable
		}
		writeError(w, status, err)
		return
	}
	status := http.StatusOK
	if res.Received > 0 && res.Rejected == res.Received {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, res)
}

// annotateStats adds the polling's status to a stats frame: in its custom metadata under
// "source" (for stat panels and scripts), and as a warning notice on the panel while the
// source fails, so that a responder knows the numbers may be behind.
func (d *Datasource) annotateStats(frames data.Frames) {
	st, srcErr := d.sourceStatus(), d.sourceErr()
	if len(frames) == 0 || (st == nil && srcErr == nil) {
		return
	}
	fr := frames[0]
	if fr.Meta == nil {
		fr.Meta = &data.FrameMeta{}
	}
	custom := map[string]any{}
	if fr.Meta.Custom != nil {
		// The frame builder's custom metadata is kept, whatever its Go type.
		if raw, err := json.Marshal(fr.Meta.Custom); err == nil {
			_ = json.Unmarshal(raw, &custom)
		}
	}
	now := time.Now()
	switch {
	case srcErr != nil:
		custom["source"] = map[string]any{"state": "misconfigured", "error": srcErr.Error()}
		fr.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning,
			Text: "The ticket source is not polled: " + srcErr.Error()})
	default:
		src := map[string]any{
			"state": st.State, "lastSuccess": lastStart(st.LastSuccess), "lagSeconds": time.Duration(st.Lag).Seconds(),
			"failures": st.Failures, "consecutiveFailures": st.ConsecutiveFailures, "rejected": st.Totals.Rejected,
			"lastError": problemText(st.LastError),
		}
		if st.Lease != nil {
			src["lease"] = st.Lease
		}
		custom["source"] = src
		if !st.Healthy() {
			fr.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning, Text: st.Summary(now)})
		}
	}
	fr.Meta.Custom = custom
}

func lastStart(r *source.Report) any {
	if r == nil {
		return nil
	}
	return r.Start
}

func problemText(p *source.Problem) string {
	if p == nil {
		return ""
	}
	return p.Message
}
