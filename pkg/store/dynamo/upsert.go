package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

const (
	// upsertChunk is how many records get their stamps at once. A chunk is written before
	// the next one is stamped, so that a stamp is never more than a chunk's writing old
	// when it is sent, and a call's records keep their order in the change index.
	upsertChunk = 256
	// restampAfter: a write whose stamp is older than this when its attempt starts takes
	// a new one. A stamp must land in the index within the readers' overlap
	// (DefaultOverlap, 30 s) of its time: at most restampAfter + attemptTimeout = 20 s.
	// A shorter bound would restamp the later records of a chunk when a slow table (or a
	// loaded machine) takes over a second to write the chunk's first ones, putting them
	// after records of the same call that were stamped later.
	restampAfter = 10 * time.Second
	// attemptTimeout bounds one write attempt, and so how late a stamped write can land.
	attemptTimeout = 10 * time.Second
)

// upsertCondition is the version rule, evaluated by the server against the stored item.
const upsertCondition = "attribute_not_exists(#k) OR #v < :v OR (#v = :v AND (#l <> :l OR #d <> :d))"

// outcome is what a write did with one record (BulkLoad judges it before writing).
type outcome = store.OutcomeKind

const (
	outcomeNone      = store.NotWritten
	outcomeInserted  = store.Inserted
	outcomeUpdated   = store.Updated
	outcomeUnchanged = store.Unchanged
	outcomeStale     = store.Stale
)

// Upsert applies the version rule to each record with one conditional PutItem per record,
// Config.Workers at a time; records of one key are written in order by one worker. When it
// returns nil every write is durable. On an error some records may be written and others
// not: calling it again with the same records is safe, as the version rule makes writes
// idempotent.
func (s *Store) Upsert(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error) {
	return s.upsert(ctx, recs, nil)
}

var _ store.UpsertReporter = (*Store)(nil)

// UpsertEach is Upsert, with what it did with each record. On an error the records it
// did not come to are NotWritten.
func (s *Store) UpsertEach(ctx context.Context, recs []ticket.Record) ([]store.Outcome, store.UpsertResult, error) {
	outs := make([]store.Outcome, len(recs))
	res, err := s.upsert(ctx, recs, outs)
	return outs, res, err
}

// upsert is Upsert; it notes each record's outcome in outs unless outs is nil.
func (s *Store) upsert(ctx context.Context, recs []ticket.Record, outs []store.Outcome) (res store.UpsertResult, err error) {
	if s.closed.Load() {
		return store.UpsertResult{}, store.ErrClosed
	}
	if len(recs) == 0 {
		return store.UpsertResult{}, nil
	}
	for i := range recs {
		if err := checkRecord(&recs[i]); err != nil {
			return store.UpsertResult{}, fmt.Errorf("upsert: record %d: %w", i, err)
		}
	}
	if err := s.beginWrite(ctx, "upsert", recs); err != nil {
		return store.UpsertResult{}, err
	}
	defer s.countInserts(ctx, "upsert", &res, &err)
	for start := 0; start < len(recs); start += upsertChunk {
		chunk := recs[start:min(start+upsertChunk, len(recs))]
		outcomes, werr := s.writeChunk(ctx, chunk, start)
		for i, o := range outcomes {
			addOutcome(&res, o.Kind)
			if outs != nil {
				outs[start+i] = o
			}
		}
		if werr != nil {
			return res, s.fail("upsert", werr)
		}
	}
	return res, nil
}

