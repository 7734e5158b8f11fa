//go:build linux

package bolt

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/ticket"
)

// mappedRSS is the resident size of the process's mappings of the file at path, from
// /proc/self/smaps.
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	var rss int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") {
			in = strings.HasSuffix(line, " "+path)
			continue
		}
		if in && len(fields) >= 2 && fields[0] == "Rss:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			rss += kb << 10
		}
	}
	return rss
}

// TestFullReadReleasesThePages: after a Changes call that reads the whole store, the
// file's pages are no longer resident in the process (they were mapped in by the read),
// and the store reads the same records again.
func TestFullReadReleasesThePages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "big.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	layout := ticket.NewLayout([]string{"id", "title", "description"})
	for from := 0; from < releaseAfter+10_000; from += 10_000 {
		if _, err := s.Upsert(ctx, numbered(layout, from, 10_000, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	read := func() (n int, peak int64) {
		_, err := s.Changes(ctx, "", func(rec *ticket.Record) error {
			n++
			if n == releaseAfter {
				peak = mappedRSS(t, path)
			}
			if rec.Values[1].S != rec.Key+"-1" {
				t.Fatalf("record %q holds %q", rec.Key, rec.Values[1].S)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, peak
	}
	n, peak := read()
	after := mappedRSS(t, path)
	t.Logf("file %d bytes; mapped and resident during the read %d, after it %d", st.Size(), peak, after)
	if peak < st.Size()/4 {
		t.Fatalf("only %d bytes of the %d-byte file were resident during the read: the measure is wrong", peak, st.Size())
	}
	if after > st.Size()/20 {
		t.Fatalf("%d bytes of the file stay resident after the full read", after)
	}
	if again, _ := read(); again != n {
		t.Fatalf("read %d records after the release, %d before", again, n)
	}
}
