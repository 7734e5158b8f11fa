package source_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/memory"
	"github.com/spacetime/tickets/pkg/ticket"
)

// These tests run the poller over an in-memory store on a fake clock: time moves only
// when a test moves it, so a test proves what happens an hour later, or that nothing
// happens, without sleeping. The lease tests of lease_test.go run it against a DynamoDB
// server in real time.

var (
	t0         = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	unitLayout = ticket.NewLayout([]string{"id", "n"})
)

// script is a source whose polls the test writes: each poll takes the next step, records
// the window it was asked for, and says when it starts and ends on the channels.
type script struct {
	name string

	mu      sync.Mutex
	steps   []step
	windows []source.Window
	closed  bool

	started chan source.Window // a poll began (buffered, so that nobody has to read)
	ended   chan error         // a poll ended, with its error
}

// step is what one poll does: write records (a batch each), then fail with err or
// succeed with state; block, when set, holds the poll until it is closed or ctx ends.
type step struct {
	batches [][]string
	rejects []source.Reject
	state   string
	err     error
	block   chan struct{}
	onStart func(ctx context.Context)
}

func newScript(name string, steps ...step) *script {
	return &script{name: name, steps: steps, started: make(chan source.Window, 100), ended: make(chan error, 100)}
}

func (s *script) Describe() string { return "script " + s.name }

func (s *script) Poll(ctx context.Context, w source.Window, emit source.Emit) (json.RawMessage, error) {
	s.mu.Lock()
	s.windows = append(s.windows, w)
	st := step{}
	if len(s.steps) > 0 {
		st, s.steps = s.steps[0], s.steps[1:]
	}
	s.mu.Unlock()
	if st.onStart != nil {
		st.onStart(ctx)
	}
	s.started <- w
	raw, err := s.run(ctx, w, st, emit)
	s.ended <- err
	return raw, err
}

func (s *script) run(ctx context.Context, w source.Window, st step, emit source.Emit) (json.RawMessage, error) {
	if st.block != nil {
		select {
		case <-st.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for i, keys := range st.batches {
		// As a real source, it stops between batches when the poll is cancelled.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := source.Batch{}
		for _, k := range keys {
			b.Records = append(b.Records, ticket.Record{Key: k, Version: w.Now.UnixMilli(), Layout: unitLayout,
				Values: []ticket.Value{ticket.String(k), ticket.Number(float64(i))}})
		}
		if i == 0 {
			b.Rejects = st.rejects
		}
		if err := emit(ctx, b); err != nil {
			return nil, err
		}
	}
	if st.err != nil {
		return nil, st.err
	}
	if st.state == "" {
		return nil, nil
	}
	return json.RawMessage(st.state), nil
}

func (s *script) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *script) polls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.windows)
}

// bounded is a context for a wait on another goroutine: it bounds the wait when the code
// under test is broken, and is never what the test waits for.
func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// receive takes the next value of ch, failing t if none comes.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-bounded(t).Done():
		t.Fatalf("timed out waiting until %s", what)
		panic("unreachable")
	}
}

// waitTimers waits until n timers wait on the clock: the goroutines under test have come
// to their waits.
func waitTimers(t *testing.T, c *clock.Fake, n int, what string) {
	t.Helper()
	if !c.WaitTimers(bounded(t), n) {
		t.Fatalf("timed out waiting until %s (%d timers wait, want %d)", what, c.Timers(), n)
	}
}

