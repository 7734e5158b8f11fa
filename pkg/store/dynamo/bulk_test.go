package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/storetest"
	"github.com/spacetime/tickets/pkg/ticket"
)

// otherLayout has testLayout's number of columns under other names: a record moved to it
// keeps its values but is no longer the same record.
var otherLayout = ticket.NewLayout([]string{"id", "status", "version", "owner"})

// edited is rec with one value changed and the same version.
func edited(key string, version int64) ticket.Record {
	r := rec(key, version)
	r.Values[3] = ticket.String("edited")
	return r
}

// relaid is rec under otherLayout.
func relaid(key string, version int64) ticket.Record {
	r := rec(key, version)
	r.Layout = otherLayout
	return r
}

// throughProxy is cfg reaching its table through p.
func throughProxy(cfg Config, p *faultProxy) Config {
	aws := *cfg.AWS
	aws.BaseEndpoint = &p.URL
	cfg.AWS = &aws
	cfg.Endpoint = p.URL
	return cfg
}

// storedByKey reads keys with Get.
func storedByKey(t *testing.T, s store.Store, keys []string) map[string]ticket.Record {
	t.Helper()
	got, err := s.Get(context.Background(), keys)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	out := make(map[string]ticket.Record, len(got))
	for _, r := range got {
		out[r.Key] = r
	}
	return out
}

// checkStored fails t unless every key of want is stored as want says, and nothing else
// of keys is.
func checkStored(t *testing.T, s store.Store, want map[string]ticket.Record) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	got := storedByKey(t, s, keys)
	if len(got) != len(want) {
		t.Errorf("Get found %d tickets, want %d", len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		g, ok := got[k]
		if ok && g.Version == w.Version && g.SameValues(&w) {
			continue
		}
		if bad++; bad <= 5 {
			t.Errorf("%s is stored as %s, want %s", k, describeRec(g, ok), describeRec(w, true))
		}
	}
}

func describeRec(r ticket.Record, ok bool) string {
	if !ok {
		return "missing"
	}
	return fmt.Sprintf("version %d %v %v", r.Version, r.Layout.Names(), r.Values)
}

