package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/storetest"
	"github.com/spacetime/tickets/pkg/ticket"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "tickets.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
	storetest.RunReopen(t, func(t *testing.T) func() (store.Store, error) {
		path := filepath.Join(t.TempDir(), "reopen.db")
		return func() (store.Store, error) { return Open(path, Options{}) }
	})
}

// TestConformanceSmallChunks runs the suite with Changes reading 3 records per read
// transaction, so that every multi-record read resumes across transactions.
func TestConformanceSmallChunks(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := openTemp(t)
		s.changesChunk = 3
		return s
	})
}

func TestOpenCreatesDirectoriesAndFile(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "a", "b", "tickets.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		path string
		perm os.FileMode
		dir  bool
	}{
		{filepath.Join(root, "a"), 0o750, true},
		{filepath.Join(root, "a", "b"), 0o750, true},
		{path, 0o600, false},
	} {
		st, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if st.IsDir() != c.dir || st.Mode().Perm() != c.perm {
			t.Errorf("%s: dir %v mode %v, want dir %v mode %v", c.path, st.IsDir(), st.Mode().Perm(), c.dir, c.perm)
		}
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != "embedded" || info.Location != path || info.Tickets != 0 || info.Bytes <= 0 {
		t.Errorf("Info = %+v, want embedded at %s with 0 tickets and a size", info, path)
	}
}

func TestOpenWhileAnotherHasIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tickets.db")
	first, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	// bbolt locks with flock, which conflicts between two open files even in one process,
	// so this is what a second process sees.
	second, err := Open(path, Options{Timeout: 50 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a file in use succeeded")
	}
	want := []string{path, "another process", "Grafana"}
	if runtime.GOOS == "linux" {
		// The kernel says who holds it (holder_linux.go).
		want = []string{path, fmt.Sprintf("it is open in pid %d (%s): this process", os.Getpid(), filepath.Base(os.Args[0]))}
	}
	for _, want := range want {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	first.Close()
	third, err := Open(path, Options{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	third.Close()
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	otherBolt := func(t *testing.T, path string) {
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucket([]byte("settings"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	newerFormat := func(t *testing.T, path string) {
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketInfo).Put(infoFormat, binary.AppendUvarint(nil, formatVersion+1))
		}); err != nil {
			t.Fatal(err)
		}
	}
	text := func(content string) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name  string
		make  func(t *testing.T, path string)
		wants []string
	}{
		{"a short text file", text("id,title\n1,disk full\n"), []string{"not a Spacetime store"}},
		{"a long text file", text(strings.Repeat("id,title\n1,disk full\n", 2000)), []string{"not a Spacetime store"}},
		{"a bbolt file of another program", otherBolt, []string{"another program", `"settings"`}},
		{"a newer format", newerFormat, []string{"format 2", "newer", "upgrade"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "file.db")
			tt.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, Options{Timeout: 50 * time.Millisecond})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			for _, want := range append(tt.wants, path) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("a refused Open changed the file")
			}
		})
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open("", Options{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("Open(\"\") = %v, want an error about the empty path", err)
	}
}

func TestUpsertRefusesBadRecordsWholly(t *testing.T) {
	layout := ticket.NewLayout([]string{"id", "status"})
	good := ticket.Record{Key: "good", Version: 1, Layout: layout, Values: []ticket.Value{ticket.String("good"), ticket.String("open")}}
	tests := []struct {
		name string
		bad  ticket.Record
		want string
	}{
		{"empty key", ticket.Record{Layout: layout, Values: good.Values}, "key is empty"},
		{"no layout", ticket.Record{Key: "k", Values: good.Values}, "no layout"},
		{"too few values", ticket.Record{Key: "k", Layout: layout, Values: good.Values[:1]}, "1 values for a layout of 2"},
		{"key too long", ticket.Record{Key: strings.Repeat("k", bbolt.MaxKeySize+1), Layout: layout, Values: good.Values}, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t)
			_, err := s.Upsert(context.Background(), []ticket.Record{good, tt.bad})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "record 1") {
				t.Fatalf("Upsert = %v, want an error naming record 1 and %q", err, tt.want)
			}
			if got, _ := s.Get(context.Background(), []string{"good"}); len(got) != 0 {
				t.Error("the good record of a refused call was written")
			}
		})
	}
}

