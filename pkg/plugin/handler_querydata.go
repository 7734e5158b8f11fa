package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/query"
)

var _ backend.QueryDataHandler = (*Datasource)(nil)

// QueryData answers each query of the request; see package query for the query types.
// One query's error never fails the others.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		resp.Responses[q.RefID] = d.query(ctx, q)
	}
	return resp, nil
}

func (d *Datasource) query(ctx context.Context, dq backend.DataQuery) backend.DataResponse {
	start := time.Now()
	ix, err := d.ready(ctx)
	if err != nil {
		return errorResponse(fmt.Errorf("the data source is not ready: %w", err), backend.ErrorSourcePlugin)
	}
	q, err := query.Decode(dq.JSON)
	if err != nil {
		return errorResponse(err, backend.ErrorSourceDownstream)
	}
	frames, err := query.Run(ctx, ix.Engine, d.env, query.Request{
		Query:         q,
		From:          dq.TimeRange.From,
		To:            dq.TimeRange.To,
		Interval:      dq.Interval,
		MaxDataPoints: dq.MaxDataPoints,
		RefID:         dq.RefID,
	})
	if err != nil {
		src := backend.ErrorSourcePlugin
		if isUserError(err) {
			src = backend.ErrorSourceDownstream
		}
		return errorResponse(err, src)
	}
	if q.Type() == query.Stats {
		d.annotateStats(frames)
	}
	addPluginTime(frames, time.Since(start))
	return backend.DataResponse{Frames: frames}
}

// PluginTimeStat names the statistic that tells how long the plugin worked on a query,
// from its arrival in the handler to its frames being built (the SDK's encoding and the
// transport come after). Grafana shows a frame's meta stats in the panel inspector's Stats
// tab beside its own "Total request time" (public/app/features/inspector/InspectStatsTab.tsx
// lists data.series[].meta.stats), so the difference is what the plugin does not control.
const PluginTimeStat = "Time in the plugin"

// addPluginTime puts the plugin's time on the first frame of a query's answer.
func addPluginTime(frames data.Frames, took time.Duration) {
	if len(frames) == 0 || frames[0] == nil {
		return
	}
	f := frames[0]
	if f.Meta == nil {
		f.Meta = &data.FrameMeta{}
	}
	f.Meta.Stats = append(f.Meta.Stats, data.QueryStat{
		FieldConfig: data.FieldConfig{DisplayName: PluginTimeStat, Unit: "ms"},
		Value:       float64(took.Microseconds()) / 1000,
	})
}

// isUserError tells the user's mistakes (a bad filter, an unknown field) from our faults.
func isUserError(err error) bool {
	return errors.Is(err, query.ErrInvalid) || errors.Is(err, engine.ErrBadRequest)
}

func errorResponse(err error, src backend.ErrorSource) backend.DataResponse {
	status := backend.StatusInternal
	if src == backend.ErrorSourceDownstream {
		status = backend.StatusBadRequest
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		status = backend.StatusTimeout
	}
	return backend.ErrDataResponseWithSource(status, src, err.Error())
}
