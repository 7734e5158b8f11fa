package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/logval"
	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/store"
)

const (
	// DefaultInterval is how often a source is polled when the settings do not say.
	DefaultInterval = time.Minute
	// MinInterval is the shortest interval allowed: a ticket system is someone else's
	// service, and a poll a second is as fast as anyone needs.
	MinInterval = time.Second
	// DefaultOverlap is how far before the watermark each poll reads again, so that an
	// update the source made visible late (search indexes lag) or stamped with a clock
	// slightly behind ours is still caught. Reading it again is harmless: the store's
	// version rule makes a re-read record change nothing.
	DefaultOverlap = 5 * time.Minute
	// writeTimeout bounds one batch's write to the store. A batch already fetched is
	// written whole even when the poller is being stopped, so that a stop never leaves
	// half a batch behind (the store's write is atomic either way).
	writeTimeout = time.Minute
	// keptRejects is how many recent rejects the status lists.
	keptRejects = 20
)

// Logger is the part of the SDK's logger the poller uses.
type Logger interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// Options configure a Poller.
type Options struct {
	// Key names the checkpoint in the store's meta values: one per configured source, so
	// that pointing the data source at another ticket system starts from its backfill.
	Key string
	// Interval between the starts of two polls; 0 means DefaultInterval.
	Interval time.Duration
	// Overlap is how far before the watermark a poll starts; 0 means DefaultOverlap, a
	// negative value none.
	Overlap time.Duration
	// AfterWrite is called after each batch is written, with the batch's context: the
	// plugin brings its engines up to date there, so that queries see the tickets.
	AfterWrite func(ctx context.Context) error
	// Logger receives one line per poll; nil logs nothing.
	Logger Logger
	// Clock is the time the poller reads and waits on; nil means clock.Real. Tests set
	// a clock.Fake, so that they move time rather than sleep.
	Clock clock.Clock

	// Lease, when set, elects one poller among the processes that share the store (the
	// replicas of a highly available Grafana on one DynamoDB table): only the holder of
	// the lease "poll/"+Key polls, and the others stand by until it stops renewing.
	Lease store.Leaser
	// Holder names this process in the lease; empty means DefaultHolder().
	Holder string
	// LeaseTTL is how long the lease lasts unrenewed; 0 means DefaultLeaseTTL.
	LeaseTTL time.Duration

	// Redact takes the data source's secrets out of every message the poller keeps or
	// logs: errors, retries, rejects. Nil redacts nothing.
	Redact *redact.Redactor
}

// Checkpoint is what the poller keeps in the store between polls (and restarts).
type Checkpoint struct {
	// Watermark is the start of the last successful poll: every change the source made
	// visible before it has been read.
	Watermark time.Time `json:"watermark"`
	// Source describes the source that wrote it.
	Source string `json:"source,omitempty"`
	// State is the source's own state (the files read, for the files source).
	State json.RawMessage `json:"state,omitempty"`
}

// MetaPrefix starts the names of the checkpoints among the store's meta values.
const MetaPrefix = "source/"

// Poller polls one source into one store. PollOnce runs one poll; Start runs them on the
// schedule until Stop.
type Poller struct {
	src  Source
	st   store.Store
	opts Options

	pollMu sync.Mutex // one poll at a time

	mu        sync.Mutex
	status    Status
	notBefore time.Time
}

