// Package bolt is the default store: every ticket in one local file, kept with bbolt
// (go.etcd.io/bbolt).
//
// Why bbolt: it is pure Go, so the plugin stays one static binary with no cgo; the whole store
// is a single file that an operator can copy, back up or delete; writes are ACID, made on a
// copy-on-write B+tree and fsynced on commit, so a process killed in the middle of a write
// leaves the file at its last committed state and needs no recovery step; reads go through
// a memory map, so the full load at start-up is a walk over mapped pages with no copying and
// no syscalls per record. bbolt allows one writing process per file, which is what an
// embedded store needs: the plugin (or one `spacetime import`) owns the file, and a second
// process gets a clear error instead of a corrupted file. SQLite compiled to pure Go was the
// alternative; it has SQL we would not use, and scanning a million rows through it is
// several times slower than walking bbolt's pages.
//
// Layout of the file, one bucket each:
//
//	tickets  key -> record: version (zigzag varint), change sequence (uvarint),
//	         layout id (uvarint), then the values as ticket.AppendValues encodes them
//	changes  change sequence (8 bytes, big-endian) -> key. The entry of a ticket's previous
//	         change is deleted when it changes again, so a walk over this bucket gives
//	         each ticket once, at its latest change, in the order of the changes.
//	layouts  layout id (8 bytes, big-endian) -> column names (encoded as string values).
//	         A record stores the small id, not its column names.
//	meta     the named values of Store.Meta and Store.SetMeta.
//	info     the store's own bookkeeping: the file format version, the ticket count, and
//	         the history id (random, made when first asked for) that engine images name.
//
// A Cursor is the decimal change sequence of the last change a reader has seen.
package bolt

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// formatVersion is the layout of the file described in the package comment. Raise it when
// the layout changes incompatibly; a file with a newer format is refused rather than misread.
const formatVersion = 1

// DefaultPageSize is the page size of new files. bbolt's default, the operating
// system's 4 KiB, makes a commit write every page with its own system call; with 16 KiB
// pages an import of generated tickets ran 15 % faster (2.5 s instead of 2.9 s for a
// million), and the file is 5 % smaller.
const DefaultPageSize = 16 << 10

// DefaultTimeout is how long Open waits for another process to release the file.
const DefaultTimeout = 2 * time.Second

// releaseAfter is how many records a Changes call reads before it releases the file's
// pages from the process's memory map when it ends (see releasePages): a first load,
// not the few records of an incremental sync.
const releaseAfter = 50_000

// defaultChangesChunk is how many records Changes reads per read transaction. A bbolt read
// transaction that stays open blocks a writer that must grow the memory map, so a load of
// millions of records is cut into transactions of this size; each one costs a few
// microseconds to open, which is nothing next to decoding ten thousand records.
const defaultChangesChunk = 10_000

var (
	bucketTickets = []byte("tickets")
	bucketChanges = []byte("changes")
	bucketLayouts = []byte("layouts")
	bucketMeta    = []byte("meta")
	bucketInfo    = []byte("info")

	infoFormat  = []byte("format")
	infoTickets = []byte("tickets")
	infoHistory = []byte("history")
)

// Options tune Open. The zero value is right for production.
type Options struct {
	// Timeout is how long to wait for another process to release the file before failing;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// MustExist makes Open fail, with an error that wraps fs.ErrNotExist, when there is no
	// file at the path, instead of creating one: for commands that only read.
	MustExist bool
	// NoSync skips fsync on commit. A crash of the machine (not of the process) can then
	// lose recent writes or damage the file: for tests and benchmarks only.
	NoSync bool
	// PageSize is the page size of a new file; 0 means DefaultPageSize. A file keeps the
	// page size it was created with.
	PageSize int
}

