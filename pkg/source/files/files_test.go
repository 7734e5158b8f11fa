package files_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/files"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

func write(t *testing.T, path, text string, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	mt := time.Now().Add(-age)
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func TestDropBox(t *testing.T) {
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src, err := files.New(schema.Default(), dir, files.Options{Settle: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := source.NewPoller(src, st, source.Options{Key: "files"})
	ctx := context.Background()
	poll := func() source.Report {
		t.Helper()
		rep, err := p.PollOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	write(t, filepath.Join(dir, "a.csv"), "id,title,updated\nA-1,first,2026-11-20T10:00:00Z\nA-2,second,2026-11-20T10:00:00Z\nA-3,bad,yesterday\n", time.Minute)
	write(t, filepath.Join(dir, "b.jsonl"), `{"ticket_id": "B-1", "summary": "json", "updated_at": "2026-11-20T10:00:00Z"}`+"\n", time.Minute)
	write(t, filepath.Join(dir, "notes.txt"), "not tickets", time.Minute)
	write(t, filepath.Join(dir, ".hidden.csv"), "id\nH-1\n", time.Minute)
	write(t, filepath.Join(dir, "nokey.csv"), "name,title\nx,y\n", time.Minute)
	write(t, filepath.Join(dir, "fresh.csv"), "id,title\nF-1,being written\n", 0)

	rep := poll()
	if rep.Records != 3 {
		t.Errorf("first poll stored %d records, want A-1, A-2 and B-1", rep.Records)
	}
	st1 := p.Status()
	var reasons []string
	for _, r := range st1.RecentRejects {
		reasons = append(reasons, r.Where+": "+r.Reason)
	}
	joined := strings.Join(reasons, "\n")
	if !strings.Contains(joined, "a.csv line 4") || !strings.Contains(joined, "nokey.csv: the file was not read") {
		t.Errorf("rejects:\n%s\nwant the bad line of a.csv and the file without a key", joined)
	}

	// Nothing changed: nothing is read again, but the settled file is read now.
	write(t, filepath.Join(dir, "fresh.csv"), "id,title\nF-1,being written\n", time.Minute)
	rep = poll()
	if rep.Records != 1 || rep.Rejected != 0 {
		t.Errorf("second poll: %d records, %d rejected; want only the settled file's ticket", rep.Records, rep.Rejected)
	}

	// A changed file is read again; a removed one is forgotten.
	write(t, filepath.Join(dir, "a.csv"), "id,title,updated\nA-1,first v2,2026-11-20T11:00:00Z\n", 0)
	os.Chtimes(filepath.Join(dir, "a.csv"), time.Now().Add(-time.Minute), time.Now().Add(-time.Minute))
	os.Remove(filepath.Join(dir, "b.jsonl"))
	rep = poll()
	if rep.Records != 1 || rep.Result.Updated != 1 {
		t.Errorf("third poll: %+v, want A-1 updated", rep)
	}
	cp, err := p.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cp.State), "b.jsonl") || !strings.Contains(string(cp.State), "nokey.csv") {
		t.Errorf("state %s: want b.jsonl forgotten and nokey.csv remembered with its error", cp.State)
	}
	recs, err := st.Get(ctx, []string{"A-1"})
	if err != nil || len(recs) != 1 || recs[0].Get("title").S != "first v2" {
		t.Fatalf("A-1 = %+v (%v)", recs, err)
	}
}

func TestFilesSourceNeedsAnAbsoluteDirectory(t *testing.T) {
	for _, dir := range []string{"", "inbox"} {
		if _, err := files.New(schema.Default(), dir, files.Options{}); err == nil {
			t.Errorf("directory %q should be refused", dir)
		}
	}
	src, err := files.New(schema.Default(), "/nonexistent/inbox", files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Poll(context.Background(), source.Window{Now: time.Now()}, func(context.Context, source.Batch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/inbox") {
		t.Errorf("err = %v, want one naming the directory", err)
	}
}
