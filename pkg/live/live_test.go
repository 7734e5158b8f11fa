package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.uber.org/goleak"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/live"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// rig is an engine over a real embedded store, written through the push path.
type rig struct {
	t   testing.TB
	st  *bolt.Store
	eng *engine.Engine
	env *query.Env
	m   *live.Manager
	now time.Time
}

func newRig(t testing.TB, opts live.Options) *rig {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := schema.Default()
	env, err := query.NewEnv(s)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, eng: engine.New(s, st, engine.Options{}), env: env, now: time.Now().UTC()}
	if _, err := r.eng.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return r.now }
	}
	r.m = live.New(r.eng, env, opts)
	return r
}

// push writes tickets as a webhook or POST push does.
func (r *rig) push(items ...map[string]any) {
	r.t.Helper()
	in := make([]any, len(items))
	for i, it := range items {
		in[i] = it
	}
	res, err := source.Push(context.Background(), r.st, r.env.Schema, in, func(ctx context.Context) error {
		_, err := r.eng.Sync(ctx)
		return err
	})
	if err != nil || res.Rejected > 0 {
		r.t.Fatalf("push: %+v, %v", res, err)
	}
}

func ticketAt(id, service string, sev int, created time.Time, status string) map[string]any {
	return map[string]any{"id": id, "title": "Ticket " + id, "service": service, "severity": sev, "status": status,
		"created": created.Format(time.RFC3339Nano), "updated": time.Now().UTC().Format(time.RFC3339Nano)}
}

// recorder is a StreamPacketSender that keeps the packets, as Grafana's would publish them.
type recorder struct {
	ch chan []byte
}

func (rc *recorder) Send(p *backend.StreamPacket) error {
	rc.ch <- append([]byte(nil), p.Data...)
	return nil
}

// frame waits for the next frame.
func (rc *recorder) frame(t testing.TB) *data.Frame {
	t.Helper()
	select {
	case b := <-rc.ch:
		var fr data.Frame
		if err := json.Unmarshal(b, &fr); err != nil {
			t.Fatalf("frame %s: %v", b, err)
		}
		return &fr
	case <-time.After(10 * time.Second):
		t.Fatal("no frame within 10 s")
	}
	return nil
}

// run starts a RunStream and returns its recorder and how to stop it.
func (r *rig) run(path string, spec live.Spec) (*recorder, func() error) {
	raw, _ := json.Marshal(spec)
	rec := &recorder{ch: make(chan []byte, 1024)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- r.m.RunStream(ctx, &backend.RunStreamRequest{Path: path, Data: raw}, backend.NewStreamSender(rec))
	}()
	return rec, func() error { cancel(); return <-done }
}

func mustPath(t testing.TB, s live.Spec) string {
	t.Helper()
	p, err := live.Path(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitJoined waits until the manager runs streams streams with subs RunStreams joined
// (RunStream starts asynchronously, and a write before it joins is not its to send).
func waitJoined(t testing.TB, m *live.Manager, streams, subs int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for m.Streams() != streams || m.Subscribers() != subs {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams and %d subscribers, want %d and %d", m.Streams(), m.Subscribers(), streams, subs)
		}
		time.Sleep(time.Millisecond)
	}
}

func fieldValues(fr *data.Frame, name string) []any {
	for _, f := range fr.Fields {
		if f.Name == name {
			out := make([]any, f.Len())
			for i := range out {
				out[i], _ = f.ConcreteAt(i)
			}
			return out
		}
	}
	return nil
}

func TestSubscribeChecksThePath(t *testing.T) {
	r := newRig(t, live.Options{DatasourceUID: "ds-1"})
	spec := live.Spec{Kind: live.Logs, Filter: `severity <= 2`, Range: "1h"}
	raw, _ := json.Marshal(spec)
	path := mustPath(t, spec)
	if len(path) > 64 || strings.ContainsAny(path, " \"()") {
		t.Fatalf("path %q does not fit Grafana's channel rules", path)
	}
	own := backend.PluginContext{DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{UID: "ds-1"}}
	other := backend.PluginContext{DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{UID: "ds-2"}}
	otherSpec, _ := json.Marshal(live.Spec{Kind: live.Logs, Filter: `severity <= 3`, Range: "1h"})
	badFilter := live.Spec{Kind: live.Logs, Filter: `severity <=`, Range: "1h"}
	badRaw, _ := json.Marshal(badFilter)
	tests := []struct {
		name string
		pc   backend.PluginContext
		path string
		data []byte
		want backend.SubscribeStreamStatus
	}{
		{"its own query", own, path, raw, backend.SubscribeStreamStatusOK},
		{"another data source", other, path, raw, backend.SubscribeStreamStatusPermissionDenied},
		{"no data source", backend.PluginContext{}, path, raw, backend.SubscribeStreamStatusPermissionDenied},
		{"another query on the path", own, path, otherSpec, backend.SubscribeStreamStatusNotFound},
		{"a made-up path", own, "v1/logs/../../x", raw, backend.SubscribeStreamStatusNotFound},
		{"no data", own, path, nil, backend.SubscribeStreamStatusNotFound},
		{"unknown member", own, path, []byte(`{"kind":"logs","range":"1h","sql":"drop"}`), backend.SubscribeStreamStatusNotFound},
		{"bad filter", own, mustPath(t, badFilter), badRaw, backend.SubscribeStreamStatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := r.m.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{PluginContext: tt.pc, Path: tt.path, Data: tt.data})
			if err != nil || resp.Status != tt.want {
				t.Fatalf("status %v (%v), want %v", resp.Status, err, tt.want)
			}
		})
	}
	pub, err := r.m.PublishStream(context.Background(), &backend.PublishStreamRequest{PluginContext: own, Path: path, Data: raw})
	if err != nil || pub.Status != backend.PublishStreamStatusPermissionDenied {
		t.Fatalf("publish: %v %v, want permission denied", pub.Status, err)
	}
	if err := r.m.RunStream(context.Background(), &backend.RunStreamRequest{PluginContext: own, Path: path, Data: otherSpec}, nil); err == nil {
		t.Fatal("RunStream ran another query on the path")
	}
}