func TestUpsertCancelledWritesNothing(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	layout := ticket.NewLayout([]string{"id"})
	if _, err := s.Upsert(ctx, []ticket.Record{{Key: "a", Layout: layout, Values: []ticket.Value{ticket.String("a")}}}); err == nil {
		t.Fatal("Upsert with a cancelled context succeeded")
	}
	info, err := s.Info(context.Background())
	if err != nil || info.Tickets != 0 {
		t.Errorf("Info after a cancelled Upsert = %+v, %v; want no tickets", info, err)
	}
}

// numbered returns n records of one layout, keys k00000...
func numbered(layout *ticket.Layout, from, n int, version int64) []ticket.Record {
	recs := make([]ticket.Record, n)
	for i := range recs {
		k := fmt.Sprintf("k%05d", from+i)
		vals := make([]ticket.Value, layout.Len())
		for j := range vals {
			vals[j] = ticket.String(fmt.Sprintf("%s-%d", k, j))
		}
		recs[i] = ticket.Record{Key: k, Version: version, Layout: layout, Values: vals}
	}
	return recs
}

func TestRecordsShareTheirLayout(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickets.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a, b := ticket.NewLayout([]string{"id", "x"}), ticket.NewLayout([]string{"id", "y", "z"})
	if _, err := s.Upsert(ctx, append(numbered(a, 0, 20, 1), numbered(b, 20, 20, 1)...)); err != nil {
		t.Fatal(err)
	}
	// A layout equal by names but another pointer must reuse the stored layout.
	if _, err := s.Upsert(ctx, numbered(ticket.NewLayout(a.Names()), 40, 20, 1)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.changesChunk = 7
	pointers := map[string]map[*ticket.Layout]bool{}
	note := func(l *ticket.Layout) {
		if pointers[l.ID()] == nil {
			pointers[l.ID()] = map[*ticket.Layout]bool{}
		}
		pointers[l.ID()][l] = true
	}
	n := 0
	if _, err := s.Changes(ctx, "", func(r *ticket.Record) error { n++; note(r.Layout); return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, []string{"k00001", "k00021", "k00041"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		note(got[i].Layout)
	}
	if n != 60 || len(got) != 3 {
		t.Fatalf("read %d changes and %d records, want 60 and 3", n, len(got))
	}
	if len(pointers) != 2 {
		t.Errorf("records came back with %d layouts, want 2", len(pointers))
	}
	for id, ps := range pointers {
		if len(ps) != 1 {
			t.Errorf("layout %q came back as %d different pointers, want one", id, len(ps))
		}
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		if n := tx.Bucket(bucketLayouts).Stats().KeyN; n != 2 {
			t.Errorf("the file holds %d layouts, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestChangesAllocatesAlmostNothing pins the point of decoding with aliases: a load costs a
// handful of allocations per read transaction, none per record.
func TestChangesAllocatesAlmostNothing(t *testing.T) {
	const n = 5000
	s := openTemp(t)
	layout := ticket.NewLayout([]string{"id", "a", "b", "c"})
	if _, err := s.Upsert(context.Background(), numbered(layout, 0, n, 1)); err != nil {
		t.Fatal(err)
	}
	count := 0
	load := func() {
		count = 0
		if _, err := s.Changes(context.Background(), "", func(r *ticket.Record) error { count++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(3, load)
	if count != n {
		t.Fatalf("loaded %d records, want %d", count, n)
	}
	t.Logf("a load of %d records: %.0f allocations", n, allocs)
	if allocs > n/100 {
		t.Errorf("a load of %d records made %.0f allocations, want at most %d", n, allocs, n/100)
	}
}

func TestChangesResumesAfterCallbackError(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	s.changesChunk = 4
	if _, err := s.Upsert(ctx, numbered(ticket.NewLayout([]string{"id"}), 0, 10, 1)); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	var first []string
	cur, err := s.Changes(ctx, "", func(r *ticket.Record) error {
		if len(first) == 6 {
			return stop
		}
		first = append(first, strings.Clone(r.Key))
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Changes = %v, want the callback's error", err)
	}
	var rest []string
	if _, err := s.Changes(ctx, cur, func(r *ticket.Record) error {
		rest = append(rest, strings.Clone(r.Key))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(first) != 6 || len(rest) != 4 || rest[0] != "k00006" {
		t.Errorf("read %q, then from the returned cursor %q; want 6 then the 4 others from k00006", first, rest)
	}
}

func TestChangesRefusesForeignCursor(t *testing.T) {
	s := openTemp(t)
	for _, c := range []store.Cursor{"abc", "-1", "2026-11-25T10:00:00Z"} {
		_, err := s.Changes(context.Background(), c, func(*ticket.Record) error { return nil })
		if err == nil || !strings.Contains(err.Error(), string(c)) {
			t.Errorf("Changes(%q) = %v, want an error naming the cursor", c, err)
		}
	}
}

func TestCloseWaitsForReaders(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	s.changesChunk = 2
	if _, err := s.Upsert(ctx, numbered(ticket.NewLayout([]string{"id"}), 0, 10, 1)); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	n := 0
	_, err := s.Changes(ctx, "", func(r *ticket.Record) error {
		n++
		if n == 1 {
			go func() { closed <- s.Close() }()
			// The reader still holds its transaction: Close must wait for it, and the
			// key must stay readable meanwhile.
			for deadline := time.Now().Add(5 * time.Second); !s.closed.Load(); {
				if time.Now().After(deadline) {
					return errors.New("Close did not start")
				}
				time.Sleep(time.Millisecond)
			}
			if r.Key != "k00000" {
				return fmt.Errorf("the record changed under a reader: %q", r.Key)
			}
		}
		return nil
	})
	if !errors.Is(err, store.ErrClosed) {
		t.Errorf("Changes interrupted by Close = %v, want store.ErrClosed", err)
	}
	if n != 2 {
		t.Errorf("the callback ran %d times, want the 2 of the first transaction", n)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestConcurrentUpsertsStoreALayoutOnce races writers that all bring the same new layout:
// the file must hold it once, or replays would count as updates.
func TestConcurrentUpsertsStoreALayoutOnce(t *testing.T) {
	const rounds, writers = 40, 4
	ctx := context.Background()
	s := openTemp(t)
	for round := range rounds {
		names := []string{"id", fmt.Sprintf("column%d", round)}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				recs := numbered(ticket.NewLayout(names), round*writers+w, 1, 1)
				if _, err := s.Upsert(ctx, recs); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		if n := tx.Bucket(bucketLayouts).Stats().KeyN; n != rounds {
			t.Errorf("the file holds %d layouts, want %d", n, rounds)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHistoryAndCursors: a file keeps its history id across opens and copies, another
// file has another, and a cursor is resumable up to the file's latest change only.
func TestHistoryAndCursors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tickets.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.HistoryID(ctx)
	if err != nil || len(id) != 32 {
		t.Fatalf("HistoryID = %q, %v; want 32 hex digits", id, err)
	}
	layout := ticket.NewLayout([]string{"id", "status"})
	if _, err := s.Upsert(ctx, numbered(layout, 0, 10, 1)); err != nil {
		t.Fatal(err)
	}
	var mid store.Cursor
	if mid, err = s.Changes(ctx, "", func(*ticket.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "copy.db"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if again, _ := s.HistoryID(ctx); again != id {
		t.Errorf("reopened, the history id is %q, want %q", again, id)
	}
	if _, err := s.Upsert(ctx, numbered(layout, 5, 10, 2)); err != nil {
		t.Fatal(err)
	}
	last, err := s.Changes(ctx, mid, func(*ticket.Record) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Cursor{"", mid, last} {
		if err := s.CheckCursor(ctx, c); err != nil {
			t.Errorf("CheckCursor(%q) = %v, want nil", c, err)
		}
	}
	if err := s.CheckCursor(ctx, "x7"); err == nil {
		t.Error("CheckCursor of a foreign cursor succeeded")
	}

	cp, err := Open(filepath.Join(dir, "copy.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if got, _ := cp.HistoryID(ctx); got != id {
		t.Errorf("the copy's history id is %q, want the original's %q", got, id)
	}
	if err := cp.CheckCursor(ctx, mid); err != nil {
		t.Errorf("the copy refuses the cursor it was copied at: %v", err)
	}
	if err := cp.CheckCursor(ctx, last); err == nil || !strings.Contains(err.Error(), "past the store's latest change") {
		t.Errorf("the copy accepts a cursor from after it was copied: %v", err)
	}
	other := openTemp(t)
	if got, _ := other.HistoryID(ctx); got == id || got == "" {
		t.Errorf("another file's history id is %q (the first's is %q)", got, id)
	}
}

// TestHistoryAddedToOlderFiles: a file written before history ids gets one at its next
// open, and keeps it.
func TestHistoryAddedToOlderFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketInfo).Delete(infoHistory) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 2 {
		s, err := Open(path, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		id, err := s.HistoryID(ctx)
		if err != nil || id == "" {
			t.Fatalf("HistoryID = %q, %v", id, err)
		}
		ids = append(ids, id)
		s.Close()
	}
	if ids[0] != ids[1] {
		t.Errorf("the history id changed between opens: %q, %q", ids[0], ids[1])
	}
}

// TestBigBatchesKeepTheVersionRule covers the prepared path of a batch big enough to be
// prepared on several goroutines: inserts, stale and unchanged records, updates of
// stored tickets, keys given twice in the batch (out of order), and -0 against 0.
func TestBigBatchesKeepTheVersionRule(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	layout := ticket.NewLayout([]string{"id", "n", "s"})
	rec := func(k int, version int64, n float64, str string) ticket.Record {
		key := fmt.Sprintf("k%05d", k)
		return ticket.Record{Key: key, Version: version, Layout: layout,
			Values: []ticket.Value{ticket.String(key), ticket.Number(n), ticket.String(str)}}
	}
	var first []ticket.Record
	for k := range 3000 {
		first = append(first, rec(k, 10, 0, "a"))
	}
	if res, err := s.Upsert(ctx, first); err != nil || res.Inserted != 3000 {
		t.Fatalf("first batch: %+v, %v", res, err)
	}
	var batch []ticket.Record
	want := store.UpsertResult{}
	final := map[string]string{}
	for k := 2999; k >= 0; k-- { // decreasing keys: repeats must be found by the map
		switch k % 5 {
		case 0:
			batch = append(batch, rec(k, 9, 1, "stale")) // older: ignored
			want.Stale++
			final[fmt.Sprintf("k%05d", k)] = "a"
		case 1:
			batch = append(batch, rec(k, 10, math.Copysign(0, -1), "a")) // -0 is 0: unchanged
			want.Unchanged++
			final[fmt.Sprintf("k%05d", k)] = "a"
		case 2:
			batch = append(batch, rec(k, 10, 0, "b")) // same version, other values
			want.Updated++
			final[fmt.Sprintf("k%05d", k)] = "b"
		case 3:
			// Twice in the batch: the second sees the first.
			batch = append(batch, rec(k, 11, 0, "c"), rec(k, 11, 0, "c"), rec(k, 10, 0, "old"))
			want.Updated++
			want.Unchanged++
			want.Stale++
			final[fmt.Sprintf("k%05d", k)] = "c"
		case 4:
			batch = append(batch, rec(k+3000, 1, 0, "new"), rec(k+3000, 2, 0, "newer"))
			want.Inserted++
			want.Updated++
			final[fmt.Sprintf("k%05d", k+3000)] = "newer"
			final[fmt.Sprintf("k%05d", k)] = "a"
		}
	}
	res, err := s.Upsert(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	keys := make([]string, 0, len(final))
	for k := range final {
		keys = append(keys, k)
	}
	got, err := s.Get(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(final) {
		t.Fatalf("got %d tickets, want %d", len(got), len(final))
	}
	for _, r := range got {
		if v := r.Get("s").S; v != final[r.Key] {
			t.Errorf("%s holds %q, want %q", r.Key, v, final[r.Key])
		}
	}
	// Every stored ticket is in the change history once.
	n := 0
	if _, err := s.Changes(ctx, "", func(*ticket.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != len(final) {
		t.Errorf("the change history gives %d tickets, want %d", n, len(final))
	}
}

// TestPageSizes: a new file gets DefaultPageSize; a file made with another page size
// keeps it when opened again, and reads back what it holds.
func TestPageSizes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fresh, err := Open(filepath.Join(dir, "new.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := fresh.db.Info().PageSize; got != DefaultPageSize {
		t.Errorf("a new file has pages of %d bytes, want %d", got, DefaultPageSize)
	}
	fresh.Close()
	path := filepath.Join(dir, "old.db")
	old, err := Open(path, Options{NoSync: true, PageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	layout := ticket.NewLayout([]string{"id", "title"})
	if _, err := old.Upsert(ctx, numbered(layout, 0, 3000, 1)); err != nil {
		t.Fatal(err)
	}
	old.Close()
	again, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := again.db.Info().PageSize; got != 4096 {
		t.Errorf("the file made with 4 KiB pages opens with %d", got)
	}
	recs, err := again.Get(ctx, []string{"k00000", "k02999"})
	if err != nil || len(recs) != 2 || recs[1].Values[1].S != "k02999-1" {
		t.Fatalf("Get from the file with 4 KiB pages: %v %v", recs, err)
	}
}
