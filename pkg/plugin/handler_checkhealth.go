package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store/dynamo"
	"github.com/spacetime/tickets/pkg/storeschema"
)

var _ backend.CheckHealthHandler = (*Datasource)(nil)

// CheckHealth says whether the schema is valid, whether the store opens, how many tickets
// it holds, and whether the schema is the one the store records, in words a user can act
// on ("Save & test").
func (d *Datasource) CheckHealth(ctx context.Context, req *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	a, err := d.attached(ctx)
	if err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: err.Error()}, nil
	}
	ix := a.index
	// A first load of millions of tickets takes a second or two; wait a little for it so
	// that the answer has the count, but never hang the settings page.
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ix.Ready(wait); err != nil {
		if ix.Loaded() {
			return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: err.Error()}, nil
		}
		return &backend.CheckHealthResult{Status: backend.HealthStatusUnknown, Message: "the store opened, and the tickets are still loading; test again in a few seconds"}, nil
	}
	info, err := ix.Store.Info(ctx)
	if err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: fmt.Sprintf("the store does not answer: %v", err)}, nil
	}
	s := d.env.Schema
	held := fmt.Sprintf("%d tickets", ix.Engine.Len())
	if w := d.target.Window; w > 0 {
		held = fmt.Sprintf("%d tickets of the last %s (the window; %d versions of older tickets left out)", ix.Engine.Len(), duration.Format(w), ix.Engine.Outside())
	}
	msg := fmt.Sprintf("Spacetime is working: %s in the %s store at %s; the schema has %d columns and %d facets.",
		held, info.Kind, info.Location, len(s.Columns), len(s.Facets()))
	if table, ok := ix.Store.(*dynamo.Store); ok {
		// The table opened when the instance was made; since then its index may be
		// rebuilding, or a permission the writes need may be missing. CheckHealth says.
		h, err := table.Health(ctx)
		if err != nil {
			return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: fmt.Sprintf("The DynamoDB store is not usable: %v", err)}, nil
		}
		msg += " " + h.Message + "."
	}
	status := backend.HealthStatusOk
	// The store records the schema its tickets were imported with: one that reads them
	// otherwise answers zeros, or "unknown field", without another sign.
	switch m, err := storeschema.Check(ctx, ix.Store, s); {
	case err != nil:
		status = backend.HealthStatusError
		msg += fmt.Sprintf(" The schema the store records cannot be read: %v.", err)
	case m != nil && m.Breaking():
		status = backend.HealthStatusError
		msg += fmt.Sprintf(" The configured schema (jsonData.schema or schemaPath) reads the stored tickets wrongly: %s. "+
			"Configure the store's schema, which `spacetime schema --store STORE` prints.", m)
	case m != nil:
		msg += fmt.Sprintf(" Note: %s.", m)
	}
	switch st := d.waitFirstPoll(wait); {
	case a.sourceErr != nil:
		status = backend.HealthStatusError
		msg += fmt.Sprintf(" The ticket source is not polled: %v.", a.sourceErr)
	case st != nil:
		msg += " " + st.Summary(time.Now())
		if !st.Healthy() {
			status = backend.HealthStatusError
		}
		if detail := answerDetail(st); detail != "" && isAdmin(req) {
			msg += fmt.Sprintf(" The answer began: %q.", detail)
		}
	case ix.Engine.Len() == 0:
		msg += " The store is empty: import tickets with `spacetime import` or configure a source."
	}
	details, _ := json.Marshal(map[string]any{"source": d.sourceStatus()})
	return &backend.CheckHealthResult{Status: status, Message: msg, JSONDetails: details}, nil
}

// waitFirstPoll waits (until ctx is done) for a starting poller's first poll, so that
// "Save & test" of new source settings tells whether they work. It returns the status,
// nil without a source.
func (d *Datasource) waitFirstPoll(ctx context.Context) *source.Status {
	st := d.sourceStatus()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for st != nil && st.State == source.StateStarting {
		select {
		case <-ctx.Done():
			return st
		case <-tick.C:
		}
		st = d.sourceStatus()
	}
	return st
}

// answerDetail is the start of what the ticket system answered to the failed poll (or to
// the call being retried during the first one), redacted and short; "" without one.
func answerDetail(st *source.Status) string {
	switch {
	case st.State == source.StateFailing && st.LastError != nil:
		return st.LastError.Detail
	case st.State == source.StateStarting && st.LastRetry != nil:
		return st.LastRetry.Detail
	}
	return ""
}

// isAdmin reports whether the health check was asked for by an organization admin, who
// configures data sources. Grafana lets every user who may query a data source call its
// health check (pkg/api/api.go: /datasources/uid/:uid/health needs datasources:query),
// and passes the user's organization role in the plugin context
// (pkg/services/pluginsintegration/adapters: BackendUserFromSignedInUser), so what an
// upstream answered is shown to an admin only.
func isAdmin(req *backend.CheckHealthRequest) bool {
	return req != nil && req.PluginContext.User != nil && req.PluginContext.User.Role == "Admin"
}
