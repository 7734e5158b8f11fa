package source_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/memory"
	"github.com/spacetime/tickets/pkg/ticket"
)

// The polling lease on a fake clock, over one in-memory store that the replicas share as
// they would share a DynamoDB table: every step of a handover happens at a time the test
// chose, so the tests say exactly when a standby takes over, and prove that a replica
// stops polling, without sleeping. lease_test.go runs the same over dynalite in real time.

const (
	unitTTL      = 30 * time.Second // renewed every 10 s
	unitInterval = time.Minute
)

// cutStore is a replica's handle on the shared store, which the test can cut off: every
// call then fails, as when the replica loses its network.
type cutStore struct {
	*memory.Store
	mu  sync.Mutex
	cut bool
}

var errCut = errors.New("the network is down")

func (c *cutStore) setCut(cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = cut
}

func (c *cutStore) down() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut
}

func (c *cutStore) Upsert(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error) {
	if c.down() {
		return store.UpsertResult{}, errCut
	}
	return c.Store.Upsert(ctx, recs)
}

func (c *cutStore) Meta(ctx context.Context, name string) ([]byte, error) {
	if c.down() {
		return nil, errCut
	}
	return c.Store.Meta(ctx, name)
}

func (c *cutStore) SetMeta(ctx context.Context, name string, v []byte) error {
	if c.down() {
		return errCut
	}
	return c.Store.SetMeta(ctx, name, v)
}

func (c *cutStore) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (store.Lease, error) {
	if c.down() {
		return store.Lease{}, errCut
	}
	return c.Store.AcquireLease(ctx, name, holder, ttl)
}

func (c *cutStore) ReleaseLease(ctx context.Context, name, holder string) error {
	if c.down() {
		return errCut
	}
	return c.Store.ReleaseLease(ctx, name, holder)
}

// unitReplica is one process's poller over its handle on the shared store.
type unitReplica struct {
	name  string
	src   *script
	store *cutStore
	p     *source.Poller
	run   *source.Running
}

func newUnitReplica(t *testing.T, shared *memory.Store, fake *clock.Fake, name string, steps ...step) *unitReplica {
	t.Helper()
	r := &unitReplica{name: name, src: newScript(name, steps...), store: &cutStore{Store: shared}}
	r.p = source.NewPoller(r.src, r.store, source.Options{Key: "shared", Interval: unitInterval, Clock: fake,
		Lease: r.store, Holder: name, LeaseTTL: unitTTL})
	return r
}

func (r *unitReplica) start(t *testing.T) {
	r.run = r.p.Start()
	t.Cleanup(r.run.Stop)
}

// step moves the clock by d and waits until n timers wait again: every goroutine that
// the move woke has done its work.
func advance(t *testing.T, fake *clock.Fake, d time.Duration, n int) {
	t.Helper()
	fake.Advance(d)
	waitTimers(t, fake, n, "the replicas wait again after "+d.String())
}

// TestLeaseOnePollsTheOtherTakesOverWhenItIsCutOff: of two replicas, one polls and the
// other stands by and says who polls; when the holder is cut off, it stops polling once
// its lease has run out by its own clock, and the standby takes over a renewal period
// after the lease expired.
func TestLeaseOnePollsTheOtherTakesOverWhenItIsCutOff(t *testing.T) {
	fake := clock.NewFake(t0)
	shared := memory.New(memory.Options{Clock: fake})
	a, b := newUnitReplica(t, shared, fake, "a"), newUnitReplica(t, shared, fake, "b")
	a.start(t)
	receive(t, a.src.ended, "a's first poll")
	b.start(t)
	// a's renewal and next poll, b's next attempt.
	waitTimers(t, fake, 3, "both replicas wait")

	st := b.p.Status()
	if st.State != source.StateStandby || st.Lease == nil || st.Lease.Holder != "a" || st.Lease.Held || !st.Healthy() {
		t.Fatalf("b's status %+v (lease %+v), want a healthy standby naming a", st, st.Lease)
	}
	if got := st.Summary(fake.Now()); !strings.Contains(got, "Standby: a polls the script b") || !strings.Contains(got, "(renewed until 10:00:30 UTC)") {
		t.Errorf("standby summary %q does not say who polls until when", got)
	}
	if st := a.p.Status(); st.Lease == nil || !st.Lease.Held || st.Lease.Takeovers != 1 || st.State != source.StateOK {
		t.Fatalf("a's status %+v (lease %+v), want polling, held, taken once", st, st.Lease)
	}

	// A minute of renewals every 10 s: a polls again at its interval, b never.
	for range 6 {
		advance(t, fake, unitTTL/3, 3)
	}
	if a.src.polls() != 2 || b.src.polls() != 0 {
		t.Fatalf("after a minute a polled %d times and b %d, want 2 and 0", a.src.polls(), b.src.polls())
	}

	// a is cut off at 10:01:00, just after renewing until 10:01:30.
	a.store.setCut(true)
	advance(t, fake, 10*time.Second, 3) // 10:01:10: a's renewal fails; it keeps the lease it has
	if st := a.p.Status(); !st.Lease.Held || st.Lease.Error == nil {
		t.Errorf("after one failed renewal a's lease %+v, want still held, with the error", st.Lease)
	}
	// b's attempt read the watermark of a's last poll, which ended before it.
	if st := b.p.Status(); !st.Watermark.Equal(t0.Add(time.Minute)) {
		t.Errorf("b's status has the watermark %s, want the holder's, %s", st.Watermark, t0.Add(time.Minute))
	}
	advance(t, fake, 10*time.Second, 3) // 10:01:20
	advance(t, fake, 10*time.Second, 3) // 10:01:30: a's lease ends by its clock; b's attempt comes as it expires
	if st := a.p.Status(); st.Lease.Held || st.State != source.StateStandby || st.Healthy() {
		t.Errorf("a's status when its lease ran out: %s, lease %+v; want an unhealthy standby", st.State, st.Lease)
	}
	if b.src.polls() != 0 {
		t.Fatal("b polled before a's lease expired")
	}
	// 10:01:40: b takes the expired lease and polls at once; then both wait for their
	// attempts, and b for its next poll.
	advance(t, fake, 10*time.Second, 4)
	if w := receive(t, b.src.started, "b's first poll"); !w.Now.Equal(t0.Add(100 * time.Second)) {
		t.Errorf("b's first poll at %s, want 10:01:40, the first attempt after a's lease expired", w.Now)
	}
	if st := b.p.Status(); st.Lease == nil || !st.Lease.Held || st.Lease.Takeovers != 1 {
		t.Errorf("b's lease %+v, want held, taken once", st.Lease)
	}
	// 10:02:00: a's poll was due, but a polls no more: its loop waits for the lease.
	advance(t, fake, 20*time.Second, 3)
	if n := a.src.polls(); n != 2 {
		t.Errorf("a polled %d times, want no more than the 2 before it was cut off", n)
	}
	if got := a.p.Status().Summary(fake.Now()); !strings.Contains(got, "cannot be taken or read: "+errCut.Error()) {
		t.Errorf("a's summary %q does not say that it cannot reach the lease", got)
	}
}

