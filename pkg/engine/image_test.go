package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// sameEngines compares two engines' rows, keys, versions and every held column row by
// row, through the forms queries read.
func sameEngines(a, b *Engine) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	b.mu.RLock()
	defer b.mu.RUnlock()
	if a.rows != b.rows {
		return fmt.Errorf("%d rows, want %d", b.rows, a.rows)
	}
	if !reflect.DeepEqual(a.versions, b.versions) {
		return errors.New("the versions differ")
	}
	va, vb := make([]any, len(a.cols)), make([]any, len(b.cols))
	for r := range uint32(a.rows) {
		if ka, kb := a.keys.get(r), b.keys.get(r); ka != kb {
			return fmt.Errorf("row %d has key %q, want %q", r, kb, ka)
		}
		if id, ok := b.keys.find(a.keys.get(r)); !ok || id != r {
			return fmt.Errorf("key %q is not found at row %d", a.keys.get(r), r)
		}
		for i := range a.cols {
			va[i], vb[i] = cellOf(a.cols[i], r), cellOf(b.cols[i], r)
		}
		if !reflect.DeepEqual(va, vb) {
			return fmt.Errorf("row %d is %v, want %v", r, vb, va)
		}
	}
	for i, c := range a.cols {
		if c.kind == kindString {
			for code := 1; code < c.dict.len(); code++ {
				s := c.dict.get(uint32(code))
				if got, ok := b.cols[i].dict.find(s); !ok || got != uint32(code) {
					return fmt.Errorf("column %s: %q is not found at code %d", c.name, s, code)
				}
			}
		}
	}
	return nil
}

func cellOf(c *column, r uint32) any {
	switch c.kind {
	case kindString:
		return c.dict.get(c.codes.get(r))
	case kindBool:
		return c.codes.get(r)
	case kindNumber:
		return fmt.Sprint(c.number(r))
	case kindTime:
		return c.ms[r]
	}
	return nil
}

// renumber gives the reference's tickets the engine's row numbers. An engine loaded from
// a store numbers its rows in the store's order of changes, not in the order the
// reference first saw the keys, and rows equal on every sort key are ordered by row.
func (r *reference) renumber(e *Engine) {
	for _, t := range r.order {
		if id, ok := e.keys.find(t.key); ok {
			t.row = int(id)
		}
	}
	slices.SortFunc(r.order, func(a, b *refTicket) int { return cmp.Compare(a.row, b.row) })
}

func TestImageRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := testSchema(t)
	open := &filter.IsNull{Field: "resolved"}
	for _, codes := range []int{0, 64} { // 64: the score column goes to plain floats
		t.Run(fmt.Sprintf("numberCodes=%d", codes), func(t *testing.T) {
			st := openStore(t)
			g := newGenerator(21, s)
			ref := newReference(s)
			opts := Options{Open: open, WriteChunk: 128, numberCodes: codes}
			for range 3 {
				if _, err := st.Upsert(ctx, g.batch(1500, ref)); err != nil {
					t.Fatal(err)
				}
			}
			a := New(s, st, opts)
			if _, err := a.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			// Some writes after the load, so that the time index has a tail to fold in.
			if _, err := st.Upsert(ctx, distinctBatch(g, ref, 300)); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			ref.renumber(a)
			dir := t.TempDir()
			path := filepath.Join(dir, "engine.image")
			// What a process killed while writing an image leaves behind.
			leftover := filepath.Join(dir, "engine.image.123.tmp")
			if err := os.WriteFile(leftover, []byte("partial"), 0o600); err != nil {
				t.Fatal(err)
			}
			saved, err := a.SaveImage(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if saved.Tickets != a.Len() || saved.Bytes <= 0 || saved.Cursor == "" {
				t.Fatalf("saved %+v for an engine of %d tickets", saved, a.Len())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Fatalf("after a save the directory holds %d files, want the image only", len(entries))
			}

			b := New(s, st, opts)
			loaded, err := b.LoadImage(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if loaded.Tickets != a.Len() || loaded.Cursor != saved.Cursor {
				t.Fatalf("loaded %+v, saved %+v", loaded, saved)
			}
			if err := sameEngines(a, b); err != nil {
				t.Fatalf("the engine loaded from the image differs: %v", err)
			}
			for q := range 30 {
				checkQueries(t, ctx, b, ref, g, open, fmt.Sprintf("from the image, query %d", q))
			}

			// The store moves on; a new engine from the (now older) image applies only
			// what changed after it, and ends where the engine that wrote the image ends
			// after the same changes.
			res, err := st.Upsert(ctx, distinctBatch(g, ref, 700))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			c := New(s, st, opts)
			if _, err := c.LoadImage(ctx, path); err != nil {
				t.Fatal(err)
			}
			n, err := c.Sync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if changed := res.Inserted + res.Updated; n != changed {
				t.Errorf("the sync after the image applied %d records, want the %d changed since", n, changed)
			}
			if err := sameEngines(a, c); err != nil {
				t.Fatalf("image + changes differs from the engine that went on syncing: %v", err)
			}
			for q := range 30 {
				checkQueries(t, ctx, c, ref, g, open, fmt.Sprintf("image and changes, query %d", q))
			}
			// A loaded engine takes writes like any other.
			if _, err := st.Upsert(ctx, distinctBatch(g, ref, 500)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if err := sameEngines(a, c); err != nil {
				t.Fatalf("after more writes: %v", err)
			}
			for q := range 10 {
				checkQueries(t, ctx, c, ref, g, open, fmt.Sprintf("after more writes, query %d", q))
			}
		})
	}
}

// TestImageRefused: an image that does not fit is refused with a reason, leaves the
// engine empty, and a Sync then loads everything from the store.
func TestImageRefused(t *testing.T) {
	ctx := context.Background()
	s := testSchema(t)
	dir := t.TempDir()
	storePath := filepath.Join(dir, "tickets.db")
	st, err := bolt.Open(storePath, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g := newGenerator(5, s)
	ref := newReference(s)
	if _, err := st.Upsert(ctx, g.batch(2000, ref)); err != nil {
		t.Fatal(err)
	}
	// A copy of the store as it is now, before the image's writes.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	copyFile(t, storePath, filepath.Join(dir, "older.db"))
	if st, err = bolt.Open(storePath, bolt.Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Upsert(ctx, distinctBatch(g, ref, 200)); err != nil {
		t.Fatal(err)
	}
	week := 7 * 24 * time.Hour
	now := func() time.Time { return time.UnixMilli(g.base + g.span) }
	a := New(s, st, Options{Window: 2 * week, Now: now})
	if _, err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "engine.image")
	if _, err := a.SaveImage(ctx, good); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name string, change func([]byte) []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, change(append([]byte(nil), raw...)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other, err := bolt.Open(filepath.Join(dir, "other.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	if _, err := other.Upsert(ctx, newGenerator(6, s).batch(100, newReference(s))); err != nil {
		t.Fatal(err)
	}
	older, err := bolt.Open(filepath.Join(dir, "older.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { older.Close() })
	otherSchema, err := schema.Parse([]byte(strings.Replace(testSchemaYAML, "{name: title, type: text}", "{name: title, type: string}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	mid := len(raw) / 2
	tests := []struct {
		name   string
		path   string
		schema *schema.Schema
		st     *bolt.Store
		window time.Duration
		want   string
	}{
		{"a byte changed in a block", variant("flipped", func(b []byte) []byte { b[mid] ^= 0x40; return b }), s, st, 2 * week, "checksum"},
		{"a byte changed in the header", variant("header", func(b []byte) []byte { b[40] ^= 0x01; return b }), s, st, 2 * week, "header fails its checksum"},
		{"truncated", variant("short", func(b []byte) []byte { return b[:mid] }), s, st, 2 * week, "truncated"},
		{"bytes after the end", variant("long", func(b []byte) []byte { return append(b, 0) }), s, st, 2 * week, "after its last block"},
		{"not an image", variant("text", func([]byte) []byte { return []byte("hello, this is not an image at all") }), s, st, 2 * week, "not an engine image"},
		{"another schema", good, otherSchema, st, 2 * week, "another schema"},
		{"a wider window", good, s, st, 3 * week, "this engine the tickets of a window of 504h"},
		{"a narrower window", good, s, st, week, "this engine the tickets of a window of 168h"},
		{"no window", good, s, st, 0, "this engine every ticket"},
		{"another store", good, s, other, 2 * week, "another store"},
		{"an older copy of the store", good, s, older, 2 * week, "past the store's latest change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(tt.schema, tt.st, Options{Window: tt.window, Now: now})
			_, err := e.LoadImage(ctx, tt.path)
			if err == nil || errors.Is(err, ErrNoImage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadImage = %v, want an error saying %q", err, tt.want)
			}
			if e.Len() != 0 || e.cursor != "" {
				t.Fatalf("a refused image left %d tickets and cursor %q", e.Len(), e.cursor)
			}
			if _, err := e.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			full := New(tt.schema, tt.st, Options{Window: tt.window, Now: now})
			if _, err := full.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if err := sameEngines(full, e); err != nil {
				t.Fatalf("after a refused image, the load from the store differs: %v", err)
			}
		})
	}

	t.Run("the same window takes the image", func(t *testing.T) {
		e := New(s, st, Options{Window: 2 * week, Now: now})
		if _, err := e.LoadImage(ctx, good); err != nil {
			t.Fatal(err)
		}
		if e.Len() != a.Len() || e.Outside() != a.Outside() {
			t.Fatalf("holds %d tickets and left out %d, want the image's %d and %d", e.Len(), e.Outside(), a.Len(), a.Outside())
		}
	})
	t.Run("no file", func(t *testing.T) {
		e := New(s, st, Options{})
		if _, err := e.LoadImage(ctx, filepath.Join(dir, "missing")); !errors.Is(err, ErrNoImage) {
			t.Fatalf("LoadImage of a missing file = %v, want ErrNoImage", err)
		}
	})
	t.Run("an engine that loaded already", func(t *testing.T) {
		e := New(s, st, Options{Window: 2 * week, Now: now})
		if _, err := e.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.LoadImage(ctx, good); err == nil || !strings.Contains(err.Error(), "loaded tickets already") {
			t.Fatalf("LoadImage into a loaded engine = %v, want a refusal", err)
		}
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDictRebuild covers more strings than one batch of the parallel rebuild, and the
// refusal of a dictionary that gives a string twice.
func TestDictRebuild(t *testing.T) {
	src := newDict()
	src.appendNull()
	words := numbered("value-", 3*rebuildBatch+17)
	for _, w := range words {
		src.intern(w)
	}
	copyOf := func() *dict {
		d := newDict()
		d.refs = append([]uint32(nil), src.refs...)
		d.arena.chunks = src.arena.chunks
		d.arena.big = src.arena.big
		return d
	}
	d := copyOf()
	if err := d.rebuild(1); err != nil {
		t.Fatal(err)
	}
	for i, w := range words {
		if id, ok := d.find(w); !ok || id != uint32(i+1) {
			t.Fatalf("find(%q) = %d, %v; want %d", w, id, ok, i+1)
		}
	}
	if _, ok := d.find(""); ok {
		t.Error("the null entry was found")
	}
	if _, ok := d.find("value-none"); ok {
		t.Error("a string never added was found")
	}
	dup := copyOf()
	dup.refs[len(dup.refs)-1] = dup.refs[5]
	if err := dup.rebuild(1); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("rebuild with a repeated string = %v, want an error", err)
	}
	bad := copyOf()
	bad.refs[7] = uint32(len(bad.arena.chunks)+3) << chunkOffsetBits
	if err := bad.rebuild(1); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("rebuild with a reference outside the arena = %v, want an error", err)
	}
}