// Store is the embedded store. It is safe for concurrent use: bbolt serialises writers
// and lets readers run alongside them.
type Store struct {
	db     *bbolt.DB
	path   string
	closed atomic.Bool
	// changesChunk is defaultChangesChunk, smaller in tests to exercise resumption.
	changesChunk int

	// upsertMu makes an Upsert and the caching of the layouts it wrote one step. bbolt
	// serialises write transactions but releases its lock at commit, before the cache is
	// updated; a second Upsert in that gap would store a known layout again under a new id.
	upsertMu sync.Mutex
	// arenas are the memory of the keys and values the last Upsert gave bbolt, one per
	// goroutine that prepared them, kept for the next one (under upsertMu): bbolt holds on
	// to them only until its commit, and fresh memory per batch cost the allocation and
	// clearing of megabytes per batch.
	arenas [][]byte

	// layouts caches the layouts table both ways. It only grows, and an entry is added
	// after the transaction that wrote it committed (or when a reader finds it in the
	// file), so it never names a layout the file does not hold.
	layoutsMu   sync.RWMutex
	layoutsByID map[uint64]*ticket.Layout
	layoutIDs   map[string]uint64
}

var (
	_ store.Store   = (*Store)(nil)
	_ store.Resumer = (*Store)(nil)
)

// Open opens the store file at path, creating it (and its parent directories) when missing.
// Only one process can have a file open; Open fails after opts.Timeout if another has.
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: the file path is empty")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if opts.MustExist {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open store %s: there is no store there: %w", path, fs.ErrNotExist)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open store %s: create its directory: %w", path, err)
	}
	pageSize := opts.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      timeout,
		NoSync:       opts.NoSync,
		FreelistType: bbolt.FreelistMapType,
		PageSize:     pageSize,
	})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		if who := lockHolder(path); who != "" {
			return nil, fmt.Errorf("open store %s: it is open in %s; waited %s: %w", path, who, timeout, err)
		}
		return nil, fmt.Errorf("open store %s: another process has it open (for example Grafana "+
			"with this data source, or another `spacetime import`); waited %s: %w", path, timeout, err)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("open store %s: the file is not a Spacetime store (not a bbolt "+
			"database, or a damaged one); move it away or choose another path: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{
		db:           db,
		path:         path,
		changesChunk: defaultChangesChunk,
		layoutsByID:  make(map[uint64]*ticket.Layout),
		layoutIDs:    make(map[string]uint64),
	}
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// init creates the buckets of a new file, checks the format of an existing one and loads
// the layouts.
func (s *Store) init() error {
	var fresh, hasHistory bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		info := tx.Bucket(bucketInfo)
		if info == nil {
			fresh = true
			return checkEmpty(tx)
		}
		if err := checkFormat(info); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketTickets, bucketChanges, bucketLayouts, bucketMeta} {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("the file has no %q bucket: it is damaged", name)
			}
		}
		hasHistory = len(info.Get(infoHistory)) > 0
		return s.loadLayouts(tx.Bucket(bucketLayouts))
	})
	if err != nil {
		return err
	}
	if !fresh {
		if hasHistory {
			return nil
		}
		// A file written before history ids existed gets one now, so that copies
		// made from now on share it.
		return s.db.Update(func(tx *bbolt.Tx) error { return putHistory(tx.Bucket(bucketInfo)) })
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketInfo) != nil {
			return nil
		}
		if err := checkEmpty(tx); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketTickets, bucketChanges, bucketLayouts, bucketMeta, bucketInfo} {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create bucket %q: %w", name, err)
			}
		}
		info := tx.Bucket(bucketInfo)
		if err := info.Put(infoFormat, binary.AppendUvarint(nil, formatVersion)); err != nil {
			return err
		}
		if err := putHistory(info); err != nil {
			return err
		}
		return info.Put(infoTickets, binary.BigEndian.AppendUint64(nil, 0))
	})
}

// checkEmpty refuses a bbolt file that some other program wrote, rather than mixing our
// buckets into it.
func checkEmpty(tx *bbolt.Tx) error {
	return tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
		return fmt.Errorf("the file is a bbolt database of another program (it has a bucket %q "+
			"and no Spacetime format marker); choose another path", name)
	})
}

