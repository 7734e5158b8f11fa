// Package plugin is the Grafana glue: data source instances built from their settings
// (settings.go, aws.go), and one file per SDK handler: QueryData (handler_querydata.go),
// CheckHealth (handler_checkhealth.go) and CallResource (handler_callresource.go, with the
// routes in resources.go and status.go). The work itself is done elsewhere: the open
// stores, engines and pollers by package hub, the queries by packages query, engine and
// frames.
package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/grafana/grafana-aws-sdk/pkg/awsauth"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/sources"
)

var _ instancemgmt.InstanceDisposer = (*Datasource)(nil)

// Datasource is one configured Spacetime data source.
type Datasource struct {
	settings Settings
	env      *query.Env
	// setupErr is why the settings cannot work (a bad schema, a store setting that
	// names nothing); only new settings cure it. The instance still exists so that the
	// health check can say what is wrong.
	setupErr  error
	resources backend.CallResourceHandler

	// What opening the store again needs, after it failed to open.
	hub      *hub.Hub
	target   hub.Target
	instance backend.DataSourceInstanceSettings

	mu sync.Mutex
	// att is the instance's hold on its store, nil while the store does not open.
	att *attachment
	// openErr is why the store did not open at the last attempt, and nextOpen when the
	// next request may try again: a file that another process (a running `spacetime
	// import`) holds, or a table not yet created, becomes usable without new settings.
	openErr  error
	nextOpen time.Time
	disposed bool
}

// reopenEvery spaces the attempts to open a store that failed to open: each may wait
// for a file lock (bolt.DefaultTimeout), and panels refresh together.
const reopenEvery = 5 * time.Second

// attachment is what an instance holds once its store is open: the shared index, and
// the store's poller for its source settings.
type attachment struct {
	index   *hub.Index
	release func()
	// poller is the store's ticket poller this instance asked for, nil without a source.
	poller        *hub.Poller
	releasePoller func()
	// sourceErr is why the source settings give no poller. Queries still answer from
	// the store; the health check says what to fix.
	sourceErr error
}

// Factory makes the data source instances, all over one hub.
type Factory struct {
	hub *hub.Hub
	// awsConfigs builds (and caches) the AWS configurations of DynamoDB stores.
	awsConfigs awsauth.ConfigProvider
}

// NewFactory returns the factory of the instances over h.
func NewFactory(h *hub.Hub) *Factory {
	return &Factory{hub: h, awsConfigs: awsauth.NewConfigProvider()}
}

// NewInstance is the instance factory that datasource.Manage calls for each data source
// and each change of its settings.
func (f *Factory) NewInstance(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	return f.newDatasource(ctx, s, os.Getenv), nil
}

// newDatasource builds an instance. ctx is the request's that made Grafana create it: it
// carries Grafana's configuration, which says which AWS authentication is allowed.
func (f *Factory) newDatasource(ctx context.Context, s backend.DataSourceInstanceSettings, getenv func(string) string) *Datasource {
	d := &Datasource{hub: f.hub, instance: s}
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
	if d.target, err = f.target(ctx, set, s, getenv); err != nil {
		d.setupErr = err
		return d
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.openLocked(ctx)
	return d
}

// openLocked opens the store and attaches the instance to it, or records why not.
func (d *Datasource) openLocked(ctx context.Context) {
	d.nextOpen = time.Now().Add(reopenEvery)
	ix, release, err := d.hub.Acquire(ctx, d.target, d.env.Schema, d.env.Open)
	if err != nil {
		d.openErr = err
		return
	}
	if d.openErr != nil {
		log.DefaultLogger.Info("The store opens again", "store", d.target.ID)
	}
	d.openErr = nil
	d.att = &attachment{index: ix, release: release}
	d.startSource(d.att)
}

// attached returns the instance's hold on its store, opening the store again when it
// failed to open before and reopenEvery has passed; or why there is none.
func (d *Datasource) attached(ctx context.Context) (*attachment, error) {
	if d.setupErr != nil {
		return nil, d.setupErr
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.att == nil && !d.disposed && !time.Now().Before(d.nextOpen) {
		d.openLocked(ctx)
	}
	if d.att != nil {
		return d.att, nil
	}
	if d.disposed {
		return nil, errors.New("the data source's settings were replaced")
	}
	return nil, fmt.Errorf("%w (the store is opened again at the next request after %s)", d.openErr,
		d.nextOpen.UTC().Format(time.TimeOnly))
}

// current is the instance's hold on its store as it is, nil when the store is not open;
// it never tries to open it.
func (d *Datasource) current() *attachment {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.att
}

// startSource attaches the instance to the store's poller of its source settings.
func (d *Datasource) startSource(a *attachment) {
	if d.settings.sourceErr != nil {
		a.sourceErr = d.settings.sourceErr
		return
	}
	src := hub.Source{Settings: d.settings.Source, Secrets: sources.SecretsFrom(d.instance.DecryptedSecureJSONData)}
	// Every secure setting is a secret to take out of messages, not only the source's.
	for _, v := range d.instance.DecryptedSecureJSONData {
		src.MoreSecrets = append(src.MoreSecrets, v)
	}
	// The same secrets in the same order, so that an unchanged instance shares the
	// running poller.
	slices.Sort(src.MoreSecrets)
	a.poller, a.releasePoller, a.sourceErr = d.hub.AttachPoller(a.index, src)
}

// Dispose stops the instance's poller (when it is the last to use it; a batch being
// written is finished first) and releases its share of the store and engine.
func (d *Datasource) Dispose() {
	d.mu.Lock()
	a := d.att
	d.att, d.disposed = nil, true
	d.mu.Unlock()
	if a == nil {
		return
	}
	if a.releasePoller != nil {
		a.releasePoller()
	}
	a.release()
}

// ready returns the index once loaded, or why there is none.
func (d *Datasource) ready(ctx context.Context) (*hub.Index, error) {
	a, err := d.attached(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.index.Ready(ctx); err != nil {
		return nil, err
	}
	return a.index, nil
}

// sourceStatus is the poller status of the instance, nil without a source.
func (d *Datasource) sourceStatus() *source.Status {
	a := d.current()
	if a == nil || a.poller == nil {
		return nil
	}
	st := a.poller.Status()
	return &st
}

// sourceErr is why the source settings give no poller, nil when they do or when the
// store is not open.
func (d *Datasource) sourceErr() error {
	if a := d.current(); a != nil {
		return a.sourceErr
	}
	return nil
}
