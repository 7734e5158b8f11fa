package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

var _ backend.CallResourceHandler = (*Datasource)(nil)

// CallResource serves the resources the editors, the dashboards' links and webhooks call,
// through the routes of resources.go and status.go.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return d.resources.CallResource(ctx, req, sender)
}
