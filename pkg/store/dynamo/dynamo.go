// Package dynamo is the store for several Grafana servers sharing one ticket history: an
// AWS DynamoDB table (or a DynamoDB-compatible server such as dynalite), reached with
// aws-sdk-go-v2. Every plugin instance keeps its hot window in memory and follows the
// table's change index, so that what one writes, the others see at their next sync.
//
// # Table
//
// One table, on-demand capacity, with a string partition key pk and no sort key. Items
// are told apart by a prefix of pk, so no ticket key can clash with the store's own items:
//
//	t#KEY      a ticket: v version (N), c change stamp (N), b change bucket (S),
//	           l layout id (B, 16 bytes), d values (B, ticket.AppendValues)
//	l#HEX      a layout: n column names (B, encoded as string values)
//	m#NAME     a Meta value: val (B)
//	x#NAME     a lease (store.Leaser): h holder (S), e expiry in Unix milliseconds (N)
//	s#info     bookkeeping: format (N), tickets (N, the count), first (N, the hour of
//	           the first change bucket ever written)
//
// Values are the ticket codec's bytes, not a DynamoDB map: an item is about half the size
// (capacity is billed per KB written and per 4 KB read), a Number cannot hold NaN, a map
// would lose the difference between a time and a number, and the version rule's "same
// values" test becomes one byte comparison the server does in the ConditionExpression.
// A record names its layout by a hash of the column names, so the names are stored once.
//
// # Change index
//
// The global secondary index "changes" has partition key b and sort key c, projecting all
// attributes. c is the change stamp, a hybrid logical clock: milliseconds since the epoch
// shifted left 12 bits plus a counter, so the stamps one process gives are strictly
// increasing and follow the wall clock. b is "HOUR.SHARD": the hour of the stamp and one
// of 8 shards chosen by a hash of the key. Only ticket items carry b, so layouts and meta
// items stay out of the index. An incremental sync queries the 8 shards of the hours from
// its cursor to now, which costs in proportion to what changed, never a Scan; the shards
// spread the writes of a bulk import over 8 index partitions (each takes about 1000
// writes a second). Changes merges the shards by stamp, so tickets come oldest first.
//
// # Writes
//
// Every record is one PutItem with the condition
//
//	attribute_not_exists(pk) OR v < :v OR (v = :v AND (l <> :l OR d <> :d))
//
// so the server applies the version rule, and an older version never overwrites a newer
// one whatever the writers and their order. ReturnValues ALL_OLD tells an insert from an
// update; a failed condition is stale or unchanged by the stored version (from
// ReturnValuesOnConditionCheckFailure, or a consistent read where the server does not
// return it, as dynalite). BatchWriteItem takes no conditions, so it cannot keep the
// version rule against a concurrent writer; Upsert writes instead through a bounded pool
// of parallel PutItems (Config.Workers), and it is what pollers and the plugin use.
// Throttling and 5xx errors are retried with exponential backoff and jitter; a retried
// write takes a new stamp, so that a write that lands late is never stamped in the past.
//
// BulkLoad is the fast path for seeding a table or re-importing history while no other
// writer changes the same tickets: it reads the stored versions of 100 keys with one
// consistent BatchGetItem, applies the version rule itself, and writes the winners with
// BatchWriteItem, 25 items a request (unprocessed items are sent again, with backoff and
// fresh stamps). Its items are the same as Upsert's. A newer version written by someone
// else between its read and its write would be overwritten, hence not the default.
//
// # Cursors
//
// A Cursor holds a low-water stamp and the hashes of the index entries already given
// above it. The next Changes reads the index from the low-water stamp, skips what it has
// given, and moves the low-water mark to Overlap before the older of the newest stamp seen
// and the start of the read. A change is therefore given exactly once when it becomes
// visible in the index within Overlap (default 30 s) of its stamp: that window covers the
// clock skew between writers, one write attempt, and the index's replication lag (the
// index is eventually consistent, usually well under a second). A ticket changed again
// while a read is under way may be given twice in that read, the newer version last.
package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// formatVersion is the item layout described in the package comment, kept in s#info.
// A table with a newer format is refused rather than misread.
const formatVersion = 1