// NewPoller returns a poller of src into st.
func NewPoller(src Source, st store.Store, opts Options) *Poller {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Overlap == 0 {
		opts.Overlap = DefaultOverlap
	}
	if opts.Overlap < 0 {
		opts.Overlap = 0
	}
	opts.Clock = clock.Or(opts.Clock)
	if opts.Key == "" {
		opts.Key = "default"
	}
	if opts.Holder == "" {
		opts.Holder = DefaultHolder()
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	return &Poller{src: src, st: st, opts: opts, status: Status{
		Source: src.Describe(), Interval: Duration(opts.Interval), State: StateStarting,
	}}
}

// Report says what one poll did.
type Report struct {
	Start time.Time `json:"start"`
	// Duration is how long the poll took.
	Duration Duration `json:"duration"`
	// Since is where the poll started reading (zero for a first poll's backfill).
	Since time.Time `json:"since,omitzero"`
	// Records counts the records written to the store, and Result what the store did
	// with them.
	Records int                `json:"records"`
	Result  store.UpsertResult `json:"result"`
	// Rejected counts the records that could not be made into tickets.
	Rejected int `json:"rejected"`
	// Retries counts the transient faults that were retried.
	Retries int `json:"retries"`
}

// PollOnce runs one poll: it reads the checkpoint, asks the source for what changed since
// the watermark (minus the overlap), writes it to the store batch by batch, and moves the
// watermark to the poll's start once everything was written. A poll that fails part way
// leaves the watermark where it was, so the next one reads the same changes again.
//
// With Options.Lease, PollOnce first takes the lease (and renews it while it polls, and
// gives it up after); when another process holds it, PollOnce does nothing and returns a
// *StandbyError. It is for one poll from a scheduled job; Run keeps the lease itself.
func (p *Poller) PollOnce(ctx context.Context) (Report, error) {
	if p.opts.Lease == nil {
		return p.pollOnce(ctx)
	}
	k := newLeaseKeeper(p)
	l, held, err := k.try(ctx)
	switch {
	case err != nil && !held:
		return Report{}, fmt.Errorf("take the polling lease: %w", err)
	case !held:
		return Report{}, &StandbyError{Lease: l}
	}
	// The first renewal is due a third of a lease from now.
	stop := k.keep(ctx, p.opts.LeaseTTL/3)
	defer stop()
	pctx, done := k.pollContext(ctx)
	defer done()
	return p.pollOnce(pctx)
}

func (p *Poller) pollOnce(ctx context.Context) (Report, error) {
	p.pollMu.Lock()
	defer p.pollMu.Unlock()
	rep := Report{Start: p.now().UTC()}
	p.update(func(s *Status) { s.Polling = true })
	rep, err := p.poll(ctx, rep)
	rep.Duration = Duration(p.now().Sub(rep.Start))
	if err != nil && ctx.Err() != nil {
		// Stopped, not failed: the source is not to blame, and the next poll (in this
		// process or the next) reads the same changes again.
		p.update(func(s *Status) { s.Polling = false })
		return rep, err
	}
	p.finish(rep, err)
	return rep, err
}

func (p *Poller) poll(ctx context.Context, rep Report) (Report, error) {
	cp, err := p.Checkpoint(ctx)
	if err != nil {
		return rep, err
	}
	w := Window{Now: rep.Start, State: cp.State}
	if !cp.Watermark.IsZero() {
		w.Since = cp.Watermark.Add(-p.opts.Overlap)
		rep.Since = w.Since
	}
	w.Retrying = func(err error, wait time.Duration) {
		rep.Retries++
		p.update(func(s *Status) {
			s.Retries++
			s.LastRetry = &Problem{At: p.now().UTC(), Message: p.opts.Redact.String(fmt.Sprintf("%v; trying again in %s", err, wait.Round(time.Millisecond))),
				Detail: p.opts.Redact.String(detailOf(err))}
		})
	}
	emit := func(ctx context.Context, b Batch) error {
		rep.Rejected += len(b.Rejects) + b.MoreRejected
		p.update(func(s *Status) {
			s.Totals.Rejected += len(b.Rejects) + b.MoreRejected
			for _, r := range b.Rejects {
				r.Where, r.Reason = p.opts.Redact.String(r.Where), p.opts.Redact.String(r.Reason)
				s.RecentRejects = append(s.RecentRejects, r)
			}
			if n := len(s.RecentRejects); n > keptRejects {
				s.RecentRejects = append([]Reject(nil), s.RecentRejects[n-keptRejects:]...)
			}
		})
		if len(b.Records) == 0 {
			return nil
		}
		// The batch is written whole even if the poll is being stopped: it was fetched
		// already, and the store writes it atomically either way.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		defer cancel()
		res, err := p.st.Upsert(wctx, b.Records)
		if err != nil {
			return fmt.Errorf("write %d tickets to the store: %w", len(b.Records), err)
		}
		rep.Records += len(b.Records)
		rep.Result.Add(res)
		p.update(func(s *Status) {
			s.Totals.Records += len(b.Records)
			s.Totals.Result.Add(res)
		})
		if p.opts.AfterWrite != nil {
			if err := p.opts.AfterWrite(wctx); err != nil {
				return fmt.Errorf("the tickets were stored, but the index did not take them: %w", err)
			}
		}
		return nil
	}
	state, err := p.src.Poll(ctx, w, emit)
	if err != nil {
		return rep, err
	}
	next := Checkpoint{Watermark: rep.Start, Source: p.src.Describe(), State: state}
	raw, err := json.Marshal(next)
	if err != nil {
		return rep, fmt.Errorf("encode the watermark: %w", err)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if err := p.st.SetMeta(wctx, MetaPrefix+p.opts.Key, raw); err != nil {
		return rep, fmt.Errorf("keep the watermark in the store: %w", err)
	}
	return rep, nil
}

// Checkpoint reads the poller's checkpoint from the store; the zero Checkpoint when none
// was written yet.
func (p *Poller) Checkpoint(ctx context.Context) (Checkpoint, error) {
	var cp Checkpoint
	raw, err := p.st.Meta(ctx, MetaPrefix+p.opts.Key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return cp, nil
	case err != nil:
		return cp, fmt.Errorf("read the watermark from the store: %w", err)
	}
	if err := json.Unmarshal(raw, &cp); err != nil {
		// A damaged checkpoint costs a backfill, not the source: start again from it.
		if p.opts.Logger != nil {
			p.opts.Logger.Warn("The source's watermark in the store is unreadable; reading the backfill again", "error", err)
		}
		return Checkpoint{}, nil
	}
	return cp, nil
}

func (p *Poller) finish(rep Report, err error) {
	now := p.now().UTC()
	var later *RetryLaterError
	p.mu.Lock()
	if errors.As(err, &later) {
		p.notBefore = later.Until
	}
	s := &p.status
	s.Polling = false
	s.Polls++
	s.LastPoll = &rep
	if err == nil {
		s.State = StateOK
		s.LastSuccess = &rep
		s.ConsecutiveFailures = 0
		s.Watermark = rep.Start
	} else {
		s.State = StateFailing
		s.Failures++
		s.ConsecutiveFailures++
		s.LastError = &Problem{At: now, Message: p.opts.Redact.String(err.Error()), Detail: p.opts.Redact.String(detailOf(err))}
	}
	p.mu.Unlock()
	if p.opts.Logger == nil {
		return
	}
	if err != nil {
		// The error's message, redacted; never its Detail (what the system answered).
		p.opts.Logger.Error("Polling the ticket source failed", "source", p.src.Describe(), "error", p.opts.Redact.String(err.Error()),
			"stored", logval.Count(rep.Records), "retries", logval.Count(rep.Retries), "took", logval.Duration(time.Duration(rep.Duration)))
		return
	}
	p.opts.Logger.Info("Polled the ticket source", "source", p.src.Describe(), "records", logval.Count(rep.Records),
		"inserted", logval.Count(rep.Result.Inserted), "updated", logval.Count(rep.Result.Updated),
		"unchanged", logval.Count(rep.Result.Unchanged), "stale", logval.Count(rep.Result.Stale),
		"rejected", logval.Count(rep.Rejected), "took", logval.Duration(time.Duration(rep.Duration)))
}

func (p *Poller) now() time.Time { return p.opts.Clock.Now() }

func (p *Poller) update(fn func(s *Status)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.status)
}

// Run polls until ctx is done: the first poll at once, then one every interval from the
// start of the previous one (at once if a poll took longer than the interval), and never
// before the time a rate-limited source asked for. With Options.Lease it polls only while
// it holds the lease, at once when it takes it over, and gives it up when ctx is done.
func (p *Poller) Run(ctx context.Context) {
	var k *leaseKeeper
	if p.opts.Lease != nil {
		k = newLeaseKeeper(p)
		defer k.keep(ctx, 0)()
	}
	for {
		if k != nil && !k.held() {
			// Standing by: the keeper says when the lease is taken.
			select {
			case <-ctx.Done():
				return
			case <-k.gained:
				continue
			}
		}
		started := p.now()
		pctx, done := k.pollContext(ctx)
		_, _ = p.pollOnce(pctx)
		done()
		if ctx.Err() != nil {
			return
		}
		next := started.Add(p.opts.Interval)
		p.mu.Lock()
		if p.notBefore.After(next) {
			next = p.notBefore
		}
		p.status.NextPoll = next.UTC()
		p.mu.Unlock()
		wait := p.opts.Clock.NewTimer(max(next.Sub(p.now()), 0))
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C():
		}
	}
}

// Running is a poller running on its own goroutine.
type Running struct {
	*Poller
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Start runs the poller on a goroutine until Stop.
func (p *Poller) Start() *Running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{Poller: p, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		p.Run(ctx)
	}()
	return r
}

// Stop cancels the poll in progress (a batch being written is finished first), waits
// until the poller's goroutine has returned, and closes the source when it has a Close
// method (the HTTP source lets its connections go). It is safe to call more than once.
func (r *Running) Stop() {
	r.once.Do(func() {
		r.cancel()
		<-r.done
		if c, ok := r.src.(interface{ Close() error }); ok {
			if err := c.Close(); err != nil && r.opts.Logger != nil {
				r.opts.Logger.Warn("Closing the ticket source failed", "error", err)
			}
		}
		r.update(func(s *Status) { s.State = StateStopped; s.Polling = false; s.NextPoll = time.Time{} })
	})
}
