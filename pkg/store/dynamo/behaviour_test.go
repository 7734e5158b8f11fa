package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

var testLayout = ticket.NewLayout([]string{"id", "status", "version", "writer"})

// rec is a ticket whose values follow from its version, so that two writers of one
// version write the same values.
func rec(key string, version int64) ticket.Record {
	return ticket.Record{Key: key, Version: version, Layout: testLayout, Values: []ticket.Value{
		ticket.String(key), ticket.String(fmt.Sprintf("status-%d", version%7)), ticket.Number(float64(version)), {},
	}}
}

// readAll follows the change index from since and returns the latest version given per
// key, failing on a key given twice.
func readAll(t *testing.T, s store.Store, since store.Cursor) (map[string]int64, store.Cursor) {
	t.Helper()
	got := map[string]int64{}
	next, err := s.Changes(context.Background(), since, func(r *ticket.Record) error {
		if _, dup := got[r.Key]; dup {
			return fmt.Errorf("ticket %q given twice in one read", r.Key)
		}
		if v := r.Get("version"); v.F != float64(r.Version) {
			return fmt.Errorf("ticket %q at version %d carries the values of version %v", r.Key, r.Version, v.F)
		}
		got[strings.Clone(r.Key)] = r.Version
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%q): %v", since, err)
	}
	return got, next
}

