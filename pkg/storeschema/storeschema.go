// Package storeschema keeps beside a store's tickets the column schema they were written
// with, and its hash. A reader that is not told which schema to use reads the tickets as
// they were written; one that is told another schema says how the two differ, since a
// schema that names the columns otherwise answers zeros without an error.
//
// The record is one value of the store's Meta (the name "schema"), so every kind of store
// keeps it: the embedded file, a DynamoDB table, the tests' memory store.
package storeschema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
)

// MetaName is the name of the record in the store's Meta.
const MetaName = "schema"

// Record is what a store keeps about the schema of its tickets.
type Record struct {
	// Hash is schema.Hash of the schema, to compare without parsing it.
	Hash string `json:"hash"`
	// Schema is the schema in its canonical form (schema.Canonical).
	Schema json.RawMessage `json:"schema"`
	// Written is when it was recorded, and By what ("spacetime import").
	Written time.Time `json:"written"`
	By      string    `json:"by,omitempty"`
}

// Stored is a store's schema record, read and parsed.
type Stored struct {
	Record
	Schema *schema.Schema
}

// Read returns the schema the store records, nil (and no error) when it records none, as
// a store written before this record existed.
func Read(ctx context.Context, st store.Store) (*Stored, error) {
	raw, err := st.Meta(ctx, MetaName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the store's schema: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("the store's schema record is damaged: %w", err)
	}
	s, err := schema.Parse(rec.Schema)
	if err != nil {
		return nil, fmt.Errorf("the schema the store records: %w", err)
	}
	return &Stored{Record: rec, Schema: s}, nil
}

// Write records s as the schema of the store's tickets, replacing any other.
func Write(ctx context.Context, st store.Store, s *schema.Schema, by string, now time.Time) error {
	rec, err := json.Marshal(Record{Hash: s.Hash(), Schema: s.Canonical(), Written: now.UTC(), By: by})
	if err != nil {
		return fmt.Errorf("record the schema: %w", err)
	}
	if err := st.SetMeta(ctx, MetaName, rec); err != nil {
		return fmt.Errorf("record the schema in the store: %w", err)
	}
	return nil
}

// Mismatch says how a schema differs from the one a store records.
type Mismatch struct {
	Stored *Stored
	Diff   schema.Diff
}

// Check compares the schema a reader uses with the one the store records: nil when the
// store records none or the same one.
func Check(ctx context.Context, st store.Store, used *schema.Schema) (*Mismatch, error) {
	stored, err := Read(ctx, st)
	if err != nil || stored == nil || stored.Hash == used.Hash() {
		return nil, err
	}
	return &Mismatch{Stored: stored, Diff: schema.Compare(stored.Schema, used)}, nil
}

// Breaking reports whether the difference changes what the stored tickets mean.
func (m *Mismatch) Breaking() bool { return len(m.Diff.Breaking) > 0 }

// String says how the schemas differ, in a sentence that names the record.
func (m *Mismatch) String() string {
	all := append(append([]string(nil), m.Diff.Breaking...), m.Diff.Other...)
	when := ""
	if !m.Stored.Written.IsZero() {
		when = " on " + m.Stored.Written.UTC().Format("2006-01-02 15:04 MST")
	}
	by := ""
	if m.Stored.By != "" {
		by = " by " + m.Stored.By
	}
	return fmt.Sprintf("the schema differs from the one the store's tickets were written with (%s%s%s): %s",
		m.Stored.Hash[:min(len(m.Stored.Hash), len("sha256:")+12)], by, when, strings.Join(all, "; "))
}

// Choose returns the schema that a reader or writer of st uses: given when it is not nil,
// else the store's, else the built-in default. The mismatch, when given differs from the
// store's record, is for the caller to report.
func Choose(ctx context.Context, st store.Store, given *schema.Schema) (*schema.Schema, *Mismatch, error) {
	if given != nil {
		m, err := Check(ctx, st, given)
		return given, m, err
	}
	stored, err := Read(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	if stored != nil {
		return stored.Schema, nil, nil
	}
	return schema.Default(), nil, nil
}