func checkFormat(info *bbolt.Bucket) error {
	raw := info.Get(infoFormat)
	format, n := binary.Uvarint(raw)
	if n <= 0 {
		return errors.New("the file has no readable format version: it is damaged")
	}
	if format > formatVersion {
		return fmt.Errorf("the file has store format %d, newer than the format %d this build "+
			"reads; upgrade Spacetime to open it", format, formatVersion)
	}
	return nil
}

func (s *Store) loadLayouts(b *bbolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("layout id %x is not 8 bytes: the file is damaged", k)
		}
		l, err := decodeLayout(v)
		if err != nil {
			return fmt.Errorf("layout %d: %w", binary.BigEndian.Uint64(k), err)
		}
		id := binary.BigEndian.Uint64(k)
		s.layoutsByID[id] = l
		s.layoutIDs[l.ID()] = id
		return nil
	})
}

// Upsert applies the version rule to each record in one read-write transaction, which is
// durable when Upsert returns nil. Nothing is written when it returns an error.
func (s *Store) Upsert(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error) {
	return s.upsert(ctx, recs, nil)
}

var _ store.UpsertReporter = (*Store)(nil)

// UpsertEach is Upsert, with what it did with each record. When it returns an error,
// nothing was written and every outcome is NotWritten.
func (s *Store) UpsertEach(ctx context.Context, recs []ticket.Record) ([]store.Outcome, store.UpsertResult, error) {
	outs := make([]store.Outcome, len(recs))
	res, err := s.upsert(ctx, recs, outs)
	if err != nil {
		clear(outs)
	}
	return outs, res, err
}

// upsert is Upsert; it notes each record's outcome in outs unless outs is nil.
func (s *Store) upsert(ctx context.Context, recs []ticket.Record, outs []store.Outcome) (store.UpsertResult, error) {
	note := func(i int, kind store.OutcomeKind, stored int64) {
		if outs != nil {
			outs[i] = store.Outcome{Kind: kind, Stored: stored}
		}
	}
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
	if err := ctx.Err(); err != nil {
		return store.UpsertResult{}, fmt.Errorf("upsert: %w", err)
	}

	var (
		res     store.UpsertResult
		pending map[string]pendingLayout
	)
	s.upsertMu.Lock()
	defer s.upsertMu.Unlock()
	// Encoding the records and looking up their stored versions need no write lock: they
	// are done first, on every core, in read transactions. Nothing else writes meanwhile
	// (upsertMu here, bbolt's file lock for other processes), so they see what the write
	// transaction would. The write transaction is then left with the puts and the commit,
	// which bbolt does on one core.
	prep, err := s.prepare(recs)
	if err != nil {
		return store.UpsertResult{}, s.fail("upsert", err)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		res, pending = store.UpsertResult{}, nil
		tickets, changes, layouts := tx.Bucket(bucketTickets), tx.Bucket(bucketChanges), tx.Bucket(bucketLayouts)
		// bbolt splits pages half full by default, which suits random inserts. Changes are
		// only ever appended, and ticket keys mostly grow (ids are issued in order), so
		// fuller pages halve the file and the pages a load walks.
		changes.FillPercent = 1.0
		tickets.FillPercent = 0.9
		// A key given twice in the batch is looked up again here, where the earlier
		// record's write is visible.
		lookup := tickets.Cursor()
		var old []ticket.Value
		var seqKey [8]byte
		for i := range recs {
			rec, p := &recs[i], &prep[i]
			lid, err := s.layoutIDFor(rec.Layout, layouts, &pending)
			if err != nil {
				return fmt.Errorf("record %d (key %q): %w", i, rec.Key, err)
			}
			if p.again {
				*p = prepared{key: p.key, buf: p.buf, again: true}
				if found, stored := lookup.Seek(p.key); stored != nil && bytes.Equal(found, p.key) {
					if err := p.compare(stored, rec, lid, true, &old); err != nil {
						return fmt.Errorf("stored ticket %q: %w", rec.Key, err)
					}
				}
			}
			if p.found {
				if rec.Version < p.version {
					res.Stale++
					note(i, store.Stale, p.version)
					continue
				}
				if rec.Version == p.version && lid == p.layout && p.same {
					res.Unchanged++
					note(i, store.Unchanged, 0)
					continue
				}
				binary.BigEndian.PutUint64(seqKey[:], p.seq)
				if err := changes.Delete(seqKey[:]); err != nil {
					return fmt.Errorf("drop the previous change of %q: %w", rec.Key, err)
				}
				res.Updated++
				note(i, store.Updated, 0)
			} else {
				res.Inserted++
				note(i, store.Inserted, 0)
			}

			seq, err := changes.NextSequence()
			if err != nil {
				return fmt.Errorf("next change sequence: %w", err)
			}
			// The header goes into the room left before the encoded values.
			var hb [headerRoom]byte
			h := binary.AppendVarint(hb[:0], rec.Version)
			h = binary.AppendUvarint(h, seq)
			h = binary.AppendUvarint(h, lid)
			value := p.buf[headerRoom-len(h):]
			copy(value, h)
			if err := tickets.Put(p.key, value); err != nil {
				return fmt.Errorf("put ticket %q: %w", rec.Key, err)
			}
			binary.BigEndian.PutUint64(seqKey[:], seq)
			if err := changes.Put(seqKey[:], p.key); err != nil {
				return fmt.Errorf("put change of %q: %w", rec.Key, err)
			}
		}
		if res.Inserted > 0 {
			if err := addTickets(tx.Bucket(bucketInfo), res.Inserted); err != nil {
				return err
			}
		}
		// The last moment a cancelled caller can still take the batch back.
		return ctx.Err()
	})
	if err != nil {
		return store.UpsertResult{}, s.fail("upsert", err)
	}
	s.addLayouts(pending)
	return res, nil
}

