package clock

import (
	"context"
	"testing"
	"time"
)

var start = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// fired reports whether t has fired, without waiting.
func fired(t Timer) bool {
	select {
	case <-t.C():
		return true
	default:
		return false
	}
}

func TestFakeTimersFireWhenTheClockPassesThem(t *testing.T) {
	f := NewFake(start)
	a, b := f.NewTimer(time.Minute), f.NewTimer(time.Hour)
	if got := f.Timers(); got != 2 {
		t.Fatalf("Timers = %d, want 2", got)
	}
	f.Advance(59 * time.Second)
	if fired(a) || fired(b) {
		t.Fatal("a timer fired before its time")
	}
	f.Advance(time.Second)
	select {
	case at := <-a.C():
		if !at.Equal(start.Add(time.Minute)) {
			t.Errorf("the minute's timer fired at %s, want %s", at, start.Add(time.Minute))
		}
	default:
		t.Fatal("the minute's timer did not fire at its time")
	}
	if fired(b) || f.Timers() != 1 {
		t.Fatalf("the hour's timer fired early, or the fired one still waits (%d waiting)", f.Timers())
	}
	f.Set(start.Add(2 * time.Hour))
	if !fired(b) || f.Timers() != 0 {
		t.Fatal("Set past the hour did not fire its timer")
	}
	if got := f.Now(); !got.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("Now = %s after Set", got)
	}
	f.Set(start)
	if got := f.Now(); !got.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("Set moved the clock backwards to %s", got)
	}
}

func TestFakeTimerStopResetAndNow(t *testing.T) {
	f := NewFake(start)
	a := f.NewTimer(time.Minute)
	if !a.Stop() || a.Stop() {
		t.Fatal("Stop of a waiting timer must report true once")
	}
	f.Advance(time.Hour)
	if fired(a) {
		t.Fatal("a stopped timer fired")
	}
	if a.Reset(time.Minute) {
		t.Error("Reset of a stopped timer reported it waiting")
	}
	f.Advance(30 * time.Second)
	if !a.Reset(time.Minute) {
		t.Error("Reset of a waiting timer reported it stopped")
	}
	f.Advance(45 * time.Second)
	if fired(a) {
		t.Fatal("Reset did not move the timer's time")
	}
	f.Advance(15 * time.Second)
	if !fired(a) {
		t.Fatal("the reset timer did not fire at its new time")
	}
	if !fired(f.NewTimer(0)) || !fired(f.NewTimer(-time.Second)) {
		t.Error("a timer of no duration must fire at once")
	}
	// A firing not received is dropped by Reset, as time.Timer's since Go 1.23.
	b := f.NewTimer(time.Second)
	f.Advance(time.Second)
	b.Reset(time.Minute)
	if fired(b) {
		t.Error("a stale firing survived Reset")
	}
}

func TestFakeWaitTimers(t *testing.T) {
	f := NewFake(start)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan time.Time)
	go func() {
		tm := f.NewTimer(time.Minute)
		done <- <-tm.C()
	}()
	if !f.WaitTimers(ctx, 1) {
		t.Fatal("WaitTimers did not see the goroutine's timer")
	}
	f.Advance(time.Minute)
	if at := <-done; !at.Equal(start.Add(time.Minute)) {
		t.Errorf("the goroutine's timer fired at %s", at)
	}
	short, cancelShort := context.WithCancel(context.Background())
	cancelShort()
	if f.WaitTimers(short, 1) {
		t.Error("WaitTimers reported a timer that does not exist")
	}
}

func TestRealAndOr(t *testing.T) {
	if Or(nil) != Real {
		t.Error("Or(nil) is not Real")
	}
	f := NewFake(start)
	if Or(f) != f {
		t.Error("Or(f) is not f")
	}
	before := time.Now()
	if now := Real.Now(); now.Before(before) {
		t.Errorf("Real.Now() = %s, before %s", now, before)
	}
	tm := Real.NewTimer(0)
	<-tm.C()
}
