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
}

// NewFactory returns the instance factory that datasource.Manage calls for each data
// source and each change of its settings.
func (h *Hub) NewFactory() func(context.Context, backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	return func(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
		return h.newDatasource(s, os.Getenv), nil
	}
}

func (h *Hub) newDatasource(s backend.DataSourceInstanceSettings, getenv func(string) string) *Datasource {
	d := &Datasource{release: func() {}}
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
	ix, release, err := h.Acquire(set.StorePath, d.env)
	if err != nil {
		d.setupErr = err
		return d
	}
	d.index, d.release = ix, release
	return d
}

// Dispose releases the instance's share of the store and engine.
func (d *Datasource) Dispose() { d.release() }

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