// maxKeptArena bounds the memory an Upsert keeps for the next one.
const maxKeptArena = 64 << 20

// headerRoom is the room left before a record's encoded values for its header: a
// version, a change sequence and a layout id, varints of at most 10 bytes each.
const headerRoom = 3 * binary.MaxVarintLen64

// prepared is what Upsert works out for a record before its write transaction.
type prepared struct {
	// key is the record's key and buf headerRoom bytes followed by its encoded values,
	// both in memory that stays unchanged until the commit (bbolt keeps references).
	key, buf []byte
	// found says the key is stored, with this version, change sequence and layout id;
	// same says the stored values equal the record's (worked out only when the versions
	// and layouts are equal).
	found   bool
	version int64
	seq     uint64
	layout  uint64
	same    bool
	// again marks a key given earlier in the same batch: the lookup is left to the write
	// transaction.
	again bool
}

// prepareWorkers bounds the goroutines that prepare a batch.
const prepareWorkers = 4

// prepare encodes the records and looks up their stored versions, in parallel for a big
// batch. The caller holds upsertMu.
func (s *Store) prepare(recs []ticket.Record) ([]prepared, error) {
	prep := make([]prepared, len(recs))
	markRepeats(recs, prep)
	workers := 1
	if len(recs) >= 2048 {
		workers = min(runtime.GOMAXPROCS(0), prepareWorkers)
	}
	if len(s.arenas) < workers {
		s.arenas = append(s.arenas, make([][]byte, workers-len(s.arenas))...)
	}
	step := (len(recs) + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*step, min((w+1)*step, len(recs))
		if lo >= hi {
			continue
		}
		work := func() {
			errs[w] = s.db.View(func(tx *bbolt.Tx) error {
				var err error
				s.arenas[w], err = s.prepareRange(tx, recs[lo:hi], prep[lo:hi], s.arenas[w][:0])
				return err
			})
		}
		if workers == 1 {
			work()
		} else {
			wg.Go(work)
		}
	}
	wg.Wait()
	for w, arena := range s.arenas {
		if cap(arena) > maxKeptArena {
			s.arenas[w] = nil
		}
	}
	return prep, errors.Join(errs...)
}