// TestBulkLoadReadsBackLikeUpsert: the same records bulk-loaded into one table and
// upserted into another give the same result, the same items, and the same tickets to
// Get, Changes and Info; later Upserts judge bulk-loaded tickets by the version rule.
func TestBulkLoadReadsBackLikeUpsert(t *testing.T) {
	ctx := context.Background()
	bulkCfg, upsertCfg := newTable(t), newTable(t)
	bulkCfg.Workers = 4 // fewer workers than groups, so that workers take several
	bulk, upserted := openTable(t, bulkCfg), openTable(t, upsertCfg)

	// Three passes over 450 keys (5 groups of reads), so that the records of one key lie
	// far apart in the call: every key is new in the first pass; in the second and third,
	// a key ending in 0 gets a newer then an older version, one ending in 5 an identical
	// replay, one ending in 7 its values under another layout.
	const n = 450
	var first, second, third []ticket.Record
	want := map[string]ticket.Record{}
	for i := range n {
		k := fmt.Sprintf("k%03d", i)
		first = append(first, rec(k, 1))
		want[k] = rec(k, 1)
		switch i % 10 {
		case 0:
			second = append(second, rec(k, 3))
			third = append(third, rec(k, 2))
			want[k] = rec(k, 3)
		case 5:
			second = append(second, rec(k, 1))
		case 7:
			third = append(third, relaid(k, 1))
			want[k] = relaid(k, 1)
		}
	}
	recs := slices.Concat(first, second, third)
	wantRes := store.UpsertResult{Inserted: n, Updated: n / 10 * 2, Stale: n / 10, Unchanged: n / 10}

	bulkRes, err := bulk.BulkLoad(ctx, recs)
	if err != nil {
		t.Fatalf("BulkLoad: %v", err)
	}
	upsertRes, err := upserted.Upsert(ctx, recs)
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	if bulkRes != wantRes || upsertRes != wantRes {
		t.Errorf("BulkLoad = %+v and Upsert = %+v, want both %+v", bulkRes, upsertRes, wantRes)
	}

	checkStored(t, bulk, want)
	for _, s := range []*Store{bulk, upserted} {
		info, err := s.Info(ctx)
		if err != nil || info.Tickets != n {
			t.Errorf("Info of %s = %+v, %v; want %d tickets", s.table, info, err, n)
		}
	}
	changed := map[string]ticket.Record{}
	if _, err := bulk.Changes(ctx, "", func(r *ticket.Record) error {
		if _, dup := changed[r.Key]; dup {
			return fmt.Errorf("Changes gave %s twice", r.Key)
		}
		changed[r.Key] = r.Clone()
		return nil
	}); err != nil {
		t.Fatalf("Changes: %v", err)
	}
	if len(changed) != n {
		t.Errorf("Changes gave %d tickets, want %d", len(changed), n)
	}
	for k, w := range want {
		if g, ok := changed[k]; !ok || g.Version != w.Version || !g.SameValues(&w) {
			t.Errorf("Changes gave %s as %s, want %s", k, describeRec(g, ok), describeRec(w, true))
			break
		}
	}

	t.Run("the items are Upsert's", func(t *testing.T) {
		for _, k := range []string{"k000", "k005", "k007", "k449"} {
			b, u := rawItem(t, bulk, k), rawItem(t, upserted, k)
			if !slices.Equal(itemAttrs(b), itemAttrs(u)) {
				t.Errorf("%s: bulk-loaded attributes %v, upserted %v", k, itemAttrs(b), itemAttrs(u))
			}
			for _, a := range []string{attrKey, attrVersion, attrLayout, attrValues} {
				if !sameAttr(b[a], u[a]) {
					t.Errorf("%s: attribute %s bulk-loaded %v, upserted %v", k, a, b[a], u[a])
				}
			}
			// The bucket is HOUR.SHARD: the shard follows from the key.
			bb, _ := b[attrBucket].(*types.AttributeValueMemberS)
			stamp, _ := numberAttr(b, attrStamp)
			if bb == nil || bb.Value != bucketName(hourOf(stamp), shardOf(k)) {
				t.Errorf("%s: bucket %v does not match stamp %d and shard %d", k, b[attrBucket], stamp, shardOf(k))
			}
		}
	})

	t.Run("a later Upsert applies the version rule to bulk-loaded tickets", func(t *testing.T) {
		tests := []struct {
			name string
			rec  ticket.Record
			want store.UpsertResult
		}{
			{"older", rec("k010", 2), store.UpsertResult{Stale: 1}},
			{"identical", rec("k011", 1), store.UpsertResult{Unchanged: 1}},
			{"same version under its other layout", relaid("k017", 1), store.UpsertResult{Unchanged: 1}},
			{"newer", rec("k012", 5), store.UpsertResult{Updated: 1}},
			{"same version, other values", edited("k013", 1), store.UpsertResult{Updated: 1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := storedByKey(t, bulk, []string{tt.rec.Key})[tt.rec.Key]
				got, err := bulk.Upsert(ctx, []ticket.Record{tt.rec})
				if err != nil || got != tt.want {
					t.Fatalf("Upsert = %+v, %v; want %+v", got, err, tt.want)
				}
				after := storedByKey(t, bulk, []string{tt.rec.Key})[tt.rec.Key]
				wantStored := before
				if tt.want.Updated == 1 {
					wantStored = tt.rec
				}
				if after.Version != wantStored.Version || !after.SameValues(&wantStored) {
					t.Errorf("after the Upsert %s is %s, want %s", tt.rec.Key, describeRec(after, true), describeRec(wantStored, true))
				}
			})
		}
	})
}

func rawItem(t *testing.T, s *Store, key string) map[string]types.AttributeValue {
	t.Helper()
	item, err := s.getItem(context.Background(), prefixTicket+key)
	if err != nil || item == nil {
		t.Fatalf("read the item of %s: %v, %v", key, item, err)
	}
	return item
}

