package source

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/spacetime/tickets/pkg/store"
)

// DefaultLeaseTTL is how long a polling lease lasts without a renewal. The holder renews
// it every third of that, so when the holder dies another process takes over between
// one and one and a third lease lengths later (40 s at most by default), well inside the
// minute a source is usually polled at.
const DefaultLeaseTTL = 30 * time.Second

// MinLeaseTTL is the shortest lease the settings accept: renewing every third of it
// costs a write each time, and a shorter lease would hand polling over on a slow
// request.
const MinLeaseTTL = time.Second

// leaseReleaseTimeout bounds the release of a lease on Stop: a stopping process that
// cannot reach the store leaves the lease to expire.
const leaseReleaseTimeout = 5 * time.Second

// LeaseStatus says who polls when several processes share the store.
type LeaseStatus struct {
	// Name is the lease's name in the store.
	Name string `json:"name"`
	// Self is this process's name as a holder.
	Self string `json:"self"`
	// Held is set while this process holds the lease, and polls.
	Held bool `json:"held"`
	// Holder is the process that held the lease at the last attempt, and Expires when
	// its lease runs out unless renewed (by the holder's clock).
	Holder  string    `json:"holder,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// Takeovers counts the times this process took the lease.
	Takeovers int `json:"takeovers"`
	// Error is the last failed attempt to take or renew the lease, cleared by a success.
	Error *Problem `json:"error,omitempty"`
}

// StandbyError is PollOnce's answer when another process holds the polling lease: that
// process polls, and this one did nothing.
type StandbyError struct{ Lease store.Lease }

func (e *StandbyError) Error() string {
	return fmt.Sprintf("standby: %s holds the polling lease until %s", e.Lease.Holder, e.Lease.Expires.UTC().Format(time.RFC3339))
}

// DefaultHolder names a poller in a lease: its host and process id, so that an operator
// reading the status knows which server polls, and a random suffix, so that two pollers
// of one process (two data sources over one table) never take each other for the holder.
func DefaultHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s/%d/%04x", host, os.Getpid(), rand.Uint32()&0xffff)
}

// leaseKeeper takes and renews the poller's lease. Whether it holds the lease is judged
// by its own clock from the start of its last successful attempt, so that a process cut
// off from the store stops polling when its lease runs out, as the others see it expire.
type leaseKeeper struct {
	p      *Poller
	name   string
	gained chan struct{}

	mu    sync.Mutex
	until time.Time
	// had is whether the lease was held after the last attempt: the lease runs out
	// between attempts when renewals fail, and the attempt after that must still see
	// that it was lost (a poll of ours may be running).
	had        bool
	cancelPoll context.CancelFunc
}

func newLeaseKeeper(p *Poller) *leaseKeeper {
	k := &leaseKeeper{p: p, name: "poll/" + p.opts.Key, gained: make(chan struct{}, 1)}
	p.update(func(s *Status) { s.Lease = &LeaseStatus{Name: k.name, Self: p.opts.Holder} })
	return k
}

// held reports whether the lease is this process's at the moment.
func (k *leaseKeeper) held() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.p.now().Before(k.until)
}

// try makes one attempt to take or renew the lease and reports whether it is held, and
// the attempt's error (a lease held already stays held until it runs out).
func (k *leaseKeeper) try(ctx context.Context) (store.Lease, bool, error) {
	opts := k.p.opts
	start := k.p.now()
	l, err := opts.Lease.AcquireLease(ctx, k.name, opts.Holder, opts.LeaseTTL)
	k.mu.Lock()
	was := k.had
	switch {
	case err != nil:
		// Keep what was held until it runs out: one failed renewal must not stop the
		// polls, and no other process can take the lease before then.
	case l.Holder == opts.Holder:
		k.until = start.Add(opts.LeaseTTL)
	default:
		k.until = time.Time{}
	}
	now := k.p.now()
	is := now.Before(k.until)
	k.had = is
	cancelPoll := k.cancelPoll
	k.mu.Unlock()

	// A standby reads the holder's watermark, so that its status tells how far behind
	// the shared store is, as the holder's does.
	var watermark time.Time
	if !is && err == nil {
		if cp, cerr := k.p.Checkpoint(ctx); cerr == nil {
			watermark = cp.Watermark
		}
	}

	k.p.update(func(s *Status) {
		ls := s.Lease
		ls.Held = is
		if err != nil {
			ls.Error = &Problem{At: now.UTC(), Message: err.Error()}
		} else {
			ls.Error = nil
			ls.Holder, ls.Expires = l.Holder, l.Expires.UTC()
		}
		if is && !was {
			ls.Takeovers++
			if s.State == StateStandby {
				s.State = StateStarting
			}
		}
		if !is {
			s.State = StateStandby
			s.NextPoll = time.Time{}
			if !watermark.IsZero() {
				s.Watermark = watermark
			}
		}
	})
	switch {
	case is && !was:
		if opts.Logger != nil {
			opts.Logger.Info("Took the polling lease: this process polls the ticket source", "lease", k.name, "holder", opts.Holder)
		}
		select {
		case k.gained <- struct{}{}:
		default:
		}
	case was && !is:
		if opts.Logger != nil {
			opts.Logger.Warn("Lost the polling lease: another process polls the ticket source", "lease", k.name, "holder", l.Holder, "error", err)
		}
		// Another process may poll from now on; a poll of ours still running stops (the
		// batch being written is finished, and the version rule makes any overlap
		// harmless).
		if cancelPoll != nil {
			cancelPoll()
		}
	}
	if err != nil && opts.Logger != nil {
		opts.Logger.Warn("Taking the polling lease failed", "lease", k.name, "error", err)
	}
	return l, is, err
}

// keep renews or tries to take the lease on a goroutine, first after delay and then
// every third of its length, until the returned stop is called; stop waits for the
// goroutine and gives the lease up.
func (k *leaseKeeper) keep(ctx context.Context, delay time.Duration) (stop func()) {
	kctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait := k.p.opts.Clock.NewTimer(delay)
		defer wait.Stop()
		for {
			select {
			case <-kctx.Done():
				return
			case <-wait.C():
			}
			_, _, _ = k.try(kctx)
			wait.Reset(k.p.opts.LeaseTTL / 3)
		}
	}()
	return func() {
		cancel()
		<-done
		k.release()
	}
}

// pollContext returns the context of a poll, cancelled when the lease is lost; with no
// lease (a nil keeper) it is ctx itself.
func (k *leaseKeeper) pollContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if k == nil {
		return ctx, func() {}
	}
	pctx, cancel := context.WithCancel(ctx)
	k.mu.Lock()
	k.cancelPoll = cancel
	k.mu.Unlock()
	return pctx, func() {
		k.mu.Lock()
		k.cancelPoll = nil
		k.mu.Unlock()
		cancel()
	}
}

// release gives the lease up, so that another process takes over at once rather than
// when it expires.
func (k *leaseKeeper) release() {
	k.mu.Lock()
	k.until, k.had = time.Time{}, false
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), leaseReleaseTimeout)
	defer cancel()
	if err := k.p.opts.Lease.ReleaseLease(ctx, k.name, k.p.opts.Holder); err != nil && k.p.opts.Logger != nil {
		k.p.opts.Logger.Warn("Releasing the polling lease failed; it expires by itself", "lease", k.name, "error", err)
	}
	k.p.update(func(s *Status) {
		if s.Lease != nil {
			s.Lease.Held = false
		}
	})
}