const (
	attrKey      = "pk"
	attrVersion  = "v"
	attrStamp    = "c"
	attrBucket   = "b"
	attrLayout   = "l"
	attrValues   = "d"
	attrNames    = "n"
	attrMeta     = "val"
	attrFormat   = "format"
	attrTickets  = "tickets"
	attrFirst    = "first"
	indexChanges = "changes"

	prefixTicket = "t#"
	prefixLayout = "l#"
	prefixMeta   = "m#"
	keyInfo      = "s#info"

	// shards is how many index partitions one hour of changes is spread over. Readers and
	// writers must agree on it, so it belongs to the format.
	shards = 8
	// stampShift leaves 4096 stamps per millisecond to one process's clock.
	stampShift = 12
	hourMS     = int64(time.Hour / time.Millisecond)

	// maxKeyBytes is DynamoDB's partition key limit less the prefix.
	maxKeyBytes = 2048 - len(prefixTicket)
	// maxValuesBytes keeps an item under DynamoDB's 400 KB with room for its other
	// attributes.
	maxValuesBytes = 390 * 1024
)

// Defaults of Config.
const (
	DefaultWorkers = 32
	DefaultOverlap = 30 * time.Second
	// DefaultMaxAttempts bounds the tries of one request on throttling and 5xx errors.
	DefaultMaxAttempts = 10
)

// Config says which table to use and how to reach it.
type Config struct {
	// Table is the table's name.
	Table string
	// Region is the AWS region; empty means the one from the environment or AWS config.
	Region string
	// Endpoint overrides the DynamoDB endpoint (a DynamoDB-compatible server, or a VPC
	// endpoint), such as http://127.0.0.1:4567.
	Endpoint string
	// Profile selects a profile of the shared AWS config and credentials files.
	Profile string
	// AWS is the SDK configuration to use, for example from grafana-aws-sdk's awsauth in
	// the plugin; nil loads the default chain (environment, shared files, SSO, web
	// identity, instance role). Region and Endpoint above override it when set.
	AWS *aws.Config

	// Workers is how many writes run at once (default DefaultWorkers).
	Workers int
	// Overlap is how late a change may become visible in the index and still be given
	// exactly once (default DefaultOverlap); see the package comment.
	Overlap time.Duration
	// MaxAttempts bounds the attempts of a request (default DefaultMaxAttempts).
	MaxAttempts int
	// Now replaces the wall clock, for tests of clock skew.
	Now func() time.Time
}

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// ParseURL reads a store spec dynamodb://TABLE?region=R&endpoint=URL&profile=P.
func ParseURL(spec string) (Config, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return Config{}, fmt.Errorf("store %q: %w", spec, err)
	}
	if !strings.EqualFold(u.Scheme, "dynamodb") {
		return Config{}, fmt.Errorf("store %q: not a dynamodb:// spec", spec)
	}
	if u.Host == "" {
		return Config{}, fmt.Errorf("store %q: no table name; write dynamodb://TABLE?region=REGION", spec)
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, fmt.Errorf("store %q: a table name has no slash (%q); write dynamodb://TABLE?region=REGION", spec, u.Host+u.Path)
	}
	cfg := Config{Table: u.Host}
	for name, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch name {
		case "region":
			cfg.Region = v
		case "endpoint":
			e, err := url.Parse(v)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
				return Config{}, fmt.Errorf("store %q: endpoint %q is not an http:// or https:// URL", spec, v)
			}
			cfg.Endpoint = v
		case "profile":
			cfg.Profile = v
		default:
			return Config{}, fmt.Errorf("store %q: unknown parameter %q (known: region, endpoint, profile)", spec, name)
		}
	}
	if err := checkTableName(cfg.Table); err != nil {
		return Config{}, fmt.Errorf("store %q: %w", spec, err)
	}
	return cfg, nil
}

func checkTableName(name string) error {
	if !tableNameRE.MatchString(name) {
		return fmt.Errorf("table name %q is not valid: 3 to 255 letters, digits, _ . or -", name)
	}
	return nil
}

