package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/memory"
	"github.com/spacetime/tickets/pkg/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memory.New(memory.Options{}) })
}

// TestLease checks the rule the DynamoDB table's leases follow (dynamo.Store.AcquireLease),
// by the store's clock.
func TestLease(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	fake := clock.NewFake(start)
	s := memory.New(memory.Options{Clock: fake})
	const ttl = 30 * time.Second
	steps := []struct {
		name    string
		advance time.Duration
		holder  string
		release bool
		want    store.Lease
	}{
		{name: "a free lease is taken", holder: "a", want: store.Lease{Holder: "a", Expires: start.Add(ttl)}},
		{name: "another holder is refused while it runs", advance: 10 * time.Second, holder: "b", want: store.Lease{Holder: "a", Expires: start.Add(ttl)}},
		{name: "the holder renews it", holder: "a", want: store.Lease{Holder: "a", Expires: start.Add(10*time.Second + ttl)}},
		{name: "at its expiry it is still held", advance: ttl, holder: "b", want: store.Lease{Holder: "a", Expires: start.Add(10*time.Second + ttl)}},
		{name: "after it expired another takes it", advance: time.Millisecond, holder: "b", want: store.Lease{Holder: "b", Expires: start.Add(10*time.Second + ttl + time.Millisecond + ttl)}},
		{name: "a release by another than the holder does nothing", holder: "a", release: true},
		{name: "so the holder keeps it", holder: "a", want: store.Lease{Holder: "b", Expires: start.Add(10*time.Second + ttl + time.Millisecond + ttl)}},
		{name: "the holder releases it", holder: "b", release: true},
		{name: "a released lease is free at once", holder: "a", want: store.Lease{Holder: "a", Expires: start.Add(10*time.Second + ttl + time.Millisecond + ttl)}},
	}
	for _, st := range steps {
		fake.Advance(st.advance)
		if st.release {
			if err := s.ReleaseLease(ctx, "poll/x", st.holder); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		got, err := s.AcquireLease(ctx, "poll/x", st.holder, ttl)
		if err != nil || got != st.want {
			t.Errorf("%s: AcquireLease(%s) = %+v, %v; want %+v", st.name, st.holder, got, err, st.want)
		}
	}
	if l, err := s.AcquireLease(ctx, "poll/other", "b", ttl); err != nil || l.Holder != "b" {
		t.Errorf("leases of other names are independent: %+v, %v", l, err)
	}
	for _, bad := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "a", ttl}, {"x", "", ttl}, {"x", "a", 0}} {
		if _, err := s.AcquireLease(ctx, bad.name, bad.holder, bad.ttl); err == nil {
			t.Errorf("AcquireLease(%q, %q, %s) took a lease", bad.name, bad.holder, bad.ttl)
		}
	}
	_ = s.Close()
	if _, err := s.AcquireLease(ctx, "poll/x", "a", ttl); !errors.Is(err, store.ErrClosed) {
		t.Errorf("AcquireLease after Close: %v, want store.ErrClosed", err)
	}
}
