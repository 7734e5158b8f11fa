package dynamo

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// TestMeasure measures what the README quotes: import throughput into dynalite, the cold
// load of a new replica (Changes from the empty cursor), an incremental sync, a replay,
// and the capacity units each consumed. It runs only when asked:
//
//	SPACETIME_DYNAMO_MEASURE=100000 go test -run Measure -v -timeout 60m ./pkg/store/dynamo
//
// SPACETIME_DYNAMO_WORKERS sets the writers in parallel (default 16). dynalite reports the
// base table's units only; the log adds what DynamoDB bills for the index as well.
func TestMeasure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SPACETIME_DYNAMO_MEASURE"))
	if n <= 0 {
		t.Skip("set SPACETIME_DYNAMO_MEASURE=100000 to measure")
	}
	ctx := context.Background()
	cfg := newTable(t)
	if w, _ := strconv.Atoi(os.Getenv("SPACETIME_DYNAMO_WORKERS")); w > 0 {
		cfg.Workers = w
	}
	writer := openTable(t, cfg)

	// Import: generated tickets of the default schema, in batches of 1000 as an import does.
	const batch = 1000
	var (
		buf       = make([]ticket.Record, 0, batch)
		res       store.UpsertResult
		itemBytes float64
		keys      []string
	)
	flush := func() error {
		r, err := writer.Upsert(ctx, buf)
		res.Add(r)
		buf = buf[:0]
		return err
	}
	start := time.Now()
	err := gen.Generate(ctx, gen.Options{Tickets: n, Seed: 1, Outages: 12}, func(r *ticket.Record) error {
		itemBytes += float64(itemSize(r))
		if len(keys) < 10_000 {
			keys = append(keys, r.Key)
		}
		buf = append(buf, r.Clone())
		if len(buf) == batch {
			return flush()
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		err = flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	importTime := time.Since(start)
	written := writer.Consumed()
	avg := itemBytes / float64(n)
	perItemWrite := math.Ceil(avg / 1024) // one write unit per KB, per item
	t.Logf("import: %d tickets (%+v) in %v: %.0f tickets/s with %d workers; average item %.0f bytes",
		n, res, importTime.Round(time.Millisecond), float64(n)/importTime.Seconds(), writer.workers, avg)
	t.Logf("import: dynalite reports %.0f write units (base table only) = %.0f per million tickets; "+
		"DynamoDB bills the index write too: about %.0f per million",
		written.Write, written.Write*1e6/float64(n), 2*perItemWrite*1e6)

	// Cold load: a new replica reads the whole history.
	replica := openTable(t, cfg)
	start = time.Now()
	loaded := 0
	cursor, err := replica.Changes(ctx, "", func(*ticket.Record) error { loaded++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	loadTime := time.Since(start)
	read := replica.Consumed()
	if loaded != n {
		t.Errorf("the cold load gave %d tickets, want %d", loaded, n)
	}
	t.Logf("cold load: %d tickets in %v: %.0f tickets/s; %.0f read units = %.0f per million tickets",
		loaded, loadTime.Round(time.Millisecond), float64(loaded)/loadTime.Seconds(), read.Read, read.Read*1e6/float64(loaded))

	// Incremental sync: 1% of the tickets change (a version later), the replica follows.
	var changed []ticket.Record
	got, err := writer.Get(ctx, keys[:min(len(keys), n/100)])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		r.Version++
		changed = append(changed, r)
	}
	before := writer.Consumed()
	start = time.Now()
	if _, err := writer.Upsert(ctx, changed); err != nil {
		t.Fatal(err)
	}
	updateTime := time.Since(start)
	updWrite := writer.Consumed().Write - before.Write
	readBefore := replica.Consumed()
	start = time.Now()
	synced := 0
	if _, err := replica.Changes(ctx, cursor, func(*ticket.Record) error { synced++; return nil }); err != nil {
		t.Fatal(err)
	}
	syncTime := time.Since(start)
	syncRead := replica.Consumed().Read - readBefore.Read
	if synced != len(changed) {
		t.Errorf("the incremental sync gave %d tickets, want the %d changed", synced, len(changed))
	}
	t.Logf("update: %d tickets in %v; %.0f write units reported (DynamoDB adds two index writes per update: about %.0f in all)",
		len(changed), updateTime.Round(time.Millisecond), updWrite, updWrite+2*perItemWrite*float64(len(changed)))
	t.Logf("incremental sync: %d tickets in %v, %.1f read units", synced, syncTime.Round(time.Millisecond), syncRead)

	// Sync lag: a ticket written by one replica, seen by the other polling without pause.
	// It is one Upsert plus at most two polls; a plugin adds its poll interval. Measured
	// once the import is older than the overlap, which every poll reads again.
	time.Sleep(DefaultOverlap + time.Second)
	var lags []time.Duration
	cur := cursor
	if cur, err = replica.Changes(ctx, cur, func(*ticket.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		r := changed[i]
		r.Version += 10
		start := time.Now()
		if _, err := writer.Upsert(ctx, []ticket.Record{r}); err != nil {
			t.Fatal(err)
		}
		for seen := false; !seen; {
			if cur, err = replica.Changes(ctx, cur, func(got *ticket.Record) error {
				seen = seen || got.Key == r.Key
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		lags = append(lags, time.Since(start))
	}
	slices.Sort(lags)
	t.Logf("sync lag (write, then polls until seen): median %v, max %v", lags[len(lags)/2].Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond))

	// Replay: the same records again are unchanged (a failed condition: DynamoDB bills a
	// write unit per item and returns nothing that dynalite counts).
	start = time.Now()
	replay, err := writer.Upsert(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("replay: %d records %+v in %v", len(changed), replay, time.Since(start).Round(time.Millisecond))
}

// itemSize is the size DynamoDB bills for a ticket's item: attribute names plus values
// (a number takes about one byte per two digits, plus one).
func itemSize(r *ticket.Record) int {
	num := func(v int64) int { return len(strconv.FormatInt(v, 10))/2 + 2 }
	values := len(ticket.AppendValues(nil, r.Values))
	return len(attrKey) + len(prefixTicket) + len(r.Key) +
		len(attrVersion) + num(r.Version) +
		len(attrStamp) + num(1<<53) +
		len(attrBucket) + len("493210.7") +
		len(attrLayout) + 16 +
		len(attrValues) + values
}

// BenchmarkWrites compares the conditional PutItems the store makes, at two levels of
// parallelism, with an unconditional BatchWriteItem of 25 items, which is what the version
// rule rules out (it cannot refuse an older version). One op is one ticket.
//
//	go test -run '^$' -bench Writes -benchtime 5000x ./pkg/store/dynamo
func BenchmarkWrites(b *testing.B) {
	layout := ticket.NewLayout(gen.Names())
	var recs []ticket.Record
	err := gen.Generate(context.Background(), gen.Options{Tickets: 20_000, Seed: 2}, func(r *ticket.Record) error {
		c := r.Clone()
		c.Layout = layout
		recs = append(recs, c)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{16, 64} {
		b.Run(fmt.Sprintf("PutItem/workers=%d", workers), func(b *testing.B) {
			cfg := newTable(b)
			cfg.Workers = workers
			s := openTable(b, cfg)
			b.ResetTimer()
			for start := 0; start < b.N; start += 1000 {
				chunk := recs[start%len(recs) : min(start%len(recs)+1000, len(recs), start%len(recs)+b.N-start)]
				if _, err := s.Upsert(context.Background(), chunk); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
		})
	}
	b.Run("BatchWriteItem/unconditional", func(b *testing.B) {
		cfg := newTable(b)
		s := openTable(b, cfg)
		b.ResetTimer()
		sem := make(chan struct{}, 16)
		errs := make(chan error, 1)
		for start := 0; start < b.N; start += 25 {
			var reqs []types.WriteRequest
			for i := start; i < min(start+25, b.N); i++ {
				r := &recs[i%len(recs)]
				reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
					attrKey:     &types.AttributeValueMemberS{Value: prefixTicket + r.Key},
					attrVersion: &types.AttributeValueMemberN{Value: strconv.FormatInt(r.Version, 10)},
					attrStamp:   &types.AttributeValueMemberN{Value: strconv.FormatInt(s.nextStamp(), 10)},
					attrBucket:  &types.AttributeValueMemberS{Value: bucketName(hourOf(s.nextStamp()), shardOf(r.Key))},
					attrLayout:  &types.AttributeValueMemberB{Value: []byte(s.layoutID(r.Layout))},
					attrValues:  &types.AttributeValueMemberB{Value: ticket.AppendValues(nil, r.Values)},
				}}})
			}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				for len(reqs) > 0 {
					out, err := s.client.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{
						RequestItems: map[string][]types.WriteRequest{s.table: reqs},
					})
					if err != nil {
						select {
						case errs <- err:
						default:
						}
						return
					}
					reqs = out.UnprocessedItems[s.table]
				}
			}()
		}
		for range cap(sem) {
			sem <- struct{}{}
		}
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
	})
}

// BenchmarkBulkLoad imports generated tickets into a fresh table in the batches an import
// hands its sink (ingest.DefaultBatchSize), with BulkLoad and, for a comparison on the same
// machine, with Upsert. One op is one whole import; SPACETIME_DYNAMO_BULK sets its size
// (default 10000) and SPACETIME_DYNAMO_WORKERS the requests in flight (default
// DefaultWorkers). The capacity is what dynalite reports: the base table only.
//
//	SPACETIME_DYNAMO_BULK=100000 go test -run '^$' -bench BulkLoad -benchtime 1x -timeout 60m ./pkg/store/dynamo
func BenchmarkBulkLoad(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("SPACETIME_DYNAMO_BULK"))
	if n <= 0 {
		n = 10_000
	}
	var recs []ticket.Record
	err := gen.Generate(context.Background(), gen.Options{Tickets: n, Seed: 1, Outages: 12}, func(r *ticket.Record) error {
		recs = append(recs, r.Clone())
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	loaders := []struct {
		name string
		load func(s *Store, ctx context.Context, recs []ticket.Record) (store.UpsertResult, error)
	}{
		{"BulkLoad", (*Store).BulkLoad},
		{"Upsert", (*Store).Upsert},
	}
	for _, l := range loaders {
		b.Run(l.name, func(b *testing.B) {
			var elapsed time.Duration
			var used Capacity
			for range b.N {
				b.StopTimer()
				cfg := newTable(b)
				if w, _ := strconv.Atoi(os.Getenv("SPACETIME_DYNAMO_WORKERS")); w > 0 {
					cfg.Workers = w
				}
				s := openTable(b, cfg)
				b.StartTimer()
				start := time.Now()
				var res store.UpsertResult
				for from := 0; from < len(recs); from += ingest.DefaultBatchSize {
					r, err := l.load(s, context.Background(), recs[from:min(from+ingest.DefaultBatchSize, len(recs))])
					if err != nil {
						b.Fatal(err)
					}
					res.Add(r)
				}
				elapsed += time.Since(start)
				if res.Inserted != n {
					b.Fatalf("%s inserted %d tickets (%+v), want %d", l.name, res.Inserted, res, n)
				}
				c := s.Consumed()
				used.Read += c.Read
				used.Write += c.Write
			}
			tickets := float64(n * b.N)
			b.ReportMetric(tickets/elapsed.Seconds(), "tickets/s")
			b.ReportMetric(used.Write/tickets, "WCU/ticket")
			b.ReportMetric(used.Read/tickets, "RCU/ticket")
			b.ReportMetric((used.Read+used.Write)/tickets, "units/ticket")
		})
	}
}