// NewClient builds the DynamoDB client of cfg: its AWS configuration (or the default
// chain), region and endpoint, and a retryer for throttling and 5xx errors with backoff
// and no client-side retry quota (a bulk import against a throttled table must wait, not
// fail).
func NewClient(ctx context.Context, cfg Config) (*dynamodb.Client, error) {
	awsCfg, err := loadAWS(ctx, cfg)
	if err != nil {
		return nil, err
	}
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.Retryer = newRetryer(attempts)
		// An HTTP client that came with cfg.AWS (Grafana's, with its proxy settings) is
		// kept. Otherwise: keep a connection per worker and reader alive between requests
		// (the SDK's default keeps 10 per host, and the others would reconnect for every
		// write), and bound a request's time.
		if cfg.AWS == nil || cfg.AWS.HTTPClient == nil {
			o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(30 * time.Second).
				WithTransportOptions(func(tr *http.Transport) { tr.MaxIdleConnsPerHost = 256 })
		}
	}), nil
}

func newRetryer(attempts int) *retry.Standard {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = 5 * time.Second
		o.RateLimiter = ratelimit.None
	})
}

func loadAWS(ctx context.Context, cfg Config) (aws.Config, error) {
	if cfg.AWS != nil {
		c := cfg.AWS.Copy()
		if cfg.Region != "" {
			c.Region = cfg.Region
		}
		return c, nil
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	c, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if c.Region == "" {
		if cfg.Endpoint == "" {
			return aws.Config{}, errors.New("no AWS region: add ?region=REGION to the store spec, or set AWS_REGION")
		}
		// A DynamoDB-compatible server ignores the region, but the SDK signs with one.
		c.Region = "us-east-1"
	}
	if cfg.Endpoint != "" {
		// A local DynamoDB-compatible server accepts any credentials; when the chain has
		// none, sign with placeholders rather than fail, so that
		// dynamodb://t?endpoint=http://127.0.0.1:4567 works with no AWS setup.
		probe, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.Credentials.Retrieve(probe)
		cancel()
		if err != nil {
			c.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		}
	}
	return c, nil
}

// Store is the DynamoDB store. It is safe for concurrent use, and any number of processes
// can use one table at once.
type Store struct {
	client  *dynamodb.Client
	table   string
	region  string
	workers int
	overlap int64 // in stamp units
	retryer *retry.Standard
	now     func() time.Time
	closed  atomic.Bool

	clockMu   sync.Mutex
	lastStamp int64

	// firstMarked is set once this process has recorded the hour of its first write in
	// s#info (readers of the whole history start there).
	firstMu     sync.Mutex
	firstMarked bool

	layoutsMu     sync.RWMutex
	layoutIDs     map[string]string         // Layout.ID() -> 16-byte id
	layoutsByID   map[string]*ticket.Layout // id -> layout
	layoutsStored map[string]bool           // ids this process has written or read

	sizeMu     sync.Mutex
	sizeBytes  int64
	sizeAsOf   time.Time
	readUnits  atomic.Uint64 // consumed capacity, in thousandths of a unit
	writeUnits atomic.Uint64

	// history names the table's history for engine images (see HistoryID).
	history string
}

var _ store.Store = (*Store)(nil)

// Open opens the table cfg names, which `spacetime migrate` (or Migrate) has created:
// Open does not create AWS resources. A missing table, a missing index or refused
// credentials are errors that say what to do.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := checkTableName(cfg.Table); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	client, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store dynamodb://%s: %w", cfg.Table, err)
	}
	s := newStore(client, cfg)
	where := s.where()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	// Two tries, not the patient retries of the writes: an unreachable endpoint or a
	// missing table is reported at once, and the caller decides when to try again.
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.Table)},
		func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 })
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, explain(err, "DescribeTable", cfg.Table, s.region))
	}
	if problem := checkTable(desc.Table); problem != "" {
		return nil, fmt.Errorf("open store %s: %s", where, problem)
	}
	s.noteSize(desc.Table)
	s.history = historyOf(desc.Table)
	out, err := s.getItem(ctx, keyInfo, attrFormat)
	if err != nil {
		return nil, fmt.Errorf("open store %s: read %s: %w", where, keyInfo, err)
	}
	if out != nil {
		if f, ok := numberAttr(out, attrFormat); ok && f > formatVersion {
			return nil, fmt.Errorf("open store %s: the table has store format %d, newer than the "+
				"format %d this build reads; upgrade Spacetime to use it", where, f, formatVersion)
		}
	}
	return s, nil
}