// markRepeats sets again on every record whose key an earlier record of the batch has.
// Keys in increasing order, as an import of tickets numbered in order gives them, repeat
// none, which one pass shows.
func markRepeats(recs []ticket.Record, prep []prepared) {
	increasing := true
	for i := 1; i < len(recs) && increasing; i++ {
		increasing = recs[i-1].Key < recs[i].Key
	}
	if increasing {
		return
	}
	seen := make(map[string]struct{}, len(recs))
	for i := range recs {
		if _, ok := seen[recs[i].Key]; ok {
			prep[i].again = true
		}
		seen[recs[i].Key] = struct{}{}
	}
}

// prepareRange prepares recs into out, appending their keys and values to arena, which
// it returns (append may move it: the records keep the arrays they point into).
func (s *Store) prepareRange(tx *bbolt.Tx, recs []ticket.Record, out []prepared, arena []byte) ([]byte, error) {
	if need := estimateSize(recs) + headerRoom*len(recs); cap(arena) < need {
		arena = make([]byte, 0, need)
	}
	c := tx.Bucket(bucketTickets).Cursor()
	var (
		old        []ticket.Value
		lastLayout *ticket.Layout
		lastID     uint64
		lastKnown  bool
	)
	for i := range recs {
		rec, p := &recs[i], &out[i]
		start := len(arena)
		arena = append(arena, rec.Key...)
		p.key = arena[start:len(arena):len(arena)]
		start = len(arena)
		arena = append(arena, make([]byte, headerRoom)...)
		arena = ticket.AppendValues(arena, rec.Values)
		p.buf = arena[start:len(arena):len(arena)]
		if p.again {
			continue
		}
		found, stored := c.Seek(p.key)
		if stored == nil || !bytes.Equal(found, p.key) {
			continue
		}
		if rec.Layout != lastLayout {
			lastLayout = rec.Layout
			s.layoutsMu.RLock()
			lastID, lastKnown = s.layoutIDs[rec.Layout.ID()]
			s.layoutsMu.RUnlock()
		}
		// A layout the file does not hold yet is not the stored record's.
		if err := p.compare(stored, rec, lastID, lastKnown, &old); err != nil {
			return arena, fmt.Errorf("stored ticket %q: %w", rec.Key, err)
		}
	}
	return arena, nil
}

// compare records the stored header and whether the stored values are the record's,
// when its layout id is lid (known says the file holds the layout at all).
func (p *prepared) compare(stored []byte, rec *ticket.Record, lid uint64, known bool, old *[]ticket.Value) error {
	h, err := decodeHeader(stored)
	if err != nil {
		return err
	}
	p.found, p.version, p.seq, p.layout = true, h.version, h.seq, h.layout
	if rec.Version != h.version || !known || lid != h.layout {
		return nil
	}
	// Equal bytes are equal values; other bytes may still be (-0 and 0, NaNs), which
	// the decoded comparison settles.
	if bytes.Equal(p.buf[headerRoom:], h.values) {
		p.same = true
		return nil
	}
	*old, _, err = ticket.DecodeValues(h.values, *old, true)
	if err != nil {
		return err
	}
	p.same = sameValues(*old, rec.Values)
	return nil
}

func checkRecord(rec *ticket.Record) error {
	switch {
	case rec.Key == "":
		return errors.New("the key is empty")
	case len(rec.Key) > bbolt.MaxKeySize:
		return fmt.Errorf("key %.40q... is %d bytes, longer than the %d a key can have", rec.Key, len(rec.Key), bbolt.MaxKeySize)
	case rec.Layout == nil:
		return fmt.Errorf("key %q: the record has no layout", rec.Key)
	case len(rec.Values) != rec.Layout.Len():
		return fmt.Errorf("key %q: %d values for a layout of %d columns", rec.Key, len(rec.Values), rec.Layout.Len())
	}
	return nil
}

// estimateSize guesses the arena an Upsert needs, so that it is usually allocated once.
func estimateSize(recs []ticket.Record) int {
	n := 0
	for i := range recs {
		n += 2*len(recs[i].Key) + 32 + 2*len(recs[i].Values)
		for _, v := range recs[i].Values {
			n += 8 + len(v.S)
		}
	}
	return n
}

