// Package source keeps a store current with a ticket system: a Source reads what changed
// since a watermark, and the Poller calls it on a schedule, maps nothing itself (sources
// hand over typed records, made through package ingest), upserts the records into the
// store, tells the engine, and keeps the watermark and the health of the polling.
//
// The sources are in the subpackages: demo (a generator with a living stream), httpjson
// (ticket systems' JSON APIs, with presets), and files (a drop-box directory of CSV and
// JSON lines files); package sources builds one from the data source's settings.
package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// Source reads tickets from a ticket system.
type Source interface {
	// Describe names the source for messages, such as "Jira at https://example.atlassian.net".
	Describe() string
	// Poll hands to emit, in batches, every ticket that changed at or after w.Since (all of
	// the source's backfill when w.Since is zero), each in its version as of now or later.
	// It returns the state to keep for the next poll (nil when the source keeps none), or
	// the error that made it stop; a source retries transient faults itself. A malformed
	// record is not an error: it goes into the batch's rejects.
	Poll(ctx context.Context, w Window, emit Emit) (json.RawMessage, error)
}

// Window is what one poll asks of a source.
type Window struct {
	// Since is the watermark minus the overlap: the source returns what changed at or
	// after it. Zero on the first poll, when the source reads its backfill.
	Since time.Time
	// Now is when the poll began. Once the poll succeeds it is the new watermark.
	Now time.Time
	// State is what the source returned after its last successful poll.
	State json.RawMessage
	// Retrying, when set, is told of each transient fault before the source waits and
	// tries again, so that the status can say what is going on during a long retry.
	Retrying func(err error, wait time.Duration)
}

// Emit takes one batch from a source. The records are the source's no longer once Emit
// returns: it may reuse them. An error from Emit (the store failed) ends the poll.
type Emit func(ctx context.Context, b Batch) error

// Batch is a part of a poll's answer: records ready for the store, and the records that
// could not be made into tickets, with why.
type Batch struct {
	Records []ticket.Record
	Rejects []Reject
	// MoreRejected counts rejects beyond those listed (a file import lists its first ones).
	MoreRejected int
}

// Reject is a record that a source could not turn into a ticket.
type Reject struct {
	// Where says where the record was: "page 2, item 7 of https://...", "tickets.csv line 12".
	Where string `json:"where"`
	// Key is the record's key when it could be read.
	Key    string `json:"key,omitempty"`
	Reason string `json:"reason"`
}

func (r Reject) String() string {
	if r.Key != "" {
		return fmt.Sprintf("%s: %s (key %q)", r.Where, r.Reason, r.Key)
	}
	return fmt.Sprintf("%s: %s", r.Where, r.Reason)
}

// RetryLaterError says that the source asked not to be called again before Until (a rate
// limit longer than a poll is willing to wait). The poller skips its polls until then.
type RetryLaterError struct {
	Until time.Time
	Err   error
}

func (e *RetryLaterError) Error() string {
	return fmt.Sprintf("%v; the source asks to wait until %s", e.Err, e.Until.UTC().Format(time.RFC3339))
}

func (e *RetryLaterError) Unwrap() error { return e.Err }

// ObjectMapper turns decoded JSON objects into records through the schema, as `spacetime
// import` does for JSON lines: nested objects are dotted names, names map onto columns by
// the schema's names and their `from:` lists. It is not safe for concurrent use.
type ObjectMapper struct {
	m *ingest.Mapper
}

// NewObjectMapper returns a mapper onto s.
func NewObjectMapper(s *schema.Schema, opts ingest.MapOptions) (*ObjectMapper, error) {
	m, err := ingest.NewMapper(s, nil, opts)
	if err != nil {
		return nil, err
	}
	return &ObjectMapper{m: m}, nil
}

// Add maps obj and appends it to b, or appends a reject that says where it was and why.
func (om *ObjectMapper) Add(b *Batch, obj map[string]any, where string) {
	rec, err := om.m.MapObject(obj)
	if err != nil {
		rej := Reject{Where: where, Reason: err.Error()}
		var re *ingest.RecordError
		if errors.As(err, &re) {
			rej.Key = re.Key
		}
		b.Rejects = append(b.Rejects, rej)
		return
	}
	b.Records = append(b.Records, rec)
}

// Unmapped lists the source names that no schema column takes, for a hint in the status.
func (om *ObjectMapper) Unmapped() []ingest.Unmapped { return om.m.Unmapped() }