func itemAttrs(item map[string]types.AttributeValue) []string {
	var names []string
	for n := range item {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func sameAttr(a, b types.AttributeValue) bool {
	switch a := a.(type) {
	case *types.AttributeValueMemberS:
		b, ok := b.(*types.AttributeValueMemberS)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberN:
		b, ok := b.(*types.AttributeValueMemberN)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberB:
		b, ok := b.(*types.AttributeValueMemberB)
		return ok && string(a.Value) == string(b.Value)
	}
	return false
}

// TestBulkLoadAppliesTheVersionRule: over tickets already stored, each kind of record
// has the outcome the version rule gives it, in a BulkLoad as in an Upsert of the same
// records on a twin table.
func TestBulkLoadAppliesTheVersionRule(t *testing.T) {
	ctx := context.Background()
	const perCase = 40
	tests := []struct {
		name string
		// stored is the ticket before the call (its version is 10), or none.
		stored bool
		// call is what BulkLoad gets for the key.
		call    func(key string) []ticket.Record
		outcome outcome
		want    func(key string) ticket.Record
	}{
		{name: "older", stored: true, outcome: outcomeStale,
			call: func(k string) []ticket.Record { return []ticket.Record{rec(k, 5)} },
			want: func(k string) ticket.Record { return rec(k, 10) }},
		{name: "identical", stored: true, outcome: outcomeUnchanged,
			call: func(k string) []ticket.Record { return []ticket.Record{rec(k, 10)} },
			want: func(k string) ticket.Record { return rec(k, 10) }},
		{name: "newer", stored: true, outcome: outcomeUpdated,
			call: func(k string) []ticket.Record { return []ticket.Record{rec(k, 20)} },
			want: func(k string) ticket.Record { return rec(k, 20) }},
		{name: "same version, other values", stored: true, outcome: outcomeUpdated,
			call: func(k string) []ticket.Record { return []ticket.Record{edited(k, 10)} },
			want: func(k string) ticket.Record { return edited(k, 10) }},
		{name: "same version, other layout", stored: true, outcome: outcomeUpdated,
			call: func(k string) []ticket.Record { return []ticket.Record{relaid(k, 10)} },
			want: func(k string) ticket.Record { return relaid(k, 10) }},
		{name: "new", outcome: outcomeInserted,
			call: func(k string) []ticket.Record { return []ticket.Record{rec(k, 1)} },
			want: func(k string) ticket.Record { return rec(k, 1) }},
	}

	bulkCfg, upsertCfg := newTable(t), newTable(t)
	bulk, upserted := openTable(t, bulkCfg), openTable(t, upsertCfg)
	var seed, call []ticket.Record
	wantRes := store.UpsertResult{}
	for c, tt := range tests {
		for i := range perCase {
			k := fmt.Sprintf("c%d-%02d", c, i)
			if tt.stored {
				seed = append(seed, rec(k, 10))
			}
			call = append(call, tt.call(k)...)
		}
		switch tt.outcome {
		case outcomeInserted:
			wantRes.Inserted += perCase
		case outcomeUpdated:
			wantRes.Updated += perCase
		case outcomeUnchanged:
			wantRes.Unchanged += perCase
		case outcomeStale:
			wantRes.Stale += perCase
		}
	}
	// Shuffled, so that every read group holds keys of several cases.
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(call), func(i, j int) { call[i], call[j] = call[j], call[i] })
	for _, s := range []*Store{bulk, upserted} {
		if _, err := s.Upsert(ctx, seed); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}

	got, err := bulk.BulkLoad(ctx, call)
	if err != nil {
		t.Fatalf("BulkLoad: %v", err)
	}
	twin, err := upserted.Upsert(ctx, call)
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	if got != wantRes {
		t.Errorf("BulkLoad = %+v, want %+v", got, wantRes)
	}
	if twin != wantRes {
		t.Errorf("Upsert of the same records on the twin table = %+v, want %+v", twin, wantRes)
	}
	for c, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[string]ticket.Record{}
			for i := range perCase {
				k := fmt.Sprintf("c%d-%02d", c, i)
				want[k] = tt.want(k)
			}
			checkStored(t, bulk, want)
			checkStored(t, upserted, want)
		})
	}
	info, err := bulk.Info(ctx)
	if wantN := len(seed) + perCase; err != nil || info.Tickets != wantN {
		t.Errorf("Info = %+v, %v; want %d tickets", info, err, wantN)
	}
}