func sameValues(a, b []ticket.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func addTickets(info *bbolt.Bucket, n int) error {
	count := binary.BigEndian.Uint64(info.Get(infoTickets)) + uint64(n)
	if err := info.Put(infoTickets, binary.BigEndian.AppendUint64(nil, count)); err != nil {
		return fmt.Errorf("update the ticket count: %w", err)
	}
	return nil
}

// pendingLayout is a layout written by a transaction that has not committed yet.
type pendingLayout struct {
	id     uint64
	layout *ticket.Layout
}

// layoutIDFor returns the id of l, writing it to the layouts bucket when it is new.
func (s *Store) layoutIDFor(l *ticket.Layout, b *bbolt.Bucket, pending *map[string]pendingLayout) (uint64, error) {
	s.layoutsMu.RLock()
	id, ok := s.layoutIDs[l.ID()]
	s.layoutsMu.RUnlock()
	if ok {
		return id, nil
	}
	if p, ok := (*pending)[l.ID()]; ok {
		return p.id, nil
	}
	id, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("next layout id: %w", err)
	}
	if err := b.Put(binary.BigEndian.AppendUint64(nil, id), encodeLayout(l)); err != nil {
		return 0, fmt.Errorf("put layout: %w", err)
	}
	if *pending == nil {
		*pending = make(map[string]pendingLayout)
	}
	(*pending)[l.ID()] = pendingLayout{id: id, layout: l}
	return id, nil
}

// addLayouts caches the layouts of a committed transaction. A reader may have cached one
// of them already, from the file; its pointer is kept so that records keep sharing it.
func (s *Store) addLayouts(pending map[string]pendingLayout) {
	if len(pending) == 0 {
		return
	}
	s.layoutsMu.Lock()
	defer s.layoutsMu.Unlock()
	for name, p := range pending {
		if _, ok := s.layoutsByID[p.id]; !ok {
			s.layoutsByID[p.id] = p.layout
		}
		s.layoutIDs[name] = p.id
	}
}

// layoutByID returns the layout with the given id, reading it from the file when a
// transaction committed it but its writer has not cached it yet.
func (s *Store) layoutByID(tx *bbolt.Tx, id uint64) (*ticket.Layout, error) {
	s.layoutsMu.RLock()
	l, ok := s.layoutsByID[id]
	s.layoutsMu.RUnlock()
	if ok {
		return l, nil
	}
	raw := tx.Bucket(bucketLayouts).Get(binary.BigEndian.AppendUint64(nil, id))
	if raw == nil {
		return nil, fmt.Errorf("layout %d is missing: the file is damaged", id)
	}
	l, err := decodeLayout(raw)
	if err != nil {
		return nil, fmt.Errorf("layout %d: %w", id, err)
	}
	s.layoutsMu.Lock()
	defer s.layoutsMu.Unlock()
	if cached, ok := s.layoutsByID[id]; ok {
		return cached, nil
	}
	s.layoutsByID[id] = l
	s.layoutIDs[l.ID()] = id
	return l, nil
}

