// Package memory is a store.Store that keeps everything in memory, for tests of the parts
// above the store (the poller, its lease, the hub) that should run without files, a
// DynamoDB server or real time. It follows the store's conformance suite (storetest) and
// implements store.Leaser by its own clock, so that a lease expires when a test moves the
// clock, as a DynamoDB lease does when real time passes.
package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// Options configure a Store.
type Options struct {
	// Clock judges the leases' expiry; nil means clock.Real.
	Clock clock.Clock
	// Name is the store's location in Info; empty means "memory".
	Name string
}

// Store is an in-memory store. It is safe for concurrent use.
type Store struct {
	clock clock.Clock
	name  string

	mu      sync.RWMutex
	closed  bool
	tickets map[string]*entry
	// history holds the keys in the order of their last change; a key's older
	// positions are empty strings, so that cursors (positions) stay valid.
	history []string
	meta    map[string][]byte
	leases  map[string]store.Lease
}

type entry struct {
	rec ticket.Record
	pos int // the key's position in history
}

var (
	_ store.Store          = (*Store)(nil)
	_ store.UpsertReporter = (*Store)(nil)
	_ store.Leaser         = (*Store)(nil)
)

// New returns an empty store.
func New(opts Options) *Store {
	name := opts.Name
	if name == "" {
		name = "memory"
	}
	return &Store{clock: clock.Or(opts.Clock), name: name, tickets: map[string]*entry{}, meta: map[string][]byte{}, leases: map[string]store.Lease{}}
}

// Upsert implements store.Store.
func (s *Store) Upsert(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error) {
	_, res, err := s.upsert(ctx, recs, false)
	return res, err
}

// UpsertEach implements store.UpsertReporter.
func (s *Store) UpsertEach(ctx context.Context, recs []ticket.Record) ([]store.Outcome, store.UpsertResult, error) {
	return s.upsert(ctx, recs, true)
}

func (s *Store) upsert(ctx context.Context, recs []ticket.Record, each bool) ([]store.Outcome, store.UpsertResult, error) {
	var res store.UpsertResult
	if err := ctx.Err(); err != nil {
		return nil, res, fmt.Errorf("upsert: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, res, store.ErrClosed
	}
	var outs []store.Outcome
	if each {
		outs = make([]store.Outcome, len(recs))
	}
	for i := range recs {
		rec := &recs[i]
		out := store.Outcome{Kind: store.Inserted}
		old, found := s.tickets[rec.Key]
		switch {
		case !found:
			res.Inserted++
		case rec.Version < old.rec.Version:
			out = store.Outcome{Kind: store.Stale, Stored: old.rec.Version}
			res.Stale++
		case rec.Version == old.rec.Version && old.rec.SameValues(rec):
			out.Kind = store.Unchanged
			res.Unchanged++
		default:
			out.Kind = store.Updated
			res.Updated++
		}
		if each {
			outs[i] = out
		}
		if out.Kind != store.Inserted && out.Kind != store.Updated {
			continue
		}
		if found {
			s.history[old.pos] = ""
		}
		s.tickets[rec.Key] = &entry{rec: rec.Clone(), pos: len(s.history)}
		s.history = append(s.history, rec.Key)
	}
	return outs, res, nil
}

// Changes implements store.Store. The cursor is a position in the history of changes.
func (s *Store) Changes(ctx context.Context, since store.Cursor, fn func(rec *ticket.Record) error) (store.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return since, fmt.Errorf("changes: %w", err)
	}
	from := 0
	if since != "" {
		n, err := strconv.Atoi(string(since))
		if err != nil || n < 0 {
			return since, fmt.Errorf("changes: %q is not a cursor of an in-memory store", since)
		}
		from = n
	}
	// The records are copied under the lock and handed to fn without it, so that fn may
	// write to the store.
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return since, store.ErrClosed
	}
	end := len(s.history)
	var recs []ticket.Record
	for _, key := range s.history[min(from, end):] {
		if key != "" {
			recs = append(recs, s.tickets[key].rec.Clone())
		}
	}
	s.mu.RUnlock()
	for i := range recs {
		if err := ctx.Err(); err != nil {
			return since, fmt.Errorf("changes: %w", err)
		}
		if err := fn(&recs[i]); err != nil {
			return since, err
		}
	}
	return store.Cursor(strconv.Itoa(max(end, from))), nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, keys []string) ([]ticket.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	var out []ticket.Record
	for _, k := range keys {
		if e, ok := s.tickets[k]; ok {
			out = append(out, e.rec.Clone())
		}
	}
	return out, nil
}

// Meta implements store.Store.
func (s *Store) Meta(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("meta %s: %w", name, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	v, ok := s.meta[name]
	if !ok {
		return nil, store.ErrNotFound
	}
	return slices.Clone(v), nil
}

// SetMeta implements store.Store.
func (s *Store) SetMeta(ctx context.Context, name string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set meta %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.meta[name] = append([]byte{}, value...)
	return nil
}

// Info implements store.Store; its Kind is "memory".
func (s *Store) Info(ctx context.Context) (store.Info, error) {
	if err := ctx.Err(); err != nil {
		return store.Info{}, fmt.Errorf("info: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.Info{}, store.ErrClosed
	}
	return store.Info{Kind: "memory", Location: s.name, Tickets: len(s.tickets)}, nil
}

// Close implements store.Store. What the store held is gone.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.closed = true
	return nil
}

// AcquireLease implements store.Leaser with the rule of the DynamoDB table's leases:
// holder takes the lease when nobody holds it, when it has expired by the store's clock,
// or when holder holds it already.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return store.Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	if name == "" || holder == "" {
		return store.Lease{}, errors.New("acquire lease: the lease name and the holder must not be empty")
	}
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("acquire lease %s: the lease must last longer than %s", name, ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.Lease{}, store.ErrClosed
	}
	now := s.clock.Now()
	if l, ok := s.leases[name]; ok && l.Holder != holder && !l.Expires.Before(now) {
		return l, nil
	}
	l := store.Lease{Holder: holder, Expires: now.Add(ttl)}
	s.leases[name] = l
	return l, nil
}

// ReleaseLease implements store.Leaser.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	if l, ok := s.leases[name]; ok && l.Holder == holder {
		delete(s.leases, name)
	}
	return nil
}
