package binaryhost_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/live"
)

// BenchmarkLiveEndToEnd measures, through the plugin binary over gRPC as Grafana drives
// it, the time from a write sent to the plugin to the frame that carries the ticket
// reaching a RunStream subscriber: a signed GitHub webhook delivery (one issue each, to
// POST webhooks/github) or a push (POST push, ten tickets a call at 1,000 a second), at 10
// and 1,000 tickets a second, with 1, 10 and 100 RunStreams, each on a channel of its own
// (a distinct filter: one query per subscriber, the worst case) or all on one channel
// (several Grafana servers on one panel; Grafana itself calls RunStream once per channel
// and fans the frames out to its browsers). The store is the embedded one at its
// defaults (fsync on every write). It reports medians and 99th percentiles, the rate
// achieved, and the plugin process's CPU (from /proc) per second of wall time, per
// subscriber over the same load without one. It asserts no timing.
//
//	go test -run '^$' -bench LiveEndToEnd -benchtime 1x -timeout 30m ./pkg/binaryhost
//
// SPACETIME_LIVE_SECONDS (default 3) is each run's length; SPACETIME_LIVE_SUBS (default
// 1,10,100), SPACETIME_LIVE_RATES (default 10,1000) and SPACETIME_LIVE_WRITES (default
// webhook,push) choose the runs.
func BenchmarkLiveEndToEnd(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("needs /proc for the plugin's CPU time")
	}
	host, err := binaryhost.Start(built.bin, b.TempDir(), []string{"GF_PATHS_DATA=" + b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer host.Stop()
	secs := benchSeconds(b, "SPACETIME_LIVE_SECONDS", 3)
	subsList := benchInts(b, "SPACETIME_LIVE_SUBS", []int{1, 10, 100})
	rates := benchInts(b, "SPACETIME_LIVE_RATES", []int{10, 1000})
	fmt.Printf("%-8s %-6s %-8s %-6s %9s %8s %9s %9s %9s %11s %12s\n", "write", "rate/s", "channels", "subs", "achieved", "write", "median", "p99", "max", "cpu ms/s", "cpu/sub ms/s")
	run := 0
	modes := []string{"webhook", "push"}
	if s := os.Getenv("SPACETIME_LIVE_WRITES"); s != "" {
		modes = strings.Split(s, ",")
	}
	for _, mode := range modes {
		if mode != "webhook" && mode != "push" {
			b.Fatalf("SPACETIME_LIVE_WRITES=%q: want webhook, push or both", os.Getenv("SPACETIME_LIVE_WRITES"))
		}
		for _, rate := range rates {
			run++
			base := measureLive(b, host, run, mode, rate, 0, false, secs)
			base.print(mode, rate, 0, 0, 0)
			for _, subs := range subsList {
				for _, shared := range []bool{false, true} {
					if shared && subs == 1 {
						continue
					}
					run++
					m := measureLive(b, host, run, mode, rate, subs, shared, secs)
					channels := subs
					if shared {
						channels = 1
					}
					m.print(mode, rate, channels, subs, (m.cpu-base.cpu)/float64(subs))
				}
			}
		}
	}
}

type liveRun struct {
	achieved        float64
	write           time.Duration // median time of one resource call
	median, p99, mx time.Duration
	cpu             float64 // plugin CPU seconds per second
	missing         int
}

func (m liveRun) print(mode string, rate, channels, subs int, perSub float64) {
	lat := func(d time.Duration) string {
		if d == 0 {
			return "-"
		}
		return d.Round(100 * time.Microsecond).String()
	}
	per := "-"
	if subs > 0 {
		per = fmt.Sprintf("%.2f", perSub*1000)
	}
	note := ""
	if m.missing > 0 {
		note = fmt.Sprintf("  (%d arrivals missing: subscribers dropped as behind)", m.missing)
	}
	fmt.Printf("%-8s %-6d %-8d %-6d %9.0f %8s %9s %9s %9s %11.0f %12s%s\n", mode, rate, channels, subs, m.achieved,
		lat(m.write), lat(m.median), lat(m.p99), lat(m.mx), m.cpu*1000, per, note)
}

// arrivalLog keeps what one RunStream received, decoded after the run so that the
// measuring host spends no CPU on it while the plugin works.
type arrivalLog struct {
	mu  sync.Mutex
	got []arrival
}

type arrival struct {
	at   time.Time
	data []byte
}

func measureLive(b *testing.B, host *binaryhost.Host, run int, mode string, rate, subs int, shared bool, dur time.Duration) liveRun {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	uid := fmt.Sprintf("live-%d", run)
	pc, err := binaryhost.Context(uid, map[string]any{"storePath": filepath.Join(b.TempDir(), "live.db")})
	if err != nil {
		b.Fatal(err)
	}
	pc.DataSourceInstanceSettings.DecryptedSecureJSONData = map[string]string{"webhookSecret": liveSecret}
	if res, err := host.CheckHealth(ctx, pc); err != nil || res.Status != backend.HealthStatusOk {
		b.Fatalf("health: %+v %v", res, err)
	}
	prefix := run * 1_000_000 // ids of this run
	n := 0
	// write sends tickets ids [n, n+k) and records when each was sent.
	sentMu := sync.Mutex{}
	sent := map[string]time.Time{}
	write := func(k int) (time.Duration, error) {
		sentMu.Lock()
		first := n
		n += k
		sentMu.Unlock()
		now := time.Now().UTC()
		var req *backend.CallResourceRequest
		var ids []string
		switch mode {
		case "webhook":
			num := prefix + first
			issue := map[string]any{"number": num, "title": fmt.Sprintf("live %d", num), "state": "open",
				"repository_url": "https://api.github.com/repos/acme/payments", "labels": []any{map[string]any{"name": "sev2"}},
				"created_at": now.Format(time.RFC3339), "updated_at": now.Format(time.RFC3339)}
			body, _ := json.Marshal(map[string]any{"action": "opened", "issue": issue})
			mac := hmac.New(sha256.New, []byte(liveSecret))
			mac.Write(body)
			req = &backend.CallResourceRequest{PluginContext: pc, Method: http.MethodPost, Path: "webhooks/github",
				URL: "webhooks/github", Body: body, Headers: map[string][]string{
					"Content-Type": {"application/json"}, "X-Github-Event": {"issues"},
					"X-Github-Delivery": {strconv.Itoa(num)}, "X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}}
			ids = []string{strconv.Itoa(num)}
		default:
			var items []string
			for i := range k {
				id := fmt.Sprintf("L-%d", prefix+first+i)
				ids = append(ids, id)
				items = append(items, fmt.Sprintf(`{"id":%q,"title":"live %s","service":"svc","severity":2,"status":"open","created":%q,"updated":%q}`,
					id, id, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano)))
			}
			req = &backend.CallResourceRequest{PluginContext: pc, Method: http.MethodPost, Path: "push", URL: "push",
				Body: []byte("[" + strings.Join(items, ",") + "]"), Headers: map[string][]string{"Content-Type": {"application/json"}}}
		}
		t0 := time.Now()
		sentMu.Lock()
		for _, id := range ids {
			sent[id] = t0
		}
		sentMu.Unlock()
		resp, err := host.CallResourceRequest(ctx, req)
		if err != nil {
			return 0, err
		}
		if resp.Status != http.StatusOK {
			return 0, fmt.Errorf("%s: %d %s", req.Path, resp.Status, resp.Body)
		}
		return time.Since(t0), nil
	}

	logs := make([]*arrivalLog, subs)
	var wg sync.WaitGroup
	for i := range subs {
		spec := live.Spec{Kind: live.Logs, Range: "1h", Filter: fmt.Sprintf("severity <= %d", 5+i)}
		if shared {
			spec.Filter = "severity <= 5"
		}
		path, err := live.Path(spec)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := json.Marshal(spec)
		if sub, err := host.SubscribeStream(ctx, &backend.SubscribeStreamRequest{PluginContext: pc, Path: path, Data: raw}); err != nil ||
			sub.Status != backend.SubscribeStreamStatusOK {
			b.Fatalf("subscribe: %+v %v", sub, err)
		}
		logs[i] = &arrivalLog{}
		lg := logs[i]
		wg.Go(func() {
			err := host.RunStream(ctx, &backend.RunStreamRequest{PluginContext: pc, Path: path, Data: raw}, func(d []byte) {
				at := time.Now()
				lg.mu.Lock()
				lg.got = append(lg.got, arrival{at, d})
				lg.mu.Unlock()
			})
			if err != nil && ctx.Err() == nil {
				b.Errorf("RunStream: %v", err)
			}
		})
	}
	// Warm up until every RunStream has joined (each has a frame): those tickets are not
	// counted.
	for ready := subs == 0; !ready; {
		if _, err := write(1); err != nil {
			b.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		ready = true
		for _, lg := range logs {
			lg.mu.Lock()
			ready = ready && len(lg.got) > 0
			lg.mu.Unlock()
		}
	}
	for _, lg := range logs {
		lg.mu.Lock()
		lg.got = nil
		lg.mu.Unlock()
	}
	sentMu.Lock()
	clear(sent)
	sentMu.Unlock()

	// The load: at 10 a second one ticket every 100 ms; at 1,000 a second, pushes of ten
	// every 10 ms, or webhooks (one issue each) from 16 senders at once, as a busy ticket
	// system delivers them in parallel.
	cpu0, wall0 := procCPU(b, host.PID()), time.Now()
	var writes []time.Duration
	var wmu sync.Mutex
	record := func(d time.Duration, err error) {
		if err != nil {
			b.Error(err)
			return
		}
		wmu.Lock()
		writes = append(writes, d)
		wmu.Unlock()
	}
	counted := 0
	switch {
	case rate < 100:
		tick := time.NewTicker(time.Second / time.Duration(rate))
		for time.Since(wall0) < dur {
			<-tick.C
			record(write(1))
			counted++
		}
		tick.Stop()
	case mode == "push":
		tick := time.NewTicker(10 * time.Millisecond)
		for time.Since(wall0) < dur {
			<-tick.C
			record(write(rate / 100))
			counted += rate / 100
		}
		tick.Stop()
	default:
		const senders = 16
		var swg sync.WaitGroup
		var cmu sync.Mutex
		for range senders {
			swg.Go(func() {
				tick := time.NewTicker(time.Second * senders / time.Duration(rate))
				defer tick.Stop()
				for time.Since(wall0) < dur {
					<-tick.C
					record(write(1))
					cmu.Lock()
					counted++
					cmu.Unlock()
				}
			})
		}
		swg.Wait()
	}
	// The last frames: until none came for 200 ms.
	for last := -1; ; {
		got := 0
		for _, lg := range logs {
			lg.mu.Lock()
			got += len(lg.got)
			lg.mu.Unlock()
		}
		if got == last {
			break
		}
		last = got
		time.Sleep(200 * time.Millisecond)
	}
	wall := time.Since(wall0)
	cpu := procCPU(b, host.PID()) - cpu0
	cancel()
	wg.Wait()

	res := liveRun{achieved: float64(counted) / wall.Seconds(), cpu: cpu.Seconds() / wall.Seconds()}
	slices.Sort(writes)
	if len(writes) > 0 {
		res.write = writes[len(writes)/2]
	}
	var lat []time.Duration
	for _, lg := range logs {
		for _, a := range lg.got {
			var fr data.Frame
			if err := json.Unmarshal(a.data, &fr); err != nil {
				b.Fatal(err)
			}
			for _, f := range fr.Fields {
				if f.Name != "id" {
					continue
				}
				for i := range f.Len() {
					v, _ := f.ConcreteAt(i)
					if t0, ok := sent[fmt.Sprint(v)]; ok {
						lat = append(lat, a.at.Sub(t0))
					}
				}
			}
		}
	}
	res.missing = counted*subs - len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		res.median, res.p99, res.mx = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	}
	return res
}

// procCPU is the user and system CPU time of a process, from /proc (in clock ticks of
// 10 ms, USER_HZ on Linux).
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces: count after it.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func benchInts(b *testing.B, name string, def []int) []int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want positive numbers separated by commas", name, s)
		}
		out = append(out, n)
	}
	return out
}
