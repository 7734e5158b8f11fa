package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/spacetime/tickets/pkg/live"
)

var _ backend.StreamHandler = (*Datasource)(nil)

// errReplaced ends the RunStreams of an instance whose settings were replaced: Grafana
// starts a RunStream that returned an error again (pkg/services/live/runstream/manager.go
// of grafana/grafana), and the new one runs on the new instance.
var errReplaced = errors.New("the data source's settings changed; the stream starts again")

// liveManager is the live channels of the instance's engine, loaded.
func (d *Datasource) liveManager(ctx context.Context) (*live.Manager, error) {
	a, err := d.attached(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.index.Ready(ctx); err != nil {
		return nil, err
	}
	return a.live, nil
}

// SubscribeStream allows a subscription to a channel of this data source whose data is
// the query of its path (live.Manager.SubscribeStream).
func (d *Datasource) SubscribeStream(ctx context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	m, err := d.liveManager(ctx)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	return m.SubscribeStream(ctx, req)
}

// PublishStream refuses: the channels carry what the store holds, written through the
// push and webhook routes.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream sends the frames of a channel until Grafana cancels it, or until the
// instance is disposed of (errReplaced).
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	m, err := d.liveManager(ctx)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(d.streams, cancel)
	defer stop()
	err = m.RunStream(runCtx, req, sender)
	if err == nil && ctx.Err() == nil && d.streams.Err() != nil {
		return errReplaced
	}
	if err != nil {
		log.DefaultLogger.FromContext(ctx).Warn("A live stream ended", "path", req.Path, "error", err)
	}
	return err
}