// TestBulkLoadRetriesUnprocessed: through a proxy that leaves parts of batches
// unprocessed, throttles batches whole, and loses the answers of some writes, every
// ticket still arrives in its version, and the counts add up.
func TestBulkLoadRetriesUnprocessed(t *testing.T) {
	ctx := context.Background()
	cfg := newTable(t)
	part, over, lost := unprocessed, overCapacity, unavailable
	part.rate, over.rate, lost.rate = 0.3, 0.3, 0.05
	over.actions = []string{"BatchWriteItem", "BatchGetItem"}
	lost.actions = []string{"BatchWriteItem"}
	proxy := startFaultProxy(t, cfg.Endpoint, 9, part, over, lost)
	direct := openTable(t, cfg)
	faulty := openTable(t, throughProxy(cfg, proxy))

	// 3000 keys (30 read groups, 120 write batches, enough for every fault to strike):
	// the first 1000 are stored at version 5 beforehand and come newer, the next 200
	// stored at version 5 come older, and the rest are new.
	const n = 3000
	var seed, call []ticket.Record
	want := map[string]ticket.Record{}
	for i := range n {
		k := fmt.Sprintf("t%04d", i)
		switch {
		case i < 1000:
			seed = append(seed, rec(k, 5))
			call = append(call, rec(k, 6))
			want[k] = rec(k, 6)
		case i < 1200:
			seed = append(seed, rec(k, 5))
			call = append(call, rec(k, 4))
			want[k] = rec(k, 5)
		default:
			call = append(call, rec(k, 1))
			want[k] = rec(k, 1)
		}
	}
	if _, err := direct.Upsert(ctx, seed); err != nil {
		t.Fatal(err)
	}
	res, err := faulty.BulkLoad(ctx, call)
	if err != nil {
		t.Fatalf("BulkLoad through the faults: %v", err)
	}
	if wantRes := (store.UpsertResult{Inserted: 1800, Updated: 1000, Stale: 200}); res != wantRes {
		t.Errorf("BulkLoad = %+v, want %+v", res, wantRes)
	}
	checkStored(t, direct, want)
	got, _ := readAll(t, direct, "")
	if len(got) != n {
		t.Errorf("Changes gave %d tickets, want %d", len(got), n)
	}
	for k, w := range want {
		if got[k] != w.Version {
			t.Errorf("Changes gave %s at version %d, want %d", k, got[k], w.Version)
			break
		}
	}
	if info, err := direct.Info(ctx); err != nil || info.Tickets != n {
		t.Errorf("Info = %+v, %v; want %d tickets", info, err, n)
	}
	injected := proxy.injected()
	for _, kind := range []string{"unprocessed/BatchWriteItem", "unprocessed/BatchGetItem",
		"over capacity/BatchWriteItem", "over capacity/BatchGetItem", lost.name + "/BatchWriteItem"} {
		if injected[kind] == 0 {
			t.Errorf("no %q fault was injected: the test did not test it (injected %v)", kind, injected)
		}
	}
	t.Logf("injected %v", injected)
}

