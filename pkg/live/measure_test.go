package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/live"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// TestMeasureWriteToFrame measures the time from a push (the write path of a webhook:
// store write with fsync, engine sync) to the frame reaching each subscriber, in process,
// with 1, 10 and 100 subscribers at 10 and 1,000 tickets a second, and the CPU each
// subscriber costs. It prints figures and asserts none: run it with
//
//	SPACETIME_LIVE_MEASURE=1 go test -run TestMeasureWriteToFrame -v ./pkg/live/
func TestMeasureWriteToFrame(t *testing.T) {
	if os.Getenv("SPACETIME_LIVE_MEASURE") == "" {
		t.Skip("set SPACETIME_LIVE_MEASURE=1 to measure")
	}
	t.Logf("%-8s %-6s %-7s %8s %7s %9s %9s %9s %12s %14s", "channels", "subs", "rate/s", "tickets", "frames", "push", "median", "p99", "cpu/s total", "cpu/s per sub")
	for _, rate := range []int{10, 1000} {
		base := measure(t, rate, 0, false)
		for _, subs := range []int{1, 10, 100} {
			for _, shared := range []bool{false, true} {
				if subs == 1 && shared {
					continue
				}
				m := measure(t, rate, subs, shared)
				per := (m.cpuPerSec - base.cpuPerSec) / float64(subs)
				channels := subs
				if shared {
					channels = 1
				}
				t.Logf("%-8d %-6d %-7d %8d %7d %9s %9s %9s %11.0fms %13.2fms",
					channels, subs, m.rate, m.tickets, m.frames, m.push.Round(10*time.Microsecond), m.median.Round(10*time.Microsecond), m.p99.Round(10*time.Microsecond),
					m.cpuPerSec*1000, per*1000)
			}
		}
		t.Logf("%-8d %-6d %-7d %8d %7s %9s %9s %9s %11.0fms   (no subscriber)", 0, 0, base.rate, base.tickets, "-", base.push.Round(10*time.Microsecond), "-", "-", base.cpuPerSec*1000)
	}
}

type measurement struct {
	rate, tickets, frames int
	median, p99           time.Duration
	cpuPerSec             float64       // CPU seconds per second of wall time
	push                  time.Duration // median time of one push: store write, fsync, engine sync
}

type timedRecorder struct {
	mu  sync.Mutex
	got []arrival
}

type arrival struct {
	at   time.Time
	data []byte
}

func (r *timedRecorder) Send(p *backend.StreamPacket) error {
	now := time.Now()
	r.mu.Lock()
	r.got = append(r.got, arrival{now, p.Data})
	r.mu.Unlock()
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure pushes tickets at rate a second for a few seconds with subs subscribers, each
// on its own channel (a distinct filter) or all on one.
func measure(t *testing.T, rate, subs int, shared bool) measurement {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := schema.Default()
	env, err := query.NewEnv(s)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(s, st, engine.Options{})
	ctx := context.Background()
	if _, err := eng.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	m := live.New(eng, env, live.Options{Buffer: 4096})
	recs := make([]*timedRecorder, subs)
	stops := make([]func(), subs)
	for i := range subs {
		spec := live.Spec{Kind: live.Logs, Range: "1h", Filter: fmt.Sprintf("severity <= %d", 5+i)}
		if shared {
			spec.Filter = "severity <= 5"
		}
		path, err := live.Path(spec)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(spec)
		recs[i] = &timedRecorder{}
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = m.RunStream(cctx, &backend.RunStreamRequest{Path: path, Data: raw}, backend.NewStreamSender(recs[i]))
		}()
		stops[i] = func() { cancel(); <-done }
	}
	want := subs
	if shared && subs > 0 {
		want = 1
	}
	for m.Streams() != want || m.Subscribers() != subs {
		time.Sleep(time.Millisecond)
	}
	// Pushes of one ticket every 100 ms at 10 a second, of 10 tickets every 10 ms at
	// 1,000 a second (a push per ticket would be 1,000 fsyncs a second).
	batch, interval, dur := 1, 100*time.Millisecond, 3*time.Second
	if rate >= 1000 {
		batch, interval, dur = rate/100, 10*time.Millisecond, 2*time.Second
	}
	sent := map[string]time.Time{}
	sync := func(ctx context.Context) error { _, err := eng.Sync(ctx); return err }
	cpu0, wall0 := cpuTime(), time.Now()
	tick := time.NewTicker(interval)
	n := 0
	var pushes []time.Duration
	for time.Since(wall0) < dur {
		<-tick.C
		items := make([]any, batch)
		now := time.Now().UTC()
		for j := range items {
			id := fmt.Sprintf("M-%d", n)
			n++
			items[j] = map[string]any{"id": id, "title": "measured ticket " + id, "severity": 1 + n%3,
				"service": "svc", "status": "open", "created": now.Format(time.RFC3339Nano), "updated": now.Format(time.RFC3339Nano)}
			sent[id] = now
		}
		p0 := time.Now()
		if _, err := source.Push(ctx, st, s, items, sync); err != nil {
			t.Fatal(err)
		}
		pushes = append(pushes, time.Since(p0))
	}
	tick.Stop()
	// Let the last frames arrive: until none came for 100 ms (waiting costs no CPU).
	for last := -1; ; {
		got := arrivals(recs)
		if got == last {
			break
		}
		last = got
		time.Sleep(100 * time.Millisecond)
	}
	wall, cpu := time.Since(wall0), cpuTime()-cpu0
	for _, stop := range stops {
		stop()
	}
	res := measurement{rate: int(float64(n) / wall.Seconds()), tickets: n, cpuPerSec: cpu.Seconds() / wall.Seconds()}
	var lat []time.Duration
	for _, r := range recs {
		r.mu.Lock()
		for _, a := range r.got {
			var fr data.Frame
			if err := json.Unmarshal(a.data, &fr); err != nil {
				t.Fatal(err)
			}
			res.frames++
			for _, id := range fieldValues(&fr, "id") {
				if t0, ok := sent[fmt.Sprint(id)]; ok {
					lat = append(lat, a.at.Sub(t0))
				}
			}
		}
		r.mu.Unlock()
	}
	if subs > 0 && len(lat) != n*subs {
		t.Errorf("%d subscribers at %d/s: %d arrivals, want %d", subs, rate, len(lat), n*subs)
	}
	slices.Sort(pushes)
	res.push = pushes[len(pushes)/2]
	if len(lat) > 0 {
		slices.Sort(lat)
		res.median, res.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return res
}

func arrivals(recs []*timedRecorder) int {
	n := 0
	for _, r := range recs {
		r.mu.Lock()
		n += len(r.got)
		r.mu.Unlock()
	}
	return n
}