func newStore(client *dynamodb.Client, cfg Config) *Store {
	workers := cfg.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	overlap := cfg.Overlap
	if overlap <= 0 {
		overlap = DefaultOverlap
	}
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Store{
		client:        client,
		table:         cfg.Table,
		region:        client.Options().Region,
		workers:       workers,
		overlap:       overlap.Milliseconds() << stampShift,
		retryer:       newRetryer(attempts),
		now:           now,
		layoutIDs:     make(map[string]string),
		layoutsByID:   make(map[string]*ticket.Layout),
		layoutsStored: make(map[string]bool),
	}
}

// where names the table for messages.
func (s *Store) where() string {
	return fmt.Sprintf("dynamodb://%s (region %s)", s.table, s.region)
}

// Client returns the store's DynamoDB client, for health checks.
func (s *Store) Client() *dynamodb.Client { return s.client }

// Table returns the table's name.
func (s *Store) Table() string { return s.table }

// Capacity is consumed capacity, in units as DynamoDB reports them (ReturnConsumedCapacity
// TOTAL): one write unit per KB written, one read unit per 4 KB read consistently (half
// for an eventually consistent read). On-demand tables bill the same request units.
type Capacity struct {
	Read  float64 `json:"read"`
	Write float64 `json:"write"`
}

// Consumed returns the capacity this Store has consumed since it was opened, as the server
// reported it. Failed conditional writes are billed a write unit each but reported by no
// response, and dynalite reports no index writes; see the README for the full account.
func (s *Store) Consumed() Capacity {
	return Capacity{Read: float64(s.readUnits.Load()) / 1000, Write: float64(s.writeUnits.Load()) / 1000}
}

func (s *Store) addRead(cc *types.ConsumedCapacity) {
	if cc != nil && cc.CapacityUnits != nil {
		s.readUnits.Add(uint64(math.Round(*cc.CapacityUnits * 1000)))
	}
}

func (s *Store) addWrite(cc *types.ConsumedCapacity) {
	if cc != nil && cc.CapacityUnits != nil {
		s.writeUnits.Add(uint64(math.Round(*cc.CapacityUnits * 1000)))
	}
}

// nextStamp returns a stamp greater than every stamp this Store gave before, following
// the wall clock.
func (s *Store) nextStamp() int64 {
	st := s.now().UnixMilli() << stampShift
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	if st <= s.lastStamp {
		st = s.lastStamp + 1
	}
	s.lastStamp = st
	return st
}

// stampMS returns the wall-clock milliseconds of a stamp.
func stampMS(stamp int64) int64 { return stamp >> stampShift }

func hourOf(stamp int64) int64 { return floorDiv(stampMS(stamp), hourMS) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func shardOf(key string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % shards)
}

func bucketName(hour int64, shard int) string {
	return strconv.FormatInt(hour, 10) + "." + strconv.Itoa(shard)
}

// layoutID returns the 16-byte id of a layout (a hash of its names, the same in every
// process) and caches the layout under it.
func (s *Store) layoutID(l *ticket.Layout) string {
	s.layoutsMu.RLock()
	id, ok := s.layoutIDs[l.ID()]
	s.layoutsMu.RUnlock()
	if ok {
		return id
	}
	sum := sha256.Sum256([]byte(l.ID()))
	id = string(sum[:16])
	s.layoutsMu.Lock()
	defer s.layoutsMu.Unlock()
	s.layoutIDs[l.ID()] = id
	if _, ok := s.layoutsByID[id]; !ok {
		s.layoutsByID[id] = l
	}
	return id
}

