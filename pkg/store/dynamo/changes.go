package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

const (
	// pageLimit is the items a Query page returns at most (the server also stops at 1 MB).
	// Smaller pages bound the memory of the pages read ahead.
	pageLimit = 1000
	// readAhead is how many hours of the index are fetched ahead of the one being merged.
	readAhead = 4
	// readConcurrency bounds the Query requests in flight in one Changes call.
	readConcurrency = 16
)

// Changes calls fn with every ticket changed after since, oldest change first, reading the
// change index: from the cursor's hour to now, the 8 shards of an hour in parallel and
// several hours ahead, merged by stamp. From the empty cursor it reads the whole history,
// from the first hour any writer recorded. The record is valid only during fn.
func (s *Store) Changes(ctx context.Context, since store.Cursor, fn func(rec *ticket.Record) error) (store.Cursor, error) {
	return s.changes(ctx, since, time.Time{}, fn)
}

// ChangesFrom is Changes from the empty cursor that starts at the hour of from (less the
// overlap allowed for writers' clocks) instead of the first hour: a process that holds
// only a recent window reads the index entries of that window, not the whole history.
// A ticket is in the hour it was last written, so every ticket written since from is read.
func (s *Store) ChangesFrom(ctx context.Context, from time.Time, fn func(rec *ticket.Record) error) (store.Cursor, error) {
	return s.changes(ctx, "", from, fn)
}

func (s *Store) changes(ctx context.Context, since store.Cursor, from time.Time, fn func(rec *ticket.Record) error) (store.Cursor, error) {
	if s.closed.Load() {
		return since, store.ErrClosed
	}
	cur, err := parseCursor(since)
	if err != nil {
		return since, err
	}
	if err := ctx.Err(); err != nil {
		return since, fmt.Errorf("changes: %w", err)
	}
	start := s.now().UnixMilli() << stampShift
	var fromHour int64
	fromStamp := int64(math.MinInt64)
	if cur.empty {
		item, err := s.getItem(ctx, keyInfo, attrFirst)
		if err != nil {
			return since, s.fail("changes", err)
		}
		first, ok := numberAttr(item, attrFirst)
		if !ok {
			// No ticket was ever written.
			return since, nil
		}
		fromHour = first
		if !from.IsZero() {
			fromHour = max(first, hourOf(from.UnixMilli()<<stampShift-s.overlap))
		}
	} else {
		fromStamp = cur.low
		fromHour = hourOf(cur.low)
	}
	// A writer whose clock runs ahead of ours stamps into a later hour; reading up to
	// Overlap ahead covers it.
	toHour := hourOf(start + s.overlap)

	tr := newTracker(cur, start, s.overlap)
	// A first load reads whole hours: it may skip those known to be empty, and tell the
	// next ones which of the hours that are over it found empty (see empty.go).
	var skip map[int64]bool
	var foundEmpty []int64
	settled := hourOf(start - s.overlap)
	cacheEmpty := cur.empty && toHour-fromHour >= emptyCacheMin
	if cacheEmpty {
		// The cache only saves queries: without it (a failed read) every hour is read.
		skip, _ = s.knownEmpty(ctx, fromHour, toHour)
	}
	rctx, cancel := context.WithCancel(ctx)
	r := s.startReading(rctx, fromHour, toHour, fromStamp, skip)
	defer func() {
		cancel()
		r.wait()
	}()

	var (
		values   []ticket.Value
		layoutID string
		layout   *ticket.Layout
		rec      ticket.Record
	)
	for load := range r.loads {
		m := newMerge(load)
		entries := 0
		for {
			e, err := m.next(ctx)
			if err != nil {
				return tr.cursor(since), s.fail("changes", err)
			}
			if e == nil {
				if cacheEmpty && entries == 0 && load.hour < settled {
					foundEmpty = append(foundEmpty, load.hour)
				}
				break
			}
			entries++
			h := entryHash(e.key, e.stamp)
			if _, given := tr.given[h]; given {
				tr.processed(e.stamp, h)
				continue
			}
			if layout == nil || e.layout != layoutID {
				if layout, err = s.layoutByID(ctx, e.layout); err != nil {
					return tr.cursor(since), s.fail("changes", fmt.Errorf("ticket %q: %w", e.key, err))
				}
				layoutID = e.layout
			}
			// The strings alias the page's bytes, which nothing changes while fn runs.
			values, _, err = ticket.DecodeValues(e.values, values, true)
			if err != nil {
				return tr.cursor(since), s.fail("changes", fmt.Errorf("ticket %q: %w", e.key, err))
			}
			if len(values) != layout.Len() {
				return tr.cursor(since), s.fail("changes", fmt.Errorf("ticket %q: %d values for a layout of %d columns", e.key, len(values), layout.Len()))
			}
			rec = ticket.Record{Key: e.key, Version: e.version, Layout: layout, Values: values}
			if err := fn(&rec); err != nil {
				return tr.cursor(since), err
			}
			tr.processed(e.stamp, h)
		}
	}
	if err := r.err(); err != nil {
		return tr.cursor(since), s.fail("changes", err)
	}
	if err := ctx.Err(); err != nil {
		return tr.cursor(since), fmt.Errorf("changes: %w", err)
	}
	// Like the cache's read, its update only saves later loads' queries: a failure
	// (UpdateItem denied, say) must not fail a load that read everything.
	_ = s.recordEmpty(ctx, foundEmpty)
	return tr.cursor(since), nil
}