func TestFeedStreamsTheWrittenTicketsToEverySubscriber(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r := newRig(t, live.Options{})
	spec := live.Spec{Kind: live.Logs, Filter: `severity <= 2`, AdHocFilters: nil, Search: "disk", Range: "1h"}
	path := mustPath(t, spec)
	a, stopA := r.run(path, spec)
	b, stopB := r.run(path, spec)
	waitJoined(t, r.m, 1, 2)
	now := r.now
	r.push(ticketAt("OUT-1", "web", 4, now.Add(-time.Minute), "open")) // severity 4: left out
	r.push(ticketAt("OLD-1", "web", 1, now.Add(-2*time.Hour), "open")) // before the range
	r.push(ticketAt("IN-1", "disk", 1, now.Add(-time.Minute), "open"),
		ticketAt("IN-2", "web", 2, now.Add(-30*time.Second), "open"))
	for _, rc := range []*recorder{a, b} {
		fr := rc.frame(t)
		ids := fmt.Sprint(fieldValues(fr, "id"))
		if ids != "[IN-2 IN-1]" {
			t.Fatalf("first frame has ids %s (frame %s), want [IN-2 IN-1]: newest first, the filter and range applied", ids, fr.Name)
		}
		// The search marks without removing, as the logs query does.
		if fr.Meta == nil || !strings.Contains(fmt.Sprint(fr.Meta.Custom), "disk") {
			t.Errorf("the frame's search words: %+v", fr.Meta)
		}
	}
	if r.m.Streams() != 1 {
		t.Fatalf("%d streams for one channel", r.m.Streams())
	}
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	if r.m.Streams() != 1 {
		t.Fatal("the stream ended while a subscriber was left")
	}
	r.push(ticketAt("IN-3", "web", 1, now, "open"))
	if ids := fmt.Sprint(fieldValues(b.frame(t), "id")); ids != "[IN-3]" {
		t.Fatalf("after one left: %s", ids)
	}
	if err := stopB(); err != nil {
		t.Fatal(err)
	}
	if r.m.Streams() != 0 {
		t.Fatalf("%d streams after the last subscriber left", r.m.Streams())
	}
	// goleak (deferred) checks that no goroutine of the stream is left.
}

