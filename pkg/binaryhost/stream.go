package binaryhost

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// SubscribeStream asks the plugin whether a user may subscribe to a channel, as Grafana
// does for each subscription (pkg/services/live/features/plugin.go of grafana/grafana).
func (h *Host) SubscribeStream(ctx context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	resp, err := h.stream.SubscribeStream(ctx, backend.ToProto().SubscribeStreamRequest(req))
	if err != nil {
		return nil, fmt.Errorf("SubscribeStream: %w", err)
	}
	return backend.FromProto().SubscribeStreamResponse(resp), nil
}

// PublishStream asks the plugin to take a publication from a user.
func (h *Host) PublishStream(ctx context.Context, req *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	resp, err := h.stream.PublishStream(ctx, backend.ToProto().PublishStreamRequest(req))
	if err != nil {
		return nil, fmt.Errorf("PublishStream: %w", err)
	}
	return backend.FromProto().PublishStreamResponse(resp), nil
}

// RunStream starts a channel's stream as Grafana's runstream manager does and passes
// each packet's data (a frame's JSON) to onPacket until ctx ends or the plugin ends the
// stream. It returns nil when ctx ended it.
func (h *Host) RunStream(ctx context.Context, req *backend.RunStreamRequest, onPacket func(data []byte)) error {
	stream, err := h.stream.RunStream(ctx, backend.ToProto().RunStreamRequest(req))
	if err != nil {
		return fmt.Errorf("RunStream: %w", err)
	}
	for {
		p, err := stream.Recv()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("RunStream: %w", err)
		}
		onPacket(p.GetData())
	}
}