// Changes calls fn with every ticket changed after since, in the order of the changes. The
// record, its key and its strings point into the file's memory map and are valid only
// during fn. Changes reads in transactions of a few thousand records: a ticket written by
// a concurrent Upsert after Changes has passed it is given again at its new position. When
// fn fails, Changes returns its error with the cursor of the last record fn accepted.
func (s *Store) Changes(ctx context.Context, since store.Cursor, fn func(rec *ticket.Record) error) (store.Cursor, error) {
	if s.closed.Load() {
		return since, store.ErrClosed
	}
	last, err := parseCursor(since)
	if err != nil {
		return since, err
	}
	first := last
	var (
		values  []ticket.Value
		lastLID uint64
		layout  *ticket.Layout
		total   int
	)
	defer func() {
		if total >= releaseAfter {
			s.releasePages()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return cursorAt(since, first, last), fmt.Errorf("changes: %w", err)
		}
		if s.closed.Load() {
			return cursorAt(since, first, last), store.ErrClosed
		}
		read := 0
		err := s.db.View(func(tx *bbolt.Tx) error {
			// One cursor for all the lookups: Bucket.Get allocates a cursor per call, which
			// would be most of the allocations of a load.
			tickets := tx.Bucket(bucketTickets).Cursor()
			c := tx.Bucket(bucketChanges).Cursor()
			var seek [8]byte
			binary.BigEndian.PutUint64(seek[:], last+1)
			var rec ticket.Record
			for k, key := c.Seek(seek[:]); k != nil && read < s.changesChunk; k, key = c.Next() {
				seq := binary.BigEndian.Uint64(k)
				found, raw := tickets.Seek(key)
				if raw == nil || !bytes.Equal(found, key) {
					return fmt.Errorf("change %d names ticket %q, which is missing: the file is damaged", seq, key)
				}
				h, err := decodeHeader(raw)
				if err != nil {
					return fmt.Errorf("ticket %q: %w", key, err)
				}
				if layout == nil || h.layout != lastLID {
					if layout, err = s.layoutByID(tx, h.layout); err != nil {
						return fmt.Errorf("ticket %q: %w", key, err)
					}
					lastLID = h.layout
				}
				values, _, err = ticket.DecodeValues(h.values, values, true)
				if err != nil {
					return fmt.Errorf("ticket %q: %w", key, err)
				}
				rec = ticket.Record{Key: aliasString(key), Version: h.version, Layout: layout, Values: values}
				if err := fn(&rec); err != nil {
					return err
				}
				last = seq
				read++
			}
			return nil
		})
		total += read
		if err != nil {
			return cursorAt(since, first, last), s.fail("changes", err)
		}
		if read < s.changesChunk {
			return cursorAt(since, first, last), nil
		}
	}
}

func parseCursor(c store.Cursor) (uint64, error) {
	if c == "" {
		return 0, nil
	}
	seq, err := strconv.ParseUint(string(c), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("changes: cursor %q is not a cursor of the embedded store", c)
	}
	return seq, nil
}

// cursorAt returns since unchanged when nothing was read, so that an empty cursor stays
// empty on an empty store.
func cursorAt(since store.Cursor, first, last uint64) store.Cursor {
	if last == first {
		return since
	}
	return store.Cursor(strconv.FormatUint(last, 10))
}

func aliasString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// getBatch is how many keys Get reads in one read transaction.
const getBatch = 1024

// Get returns the stored versions of keys, in the order asked, skipping keys it does not
// hold. The records own their memory.
func (s *Store) Get(ctx context.Context, keys []string) ([]ticket.Record, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	out := make([]ticket.Record, 0, len(keys))
	// The keys are read in batches, each in its own read transaction: a table of 50,000
	// tickets with a detail column would otherwise hold one transaction for its whole read,
	// and bbolt's writer waits for every open read transaction before it grows the file's
	// mapping, so pushes would wait behind it; between batches the caller may also give up.
	for start := 0; start < len(keys); start += getBatch {
		if start > 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("get: %w", err)
			}
		}
		var err error
		out, err = s.getBatch(out, keys[start:min(start+getBatch, len(keys))])
		if err != nil {
			return nil, s.fail("get", err)
		}
	}
	return out, nil
}

// getBatch is the read transaction of one batch of Get.
func (s *Store) getBatch(out []ticket.Record, keys []string) ([]ticket.Record, error) {
	err := s.db.View(func(tx *bbolt.Tx) error {
		tickets := tx.Bucket(bucketTickets)
		for _, key := range keys {
			if key == "" {
				continue
			}
			raw := tickets.Get([]byte(key))
			if raw == nil {
				continue
			}
			h, err := decodeHeader(raw)
			if err != nil {
				return fmt.Errorf("ticket %q: %w", key, err)
			}
			layout, err := s.layoutByID(tx, h.layout)
			if err != nil {
				return fmt.Errorf("ticket %q: %w", key, err)
			}
			values, _, err := ticket.DecodeValues(h.values, nil, false)
			if err != nil {
				return fmt.Errorf("ticket %q: %w", key, err)
			}
			out = append(out, ticket.Record{Key: key, Version: h.version, Layout: layout, Values: values})
		}
		return nil
	})
	return out, err
}