// storeLayouts writes the layouts of recs that this process has not written or read yet.
// A layout item is written before any ticket that names it, so a reader always finds it.
func (s *Store) storeLayouts(ctx context.Context, recs []ticket.Record) error {
	var pending []*ticket.Layout
	seen := map[*ticket.Layout]bool{}
	for i := range recs {
		l := recs[i].Layout
		if seen[l] {
			continue
		}
		seen[l] = true
		id := s.layoutID(l)
		s.layoutsMu.RLock()
		stored := s.layoutsStored[id]
		s.layoutsMu.RUnlock()
		if !stored {
			pending = append(pending, l)
		}
	}
	for _, l := range pending {
		id := s.layoutID(l)
		names := make([]ticket.Value, l.Len())
		for i, n := range l.Names() {
			names[i] = ticket.String(n)
		}
		// Unconditional: the item's content is fixed by its key, so writing it twice is
		// harmless.
		out, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.table),
			Item: map[string]types.AttributeValue{
				attrKey:   &types.AttributeValueMemberS{Value: prefixLayout + hex.EncodeToString([]byte(id))},
				attrNames: &types.AttributeValueMemberB{Value: ticket.AppendValues(nil, names)},
			},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		})
		if err != nil {
			return fmt.Errorf("store the layout %q: %w", strings.Join(l.Names(), ","), explain(err, "PutItem", s.table, s.region))
		}
		s.addWrite(out.ConsumedCapacity)
		s.layoutsMu.Lock()
		s.layoutsStored[id] = true
		s.layoutsMu.Unlock()
	}
	return nil
}

// layoutByID returns the layout with the given id, reading it from the table when this
// process has not met it yet.
func (s *Store) layoutByID(ctx context.Context, id string) (*ticket.Layout, error) {
	s.layoutsMu.RLock()
	l, ok := s.layoutsByID[id]
	s.layoutsMu.RUnlock()
	if ok {
		return l, nil
	}
	key := prefixLayout + hex.EncodeToString([]byte(id))
	item, err := s.getItem(ctx, key, attrNames)
	if err != nil {
		return nil, fmt.Errorf("read layout %s: %w", key, err)
	}
	if item == nil {
		return nil, fmt.Errorf("layout %s is missing from the table: a ticket names a layout no writer stored", key)
	}
	raw, ok := item[attrNames].(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("layout %s has no column names", key)
	}
	vals, _, err := ticket.DecodeValues(raw.Value, nil, false)
	if err != nil {
		return nil, fmt.Errorf("layout %s: %w", key, err)
	}
	names := make([]string, len(vals))
	for i, v := range vals {
		if v.Kind != ticket.Str {
			return nil, fmt.Errorf("layout %s: column name %d is not a string", key, i)
		}
		names[i] = v.S
	}
	l = ticket.NewLayout(names)
	s.layoutsMu.Lock()
	defer s.layoutsMu.Unlock()
	if cached, ok := s.layoutsByID[id]; ok {
		return cached, nil
	}
	s.layoutsByID[id] = l
	s.layoutIDs[l.ID()] = id
	s.layoutsStored[id] = true
	return l, nil
}

// getItem reads one item consistently, or nil when it does not exist.
func (s *Store) getItem(ctx context.Context, key string, attrs ...string) (map[string]types.AttributeValue, error) {
	in := &dynamodb.GetItemInput{
		TableName:              aws.String(s.table),
		Key:                    map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key}},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	if len(attrs) > 0 {
		names := map[string]string{"#k": attrKey}
		proj := []string{"#k"}
		for i, a := range attrs {
			p := "#a" + strconv.Itoa(i)
			names[p] = a
			proj = append(proj, p)
		}
		in.ProjectionExpression = aws.String(strings.Join(proj, ", "))
		in.ExpressionAttributeNames = names
	}
	out, err := s.client.GetItem(ctx, in)
	if err != nil {
		return nil, explain(err, "GetItem", s.table, s.region)
	}
	s.addRead(out.ConsumedCapacity)
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

func numberAttr(item map[string]types.AttributeValue, name string) (int64, bool) {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	return v, err == nil
}

