package dynamo

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock shared by the stores of a test, standing in for the wall
// clocks of several replicas.
type clock struct{ ms atomic.Int64 }

func (c *clock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *clock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

func TestLeaseElectsOneHolderAndPassesOn(t *testing.T) {
	cfg := newTable(t)
	c := &clock{}
	c.ms.Store(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixMilli())
	cfg.Now = c.now
	a, b := openTable(t, cfg), openTable(t, cfg)
	ctx := context.Background()
	const ttl = 30 * time.Second

	steps := []struct {
		name   string
		do     func() (string, error)
		holder string
	}{
		{"a takes the free lease", func() (string, error) { l, err := a.AcquireLease(ctx, "poll/x", "a", ttl); return l.Holder, err }, "a"},
		{"b is refused and told a holds it", func() (string, error) { l, err := b.AcquireLease(ctx, "poll/x", "b", ttl); return l.Holder, err }, "a"},
		{"a renews 20 s later", func() (string, error) {
			c.advance(20 * time.Second)
			l, err := a.AcquireLease(ctx, "poll/x", "a", ttl)
			return l.Holder, err
		}, "a"},
		{"b is still refused 20 s after that, as the renewal moved the expiry", func() (string, error) {
			c.advance(20 * time.Second)
			l, err := b.AcquireLease(ctx, "poll/x", "b", ttl)
			return l.Holder, err
		}, "a"},
		{"b takes it once a stops renewing and it expires", func() (string, error) {
			c.advance(11 * time.Second)
			l, err := b.AcquireLease(ctx, "poll/x", "b", ttl)
			return l.Holder, err
		}, "b"},
		{"a, come back, is refused", func() (string, error) { l, err := a.AcquireLease(ctx, "poll/x", "a", ttl); return l.Holder, err }, "b"},
		{"a release by a non-holder changes nothing", func() (string, error) {
			if err := a.ReleaseLease(ctx, "poll/x", "a"); err != nil {
				return "", err
			}
			l, err := a.AcquireLease(ctx, "poll/x", "a", ttl)
			return l.Holder, err
		}, "b"},
		{"a takes it at once after b releases it", func() (string, error) {
			if err := b.ReleaseLease(ctx, "poll/x", "b"); err != nil {
				return "", err
			}
			l, err := a.AcquireLease(ctx, "poll/x", "a", ttl)
			return l.Holder, err
		}, "a"},
		{"another lease name is independent", func() (string, error) { l, err := b.AcquireLease(ctx, "poll/y", "b", ttl); return l.Holder, err }, "b"},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.holder {
			t.Fatalf("%s: holder %q, want %q", st.name, got, st.holder)
		}
	}

	// The lease item is not a ticket: it stays out of the change index and the count.
	got, _ := readAll(t, a, "")
	if len(got) != 0 {
		t.Errorf("the change index gives %v, want no tickets", got)
	}
}

// TestLeaseRaceHasOneWinner: replicas that find the lease free at the same moment race
// for it; the conditional write lets exactly one win, and all agree on who.
func TestLeaseRaceHasOneWinner(t *testing.T) {
	cfg := newTable(t)
	const replicas = 8
	for round := range 5 {
		name := fmt.Sprintf("poll/race-%d", round)
		var wg sync.WaitGroup
		holders := make([]string, replicas)
		errs := make([]error, replicas)
		start := make(chan struct{})
		for i := range replicas {
			s := openTable(t, cfg)
			wg.Go(func() {
				<-start
				l, err := s.AcquireLease(context.Background(), name, fmt.Sprintf("r%d", i), time.Minute)
				holders[i], errs[i] = l.Holder, err
			})
		}
		close(start)
		wg.Wait()
		winners := 0
		for i := range replicas {
			if errs[i] != nil {
				t.Fatalf("round %d replica %d: %v", round, i, errs[i])
			}
			if holders[i] == fmt.Sprintf("r%d", i) {
				winners++
			}
			if holders[i] != holders[0] {
				t.Errorf("round %d: replica %d sees holder %q, replica 0 sees %q", round, i, holders[i], holders[0])
			}
		}
		if winners != 1 {
			t.Errorf("round %d: %d replicas think they hold the lease, want 1", round, winners)
		}
	}
}

func TestLeaseBadArguments(t *testing.T) {
	s := openTable(t, newTable(t))
	ctx := context.Background()
	if _, err := s.AcquireLease(ctx, "", "a", time.Second); err == nil {
		t.Error("an empty lease name must be refused")
	}
	if _, err := s.AcquireLease(ctx, "x", "", time.Second); err == nil {
		t.Error("an empty holder must be refused")
	}
	if _, err := s.AcquireLease(ctx, "x", "a", 0); err == nil {
		t.Error("a lease of no length must be refused")
	}
}
