package source_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store/dynamo"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynamotest"
	"github.com/spacetime/tickets/pkg/ticket"
)

var leaseLayout = ticket.NewLayout([]string{"id", "poller"})

// tally is a source that writes one ticket per poll, named after the poller, and counts
// its polls.
type tally struct {
	name  string
	polls atomic.Int64
}

func (s *tally) Describe() string { return "tally " + s.name }

func (s *tally) Poll(ctx context.Context, _ source.Window, emit source.Emit) (json.RawMessage, error) {
	n := s.polls.Add(1)
	key := fmt.Sprintf("%s-%d", s.name, n)
	rec := ticket.Record{Key: key, Version: 1, Layout: leaseLayout, Values: []ticket.Value{ticket.String(key), ticket.String(s.name)}}
	return nil, emit(ctx, source.Batch{Records: []ticket.Record{rec}})
}

// replica is one process's poller over its own handle on the shared table.
type replica struct {
	name  string
	src   *tally
	store *dynamo.Store
	p     *source.Poller
	run   *source.Running
}

func sharedTable(t *testing.T) dynamo.Config {
	t.Helper()
	return dynamotest.Table(t, "spacetime-lease")
}

// testTTL is short for quick takeovers, yet long enough that a renewal (every third of it)
// slowed by a loaded machine and the race detector does not let the lease lapse.
const testTTL = 1500 * time.Millisecond

func newReplica(t *testing.T, cfg dynamo.Config, name string) *replica {
	t.Helper()
	st := dynamotest.Open(t, cfg)
	r := &replica{name: name, src: &tally{name: name}, store: st}
	r.p = source.NewPoller(r.src, st, source.Options{
		Key: "shared", Interval: 100 * time.Millisecond, Lease: st, Holder: name, LeaseTTL: testTTL,
	})
	return r
}

func (r *replica) start(t *testing.T) {
	r.run = r.p.Start()
	t.Cleanup(r.run.Stop)
}

func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for deadline := start.Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return time.Since(start)
		}
	}
	t.Fatalf("timed out waiting until %s", what)
	return 0
}