// Get returns the stored versions of keys in the order asked, skipping keys the table
// does not hold, with consistent reads (BatchGetItem, 100 keys a request).
func (s *Store) Get(ctx context.Context, keys []string) ([]ticket.Record, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	var unique []string
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if k != "" && len(k) <= maxKeyBytes && !seen[k] {
			seen[k] = true
			unique = append(unique, k)
		}
	}
	found := make(map[string]ticket.Record, len(unique))
	pks := make([]string, len(unique))
	for i, k := range unique {
		pks[i] = prefixTicket + k
	}
	err := s.batchGet(ctx, "get", pks, true, func(item map[string]types.AttributeValue) error {
		rec, err := s.decodeItem(ctx, item)
		if err != nil {
			return err
		}
		found[rec.Key] = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]ticket.Record, 0, len(found))
	for _, k := range keys {
		if rec, ok := found[k]; ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

var errUnprocessed = errors.New("the server left part of a batch unprocessed")

// batchGet reads the items whose keys are pks, 100 a request (consistent reads when asked),
// and calls fn with each item found, retrying the keys the server leaves unprocessed. op
// names the operation in its errors.
func (s *Store) batchGet(ctx context.Context, op string, pks []string, consistent bool, fn func(item map[string]types.AttributeValue) error) error {
	for batch := range slices.Chunk(pks, 100) {
		request := make([]map[string]types.AttributeValue, len(batch))
		for i, pk := range batch {
			request[i] = map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: pk}}
		}
		for attempt := 0; len(request) > 0; attempt++ {
			out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{
					s.table: {Keys: request, ConsistentRead: aws.Bool(consistent)},
				},
				ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			})
			if err != nil {
				return s.fail(op, explain(err, "BatchGetItem", s.table, s.region))
			}
			for i := range out.ConsumedCapacity {
				s.addRead(&out.ConsumedCapacity[i])
			}
			for _, item := range out.Responses[s.table] {
				if err := fn(item); err != nil {
					return fmt.Errorf("%s: %w", op, err)
				}
			}
			request = out.UnprocessedKeys[s.table].Keys
			if len(request) > 0 {
				// DynamoDB returns unprocessed keys when it throttles part of a batch.
				if err := s.backoff(ctx, attempt, errUnprocessed); err != nil {
					return fmt.Errorf("%s: %d keys unprocessed: %w", op, len(request), err)
				}
			}
		}
	}
	return nil
}

// backoff waits before attempt+1 of a request that failed with err, or fails when the
// attempts are used up or ctx ends.
func (s *Store) backoff(ctx context.Context, attempt int, err error) error {
	if attempt+1 >= s.retryer.MaxAttempts() {
		return fmt.Errorf("gave up after %d attempts: %w", attempt+1, err)
	}
	d, derr := s.retryer.RetryDelay(attempt+1, err)
	if derr != nil {
		d = time.Second
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w (while retrying: %v)", ctx.Err(), err)
	case <-t.C:
		return nil
	}
}

// decodeItem turns a ticket item into a record that owns its memory.
func (s *Store) decodeItem(ctx context.Context, item map[string]types.AttributeValue) (ticket.Record, error) {
	e, err := decodeEntry(item)
	if err != nil {
		return ticket.Record{}, err
	}
	layout, err := s.layoutByID(ctx, e.layout)
	if err != nil {
		return ticket.Record{}, fmt.Errorf("ticket %q: %w", e.key, err)
	}
	vals, _, err := ticket.DecodeValues(e.values, nil, false)
	if err != nil {
		return ticket.Record{}, fmt.Errorf("ticket %q: %w", e.key, err)
	}
	if len(vals) != layout.Len() {
		return ticket.Record{}, fmt.Errorf("ticket %q: %d values for a layout of %d columns", e.key, len(vals), layout.Len())
	}
	return ticket.Record{Key: e.key, Version: e.version, Layout: layout, Values: vals}, nil
}

// entry is a ticket item as read from the table or the index.
type entry struct {
	stamp   int64
	key     string
	version int64
	layout  string
	values  []byte
}

