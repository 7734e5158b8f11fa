// Package live streams what a panel's query shows as tickets are written, through Grafana
// Live: the SDK's backend.StreamHandler (SubscribeStream, PublishStream, RunStream).
//
// How Grafana drives it (pkg/services/live/runstream/manager.go of grafana/grafana): a
// data source channel is "ds/<uid>/<path>"; SubscribeStream is called for each user who
// subscribes, to allow or refuse; RunStream is called once per channel by each Grafana
// server, with the data of the subscription that started it, and its context is
// cancelled when the channel has had no subscriber for a few checks (3 checks 5 s apart
// by default); a RunStream that returns an error is started again after a delay. The
// frames RunStream sends go to every subscriber of the channel.
//
// Here a channel's path is the digest of a Spec (the filter, ad hoc filters, search and
// time field of the query, its kind and range), and the Spec travels as the
// subscription's data, which is checked against the path: two panels with the same
// query share one channel and one stream, and no subscription can attach another query
// to a channel. The Manager runs one stream per distinct path, whatever the number of
// RunStream calls for it (several Grafana servers, or organisations, behind one
// process); a stream watches the engine's writes (engine.Watcher), runs its query over
// the written tickets only, and sends the frames to every RunStream of its path. The
// stream ends, and its goroutine with it, when the last RunStream returns.
package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/frames"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

// Options tune a Manager.
type Options struct {
	// DatasourceUID, when set, is the only data source whose channels this Manager
	// serves: a request in another data source's plugin context is refused.
	DatasourceUID string
	// Buffer is how many frames a RunStream may be behind its stream before it is
	// dropped (Grafana starts it again); 0 means 64.
	Buffer int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log, when set, is told of a stream's failed query.
	Log func(msg string, keyvals ...any)
}

// Manager serves the live channels of one data source: one engine, one env.
type Manager struct {
	eng  *engine.Engine
	env  *query.Env
	opts Options

	mu      sync.Mutex
	streams map[string]*stream
}

var _ backend.StreamHandler = (*Manager)(nil)

// New returns the manager of eng's channels.
func New(eng *engine.Engine, env *query.Env, opts Options) *Manager {
	if opts.Buffer <= 0 {
		opts.Buffer = 64
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Manager{eng: eng, env: env, opts: opts, streams: map[string]*stream{}}
}

// Streams is the number of streams running: one per distinct channel with a RunStream.
func (m *Manager) Streams() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.streams)
}

// Subscribers is the number of RunStreams joined to the streams.
func (m *Manager) Subscribers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.streams {
		s.mu.Lock()
		n += len(s.subs)
		s.mu.Unlock()
	}
	return n
}

// errForeign refuses a request for another data source.
var errForeign = errors.New("the channel belongs to another data source")

// resolve checks a request's data source, path and data, and plans its query.
func (m *Manager) resolve(pc backend.PluginContext, path string, raw []byte) (*plan, error) {
	if m.opts.DatasourceUID != "" {
		if ds := pc.DataSourceInstanceSettings; ds == nil || ds.UID != m.opts.DatasourceUID {
			return nil, errForeign
		}
	}
	if len(path) > 64 || !pathPattern.MatchString(path) {
		return nil, fmt.Errorf("%q is not a live channel of this data source", path)
	}
	spec, err := decodeSpec(raw)
	if err != nil {
		return nil, err
	}
	want, err := Path(spec)
	if err != nil {
		return nil, err
	}
	if want != path {
		return nil, fmt.Errorf("the live query is not the one of channel %s", path)
	}
	return check(m.env, spec)
}

// SubscribeStream allows a subscription whose data is the query of its path.
func (m *Manager) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if _, err := m.resolve(req.PluginContext, req.Path, req.Data); err != nil {
		if errors.Is(err, errForeign) {
			return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusPermissionDenied}, nil
		}
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream refuses every publication: the channels carry what the engine holds,
// and tickets are written through the push and webhook routes, which check their callers.
func (m *Manager) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// ErrBehind ends a RunStream that fell more than Options.Buffer frames behind its stream.
var ErrBehind = errors.New("live: the subscriber fell behind the stream")

// RunStream sends the frames of its path's stream until ctx ends.
func (m *Manager) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	p, err := m.resolve(req.PluginContext, req.Path, req.Data)
	if err != nil {
		return err
	}
	sub := m.join(req.Path, p)
	defer m.leave(req.Path, sub)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.behind:
			return ErrBehind
		case b := <-sub.frames:
			if err := sender.SendBytes(b); err != nil {
				return fmt.Errorf("live: send a frame: %w", err)
			}
		}
	}
}

// subscriber is one RunStream of a stream.
type subscriber struct {
	frames chan []byte
	behind chan struct{}
}