// Meta reads a named value; store.ErrNotFound when it was never written.
func (s *Store) Meta(ctx context.Context, name string) ([]byte, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if name == "" {
		return nil, errors.New("meta: the name is empty")
	}
	var value []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		// A cursor, not Get, so that a value written empty is told apart from no value.
		k, v := tx.Bucket(bucketMeta).Cursor().Seek([]byte(name))
		if string(k) != name {
			return fmt.Errorf("meta %q: %w", name, store.ErrNotFound)
		}
		value = append(make([]byte, 0, len(v)), v...)
		return nil
	})
	if err != nil {
		return nil, s.fail("meta", err)
	}
	return value, nil
}

// SetMeta writes a named value durably.
func (s *Store) SetMeta(ctx context.Context, name string, value []byte) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if name == "" {
		return errors.New("set meta: the name is empty")
	}
	if len(name) > bbolt.MaxKeySize {
		return fmt.Errorf("set meta: name %.40q... is longer than %d bytes", name, bbolt.MaxKeySize)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set meta %q: %w", name, err)
	}
	v := append(make([]byte, 0, len(value)), value...)
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(name), v)
	})
	if err != nil {
		return s.fail(fmt.Sprintf("set meta %q", name), err)
	}
	return nil
}

// Info describes the store: the ticket count is kept in the file, so Info is cheap.
func (s *Store) Info(ctx context.Context) (store.Info, error) {
	if s.closed.Load() {
		return store.Info{}, store.ErrClosed
	}
	info := store.Info{Kind: "embedded", Location: s.path}
	err := s.db.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketInfo).Get(infoTickets)
		if len(raw) != 8 {
			return errors.New("the ticket count is unreadable: the file is damaged")
		}
		info.Tickets = int(binary.BigEndian.Uint64(raw))
		return nil
	})
	if err != nil {
		return store.Info{}, s.fail("info", err)
	}
	if st, err := os.Stat(s.path); err == nil {
		info.Bytes = st.Size()
	}
	return info, nil
}

// HistoryID returns the file's history id, made when the file was created (or first
// opened by a build that knows history ids). A copy of the file has the same id: the
// cursors of the original are valid in the copy up to the copy's latest change.
func (s *Store) HistoryID(ctx context.Context) (string, error) {
	if s.closed.Load() {
		return "", store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("history id: %w", err)
	}
	var id string
	err := s.db.View(func(tx *bbolt.Tx) error {
		id = string(tx.Bucket(bucketInfo).Get(infoHistory))
		return nil
	})
	if err != nil {
		return "", s.fail("history id", err)
	}
	if id == "" {
		return "", errors.New("history id: the file has none: it is damaged")
	}
	return id, nil
}

func putHistory(info *bbolt.Bucket) error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("make a history id: %w", err)
	}
	return info.Put(infoHistory, []byte(hex.EncodeToString(b)))
}

// CheckCursor returns nil when c is a cursor of this kind of store no newer than the
// file's latest change.
func (s *Store) CheckCursor(ctx context.Context, c store.Cursor) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	seq, err := parseCursor(c)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("check cursor: %w", err)
	}
	var last uint64
	err = s.db.View(func(tx *bbolt.Tx) error {
		last = tx.Bucket(bucketChanges).Sequence()
		return nil
	})
	if err != nil {
		return s.fail("check cursor", err)
	}
	if seq > last {
		return fmt.Errorf("cursor %d is past the store's latest change %d: the file is older than the cursor "+
			"(restored from a copy?)", seq, last)
	}
	return nil
}

// Close releases the file, waiting for running transactions. It can be called more than
// once; every other call after it fails with store.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// fail wraps a transaction's error, turning bbolt's "not open" into store.ErrClosed for a
// call that raced with Close.
func (s *Store) fail(op string, err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return fmt.Errorf("%s (%s): %w", op, s.path, err)
}