func storedKeys(t *testing.T, st store.Store) []string {
	t.Helper()
	var keys []string
	if _, err := st.Changes(context.Background(), "", func(r *ticket.Record) error {
		keys = append(keys, r.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func TestPollOnceMovesTheWatermarkAfterEverythingIsWritten(t *testing.T) {
	ctx := context.Background()
	fake := clock.NewFake(t0)
	st := memory.New(memory.Options{Clock: fake})
	src := newScript("s",
		step{batches: [][]string{{"A", "B"}, {"C"}}, state: `{"page":3}`},
		step{batches: [][]string{{"D"}}},
		step{batches: [][]string{{"E"}}, err: errors.New("the API fell over")},
		step{},
	)
	var afterWrites int
	p := source.NewPoller(src, st, source.Options{Key: "k", Clock: fake, Overlap: 5 * time.Minute,
		AfterWrite: func(context.Context) error { afterWrites++; return nil }})

	// The first poll reads the backfill: no since.
	rep, err := p.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := src.windows[0]; !w.Since.IsZero() || !w.Now.Equal(t0) || w.State != nil {
		t.Errorf("first window %+v, want the backfill up to now", w)
	}
	if rep.Records != 3 || rep.Result.Inserted != 3 || afterWrites != 2 || !rep.Start.Equal(t0) {
		t.Errorf("first poll %+v after %d AfterWrite calls, want 3 records in 2 batches", rep, afterWrites)
	}
	cp, err := p.Checkpoint(ctx)
	if err != nil || !cp.Watermark.Equal(t0) || string(cp.State) != `{"page":3}` || cp.Source != "script s" {
		t.Fatalf("checkpoint %+v, %v; want the poll's start, the source's state and its name", cp, err)
	}

	// The next reads from the watermark minus the overlap, with the state kept.
	fake.Advance(time.Minute)
	if _, err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if w := src.windows[1]; !w.Since.Equal(t0.Add(-5*time.Minute)) || string(w.State) != `{"page":3}` {
		t.Errorf("second window %+v, want since the watermark minus the overlap, with the state", w)
	}

	// A poll that fails part way keeps what it wrote, but not its watermark: the next
	// one reads the same changes again.
	fake.Advance(time.Minute)
	if _, err := p.PollOnce(ctx); err == nil || !strings.Contains(err.Error(), "the API fell over") {
		t.Fatalf("the failing poll returned %v", err)
	}
	if got := storedKeys(t, st); !slices.Equal(got, []string{"A", "B", "C", "D", "E"}) {
		t.Errorf("stored %v", got)
	}
	if cp, _ := p.Checkpoint(ctx); !cp.Watermark.Equal(t0.Add(time.Minute)) {
		t.Errorf("the failed poll moved the watermark to %s", cp.Watermark)
	}
	status := p.Status()
	if status.State != source.StateFailing || status.ConsecutiveFailures != 1 || status.LastError == nil || status.LastSuccess == nil {
		t.Fatalf("status after a failure %+v", status)
	}
	// The lag is measured on the poller's clock, from the last good watermark.
	if got := time.Duration(status.Lag); got != time.Minute {
		t.Errorf("lag %s, want 1m", got)
	}
	fake.Advance(time.Minute)
	if _, err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if w := src.windows[3]; !w.Since.Equal(t0.Add(time.Minute - 5*time.Minute)) {
		t.Errorf("after a failure the window starts %s, want from the last good watermark", w.Since)
	}
	if st := p.Status(); st.State != source.StateOK || st.Polls != 4 || st.Failures != 1 || st.ConsecutiveFailures != 0 || time.Duration(st.Lag) != 0 {
		t.Errorf("status after recovering %+v", st)
	}
}

func TestPollerKeepsRejectsAndRedactsSecrets(t *testing.T) {
	ctx := context.Background()
	fake := clock.NewFake(t0)
	st := memory.New(memory.Options{})
	var rejects []source.Reject
	for i := range 25 {
		rejects = append(rejects, source.Reject{Where: fmt.Sprintf("item %d", i), Reason: "token s3cr3t is not a number"})
	}
	src := newScript("s", step{batches: [][]string{{"A"}}, rejects: rejects}, step{err: errors.New("401 for token s3cr3t")})
	p := source.NewPoller(src, st, source.Options{Clock: fake, Redact: redact.New("s3cr3t")})
	rep, err := p.PollOnce(ctx)
	if err != nil || rep.Rejected != 25 || rep.Records != 1 {
		t.Fatalf("poll %+v, %v; want 1 record and 25 rejects", rep, err)
	}
	if _, err := p.PollOnce(ctx); err == nil {
		t.Fatal("the second poll did not fail")
	}
	status := p.Status()
	if len(status.RecentRejects) != 20 || status.RecentRejects[19].Where != "item 24" || status.Totals.Rejected != 25 {
		t.Errorf("recent rejects %d (last %v), totals %d; want the last 20 of 25", len(status.RecentRejects), status.RecentRejects[19], status.Totals.Rejected)
	}
	raw, _ := json.Marshal(status)
	if strings.Contains(string(raw), "s3cr3t") {
		t.Errorf("the status shows the secret: %s", raw)
	}
	if !strings.Contains(status.LastError.Message, "401 for token") {
		t.Errorf("last error %q lost its message", status.LastError.Message)
	}
}

func TestADamagedCheckpointCostsABackfill(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Options{})
	if err := st.SetMeta(ctx, source.MetaPrefix+"k", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	src := newScript("s", step{})
	p := source.NewPoller(src, st, source.Options{Key: "k", Clock: clock.NewFake(t0)})
	if _, err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if w := src.windows[0]; !w.Since.IsZero() {
		t.Errorf("after a damaged checkpoint the poll reads since %s, want the backfill", w.Since)
	}
}

// TestRunPollsOnTheInterval: the first poll at once, then one an interval after each
// start, never before; a poll longer than the interval is followed at once; Stop ends
// the polling for good.
func TestRunPollsOnTheInterval(t *testing.T) {
	fake := clock.NewFake(t0)
	st := memory.New(memory.Options{})
	slow := make(chan struct{})
	src := newScript("s", step{batches: [][]string{{"A"}}}, step{block: slow}, step{}, step{})
	p := source.NewPoller(src, st, source.Options{Clock: fake, Interval: time.Minute})
	run := p.Start()
	defer run.Stop()

	receive(t, src.started, "the first poll starts at once")
	receive(t, src.ended, "the first poll ends")
	waitTimers(t, fake, 1, "the poller waits for the next poll")
	if next := p.Status().NextPoll; !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("next poll %s, want an interval after the first one's start", next)
	}
	fake.Advance(59 * time.Second)
	if n := src.polls(); n != 1 || fake.Timers() != 1 {
		t.Fatalf("%d polls a second before the interval, want 1 and the poller still waiting", n)
	}
	fake.Advance(time.Second)
	receive(t, src.started, "the second poll starts when the interval is over")

	// The second poll takes two minutes: the third follows at once.
	fake.Advance(2 * time.Minute)
	close(slow)
	receive(t, src.ended, "the slow poll ends")
	w := receive(t, src.started, "the poll after a slow one starts at once")
	if !w.Now.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("the third poll started at %s, want at once (%s)", w.Now, t0.Add(3*time.Minute))
	}
	receive(t, src.ended, "the third poll ends")
	waitTimers(t, fake, 1, "the poller waits again")

	run.Stop()
	if fake.Timers() != 0 {
		t.Errorf("%d timers still wait after Stop: the poller could poll again", fake.Timers())
	}
	fake.Advance(time.Hour)
	if n := src.polls(); n != 3 {
		t.Errorf("%d polls after Stop and an hour, want 3", n)
	}
	if status := p.Status(); status.State != source.StateStopped || !status.NextPoll.IsZero() || !src.closed {
		t.Errorf("after Stop: state %s, next poll %s, source closed %v", status.State, status.NextPoll, src.closed)
	}
}

// TestRetryLaterPostponesTheNextPoll: a source that asks not to be called before a time
// is not, even when the interval passes before it.
func TestRetryLaterPostponesTheNextPoll(t *testing.T) {
	fake := clock.NewFake(t0)
	until := t0.Add(10 * time.Minute)
	src := newScript("s", step{err: &source.RetryLaterError{Until: until, Err: errors.New("429 Too Many Requests")}}, step{})
	p := source.NewPoller(src, memory.New(memory.Options{}), source.Options{Clock: fake, Interval: time.Minute})
	run := p.Start()
	defer run.Stop()
	receive(t, src.started, "the first poll starts")
	receive(t, src.ended, "the rate-limited poll ends")
	waitTimers(t, fake, 1, "the poller waits")
	if next := p.Status().NextPoll; !next.Equal(until) {
		t.Errorf("next poll %s, want the time the source asked for, %s", next, until)
	}
	fake.Advance(9 * time.Minute)
	if n := src.polls(); n != 1 {
		t.Fatalf("%d polls before the time the source asked for", n)
	}
	fake.Advance(time.Minute)
	w := receive(t, src.started, "the poll at the time the source asked for")
	if !w.Now.Equal(until) {
		t.Errorf("the next poll started at %s, want %s", w.Now, until)
	}
}

// TestStopFinishesTheBatchBeingWritten: a stop during a poll cancels it, but the batch the
// source handed over is written whole, and the watermark stays, so that the next start
// reads it again.
func TestStopFinishesTheBatchBeingWritten(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Options{})
	polling := make(chan context.Context, 1)
	src := newScript("s", step{batches: [][]string{{"A", "B"}, {"C"}}, onStart: func(ctx context.Context) { polling <- ctx }})
	// The first write waits until the poll is cancelled: the stop comes while it runs.
	held := &heldStore{Store: st, hold: func() { <-(<-polling).Done() }}
	p := source.NewPoller(src, held, source.Options{Key: "k", Clock: clock.NewFake(t0)})
	run := p.Start()
	receive(t, src.started, "the poll starts")
	run.Stop()
	if got := storedKeys(t, st); !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("stored %v, want the whole first batch and not the second", got)
	}
	if cp, _ := p.Checkpoint(ctx); !cp.Watermark.IsZero() {
		t.Errorf("a stopped poll moved the watermark to %s", cp.Watermark)
	}
	if status := p.Status(); status.State != source.StateStopped || status.Failures != 0 {
		t.Errorf("a stop counted as a failure: %+v", status)
	}
}

// heldStore calls hold before the first Upsert.
type heldStore struct {
	store.Store
	once sync.Once
	hold func()
}

func (h *heldStore) Upsert(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error) {
	h.once.Do(h.hold)
	return h.Store.Upsert(ctx, recs)
}