// TestFaultProxyHoldsBackUnprocessed checks the test's own tool: what the proxy answers
// as unprocessed never reached the server, and the rest did.
func TestFaultProxyHoldsBackUnprocessed(t *testing.T) {
	ctx := context.Background()
	cfg := newTable(t)
	part := unprocessed
	part.rate = 1
	proxy := startFaultProxy(t, cfg.Endpoint, 5, part)
	client := func(endpoint string) *dynamodb.Client {
		c, err := NewClient(ctx, testConfig(endpoint, cfg.Table))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	direct, faulty := client(cfg.Endpoint), client(proxy.URL)
	key := func(i int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: "probe#" + strconv.Itoa(i)}}
	}
	var writes []types.WriteRequest
	var keys []map[string]types.AttributeValue
	for i := range 20 {
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: key(i)}})
		keys = append(keys, key(i))
	}
	out, err := faulty.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{cfg.Table: writes}})
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, w := range out.UnprocessedItems[cfg.Table] {
		held[w.PutRequest.Item[attrKey].(*types.AttributeValueMemberS).Value] = true
	}
	if len(held) == 0 || len(held) == len(writes) {
		t.Fatalf("the proxy held back %d of %d items, want some but not all", len(held), len(writes))
	}
	for i := range writes {
		k := "probe#" + strconv.Itoa(i)
		got, err := direct.GetItem(ctx, &dynamodb.GetItemInput{TableName: &cfg.Table, Key: key(i), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if stored := len(got.Item) > 0; stored == held[k] {
			t.Errorf("item %s: stored %v, answered unprocessed %v", k, stored, held[k])
		}
	}

	// Read back through the proxy: the answered and the unprocessed keys make up the
	// request, and every answered item is one that was written.
	gets, err := faulty.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		cfg.Table: {Keys: keys, ConsistentRead: aws.Bool(true)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	left := gets.UnprocessedKeys[cfg.Table]
	if len(left.Keys) == 0 || len(left.Keys) == len(keys) {
		t.Fatalf("the proxy left %d of %d keys unprocessed, want some but not all", len(left.Keys), len(keys))
	}
	if left.ConsistentRead == nil || !*left.ConsistentRead {
		t.Errorf("the unprocessed keys lost their ConsistentRead: %+v", left)
	}
	for _, item := range gets.Responses[cfg.Table] {
		if k := item[attrKey].(*types.AttributeValueMemberS).Value; held[k] {
			t.Errorf("item %s was answered by a read, but was held back from the write", k)
		}
	}
	if proxy.injected()["unprocessed"] != 2 {
		t.Errorf("injected %v, want 2 unprocessed", proxy.injected())
	}
}

// TestBulkLoadCancelled: a load cancelled half-way fails with the cancellation; what it
// wrote is stored whole and readable, counted by Info as the result says, and loading
// again completes the rest.
func TestBulkLoadCancelled(t *testing.T) {
	cfg := newTable(t)
	proxy := startFaultProxy(t, cfg.Endpoint, 1)
	faultyCfg := throughProxy(cfg, proxy)
	faultyCfg.Workers = 2
	faulty, direct := openTable(t, faultyCfg), openTable(t, cfg)

	const n = 2000
	var recs []ticket.Record
	want := map[string]ticket.Record{}
	for i := range n {
		k := fmt.Sprintf("t%04d", i)
		recs = append(recs, rec(k, int64(i)))
		want[k] = rec(k, int64(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var writes atomic.Int64
	proxy.watch(func(action string) {
		if action == "BatchWriteItem" && writes.Add(1) == 6 {
			cancel()
		}
	})
	res, err := faulty.BulkLoad(ctx, recs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("BulkLoad cancelled half-way = %+v, %v; want context.Canceled", res, err)
	}
	if !strings.Contains(err.Error(), "tickets not known to be written") {
		t.Errorf("the error %q does not say how many tickets may be missing", err)
	}
	proxy.watch(nil)

	stored := storedByKey(t, direct, slices.Collect(maps.Keys(want)))
	if len(stored) == 0 || len(stored) == n || len(stored) < res.Inserted {
		t.Fatalf("after the cancellation %d tickets are stored, the result says %+v; want some, not all, and at least the inserted", len(stored), res)
	}
	for k, g := range stored {
		if w := want[k]; g.Version != w.Version || !g.SameValues(&w) {
			t.Errorf("%s is stored as %s, want %s", k, describeRec(g, true), describeRec(w, true))
		}
	}
	seen, _ := readAll(t, direct, "")
	if len(seen) != len(stored) {
		t.Errorf("Changes gives %d tickets, Get finds %d", len(seen), len(stored))
	}
	info, err := direct.Info(context.Background())
	if err != nil || info.Tickets != res.Inserted {
		t.Errorf("Info = %+v, %v; want the %d inserted", info, err, res.Inserted)
	}

	again, err := faulty.BulkLoad(context.Background(), recs)
	if err != nil {
		t.Fatalf("BulkLoad again: %v", err)
	}
	if again.Inserted != n-len(stored) || again.Unchanged != len(stored) {
		t.Errorf("BulkLoad again = %+v, want %d inserted and %d unchanged", again, n-len(stored), len(stored))
	}
	checkStored(t, direct, want)
}

// TestBulkLoadGivesUp: when every BatchWriteItem is throttled, BulkLoad stops after
// MaxAttempts attempts in a row and says how much is left.
func TestBulkLoadGivesUp(t *testing.T) {
	cfg := newTable(t)
	over := overCapacity
	over.rate, over.actions = 1, []string{"BatchWriteItem"}
	proxy := startFaultProxy(t, cfg.Endpoint, 1, over)
	faultyCfg := throughProxy(cfg, proxy)
	faultyCfg.MaxAttempts = 3
	faultyCfg.Workers = 1 // one batch at a time: the first holds 25 items
	s := openTable(t, faultyCfg)
	var recs []ticket.Record
	for i := range 30 {
		recs = append(recs, rec(fmt.Sprintf("t%02d", i), 1))
	}
	res, err := s.BulkLoad(context.Background(), recs)
	if err == nil {
		t.Fatalf("BulkLoad against a table that throttles every batch = %+v, want an error", res)
	}
	for _, w := range []string{"30 of 30 tickets not known to be written", "25 of 25 items still unprocessed",
		"gave up after 3 attempts", "ProvisionedThroughputExceeded"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if res != (store.UpsertResult{}) {
		t.Errorf("the result counts %+v, want nothing", res)
	}
	t.Logf("the error: %v", err)
	if got := proxy.injected()["over capacity"]; got != 3 {
		t.Errorf("the batch was tried %d times, want 3", got)
	}
}

func TestBulkLoadRefusesBadRecords(t *testing.T) {
	huge := rec("huge", 1)
	huge.Values[1] = ticket.String(strings.Repeat("x", maxValuesBytes))
	tests := []struct {
		name string
		bad  ticket.Record
		want string
	}{
		{"empty key", rec("", 1), "record 1: the key is empty"},
		{"no layout", ticket.Record{Key: "nolayout", Version: 1}, `record 1: key "nolayout": the record has no layout`},
		{"values of another width", ticket.Record{Key: "narrow", Layout: testLayout, Values: []ticket.Value{{}}},
			`key "narrow": 1 values for a layout of 4 columns`},
		{"values too large", huge, `record 1 (key "huge"): the values take`},
	}
	s := openTable(t, newTable(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.BulkLoad(context.Background(), []ticket.Record{rec("good", 1), tt.bad})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("BulkLoad = %v, want an error with %q", err, tt.want)
			}
			if got := storedByKey(t, s, []string{"good"}); len(got) != 0 {
				t.Errorf("the good record of a refused call was stored: %v", got)
			}
		})
	}
}

// serialBulk is a store whose Upsert is BulkLoad, one call at a time: the condition under
// which BulkLoad keeps the store's contract.
type serialBulk struct {
	*Store
	mu sync.Mutex
}

func (s *serialBulk) Upsert(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.BulkLoad(ctx, recs)
}

// TestBulkLoadConformance runs the store's contract tests with BulkLoad in Upsert's place.
func TestBulkLoadConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return &serialBulk{Store: openTable(t, newTable(t))}
	})
}
