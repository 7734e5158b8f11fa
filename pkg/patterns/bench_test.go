package patterns

import (
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used (user and system, every thread: the
// garbage collector's work counts too). On a shared machine the wall time of a
// benchmark includes the time other processes held the cores; titles per CPU second is
// the throughput of one core of our own.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAdd mines generated titles (24 templates with hosts, zones, numbers, ids,
// e-mail addresses) and reports titles per second on one core and the miner's memory
// per title at the end: run it with -benchtime=1000000x for the figure at 1M titles.
//
//	go test ./pkg/patterns -run '^$' -bench Add -benchtime 1000000x
func BenchmarkAdd(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	benchMine(b, func() string { return randomTitle(r) }, true)
}

// BenchmarkAddUnique mines titles that are all different masked sequences (a plain
// word varies in each), the worst case of the alias table and of the tree search.
func BenchmarkAddUnique(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	benchMine(b, func() string {
		w := make([]byte, 8)
		for j := range w {
			w[j] = byte('a' + r.IntN(26))
		}
		return "disk full on volume " + string(w) + " of " + randomTitle(r)
	}, false)
}

// benchMine mines b.N titles made by title (at most 2^20 distinct, then again from the
// start) and reports titles per CPU second and per second, the heap per title and the
// patterns found; withBytes adds the miner's own estimate of its memory per title.
func benchMine(b *testing.B, title func() string, withBytes bool) {
	titles := make([]string, min(b.N, 1<<20))
	for i := range titles {
		titles[i] = title()
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := New(Options{})
	b.ResetTimer()
	cpu := cpuTime(b)
	for i := 0; i < b.N; i++ {
		m.Add(titles[i%len(titles)])
	}
	cpu = cpuTime(b) - cpu
	b.StopTimer()
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "titles/cpu-s")
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "titles/s")
	if withBytes {
		b.ReportMetric(float64(m.Bytes())/float64(b.N), "B/title")
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heapB/title")
	b.ReportMetric(float64(m.Len()), "patterns")
	runtime.KeepAlive(m)
	runtime.KeepAlive(titles)
}