// cursorState is what a Cursor holds: the stamp the next read starts from, the newest
// stamp seen, and the hashes of the index entries at or above low already given.
type cursorState struct {
	empty bool
	low   int64
	high  int64
	given []uint64
}

const cursorPrefix = "d1."

func parseCursor(c store.Cursor) (cursorState, error) {
	if c == "" {
		return cursorState{empty: true}, nil
	}
	bad := fmt.Errorf("changes: cursor %.40q is not a cursor of the DynamoDB store", c)
	raw, ok := cutPrefix(string(c), cursorPrefix)
	if !ok {
		return cursorState{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return cursorState{}, bad
	}
	var st cursorState
	var n int
	if st.low, n = binary.Varint(b); n <= 0 {
		return cursorState{}, bad
	}
	b = b[n:]
	if st.high, n = binary.Varint(b); n <= 0 {
		return cursorState{}, bad
	}
	b = b[n:]
	count, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) != count*8 {
		return cursorState{}, bad
	}
	b = b[n:]
	st.given = make([]uint64, count)
	for i := range st.given {
		st.given[i] = binary.LittleEndian.Uint64(b[i*8:])
	}
	return st, nil
}

func (st cursorState) encode() store.Cursor {
	b := binary.AppendVarint(nil, st.low)
	b = binary.AppendVarint(b, st.high)
	b = binary.AppendUvarint(b, uint64(len(st.given)))
	for _, h := range st.given {
		b = binary.LittleEndian.AppendUint64(b, h)
	}
	return store.Cursor(cursorPrefix + base64.RawURLEncoding.EncodeToString(b))
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return s, false
	}
	return s[len(prefix):], true
}

func entryHash(key string, stamp int64) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(stamp))
	_, _ = h.Write(b[:])
	return h.Sum64()
}

// tracker follows what one Changes call has processed (given, or skipped as given before)
// to make the next cursor. Entries are processed in stamp order.
type tracker struct {
	prev    cursorState
	start   int64
	overlap int64
	given   map[uint64]struct{}
	high    int64
	seen    bool
	// recent are the processed entries that may still be at or above the next low-water
	// mark, oldest first; older ones are dropped as the mark rises.
	recent []stampHash
	head   int
}

type stampHash struct {
	stamp int64
	hash  uint64
}

func newTracker(prev cursorState, start, overlap int64) *tracker {
	t := &tracker{prev: prev, start: start, overlap: overlap, given: make(map[uint64]struct{}, len(prev.given))}
	for _, h := range prev.given {
		t.given[h] = struct{}{}
	}
	if !prev.empty {
		t.high, t.seen = prev.high, true
	}
	return t
}

// low is the next read's starting stamp: Overlap before the older of the newest stamp
// seen and the start of this read, and never lower than this read's own start.
func (t *tracker) low() int64 {
	low := min(t.high, t.start) - t.overlap
	if !t.prev.empty {
		low = max(low, t.prev.low)
	}
	return low
}

func (t *tracker) processed(stamp int64, hash uint64) {
	if !t.seen || stamp > t.high {
		t.high, t.seen = stamp, true
	}
	t.recent = append(t.recent, stampHash{stamp, hash})
	low := t.low()
	for t.head < len(t.recent) && t.recent[t.head].stamp < low {
		t.head++
	}
	// Compact now and then, so that a long load keeps only the window.
	if t.head > 4096 && t.head > len(t.recent)/2 {
		t.recent = append(t.recent[:0], t.recent[t.head:]...)
		t.head = 0
	}
}

func (t *tracker) cursor(since store.Cursor) store.Cursor {
	if !t.seen {
		return since
	}
	low := t.low()
	st := cursorState{low: low, high: t.high}
	for _, e := range t.recent[t.head:] {
		if e.stamp >= low {
			st.given = append(st.given, e.hash)
		}
	}
	return st.encode()
}