func decodeEntry(item map[string]types.AttributeValue) (entry, error) {
	pk, ok := item[attrKey].(*types.AttributeValueMemberS)
	if !ok || !strings.HasPrefix(pk.Value, prefixTicket) {
		return entry{}, fmt.Errorf("an item without a ticket key (%v) is in the ticket index", item[attrKey])
	}
	e := entry{key: pk.Value[len(prefixTicket):]}
	var okV, okC bool
	e.version, okV = numberAttr(item, attrVersion)
	e.stamp, okC = numberAttr(item, attrStamp)
	l, okL := item[attrLayout].(*types.AttributeValueMemberB)
	d, okD := item[attrValues].(*types.AttributeValueMemberB)
	if !okV || !okC || !okL || !okD || len(l.Value) != 16 {
		return entry{}, fmt.Errorf("ticket %q: the item lacks its version, stamp, layout or values: it was not written by Spacetime", e.key)
	}
	e.layout = string(l.Value)
	e.values = d.Value
	return e, nil
}

// Meta reads a named value; store.ErrNotFound when it was never written.
func (s *Store) Meta(ctx context.Context, name string) ([]byte, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if name == "" {
		return nil, errors.New("meta: the name is empty")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("meta %q: %w", name, err)
	}
	item, err := s.getItem(ctx, prefixMeta+name)
	if err != nil {
		return nil, s.fail(fmt.Sprintf("meta %q", name), err)
	}
	if item == nil {
		return nil, fmt.Errorf("meta %q: %w", name, store.ErrNotFound)
	}
	// An empty value is stored as an item without the attribute.
	v, _ := item[attrMeta].(*types.AttributeValueMemberB)
	if v == nil {
		return []byte{}, nil
	}
	return append([]byte{}, v.Value...), nil
}

// SetMeta writes a named value durably.
func (s *Store) SetMeta(ctx context.Context, name string, value []byte) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if name == "" {
		return errors.New("set meta: the name is empty")
	}
	if len(name)+len(prefixMeta) > 2048 {
		return fmt.Errorf("set meta: name %.40q... is longer than %d bytes", name, 2048-len(prefixMeta))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set meta %q: %w", name, err)
	}
	item := map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: prefixMeta + name}}
	if len(value) > 0 {
		item[attrMeta] = &types.AttributeValueMemberB{Value: append([]byte{}, value...)}
	}
	out, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:              aws.String(s.table),
		Item:                   item,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return s.fail(fmt.Sprintf("set meta %q", name), explain(err, "PutItem", s.table, s.region))
	}
	s.addWrite(out.ConsumedCapacity)
	return nil
}

// Info describes the table. The ticket count is the store's own counter in s#info, exact
// unless a writer died between its writes and the count's update; Bytes is DynamoDB's
// estimate, which it refreshes about every six hours.
func (s *Store) Info(ctx context.Context) (store.Info, error) {
	if s.closed.Load() {
		return store.Info{}, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return store.Info{}, fmt.Errorf("info: %w", err)
	}
	info := store.Info{Kind: "dynamodb", Location: s.where()}
	item, err := s.getItem(ctx, keyInfo, attrTickets)
	if err != nil {
		return store.Info{}, s.fail("info", err)
	}
	if n, ok := numberAttr(item, attrTickets); ok {
		info.Tickets = int(n)
	}
	s.sizeMu.Lock()
	stale := time.Since(s.sizeAsOf) > 10*time.Minute
	s.sizeMu.Unlock()
	if stale {
		if desc, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}); err == nil {
			s.noteSize(desc.Table)
		}
	}
	s.sizeMu.Lock()
	info.Bytes = s.sizeBytes
	s.sizeMu.Unlock()
	c := s.Consumed()
	info.ReadUnits, info.WriteUnits = c.Read, c.Write
	return info, nil
}

func (s *Store) noteSize(t *types.TableDescription) {
	s.sizeMu.Lock()
	defer s.sizeMu.Unlock()
	if t != nil && t.TableSizeBytes != nil {
		s.sizeBytes = *t.TableSizeBytes
	}
	s.sizeAsOf = time.Now()
}

// Close marks the store closed; the SDK client holds nothing to release. Calls after it
// fail with store.ErrClosed.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// fail wraps err with the operation and the table, or returns store.ErrClosed for a call
// that raced with Close.
func (s *Store) fail(op string, err error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return fmt.Errorf("%s (%s): %w", op, s.where(), err)
}
