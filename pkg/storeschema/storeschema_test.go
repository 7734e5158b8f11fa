package storeschema

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynamotest"
	"github.com/spacetime/tickets/pkg/store/memory"
)

const custom = `
key: ref
time: opened
columns:
  - {name: ref, type: string}
  - {name: opened, type: time}
  - {name: team, type: string, facet: true}
`

// stores opens one store of each kind, each reopened by reopen (a new process's view).
func stores(t *testing.T) map[string]func() store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tickets.db")
	mem := memory.New(memory.Options{})
	cfg := dynamotest.Table(t, "schema-record")
	return map[string]func() store.Store{
		"memory": func() store.Store { return nopClose{mem} },
		"embedded": func() store.Store {
			st, err := bolt.Open(path, bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"dynamodb": func() store.Store { return dynamotest.Open(t, cfg) },
	}
}

// nopClose keeps the memory store's tickets across "reopens".
type nopClose struct{ store.Store }

func (nopClose) Close() error { return nil }

// TestRecordSurvivesReopen: every kind of store gives back, after a reopen, the schema
// written into it, and a reader without a schema of its own uses it.
func TestRecordSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	want, err := schema.Parse([]byte(custom))
	if err != nil {
		t.Fatal(err)
	}
	written := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	for kind, open := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			st := open()
			if got, err := Read(ctx, st); err != nil || got != nil {
				t.Fatalf("a new store records %v, %v; want nothing", got, err)
			}
			if s, m, err := Choose(ctx, st, nil); err != nil || m != nil || s.Hash() != schema.Default().Hash() {
				t.Fatalf("Choose on a store without a record: %v, %v; want the default schema", m, err)
			}
			if err := Write(ctx, st, want, "spacetime import", written); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			st = open()
			defer st.Close()
			got, err := Read(ctx, st)
			if err != nil || got == nil {
				t.Fatalf("after a reopen: %v, %v", got, err)
			}
			if got.Hash != want.Hash() || got.Schema.Hash() != want.Hash() || got.By != "spacetime import" || !got.Written.Equal(written) {
				t.Errorf("read back %+v", got.Record)
			}
			s, m, err := Choose(ctx, st, nil)
			if err != nil || m != nil || s.Key != "ref" {
				t.Errorf("Choose without a schema: key %q, %v, %v; want the store's (key ref)", s.Key, m, err)
			}
			if info, err := st.Info(ctx); err != nil || info.Tickets != 0 {
				t.Errorf("the record counts as a ticket: %+v, %v", info, err)
			}
		})
	}
}

// TestMismatchSaysWhat: a reader told another schema gets it, with what differs; the same
// schema in other words is no mismatch.
func TestMismatchSaysWhat(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Options{})
	stored, _ := schema.Parse([]byte(custom))
	if err := Write(ctx, st, stored, "spacetime import", time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	s, m, err := Choose(ctx, st, schema.Default())
	if err != nil || s.Key != "id" || m == nil || !m.Breaking() {
		t.Fatalf("Choose with the default schema: key %q, mismatch %v, %v", s.Key, m, err)
	}
	for _, want := range []string{`the key column is "id", not "ref"`, "spacetime import", "2026-12-02 06:00 UTC", stored.Hash()[:19]} {
		if !strings.Contains(m.String(), want) {
			t.Errorf("%q lacks %q", m.String(), want)
		}
	}
	json, _ := schema.Parse(stored.Canonical())
	if m, err := Check(ctx, st, json); err != nil || m != nil {
		t.Errorf("the same schema as JSON: %v, %v; want no mismatch", m, err)
	}
	wider, _ := schema.Parse([]byte(custom + "  - {name: region, type: string}\n"))
	if m, err := Check(ctx, st, wider); err != nil || m == nil || m.Breaking() {
		t.Errorf("a schema with a column more: %v, %v; want a mismatch that breaks nothing", m, err)
	}
}

// TestDamagedRecord: a record that is not one is an error naming it, not the default.
func TestDamagedRecord(t *testing.T) {
	st := memory.New(memory.Options{})
	if err := st.SetMeta(context.Background(), MetaName, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Choose(context.Background(), st, nil); err == nil || !strings.Contains(err.Error(), "schema record is damaged") {
		t.Errorf("err = %v", err)
	}
}