// beginWrite does what every write call does before its first ticket: it records this
// process's first change hour and stores the records' layouts.
func (s *Store) beginWrite(ctx context.Context, op string, recs []ticket.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := s.markFirst(ctx); err != nil {
		return s.fail(op, err)
	}
	if err := s.storeLayouts(ctx, recs); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// countInserts, deferred by a write call, adds the call's inserts to the ticket count,
// even when the call fails half-way: the count must follow the inserts that happened.
func (s *Store) countInserts(ctx context.Context, op string, res *store.UpsertResult, err *error) {
	if res.Inserted == 0 {
		return
	}
	if cerr := s.addTickets(context.WithoutCancel(ctx), res.Inserted); cerr != nil && *err == nil {
		*err = s.fail(op, cerr)
	}
}

// addOutcome counts an outcome in res.
func addOutcome(res *store.UpsertResult, k store.OutcomeKind) {
	switch k {
	case store.Inserted:
		res.Inserted++
	case store.Updated:
		res.Updated++
	case store.Unchanged:
		res.Unchanged++
	case store.Stale:
		res.Stale++
	}
}

func checkRecord(rec *ticket.Record) error {
	switch {
	case rec.Key == "":
		return errors.New("the key is empty")
	case len(rec.Key) > maxKeyBytes:
		return fmt.Errorf("key %.40q... is %d bytes, longer than the %d a key can have", rec.Key, len(rec.Key), maxKeyBytes)
	case rec.Layout == nil:
		return fmt.Errorf("key %q: the record has no layout", rec.Key)
	case len(rec.Values) != rec.Layout.Len():
		return fmt.Errorf("key %q: %d values for a layout of %d columns", rec.Key, len(rec.Values), rec.Layout.Len())
	}
	return nil
}

// writeChunk writes a chunk's records in parallel, the records of one key in order, and
// returns the outcome of each (NotWritten for those not written) and the first error.
func (s *Store) writeChunk(ctx context.Context, chunk []ticket.Record, offset int) ([]store.Outcome, error) {
	var groups [][]int
	byKey := make(map[string]int, len(chunk))
	stamps := make([]int64, len(chunk))
	for i := range chunk {
		stamps[i] = s.nextStamp()
		g, ok := byKey[chunk[i].Key]
		if !ok {
			g = len(groups)
			byKey[chunk[i].Key] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	outcomes := make([]store.Outcome, len(chunk))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range min(s.workers, len(groups)) {
		wg.Go(func() {
			for {
				g := int(next.Add(1) - 1)
				if g >= len(groups) || wctx.Err() != nil {
					return
				}
				for _, i := range groups[g] {
					o, err := s.writeRecord(wctx, &chunk[i], stamps[i])
					if err != nil {
						errOnce.Do(func() {
							firstErr = fmt.Errorf("record %d (key %q): %w", offset+i, chunk[i].Key, err)
							cancel()
						})
						return
					}
					outcomes[i] = o
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil {
		// A caller's cancellation that came after the last write still fails the call,
		// as with the embedded store; what was written stays written.
		if err := ctx.Err(); err != nil {
			firstErr = err
		}
	}
	return outcomes, firstErr
}

// writeRecord writes one record under the version rule and says what it did. It retries
// throttling, 5xx and timed-out attempts itself, so that each attempt carries a fresh
// stamp.
func (s *Store) writeRecord(ctx context.Context, rec *ticket.Record, stamp int64) (store.Outcome, error) {
	values := ticket.AppendValues(nil, rec.Values)
	if len(values) > maxValuesBytes {
		return store.Outcome{}, fmt.Errorf("the values take %d bytes, more than the %d a DynamoDB item can hold", len(values), maxValuesBytes)
	}
	key := prefixTicket + rec.Key
	layout := []byte(s.layoutID(rec.Layout))
	version := strconv.FormatInt(rec.Version, 10)
	shard := shardOf(rec.Key)
	for attempt := 0; ; attempt++ {
		if attempt > 0 || s.now().UnixMilli()-stampMS(stamp) > restampAfter.Milliseconds() {
			stamp = s.nextStamp()
		}
		in := &dynamodb.PutItemInput{
			TableName: aws.String(s.table),
			Item: map[string]types.AttributeValue{
				attrKey:     &types.AttributeValueMemberS{Value: key},
				attrVersion: &types.AttributeValueMemberN{Value: version},
				attrStamp:   &types.AttributeValueMemberN{Value: strconv.FormatInt(stamp, 10)},
				attrBucket:  &types.AttributeValueMemberS{Value: bucketName(hourOf(stamp), shard)},
				attrLayout:  &types.AttributeValueMemberB{Value: layout},
				attrValues:  &types.AttributeValueMemberB{Value: values},
			},
			ConditionExpression: aws.String(upsertCondition),
			ExpressionAttributeNames: map[string]string{
				"#k": attrKey, "#v": attrVersion, "#l": attrLayout, "#d": attrValues,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":v": &types.AttributeValueMemberN{Value: version},
				":l": &types.AttributeValueMemberB{Value: layout},
				":d": &types.AttributeValueMemberB{Value: values},
			},
			ReturnValues:                        types.ReturnValueAllOld,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ReturnConsumedCapacity:              types.ReturnConsumedCapacityTotal,
		}
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		out, err := s.client.PutItem(actx, in, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
		cancel()
		if err == nil {
			s.addWrite(out.ConsumedCapacity)
			if len(out.Attributes) > 0 {
				return store.Outcome{Kind: store.Updated}, nil
			}
			return store.Outcome{Kind: store.Inserted}, nil
		}
		var failed *types.ConditionalCheckFailedException
		if errors.As(err, &failed) {
			stored := failed.Item
			if len(stored) == 0 {
				// The server did not return the stored item (dynalite does not): read it.
				if stored, err = s.getItem(ctx, key, attrVersion); err != nil {
					return store.Outcome{}, fmt.Errorf("read the stored version after a failed condition: %w", err)
				}
			}
			v, ok := numberAttr(stored, attrVersion)
			switch {
			case ok && v > rec.Version:
				return store.Outcome{Kind: store.Stale, Stored: v}, nil
			case ok:
				return store.Outcome{Kind: store.Unchanged}, nil
			case stored != nil:
				// Trying again would fail the same condition forever.
				return store.Outcome{}, fmt.Errorf("the stored item %s has no version (attribute %s): it was not written by Spacetime; fix or delete it", key, attrVersion)
			}
			// The item is gone (deleted by hand in between): write again.
			continue
		}
		if ctx.Err() != nil {
			return store.Outcome{}, ctx.Err()
		}
		if !s.retryer.IsErrorRetryable(err) && !errors.Is(err, context.DeadlineExceeded) {
			return store.Outcome{}, explain(err, "PutItem", s.table, s.region)
		}
		if berr := s.backoff(ctx, attempt, err); berr != nil {
			return store.Outcome{}, explain(berr, "PutItem", s.table, s.region)
		}
	}
}

// markFirst records, once per process, the hour of this process's first change in
// s#info, keeping the earliest: a read of the whole history starts from there.
func (s *Store) markFirst(ctx context.Context) error {
	s.firstMu.Lock()
	defer s.firstMu.Unlock()
	if s.firstMarked {
		return nil
	}
	hour := hourOf(s.now().UnixMilli() << stampShift)
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: keyInfo}},
		UpdateExpression:         aws.String("SET #f = :h"),
		ConditionExpression:      aws.String("attribute_not_exists(#f) OR #f > :h"),
		ExpressionAttributeNames: map[string]string{"#f": attrFirst},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": &types.AttributeValueMemberN{Value: strconv.FormatInt(hour, 10)},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		// An earlier hour is recorded already.
	case err != nil:
		return fmt.Errorf("record the first change hour: %w", explain(err, "UpdateItem", s.table, s.region))
	default:
		s.addWrite(out.ConsumedCapacity)
	}
	s.firstMarked = true
	return nil
}

// addTickets adds n to the ticket count. It runs after the writes, with the caller's
// context stripped of its cancellation: the count must follow inserts that happened.
func (s *Store) addTickets(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: keyInfo}},
		UpdateExpression:          aws.String("ADD #t :n"),
		ExpressionAttributeNames:  map[string]string{"#t": attrTickets},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: strconv.Itoa(n)}},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		// The tickets are stored; only Info's count is low by n.
		return fmt.Errorf("count %d new tickets: %w", n, explain(err, "UpdateItem", s.table, s.region))
	}
	s.addWrite(out.ConsumedCapacity)
	return nil
}