// stream is the one query run for a path.
type stream struct {
	m      *Manager
	p      *plan
	w      *engine.Watcher
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

func (m *Manager) join(path string, p *plan) *subscriber {
	sub := &subscriber{frames: make(chan []byte, m.opts.Buffer), behind: make(chan struct{})}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.streams[path]
	if !ok {
		ctx, cancel := context.WithCancel(context.Background())
		// The watcher starts now, before join returns, so that no write after the
		// subscription is missed.
		s = &stream{m: m, p: p, w: m.eng.Watch(), cancel: cancel, done: make(chan struct{}), subs: map[*subscriber]struct{}{}}
		m.streams[path] = s
		go s.run(ctx)
	}
	s.mu.Lock()
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub
}

// leave removes sub; the last one stops the stream and waits for its goroutine.
func (m *Manager) leave(path string, sub *subscriber) {
	m.mu.Lock()
	s := m.streams[path]
	s.mu.Lock()
	delete(s.subs, sub)
	last := len(s.subs) == 0
	s.mu.Unlock()
	if !last {
		m.mu.Unlock()
		return
	}
	delete(m.streams, path)
	m.mu.Unlock()
	s.cancel()
	<-s.done
}

func (s *stream) run(ctx context.Context) {
	defer close(s.done)
	defer s.w.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.w.Ready():
		}
		ch := s.w.Take()
		frs, err := s.compute(ctx, ch)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if log := s.m.opts.Log; log != nil {
				log("live query failed", "kind", s.p.spec.Kind, "error", err)
			}
			continue
		}
		for _, fr := range frs {
			// Encoded once for every subscriber.
			b, err := data.FrameToJSON(fr, data.IncludeAll)
			if err != nil {
				if log := s.m.opts.Log; log != nil {
					log("live frame not encoded", "error", err)
				}
				continue
			}
			s.fanout(b)
		}
	}
}

func (s *stream) fanout(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		select {
		case sub.frames <- b:
		default:
			// Behind by a whole buffer: dropped rather than waited for, so that one
			// slow subscriber does not hold the others up. Its RunStream returns
			// ErrBehind and Grafana starts it again.
			select {
			case <-sub.behind:
			default:
				close(sub.behind)
			}
		}
	}
}

// compute runs the stream's query over the tickets written.
func (s *stream) compute(ctx context.Context, ch engine.Changes) (data.Frames, error) {
	if len(ch.Keys) == 0 && !ch.Overflow {
		return nil, nil
	}
	p, eng, sc := s.p, s.m.eng, s.m.env.Schema
	now := s.m.opts.Now()
	b := frames.Builder{Schema: sc}
	scope := engine.Scope{From: now.Add(-p.rng), TimeField: p.spec.TimeField, Where: p.where, Search: p.spec.Search}
	tickets := func(req engine.TicketsRequest) (*engine.TicketsResult, error) {
		if ch.Overflow {
			req.Limit = p.limit
			return eng.Tickets(ctx, req)
		}
		return eng.TicketsOf(ctx, req, ch.Keys)
	}
	switch p.spec.Kind {
	case Logs:
		timeField := timeFieldOf(sc, p.spec.TimeField)
		var all []string
		for _, c := range sc.Ordered() {
			all = append(all, c.Name)
		}
		res, err := tickets(engine.TicketsRequest{Scope: scope, Columns: all,
			Sort: []schema.SortKey{{Field: timeField, Desc: true}}, Limit: p.limit})
		if err != nil || len(res.Matches) == 0 {
			return nil, err
		}
		return b.Logs(res, frames.LogsOptions{TimeField: timeField, LevelField: p.level, Fields: p.spec.Columns,
			Search: p.spec.Search, Limit: p.limit}), nil
	case Tickets:
		res, err := tickets(engine.TicketsRequest{Scope: scope, Columns: p.spec.Columns, Limit: p.limit})
		if err != nil || len(res.Matches) == 0 {
			return nil, err
		}
		return b.Tickets(res, p.spec.Search), nil
	case Counts:
		return s.counts(ctx, ch, scope, now, b)
	case Stats:
		scope.To = now
		res, err := eng.Stats(ctx, engine.StatsRequest{Scope: scope})
		if err != nil {
			return nil, err
		}
		return b.Stats(res), nil
	}
	return nil, fmt.Errorf("live: unknown kind %q", p.spec.Kind)
}

// counts sends the buckets that the written tickets fall in, from the earliest to the
// current one, counted afresh over those buckets only: a ticket that left the filter (an
// update to resolved under status != "resolved") lowers its bucket as one that entered
// raises it. The tickets' times are read without the filter for that reason.
func (s *stream) counts(ctx context.Context, ch engine.Changes, scope engine.Scope, now time.Time, b frames.Builder) (data.Frames, error) {
	p, eng, sc := s.p, s.m.eng, s.m.env.Schema
	bucket := p.bucket
	from := scope.From
	if !ch.Overflow {
		timeField := timeFieldOf(sc, p.spec.TimeField)
		res, err := eng.TicketsOf(ctx, engine.TicketsRequest{Scope: engine.Scope{From: scope.From, TimeField: p.spec.TimeField},
			Columns: []string{timeField}, Sort: []schema.SortKey{{Field: timeField}}, Limit: 1}, ch.Keys)
		if err != nil {
			return nil, err
		}
		var earliest time.Time
		for _, c := range res.Columns {
			if c.Name == timeField && len(c.Times) > 0 && (len(c.Nulls) == 0 || !c.Nulls[0]) {
				earliest = c.Times[0]
			}
		}
		if earliest.IsZero() {
			return nil, nil // no written ticket lies in the range
		}
		from = earliest
	}
	// Buckets are aligned to multiples of their width since the epoch, as the query's are.
	from = from.Truncate(bucket)
	to := now.Truncate(bucket).Add(bucket)
	if !to.After(from) {
		return nil, nil // written tickets in the future of this clock's bucket
	}
	res, err := eng.Counts(ctx, engine.CountsRequest{Scope: engine.Scope{From: from, To: to, TimeField: p.spec.TimeField,
		Where: scope.Where}, Bucket: bucket})
	if err != nil {
		return nil, err
	}
	return b.Counts(res, "", bucket), nil
}

func timeFieldOf(sc *schema.Schema, name string) string {
	if name == "" {
		return sc.Time
	}
	return name
}
