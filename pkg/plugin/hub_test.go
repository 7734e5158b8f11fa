package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/spacetime/tickets/pkg/hub"
)

// testHub is a hub with the factory of the instances over it, as main makes them.
type testHub struct {
	*hub.Hub
	f *Factory
}

// newTestHub returns a hub of opts, logging to the SDK's logger unless they say.
func newTestHub(opts hub.Options) *testHub {
	if opts.Logger == nil {
		opts.Logger = log.DefaultLogger
	}
	h := hub.New(opts)
	return &testHub{Hub: h, f: NewFactory(h)}
}

func (h *testHub) newDatasource(ctx context.Context, s backend.DataSourceInstanceSettings, getenv func(string) string) *Datasource {
	return h.f.newDatasource(ctx, s, getenv)
}