// TestLeaseStopGivesItUpAtOnce: a replica that stops cleanly releases its lease, so that
// the standby takes over at its next attempt rather than when the lease would expire.
func TestLeaseStopGivesItUpAtOnce(t *testing.T) {
	fake := clock.NewFake(t0)
	shared := memory.New(memory.Options{Clock: fake})
	a, b := newUnitReplica(t, shared, fake, "a"), newUnitReplica(t, shared, fake, "b")
	a.start(t)
	receive(t, a.src.ended, "a's first poll")
	b.start(t)
	waitTimers(t, fake, 3, "both replicas wait")
	a.run.Stop()
	if got := fake.Timers(); got != 1 {
		t.Fatalf("%d timers wait after a stopped, want b's only", got)
	}
	advance(t, fake, unitTTL/3, 2)
	if w := receive(t, b.src.started, "b's first poll"); !w.Now.Equal(t0.Add(unitTTL / 3)) {
		t.Errorf("b polled at %s, want at its first attempt after a stopped, %s", w.Now, t0.Add(unitTTL/3))
	}
}

// TestLeaseLostStopsThePollInProgress: a holder whose lease runs out while it polls stops
// that poll, since another process may poll from then on; the stop is no failure of the
// source, and the poll's watermark is not kept.
func TestLeaseLostStopsThePollInProgress(t *testing.T) {
	fake := clock.NewFake(t0)
	shared := memory.New(memory.Options{Clock: fake})
	never := make(chan struct{})
	a := newUnitReplica(t, shared, fake, "a", step{block: never})
	a.start(t)
	receive(t, a.src.started, "a's poll starts")
	waitTimers(t, fake, 1, "a's keeper waits to renew")
	a.store.setCut(true)
	advance(t, fake, unitTTL/3, 1)
	advance(t, fake, unitTTL/3, 1)
	fake.Advance(unitTTL / 3) // 10:00:30: the lease runs out
	if err := receive(t, a.src.ended, "the poll ends when the lease runs out"); !errors.Is(err, context.Canceled) {
		t.Errorf("the poll ended with %v, want it cancelled", err)
	}
	waitTimers(t, fake, 1, "a's keeper waits again")
	st := a.p.Status()
	if st.Failures != 0 || st.Polls != 0 || st.Polling || st.LastError != nil {
		t.Errorf("status after the lost lease %+v: a cancelled poll is not a failure of the source", st)
	}
	if cp, err := a.p.Checkpoint(context.Background()); err == nil && !cp.Watermark.IsZero() {
		t.Errorf("the cancelled poll kept the watermark %s", cp.Watermark)
	}
}

// TestLeasePollOnce: a one-off poll (a scheduled `spacetime ingest --once`) does nothing
// while a replica holds the lease, and polls, then gives the lease back, when none does.
func TestLeasePollOnce(t *testing.T) {
	ctx := context.Background()
	fake := clock.NewFake(t0)
	shared := memory.New(memory.Options{Clock: fake})
	a := newUnitReplica(t, shared, fake, "a")
	a.start(t)
	receive(t, a.src.ended, "a's first poll")

	job := newUnitReplica(t, shared, fake, "cron", step{batches: [][]string{{"J"}}})
	_, err := job.p.PollOnce(ctx)
	var standby *source.StandbyError
	if !errors.As(err, &standby) || standby.Lease.Holder != "a" || !standby.Lease.Expires.Equal(t0.Add(unitTTL)) {
		t.Fatalf("PollOnce while a holds the lease: %v, want a StandbyError naming a until 10:00:30", err)
	}
	if job.src.polls() != 0 {
		t.Fatal("the job polled while a held the lease")
	}
	a.run.Stop()
	rep, err := job.p.PollOnce(ctx)
	if err != nil || rep.Records != 1 || job.src.polls() != 1 {
		t.Fatalf("PollOnce with the lease free: %+v, %v; want one record in one poll", rep, err)
	}
	if got := fake.Timers(); got != 0 {
		t.Errorf("%d timers wait after PollOnce returned: its renewals go on", got)
	}
	if l, err := shared.AcquireLease(ctx, "poll/shared", "other", time.Minute); err != nil || l.Holder != "other" {
		t.Fatalf("after the job the lease is %+v (%v), want it given back", l, err)
	}
}