// page is one Query page of one shard, decoded, or the error that ended the shard.
type page struct {
	entries []entry
	err     error
}

// bucketLoad is one hour of the index: a stream of pages per shard.
type bucketLoad struct {
	hour    int64
	streams [shards]chan page
}

// reading is the set of goroutines fetching the index for one Changes call.
type reading struct {
	loads chan *bucketLoad
	wg    sync.WaitGroup
	mu    sync.Mutex
	fault error
}

// startReading fetches the hours from..to of the index but those in skip, in order,
// readAhead hours ahead of the consumer, with at most readConcurrency queries in flight.
// Cancel ctx to stop it.
func (s *Store) startReading(ctx context.Context, from, to, fromStamp int64, skip map[int64]bool) *reading {
	r := &reading{loads: make(chan *bucketLoad, readAhead)}
	sem := make(chan struct{}, readConcurrency)
	r.wg.Go(func() {
		defer close(r.loads)
		for hour := from; hour <= to; hour++ {
			if skip[hour] {
				continue
			}
			load := &bucketLoad{hour: hour}
			for shard := range shards {
				ch := make(chan page, 1)
				load.streams[shard] = ch
				bucket := bucketName(hour, shard)
				r.wg.Go(func() { s.fetch(ctx, sem, bucket, fromStamp, ch) })
			}
			select {
			case r.loads <- load:
			case <-ctx.Done():
				r.setErr(ctx.Err())
				return
			}
		}
	})
	return r
}

func (r *reading) setErr(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fault == nil {
		r.fault = err
	}
}

func (r *reading) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fault
}

func (r *reading) wait() { r.wg.Wait() }

// fetch queries one shard of one hour from fromStamp on, page by page, into out.
func (s *Store) fetch(ctx context.Context, sem chan struct{}, bucket string, fromStamp int64, out chan<- page) {
	defer close(out)
	send := func(p page) bool {
		select {
		case out <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var startKey map[string]types.AttributeValue
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		resp, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:                aws.String(s.table),
			IndexName:                aws.String(indexChanges),
			KeyConditionExpression:   aws.String("#b = :b AND #c >= :c"),
			ExpressionAttributeNames: map[string]string{"#b": attrBucket, "#c": attrStamp},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":b": &types.AttributeValueMemberS{Value: bucket},
				":c": &types.AttributeValueMemberN{Value: strconv.FormatInt(fromStamp, 10)},
			},
			ExclusiveStartKey:      startKey,
			Limit:                  aws.Int32(pageLimit),
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		})
		<-sem
		if err != nil {
			send(page{err: fmt.Errorf("read the change index (bucket %s): %w", bucket, explain(err, "Query", s.table, s.region))})
			return
		}
		s.addRead(resp.ConsumedCapacity)
		entries := make([]entry, 0, len(resp.Items))
		for _, item := range resp.Items {
			e, err := decodeEntry(item)
			if err != nil {
				send(page{err: err})
				return
			}
			entries = append(entries, e)
		}
		if len(entries) > 0 && !send(page{entries: entries}) {
			return
		}
		if len(resp.LastEvaluatedKey) == 0 {
			return
		}
		startKey = resp.LastEvaluatedKey
	}
}

// merge gives the entries of one hour's shards in (stamp, key) order.
type merge struct {
	streams [shards]mergeStream
}

type mergeStream struct {
	ch   <-chan page
	cur  []entry
	pos  int
	done bool
}

func newMerge(load *bucketLoad) *merge {
	m := &merge{}
	for i := range load.streams {
		m.streams[i].ch = load.streams[i]
	}
	return m
}

func (st *mergeStream) head(ctx context.Context) (*entry, error) {
	for st.pos >= len(st.cur) {
		if st.done {
			return nil, nil
		}
		select {
		case p, ok := <-st.ch:
			if !ok {
				st.done = true
				return nil, nil
			}
			if p.err != nil {
				return nil, p.err
			}
			st.cur, st.pos = p.entries, 0
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &st.cur[st.pos], nil
}

func (m *merge) next(ctx context.Context) (*entry, error) {
	var best *mergeStream
	var bestEntry *entry
	for i := range m.streams {
		e, err := m.streams[i].head(ctx)
		if err != nil {
			return nil, err
		}
		if e != nil && (bestEntry == nil || e.stamp < bestEntry.stamp || (e.stamp == bestEntry.stamp && e.key < bestEntry.key)) {
			best, bestEntry = &m.streams[i], e
		}
	}
	if best != nil {
		best.pos++
	}
	return bestEntry, nil
}