// TestConcurrentWritersKeepTheNewestVersion: writers in separate stores (as separate
// processes, each with its own clock) write random versions of the same keys at once; the
// table must end at the highest version of each key, and the counts must add up.
func TestConcurrentWritersKeepTheNewestVersion(t *testing.T) {
	cfg := newTable(t)
	const writers, rounds, keys = 6, 8, 40
	var (
		mu     sync.Mutex
		newest = map[string]int64{}
		total  store.UpsertResult
	)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		s := openTable(t, cfg)
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		wg.Go(func() {
			for range rounds {
				var recs []ticket.Record
				for range keys {
					k := fmt.Sprintf("k%02d", rng.IntN(keys))
					recs = append(recs, rec(k, rng.Int64N(1000)))
				}
				res, err := s.Upsert(context.Background(), recs)
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				mu.Lock()
				total.Add(res)
				for _, r := range recs {
					if v, ok := newest[r.Key]; !ok || r.Version > v {
						newest[r.Key] = r.Version
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := openTable(t, cfg)
	var ks []string
	for k := range newest {
		ks = append(ks, k)
	}
	stored, err := s.Get(context.Background(), ks)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(newest) {
		t.Fatalf("Get returned %d tickets, want %d", len(stored), len(newest))
	}
	for _, r := range stored {
		if r.Version != newest[r.Key] {
			t.Errorf("%s is stored at version %d, want the newest written, %d", r.Key, r.Version, newest[r.Key])
		}
	}
	if n := total.Inserted + total.Updated + total.Unchanged + total.Stale; n != writers*rounds*keys {
		t.Errorf("the results count %d records (%+v), want %d", n, total, writers*rounds*keys)
	}
	if total.Inserted != len(newest) {
		t.Errorf("Inserted = %d over all writers, want one per key, %d", total.Inserted, len(newest))
	}
	got, _ := readAll(t, s, "")
	for k, v := range newest {
		if got[k] != v {
			t.Errorf("Changes gave %s at version %d, want %d", k, got[k], v)
		}
	}
	if info, err := s.Info(context.Background()); err != nil || info.Tickets != len(newest) {
		t.Errorf("Info = %+v, %v; want %d tickets", info, err, len(newest))
	}
}

// TestFaultsLoseNothing puts a proxy that throttles and fails requests between the store
// and dynalite: every write and read must still arrive, through the retries.
func TestFaultsLoseNothing(t *testing.T) {
	cfg := newTable(t)
	throttle, over, fail, lost := throttled, overCapacity, internal, unavailable
	throttle.rate, over.rate, fail.rate, lost.rate = 0.04, 0.02, 0.03, 0.03
	proxy := startFaultProxy(t, cfg.Endpoint, 42, throttle, over, fail, lost)
	faulty := cfg
	faulty.Endpoint = proxy.URL
	aws := *cfg.AWS
	aws.BaseEndpoint = &proxy.URL
	faulty.AWS = &aws
	s := openTable(t, faulty)

	ctx := context.Background()
	want := map[string]int64{}
	var recs []ticket.Record
	for i := range 600 {
		k := fmt.Sprintf("t%04d", i%400)
		recs = append(recs, rec(k, int64(i)))
		want[k] = int64(i)
	}
	var total store.UpsertResult
	for start := 0; start < len(recs); start += 150 {
		res, err := s.Upsert(ctx, recs[start:start+150])
		if err != nil {
			t.Fatalf("Upsert through the faults: %v", err)
		}
		total.Add(res)
	}
	if n := total.Inserted + total.Updated + total.Unchanged + total.Stale; n != len(recs) {
		t.Errorf("the results count %d records (%+v), want %d", n, total, len(recs))
	}
	got, _ := readAll(t, s, "")
	if len(got) != len(want) {
		t.Errorf("Changes through the faults gave %d tickets, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s came back at version %d, want %d", k, got[k], v)
		}
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	stored, err := s.Get(ctx, keys)
	if err != nil || len(stored) != len(want) {
		t.Fatalf("Get through the faults: %d tickets, %v; want %d", len(stored), err, len(want))
	}
	injected := proxy.injected()
	for _, f := range []fault{throttle, over, fail, lost} {
		if injected[f.name] == 0 {
			t.Errorf("no %q fault was injected: the test did not test it (injected %v)", f.name, injected)
		}
	}
	t.Logf("injected %v", injected)
}

// TestReplicasSeeEachOther: two stores on one table, each writing and following the
// change index, see every ticket either wrote.
func TestReplicasSeeEachOther(t *testing.T) {
	cfg := newTable(t)
	a, b := openTable(t, cfg), openTable(t, cfg)
	ctx := context.Background()
	var curA, curB store.Cursor
	seenA, seenB := map[string]int64{}, map[string]int64{}
	follow := func(s store.Store, cur *store.Cursor, seen map[string]int64) {
		got, next := readAll(t, s, *cur)
		*cur = next
		for k, v := range got {
			seen[k] = v
		}
	}
	for round := range 5 {
		if _, err := a.Upsert(ctx, []ticket.Record{rec(fmt.Sprintf("a%d", round), 1), rec("shared", int64(2*round))}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Upsert(ctx, []ticket.Record{rec(fmt.Sprintf("b%d", round), 1), rec("shared", int64(2*round+1))}); err != nil {
			t.Fatal(err)
		}
		follow(a, &curA, seenA)
		follow(b, &curB, seenB)
		for _, seen := range []map[string]int64{seenA, seenB} {
			for _, k := range []string{fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)} {
				if _, ok := seen[k]; !ok {
					t.Errorf("round %d: a replica has not seen %s", round, k)
				}
			}
			if seen["shared"] != int64(2*round+1) {
				t.Errorf("round %d: a replica has the shared ticket at version %d, want %d", round, seen["shared"], 2*round+1)
			}
		}
	}
}

// TestReplicaRestartLosesNothing: a replica that stops and starts again (a new store,
// reading from the empty cursor) finds every ticket, including those written while it was
// down, and a cursor kept across the restart goes on where it was.
func TestReplicaRestartLosesNothing(t *testing.T) {
	cfg := newTable(t)
	ctx := context.Background()
	writer := openTable(t, cfg)
	batch := func(from, to int, version int64) {
		var recs []ticket.Record
		for i := from; i < to; i++ {
			recs = append(recs, rec(fmt.Sprintf("t%04d", i), version))
		}
		if _, err := writer.Upsert(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	batch(0, 1200, 1)
	replica := openTable(t, cfg)
	first, cur := readAll(t, replica, "")
	if len(first) != 1200 {
		t.Fatalf("the first load gave %d tickets, want 1200", len(first))
	}
	if err := replica.Close(); err != nil {
		t.Fatal(err)
	}
	batch(1200, 1500, 1)
	batch(0, 100, 2)

	restarted := openTable(t, cfg)
	all, _ := readAll(t, restarted, "")
	if len(all) != 1500 {
		t.Errorf("the restarted replica loaded %d tickets, want 1500", len(all))
	}
	for i := range 100 {
		if k := fmt.Sprintf("t%04d", i); all[k] != 2 {
			t.Fatalf("%s loaded at version %d, want 2", k, all[k])
		}
	}
	since, _ := readAll(t, restarted, cur)
	if len(since) != 400 {
		t.Errorf("following the cursor kept from before the restart gave %d tickets, want the 400 changed since", len(since))
	}
}

// TestClockSkew: a writer whose clock is behind the others' by less than the overlap
// still has its changes given to a reader that has read past its stamps.
func TestClockSkew(t *testing.T) {
	cfg := newTable(t)
	ctx := context.Background()
	ahead, behind := cfg, cfg
	behind.Now = func() time.Time { return time.Now().Add(-10 * time.Second) }
	fast, slow := openTable(t, ahead), openTable(t, behind)
	reader := openTable(t, cfg)
	if _, err := fast.Upsert(ctx, []ticket.Record{rec("fast", 1)}); err != nil {
		t.Fatal(err)
	}
	got, cur := readAll(t, reader, "")
	if got["fast"] != 1 {
		t.Fatalf("the first read gave %v", got)
	}
	if _, err := slow.Upsert(ctx, []ticket.Record{rec("slow", 1)}); err != nil {
		t.Fatal(err)
	}
	got, cur = readAll(t, reader, cur)
	if len(got) != 1 || got["slow"] != 1 {
		t.Errorf("after a write stamped 10s in the past, Changes gave %v, want only slow", got)
	}
	if again, _ := readAll(t, reader, cur); len(again) != 0 {
		t.Errorf("reading again gave %v, want nothing", again)
	}
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	ep := endpoint(t)
	client, err := NewClient(ctx, testConfig(ep, "unused"))
	if err != nil {
		t.Fatal(err)
	}
	name := func(n string) string { return fmt.Sprintf("migrate-%s-%d", n, tables.Add(1)) }

	t.Run("creates, then finds it done", func(t *testing.T) {
		table := name("new")
		res, err := Migrate(ctx, client, table)
		if err != nil || !res.Created || res.Status != "ACTIVE" {
			t.Fatalf("first Migrate = %+v, %v; want created and ACTIVE", res, err)
		}
		res, err = Migrate(ctx, client, table)
		if err != nil || res.Created || res.IndexCreated {
			t.Fatalf("second Migrate = %+v, %v; want nothing to do", res, err)
		}
		desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
		if err != nil {
			t.Fatal(err)
		}
		if desc.Table.BillingModeSummary == nil || desc.Table.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
			t.Errorf("billing mode %+v, want on-demand", desc.Table.BillingModeSummary)
		}
	})
	t.Run("a table without the index: the server that cannot add one is named", func(t *testing.T) {
		// DynamoDB adds the index (UpdateTable); dynalite accepts the update and never
		// shows the index. Migrate must then say so, not wait forever. (The path where
		// the index appears is the same wait as after CreateTable, tested above.)
		table := name("noindex")
		createBare(t, client, table, "pk")
		_, err := Migrate(ctx, client, table)
		if err == nil || !strings.Contains(err.Error(), "cannot add an index to an existing table") {
			t.Fatalf("Migrate on dynalite = %v, want the explanation that the index never appeared", err)
		}
	})
	t.Run("refuses a table with other keys", func(t *testing.T) {
		table := name("other")
		createBare(t, client, table, "id")
		_, err := Migrate(ctx, client, table)
		if err == nil || !strings.Contains(err.Error(), "another key schema") {
			t.Errorf("Migrate of a foreign table = %v, want a refusal naming the key schema", err)
		}
	})
	t.Run("refuses a bad name", func(t *testing.T) {
		if _, err := Migrate(ctx, client, "a/b"); err == nil || !strings.Contains(err.Error(), "not valid") {
			t.Errorf("Migrate(a/b) = %v, want an invalid name error", err)
		}
	})
}

func createBare(t *testing.T, client *dynamodb.Client, table, key string) {
	t.Helper()
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitTableOnly(ctx, client, table); err != nil {
		t.Fatal(err)
	}
}

func waitTableOnly(ctx context.Context, client *dynamodb.Client, table string) (string, error) {
	for range 100 {
		desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
		if err == nil && desc.Table.TableStatus == types.TableStatusActive {
			return "ACTIVE", nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", errors.New("the table did not become ACTIVE")
}

func TestHealth(t *testing.T) {
	ctx := context.Background()
	cfg := newTable(t)
	client := func(endpoint string) *dynamodb.Client {
		c, err := NewClient(ctx, testConfig(endpoint, cfg.Table))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good := client(cfg.Endpoint)
	s := openTable(t, cfg)
	if _, err := s.Upsert(ctx, []ticket.Record{rec("a", 1), rec("b", 1)}); err != nil {
		t.Fatal(err)
	}
	bare := fmt.Sprintf("bare-%d", tables.Add(1))
	createBare(t, good, bare, "pk")
	// A port that nothing listens on: a proxy's, after it stopped.
	deadServer := startFaultProxy(t, cfg.Endpoint, 1)

	tests := []struct {
		name    string
		client  func(t *testing.T) *dynamodb.Client
		table   string
		wantErr []string
		wantOK  []string
	}{
		{name: "healthy", client: func(*testing.T) *dynamodb.Client { return good }, table: cfg.Table,
			wantOK: []string{cfg.Table, "ACTIVE", "holding 2 tickets", "read and write"}},
		{name: "missing table", client: func(*testing.T) *dynamodb.Client { return good }, table: "no-such-table",
			wantErr: []string{"no-such-table does not exist in region us-east-1", "spacetime migrate", "set the region"}},
		{name: "table without the index", client: func(*testing.T) *dynamodb.Client { return good }, table: bare,
			wantErr: []string{`no "changes" index`, "spacetime migrate --store dynamodb://" + bare}},
		{name: "Query denied", table: cfg.Table, client: func(t *testing.T) *dynamodb.Client {
			p := startFaultProxy(t, cfg.Endpoint, 1)
			p.denyAction("Query")
			return client(p.URL)
		}, wantErr: []string{"permission denied", "dynamodb:Query", cfg.Table}},
		{name: "PutItem denied", table: cfg.Table, client: func(t *testing.T) *dynamodb.Client {
			p := startFaultProxy(t, cfg.Endpoint, 1)
			p.denyAction("PutItem")
			return client(p.URL)
		}, wantErr: []string{"permission denied", "dynamodb:PutItem"}},
		{name: "DeleteItem denied", table: cfg.Table, client: func(t *testing.T) *dynamodb.Client {
			p := startFaultProxy(t, cfg.Endpoint, 1)
			p.denyAction("DeleteItem")
			return client(p.URL)
		}, wantErr: []string{"permission denied", "dynamodb:DeleteItem"}},
		{name: "DescribeTable denied", table: cfg.Table, client: func(t *testing.T) *dynamodb.Client {
			p := startFaultProxy(t, cfg.Endpoint, 1)
			p.denyAction("DescribeTable")
			return client(p.URL)
		}, wantErr: []string{"permission denied", "dynamodb:DescribeTable"}},
		{name: "no credentials", table: cfg.Table, client: func(t *testing.T) *dynamodb.Client {
			conf := testConfig(cfg.Endpoint, cfg.Table)
			conf.AWS.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{}, errors.New("no EC2 IMDS role found")
			})
			c, err := NewClient(ctx, conf)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, wantErr: []string{"no usable AWS credentials", "AWS_PROFILE", "no EC2 IMDS role found"}},
		{name: "refused credentials", table: cfg.Table, client: func(t *testing.T) *dynamodb.Client {
			p := startFaultProxy(t, cfg.Endpoint, 1)
			p.refuseCredentials()
			return client(p.URL)
		}, wantErr: []string{"the credentials were refused (UnrecognizedClientException)", "region us-east-1"}},
		{name: "unreachable endpoint", table: cfg.Table, client: func(t *testing.T) *dynamodb.Client {
			c := client(deadServer.URL)
			deadServer.close()
			return c
		}, wantErr: []string{"cannot reach the DynamoDB endpoint", "check the endpoint URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			h, err := CheckHealth(ctx, tt.client(t), tt.table)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("CheckHealth = %+v, want an error", h)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("CheckHealth error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckHealth: %v", err)
			}
			for _, w := range tt.wantOK {
				if !strings.Contains(h.Message, w) {
					t.Errorf("CheckHealth message %q does not say %q", h.Message, w)
				}
			}
		})
	}
	t.Run("Open explains a missing table", func(t *testing.T) {
		_, err := Open(ctx, testConfig(cfg.Endpoint, "no-such-table"))
		if err == nil || !strings.Contains(err.Error(), "spacetime migrate") {
			t.Errorf("Open of a missing table = %v, want the advice to migrate", err)
		}
	})
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		spec    string
		want    Config
		wantErr string
	}{
		{spec: "dynamodb://tickets", want: Config{Table: "tickets"}},
		{spec: "dynamodb://tickets?region=eu-west-1&endpoint=http://127.0.0.1:4567",
			want: Config{Table: "tickets", Region: "eu-west-1", Endpoint: "http://127.0.0.1:4567"}},
		{spec: "DynamoDB://team.tickets-2?profile=ops", want: Config{Table: "team.tickets-2", Profile: "ops"}},
		{spec: "dynamodb://?region=eu-west-1", wantErr: "no table name"},
		{spec: "dynamodb://ab", wantErr: `table name "ab" is not valid`},
		{spec: "dynamodb://tickets/extra", wantErr: "has no slash"},
		{spec: "dynamodb://tickets?regoin=eu-west-1", wantErr: `unknown parameter "regoin"`},
		{spec: "dynamodb://tickets?endpoint=127.0.0.1:4567", wantErr: "not an http:// or https:// URL"},
		{spec: "s3://tickets", wantErr: "not a dynamodb:// spec"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseURL(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseURL(%q) = %+v, %v; want an error with %q", tt.spec, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Table != tt.want.Table || got.Region != tt.want.Region ||
				got.Endpoint != tt.want.Endpoint || got.Profile != tt.want.Profile {
				t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
			}
		})
	}
}

func TestCursorEncoding(t *testing.T) {
	states := []cursorState{
		{low: -5, high: 12},
		{low: 1 << 50, high: 1<<50 + 99, given: []uint64{1, 1 << 63, 42}},
	}
	for _, st := range states {
		got, err := parseCursor(st.encode())
		if err != nil {
			t.Fatalf("parse(encode(%+v)): %v", st, err)
		}
		if got.low != st.low || got.high != st.high || !slices.Equal(got.given, st.given) || got.empty {
			t.Errorf("parse(encode(%+v)) = %+v", st, got)
		}
	}
	for _, bad := range []store.Cursor{"42", "d1.!!", "d1.AAAB", states[1].encode()[:20]} {
		if _, err := parseCursor(bad); err == nil || !strings.Contains(err.Error(), "not a cursor of the DynamoDB store") {
			t.Errorf("parseCursor(%q) = %v, want a refusal", bad, err)
		}
	}
}

// TestUpsertOverAForeignItem: an item under a ticket's key that Spacetime did not write
// (no version) makes Upsert fail with a message naming it, rather than retry forever.
func TestUpsertOverAForeignItem(t *testing.T) {
	s := openTable(t, newTable(t))
	ctx := context.Background()
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: prefixTicket + "foreign"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	uctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = s.Upsert(uctx, []ticket.Record{rec("foreign", 1)})
	if err == nil || !strings.Contains(err.Error(), "t#foreign has no version") {
		t.Fatalf("Upsert over a foreign item: %v, want an error naming the item", err)
	}
}
