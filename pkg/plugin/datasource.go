// Package plugin is the Grafana glue: data source instances built from their settings,
// QueryData by query type, the resources the editors call, and the health check. The
// work itself is done by packages query, engine and frames.
package plugin

import (
	"context"
	"net/http"
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/source/sources"
)

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// Datasource is one configured Spacetime data source.
type Datasource struct {
	settings Settings
	env      *query.Env
	index    *Index
	release  func()
	// setupErr is why the instance cannot answer (a bad schema, a store that cannot be
	// opened). The instance still exists so that the health check can say what is wrong.
	setupErr  error
	resources backend.CallResourceHandler

	// poller is the store's ticket poller this instance asked for, nil without a source.
	poller        *sharedPoller
	releasePoller func()
	// sourceErr is why the source settings give no poller. Queries still answer from
	// the store; the health check says what to fix.
	sourceErr error
}

// NewFactory returns the instance factory that datasource.Manage calls for each data
// source and each change of its settings.
func (h *Hub) NewFactory() func(context.Context, backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	return func(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
		return h.newDatasource(ctx, s, os.Getenv), nil
	}
}

// newDatasource builds an instance. ctx is the request's that made Grafana create it: it
// carries Grafana's configuration, which says which AWS authentication is allowed.
func (h *Hub) newDatasource(ctx context.Context, s backend.DataSourceInstanceSettings, getenv func(string) string) *Datasource {
	d := &Datasource{release: func() {}, releasePoller: func() {}}
	mux := http.NewServeMux()
	d.routes(mux)
	d.resources = httpadapter.New(mux)

	set, err := loadSettings(s, getenv)
	d.settings = set
	if err != nil {
		d.setupErr = err
		return d
	}
	sch, err := set.loadSchema()
	if err != nil {
		d.setupErr = err
		return d
	}
	if d.env, err = query.NewEnv(sch); err != nil {
		d.setupErr = err
		return d
	}
	target, err := h.target(ctx, set, s, getenv)
	if err != nil {
		d.setupErr = err
		return d
	}
	ix, release, err := h.Acquire(ctx, target, d.env)
	if err != nil {
		d.setupErr = err
		return d
	}
	d.index, d.release = ix, release
	h.startSource(d, s)
	return d
}

// startSource builds the ticket source of the settings and attaches the instance to the
// store's poller for it.
func (h *Hub) startSource(d *Datasource, s backend.DataSourceInstanceSettings) {
	if d.settings.sourceErr != nil {
		d.sourceErr = d.settings.sourceErr
		return
	}
	set := d.settings.Source
	timing, err := set.Timing()
	if err != nil {
		d.sourceErr = err
		return
	}
	sec := sources.SecretsFrom(s.DecryptedSecureJSONData)
	src, err := sources.Build(d.env.Schema, set, sec, sources.Options{})
	if err != nil {
		d.sourceErr = err
		return
	}
	if src == nil {
		return
	}
	d.poller, d.releasePoller = h.attachPoller(d.index, src, set, sec, timing)
}

// Dispose stops the instance's poller (when it is the last to use it; a batch being
// written is finished first) and releases its share of the store and engine.
func (d *Datasource) Dispose() {
	d.releasePoller()
	d.release()
}

// ready returns the index once loaded, or why there is none.
func (d *Datasource) ready(ctx context.Context) (*Index, error) {
	if d.setupErr != nil {
		return nil, d.setupErr
	}
	if err := d.index.Ready(ctx); err != nil {
		return nil, err
	}
	return d.index, nil
}

// CallResource serves the editors' resources (see resources.go).
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return d.resources.CallResource(ctx, req, sender)
}
