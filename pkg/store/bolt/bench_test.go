package bolt

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/ticket"
)

// benchLayout has the columns of pkg/schema/default.yaml.
var benchLayout = ticket.NewLayout([]string{
	"id", "severity", "title", "status", "service", "region", "category", "type", "item",
	"assignee_group", "created", "updated", "resolved", "description",
})

// ticketMaker makes realistic tickets: short strings drawn from small vocabularies, a
// sentence of a title, times, and a description of about 200 bytes.
type ticketMaker struct {
	rnd   *rand.Rand
	words []string
	start int64
}

func newTicketMaker(seed uint64) *ticketMaker {
	return &ticketMaker{
		rnd: rand.New(rand.NewPCG(seed, 1)),
		words: strings.Fields("disk full latency high errors elevated timeout upstream database " +
			"replica lag certificate expiring queue backlog memory pressure packet loss node " +
			"unreachable deploy failed health check flapping throttling quota exceeded dns"),
		start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
	}
}

func (m *ticketMaker) pick(prefix string, n int) ticket.Value {
	return ticket.String(prefix + strconv.Itoa(m.rnd.IntN(n)))
}

func (m *ticketMaker) sentence(minBytes int) string {
	var b strings.Builder
	for b.Len() < minBytes {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m.words[m.rnd.IntN(len(m.words))])
	}
	return b.String()
}

func (m *ticketMaker) record(n int, version int64) ticket.Record {
	key := fmt.Sprintf("INC%09d", n)
	created := m.start + int64(n)*6_000
	resolved := ticket.Value{}
	if m.rnd.IntN(3) > 0 {
		resolved = ticket.TimeMS(created + m.rnd.Int64N(86_400_000))
	}
	statuses := [...]string{"open", "acknowledged", "in progress", "resolved"}
	return ticket.Record{Key: key, Version: version, Layout: benchLayout, Values: []ticket.Value{
		ticket.String(key),
		ticket.Number(float64(1 + m.rnd.IntN(3))),
		ticket.String(m.sentence(40)),
		ticket.String(statuses[m.rnd.IntN(len(statuses))]),
		m.pick("service-", 40),
		m.pick("region-", 12),
		m.pick("category-", 10),
		m.pick("type-", 5),
		m.pick("item-", 50),
		m.pick("team-", 30),
		ticket.TimeMS(created),
		ticket.TimeMS(version),
		resolved,
		ticket.String(m.sentence(200)),
	}}
}

func (m *ticketMaker) batch(from, n int, version int64) []ticket.Record {
	recs := make([]ticket.Record, n)
	for i := range recs {
		recs[i] = m.record(from+i, version)
	}
	return recs
}

// BenchmarkUpsert writes batches of new tickets, each batch one durable (fsynced)
// transaction, and batches that replay stored tickets unchanged (what a re-poll does).
func BenchmarkUpsert(b *testing.B) {
	for _, size := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("insert/batch=%d", size), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			m := newTicketMaker(1)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				recs := m.batch(i*size, size, 1)
				b.StartTimer()
				res, err := s.Upsert(ctx, recs)
				if err != nil {
					b.Fatal(err)
				}
				if res.Inserted != size {
					b.Fatalf("inserted %d of %d", res.Inserted, size)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "records/s")
		})
	}
	b.Run("replay/batch=1000", func(b *testing.B) {
		const size, stored = 1_000, 100_000
		s, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		ctx := context.Background()
		recs := newTicketMaker(2).batch(0, stored, 1)
		for from := 0; from < stored; from += 10_000 {
			if _, err := s.Upsert(ctx, recs[from:from+10_000]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			from := (i * size) % stored
			res, err := s.Upsert(ctx, recs[from:from+size])
			if err != nil {
				b.Fatal(err)
			}
			if res.Unchanged != size {
				b.Fatalf("unchanged %d of %d", res.Unchanged, size)
			}
		}
		b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkChangesLoad reads every ticket from the beginning, as the engine does at start.
// The store holds 100 000 tickets, 10 000 with -short, or SPACETIME_BENCH_TICKETS (for
// example 1000000).
func BenchmarkChangesLoad(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	if v := os.Getenv("SPACETIME_BENCH_TICKETS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("SPACETIME_BENCH_TICKETS=%q is not a positive number", v)
		}
	}
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	m := newTicketMaker(3)
	const batch = 10_000
	for from := 0; from < n; from += batch {
		if _, err := s.Upsert(ctx, m.batch(from, min(batch, n-from), 1)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if st, err := os.Stat(path); err == nil {
		b.Logf("%d tickets in %.1f MB", n, float64(st.Size())/1e6)
	}

	b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			count := 0
			if _, err := s.Changes(ctx, "", func(r *ticket.Record) error {
				count++
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if count != n {
				b.Fatalf("loaded %d of %d tickets", count, n)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
	})
}