// TestOneReplicaPollsAndAnotherTakesOver: of two replicas on one table, one polls and
// the other stands by and says who polls; when the holder is cut off from the table
// (its store handle closed, so it can neither poll nor renew nor release), the other
// takes over once the lease has run out; when a holder stops cleanly it gives the lease
// up and a third replica takes over at once.
func TestOneReplicaPollsAndAnotherTakesOver(t *testing.T) {
	cfg := sharedTable(t)
	a, b := newReplica(t, cfg, "a"), newReplica(t, cfg, "b")
	a.start(t)
	waitFor(t, "a polls", func() bool { return a.src.polls.Load() >= 2 })
	b.start(t)
	waitFor(t, "b stands by", func() bool { return b.p.Status().State == source.StateStandby })

	// b stands by for several lease renewals and never polls.
	time.Sleep(3 * testTTL)
	if n := b.src.polls.Load(); n != 0 {
		t.Fatalf("the standby polled %d times while a held the lease", n)
	}
	st := b.p.Status()
	if st.Lease == nil || st.Lease.Holder != "a" || st.Lease.Held || !st.Healthy() {
		t.Fatalf("standby status %+v, want a named as the holder and b healthy", st.Lease)
	}
	if got := st.Summary(time.Now()); !strings.Contains(got, "Standby: a polls the tally b") {
		t.Errorf("standby summary %q does not say who polls", got)
	}
	if st := a.p.Status(); st.Lease == nil || !st.Lease.Held || st.Lease.Takeovers != 1 {
		t.Fatalf("holder status %+v, want held, taken once", st.Lease)
	}

	// a is cut off: its polls and renewals fail from now on.
	_ = a.store.Close()
	took := waitFor(t, "b takes over", func() bool { return b.src.polls.Load() > 0 })
	t.Logf("b polled %s after a was cut off (lease %s)", took.Round(time.Millisecond), testTTL)
	waitFor(t, "a knows it lost the lease", func() bool {
		st := a.p.Status()
		return st.Lease != nil && !st.Lease.Held
	})
	aPolls := a.src.polls.Load()
	time.Sleep(2 * testTTL)
	if n := a.src.polls.Load(); n != aPolls {
		t.Errorf("a polled %d more times after its lease ran out", n-aPolls)
	}

	// A clean stop gives the lease up: c takes it without waiting for it to expire.
	c := newReplica(t, cfg, "c")
	c.start(t)
	waitFor(t, "c stands by", func() bool { return c.p.Status().State == source.StateStandby })
	b.run.Stop()
	took = waitFor(t, "c takes over", func() bool { return c.src.polls.Load() > 0 })
	t.Logf("c polled %s after b stopped cleanly", took.Round(time.Millisecond))

	// Every poll's ticket is in the table: nothing was lost in the handovers.
	want := map[string]bool{}
	for _, r := range []*replica{a, b, c} {
		for i := int64(1); i <= r.src.polls.Load(); i++ {
			want[fmt.Sprintf("%s-%d", r.name, i)] = true
		}
	}
	c.run.Stop()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	got, err := c.store.Get(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	// a's last poll may have failed after counting (its store was closed under it).
	if len(got) < len(keys)-1 {
		t.Errorf("the table holds %d of the %d polled tickets", len(got), len(keys))
	}
}

// TestPollOnceHonoursTheLease: a scheduled one-off poll does nothing while a replica
// holds the lease, and polls, then gives the lease back, when none does.
func TestPollOnceHonoursTheLease(t *testing.T) {
	cfg := sharedTable(t)
	a := newReplica(t, cfg, "a")
	a.start(t)
	waitFor(t, "a polls", func() bool { return a.src.polls.Load() > 0 })

	job := newReplica(t, cfg, "cron")
	_, err := job.p.PollOnce(context.Background())
	var standby *source.StandbyError
	if !errors.As(err, &standby) || standby.Lease.Holder != "a" {
		t.Fatalf("PollOnce while a holds the lease: %v, want a StandbyError naming a", err)
	}
	if job.src.polls.Load() != 0 {
		t.Fatal("the job polled while a held the lease")
	}

	a.run.Stop()
	rep, err := job.p.PollOnce(context.Background())
	if err != nil {
		t.Fatalf("PollOnce with the lease free: %v", err)
	}
	if rep.Records != 1 || job.src.polls.Load() != 1 {
		t.Fatalf("the job wrote %d records in %d polls, want 1 in 1", rep.Records, job.src.polls.Load())
	}
	// Given back: another process takes the lease at once.
	l, err := a.store.AcquireLease(context.Background(), "poll/shared", "other", time.Minute)
	if err != nil || l.Holder != "other" {
		t.Fatalf("after the job the lease is %+v (%v), want it free", l, err)
	}
}

// TestManyReplicasNeverPollAtOnce: four replicas start together; over many lease
// periods, with replicas stopping one by one, no two polls ever overlap.
func TestManyReplicasNeverPollAtOnce(t *testing.T) {
	cfg := sharedTable(t)
	var (
		mu      sync.Mutex
		active  int
		overlap int
	)
	reps := make([]*replica, 4)
	for i := range reps {
		reps[i] = newReplica(t, cfg, fmt.Sprintf("r%d", i))
		reps[i].p = source.NewPoller(&watched{tally: reps[i].src, enter: func() {
			mu.Lock()
			active++
			if active > 1 {
				overlap++
			}
			mu.Unlock()
		}, leave: func() { mu.Lock(); active--; mu.Unlock() }}, reps[i].store, source.Options{
			Key: "shared", Interval: 50 * time.Millisecond, Lease: reps[i].store, Holder: reps[i].name, LeaseTTL: testTTL,
		})
	}
	for _, r := range reps {
		r.start(t)
	}
	for _, r := range reps[:3] {
		time.Sleep(2 * testTTL)
		r.run.Stop()
	}
	last := reps[3]
	waitFor(t, "the last replica polls", func() bool { return last.src.polls.Load() > 0 })
	if overlap > 0 {
		t.Errorf("%d polls started while another replica was polling", overlap)
	}
}

// watched wraps a tally to see when polls run.
type watched struct {
	*tally
	enter, leave func()
}

func (w *watched) Poll(ctx context.Context, win source.Window, emit source.Emit) (json.RawMessage, error) {
	w.enter()
	defer w.leave()
	time.Sleep(10 * time.Millisecond)
	return w.tally.Poll(ctx, win, emit)
}
