// Package store defines where tickets are kept between restarts. The engine reads a Store
// and knows nothing of how it is implemented: the embedded file (package store/bolt) is the
// default, and a DynamoDB table implements the same interface to scale out.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/spacetime/tickets/pkg/ticket"
)

// Cursor marks a point in a store's history of writes. It is opaque to callers; the empty
// Cursor is the beginning of time. Cursors of one store cannot be passed to another.
type Cursor string

// UpsertResult counts what an Upsert did with each record.
type UpsertResult struct {
	// Inserted counts records whose key was new.
	Inserted int `json:"inserted"`
	// Updated counts records that replaced an older (or equal but different) version.
	Updated int `json:"updated"`
	// Unchanged counts records identical to the stored version (a replay).
	Unchanged int `json:"unchanged"`
	// Stale counts records older than the stored version, ignored by the version rule.
	Stale int `json:"stale"`
}

// Add sums two results.
func (r *UpsertResult) Add(o UpsertResult) {
	r.Inserted += o.Inserted
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
	r.Stale += o.Stale
}

// OutcomeKind is what an Upsert did with one record.
type OutcomeKind uint8

const (
	// NotWritten: the call failed before it came to the record.
	NotWritten OutcomeKind = iota
	// Inserted: the key was new.
	Inserted
	// Updated: the record replaced an older (or equal but different) version.
	Updated
	// Unchanged: the record was identical to the stored version.
	Unchanged
	// Stale: the record was older than the stored version, and ignored.
	Stale
)

func (k OutcomeKind) String() string {
	switch k {
	case Inserted:
		return "inserted"
	case Updated:
		return "updated"
	case Unchanged:
		return "unchanged"
	case Stale:
		return "stale"
	}
	return "not written"
}

// Outcome is what an Upsert did with one record.
type Outcome struct {
	Kind OutcomeKind
	// Stored is the version the store kept instead, for a Stale record.
	Stored int64
}

// UpsertReporter is implemented by a store whose Upsert can say what it did with each
// record, for callers that answer record by record (a push says which tickets were stale).
type UpsertReporter interface {
	// UpsertEach is Upsert, with the outcome of each record in the order given.
	UpsertEach(ctx context.Context, recs []ticket.Record) ([]Outcome, UpsertResult, error)
}

// Info describes a store for health checks and the stats query.
type Info struct {
	// Kind is "embedded" or "dynamodb" ("memory" for the tests' store, package
	// store/memory).
	Kind string `json:"kind"`
	// Location is the file path or the table name.
	Location string `json:"location"`
	// Tickets is the number of stored tickets.
	Tickets int `json:"tickets"`
	// Bytes is the size on disk, when known.
	Bytes int64 `json:"bytes,omitempty"`
	// ReadUnits and WriteUnits are the capacity units this process has consumed since it
	// opened the store, for a store billed by them (DynamoDB): what a replica's start
	// and its following of the others cost.
	ReadUnits  float64 `json:"readUnits,omitempty"`
	WriteUnits float64 `json:"writeUnits,omitempty"`
}

// Store keeps the latest version of each ticket durably.
//
// The version rule: a record replaces the stored one when its Version is greater, or equal
// with different values (the later write of the same version wins); an older record is
// ignored (Stale) and an identical one changes nothing (Unchanged), so replays and
// re-polls are harmless. Every write that changes a ticket moves it to the end of the
// change history that Changes reads.
type Store interface {
	// Upsert applies the version rule to each record. When it returns nil the writes are
	// durable. Records within one call with the same key are applied in order.
	Upsert(ctx context.Context, recs []ticket.Record) (UpsertResult, error)
	// Changes calls fn with every ticket changed after since, oldest change first, and
	// returns the cursor to pass next time. A ticket changed several times is given once,
	// in its latest version. The record and its strings are valid only during fn (a store
	// may hand out its own memory); use Record.Clone to keep one. If fn returns an error,
	// Changes stops and returns it.
	Changes(ctx context.Context, since Cursor, fn func(rec *ticket.Record) error) (Cursor, error)
	// Get returns the stored versions of the given keys, skipping keys it does not hold.
	Get(ctx context.Context, keys []string) ([]ticket.Record, error)
	// Meta reads a small named value kept beside the tickets (a poller's watermark);
	// ErrNotFound when it was never written.
	Meta(ctx context.Context, name string) ([]byte, error)
	// SetMeta writes a small named value durably.
	SetMeta(ctx context.Context, name string, value []byte) error
	// Info describes the store.
	Info(ctx context.Context) (Info, error)
	// Close releases the store. Calls after Close fail with ErrClosed.
	Close() error
}

// ErrNotFound is returned by Meta for a name never written.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("store: closed")

// Lease says who holds a named lease and until when, by the holder's clock.
type Lease struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// Leaser is implemented by a store that several processes share (the DynamoDB table of
// a highly available Grafana): a lease elects the one process that does a job, such as
// polling a ticket source, and passes the job on when that process stops renewing it.
// An embedded store needs none, as one process holds its file.
type Leaser interface {
	// AcquireLease takes the named lease for holder until ttl from now when it is free,
	// expired, or held by holder already (a renewal), and returns the lease as it stands
	// after the attempt: holder holds it when the returned Holder is holder.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error)
	// ReleaseLease gives the lease up if holder holds it, so that another process can
	// take it at once rather than when it expires.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// ChangesFromer is implemented by a store whose change history is ordered by the time of
// each write (the DynamoDB table's change index), so that a first read that only wants the
// recent tickets costs in proportion to them rather than to the whole history.
type ChangesFromer interface {
	// ChangesFrom is Changes from the empty cursor, except that it may leave out the
	// tickets last written before from. Every ticket written at or after from is given.
	// The cursor it returns continues as one returned by Changes.
	ChangesFrom(ctx context.Context, from time.Time, fn func(rec *ticket.Record) error) (Cursor, error)
}

// Resumer is implemented by a store whose cursors stay meaningful across processes, so
// that an engine can save its columns with the cursor it had read to (an image) and,
// after a restart, read only the changes after that cursor instead of every ticket.
type Resumer interface {
	// HistoryID names the store's history of writes: the same in every process that
	// opens this store, different for another store (or a new file at the same path).
	HistoryID(ctx context.Context) (string, error)
	// CheckCursor returns nil when Changes can resume from c: c is a cursor of this kind
	// of store and no newer than the store's latest change. An error says why not (a
	// cursor from a later history than the store holds, as after a restore from an older
	// copy).
	CheckCursor(ctx context.Context, c Cursor) error
}