// The counts stream sends the buckets the writes touched, counted as the counts query
// counts them: a ticket that leaves the filter lowers its bucket.
func TestCountsStreamsTheTouchedBuckets(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r := newRig(t, live.Options{})
	r.now = time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second)
	spec := live.Spec{Kind: live.Counts, Filter: `status != "resolved"`, Range: "1h", Bucket: "1m"}
	rc, stop := r.run(mustPath(t, spec), spec)
	defer stop()
	waitJoined(t, r.m, 1, 1)
	early := r.now.Add(-10 * time.Minute)
	r.push(ticketAt("C-1", "web", 1, early, "open"), ticketAt("C-2", "web", 1, early.Add(time.Second), "open"),
		ticketAt("C-3", "web", 1, r.now.Add(-time.Second), "open"))
	fr := rc.frame(t)
	times, counts := fieldValues(fr, "time"), fieldValues(fr, "count")
	if len(times) != 11 || times[0].(time.Time).Unix() != early.Truncate(time.Minute).Unix() {
		t.Fatalf("buckets %v, want the 11 minutes from the earliest written ticket's to the current", times)
	}
	if counts[0] != int64(2) || counts[10] != int64(1) {
		t.Fatalf("counts %v, want 2 in the first bucket and 1 in the current", counts)
	}
	// The same answer as the query for those buckets.
	want, err := query.Run(context.Background(), r.eng, r.env, query.Request{
		Query: &query.CountsQuery{Common: query.Common{Filter: spec.Filter}, Bucket: "1m"},
		From:  early.Truncate(time.Minute), To: r.now.Truncate(time.Minute).Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fieldValues(want[0], "count")) != fmt.Sprint(counts) {
		t.Fatalf("stream %v, query %v", counts, fieldValues(want[0], "count"))
	}
	upd := ticketAt("C-1", "web", 1, early, "resolved")
	upd["updated"] = time.Now().UTC().Add(time.Second).Format(time.RFC3339Nano)
	r.push(upd)
	fr = rc.frame(t)
	if counts := fieldValues(fr, "count"); len(counts) != 11 || counts[0] != int64(1) {
		t.Fatalf("after C-1 was resolved: %v, want the first bucket down to 1", counts)
	}
}

func TestStatsAndTicketsStreams(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r := newRig(t, live.Options{})
	stats := live.Spec{Kind: live.Stats, Range: "1h"}
	rows := live.Spec{Kind: live.Tickets, Range: "1h", Columns: []string{"id", "service"}, AdHocFilters: nil, Filter: `service = "db"`}
	sr, stopS := r.run(mustPath(t, stats), stats)
	tr, stopT := r.run(mustPath(t, rows), rows)
	waitJoined(t, r.m, 2, 2)
	r.push(ticketAt("S-1", "db", 1, r.now.Add(-time.Minute), "open"), ticketAt("S-2", "web", 1, r.now.Add(-time.Minute), "open"))
	if total := fieldValues(sr.frame(t), "total"); fmt.Sprint(total) != "[2]" {
		t.Errorf("stats total %v, want [2]", total)
	}
	if ids := fmt.Sprint(fieldValues(tr.frame(t), "id")); ids != "[S-1]" {
		t.Errorf("tickets %s, want [S-1]", ids)
	}
	if errS, errT := stopS(), stopT(); errS != nil || errT != nil {
		t.Fatal(errS, errT)
	}
	if r.m.Streams() != 0 {
		t.Fatal("streams left")
	}
}

// A subscriber that does not take its frames is dropped, and the others go on.
func TestSlowSubscriberIsDropped(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r := newRig(t, live.Options{Buffer: 2})
	spec := live.Spec{Kind: live.Tickets, Range: "1h"}
	path := mustPath(t, spec)
	raw, _ := json.Marshal(spec)
	stuck := &blocking{release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		done <- r.m.RunStream(context.Background(), &backend.RunStreamRequest{Path: path, Data: raw}, backend.NewStreamSender(stuck))
	}()
	fast, stopFast := r.run(path, spec)
	waitJoined(t, r.m, 1, 2)
	for i := range 6 {
		r.push(ticketAt(fmt.Sprintf("B-%d", i), "web", 1, r.now, "open"))
		fast.frame(t)
	}
	close(stuck.release)
	if err := <-done; !errors.Is(err, live.ErrBehind) {
		t.Fatalf("the stuck subscriber: %v, want ErrBehind", err)
	}
	r.push(ticketAt("B-last", "web", 1, r.now, "open"))
	if ids := fmt.Sprint(fieldValues(fast.frame(t), "id")); ids != "[B-last]" {
		t.Fatalf("the other subscriber after the drop: %s", ids)
	}
	if err := stopFast(); err != nil {
		t.Fatal(err)
	}
}

// blocking is a sender whose first Send waits until released.
type blocking struct {
	once    sync.Once
	release chan struct{}
}

func (b *blocking) Send(*backend.StreamPacket) error {
	b.once.Do(func() { <-b.release })
	return nil
}
