// Package clock is the time that the long-running parts (the poller, its lease, the hub's
// background work) wait on, so that their tests can set it: Real is the system's clock,
// and Fake one that moves only when a test says, which lets a test prove what happens
// after an hour, or that nothing happens, without sleeping.
//
// It is a leaf: it imports the standard library only.
package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now (at once when d <= 0).
	NewTimer(d time.Duration) Timer
}

// Timer is a time.Timer of a Clock.
type Timer interface {
	// C delivers the time at which the timer fired.
	C() <-chan time.Time
	// Stop and Reset are time.Timer's.
	Stop() bool
	Reset(d time.Duration) bool
}

// Real is the system's clock.
var Real Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Or returns c, or Real when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return Real
	}
	return c
}

// Fake is a clock that moves only when told (Advance, Set). Its timers fire when it
// passes their time. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever a timer is added or removed
}

// NewFake returns a fake clock that reads start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires when the clock reaches d from now.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scheduleLocked(t, d)
	return t
}

// Advance moves the clock forward by d, firing the timers due on the way.
func (f *Fake) Advance(d time.Duration) {
	f.Set(f.Now().Add(d))
}

// Set moves the clock to t (never backwards), firing the timers due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t
	}
	sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
	kept := f.timers[:0]
	fired := false
	for _, tm := range f.timers {
		if tm.at.After(f.now) {
			kept = append(kept, tm)
			continue
		}
		tm.fire(f.now)
		fired = true
	}
	clear(f.timers[len(kept):])
	f.timers = kept
	if fired {
		f.notifyLocked()
	}
}

// Timers is the number of timers waiting to fire.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitTimers waits until at least n timers wait to fire (a goroutine has come to its
// wait), or ctx is done; it reports whether they do. A test calls it before Advance, so
// that the time it moves reaches the goroutine it is about.
func (f *Fake) WaitTimers(ctx context.Context, n int) bool {
	for {
		f.mu.Lock()
		have, changed := len(f.timers), f.changed
		f.mu.Unlock()
		if have >= n {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

func (f *Fake) scheduleLocked(t *fakeTimer, d time.Duration) {
	t.at = f.now.Add(d)
	if d <= 0 {
		t.fire(f.now)
		return
	}
	f.timers = append(f.timers, t)
	f.notifyLocked()
}

// removeLocked takes t out of the waiting timers and reports whether it was there.
func (f *Fake) removeLocked(t *fakeTimer) bool {
	for i, other := range f.timers {
		if other == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			f.notifyLocked()
			return true
		}
	}
	return false
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

type fakeTimer struct {
	f  *Fake
	c  chan time.Time
	at time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

// fire delivers now unless an earlier firing is still unread, as time.Timer drops it.
func (t *fakeTimer) fire(now time.Time) {
	select {
	case t.c <- now:
	default:
	}
}

// Stop keeps the timer from firing; as with time.Timer since Go 1.23, a firing not yet
// received is dropped.
func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.f.removeLocked(t)
	select {
	case <-t.c:
	default:
	}
	return was
}

// Reset reschedules the timer; as with time.Timer since Go 1.23, a firing not yet
// received is dropped.
func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.f.removeLocked(t)
	select {
	case <-t.c:
	default:
	}
	t.f.scheduleLocked(t, d)
	return was
}
