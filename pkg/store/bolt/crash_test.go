package bolt

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/ticket"
)

// crashChildEnv switches TestCrashChild on and names the file it writes.
const crashChildEnv = "SPACETIME_BOLT_CRASH_CHILD_FILE"

const crashBatchSize = 500

var crashLayout = ticket.NewLayout([]string{"id", "batch", "index", "body"})

// crashBatch is batch b: crashBatchSize new tickets, plus the "hot" ticket rewritten to say b
// was the last batch, so that a batch spans many pages and the hot ticket ties the batches
// together.
func crashBatch(b int) []ticket.Record {
	recs := make([]ticket.Record, 0, crashBatchSize+1)
	for i := range crashBatchSize {
		recs = append(recs, crashRecord(b, i))
	}
	return append(recs, ticket.Record{Key: "hot", Version: int64(b), Layout: crashLayout, Values: []ticket.Value{
		ticket.String("hot"), ticket.Number(float64(b)), {}, {},
	}})
}

func crashRecord(b, i int) ticket.Record {
	key := fmt.Sprintf("b%05d-%03d", b, i)
	return ticket.Record{Key: key, Version: int64(b), Layout: crashLayout, Values: []ticket.Value{
		ticket.String(key), ticket.Number(float64(b)), ticket.Number(float64(i)),
		ticket.String(strings.Repeat(key, 12)),
	}}
}

// TestCrashChild is the writer that TestCrashSafety kills: it appends batches forever and
// reports each one after Upsert returned.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("started by TestCrashSafety only")
	}
	ctx := context.Background()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	next := 0
	if hot, err := s.Get(ctx, []string{"hot"}); err != nil {
		t.Fatal(err)
	} else if len(hot) == 1 {
		next = int(hot[0].Version) + 1
	}
	for b := next; ; b++ {
		if _, err := s.Upsert(ctx, crashBatch(b)); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("committed %d\n", b)
	}
}

// TestCrashSafety kills a writing process with SIGKILL at an arbitrary moment, a few times
// over, and checks that the file opens with every reported batch in it and no batch in part.
// (A killed process loses nothing the kernel already has, so this checks the commit protocol
// against crashes of the process, not power loss.)
func TestCrashSafety(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	reported := -1
	// The delays move the kill to different moments of the next batch's write and commit.
	rounds := []struct {
		killAfter int
		delay     time.Duration
	}{{25, 0}, {10, 700 * time.Microsecond}, {17, 3 * time.Millisecond}, {12, 10 * time.Millisecond}}
	for round, r := range rounds {
		last := runCrashChild(t, path, r.killAfter, r.delay)
		if last < reported {
			t.Fatalf("round %d: the child reported batch %d after batch %d", round, last, reported)
		}
		reported = last
		checkCrashFile(t, path, reported)
	}
}

// runCrashChild runs the child until it reported killAfter batches, kills it after delay,
// and returns the last batch it reported.
func runCrashChild(t *testing.T, path string, killAfter int, delay time.Duration) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Bounds the test if the child hangs or never reports.
	watchdog := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()

	last, seen := -1, 0
	var other []string
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		line := scanner.Text()
		n, ok := strings.CutPrefix(line, "committed ")
		if !ok {
			other = append(other, line)
			continue
		}
		b, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("child printed %q", line)
		}
		last = b
		// Lines printed after the kill was sent still count: their batches committed.
		if seen++; seen == killAfter {
			time.AfterFunc(delay, func() { _ = cmd.Process.Kill() })
		}
	}
	_ = cmd.Wait()
	if seen < killAfter {
		t.Fatalf("the child stopped after %d batches, before it was killed:\n%s\n%s",
			seen, strings.Join(other, "\n"), stderr.String())
	}
	return last
}

// checkCrashFile opens the file left by a killed child and checks every batch.
func checkCrashFile(t *testing.T, path string, reported int) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("the file does not open after a crash: %v", err)
	}
	defer s.Close()

	hot, err := s.Get(ctx, []string{"hot"})
	if err != nil || len(hot) != 1 {
		t.Fatalf("the hot ticket: %v, %v", hot, err)
	}
	lastBatch := int(hot[0].Version)
	if lastBatch < reported {
		t.Fatalf("the file's last batch is %d, but the child reported batch %d as committed", lastBatch, reported)
	}
	// The child can have committed one batch it had no time to report.
	if lastBatch > reported+1 {
		t.Fatalf("the file's last batch is %d, the child reported only up to %d", lastBatch, reported)
	}

	perBatch := make([]int, lastBatch+1)
	_, err = s.Changes(ctx, "", func(r *ticket.Record) error {
		if r.Key == "hot" {
			return nil
		}
		b := int(r.Version)
		i := int(r.Values[2].F)
		if b < 0 || b > lastBatch {
			return fmt.Errorf("ticket %s is of batch %d, after the last batch %d: a batch went in part", r.Key, b, lastBatch)
		}
		if want := crashRecord(b, i); !r.SameValues(&want) || r.Key != want.Key {
			return fmt.Errorf("ticket %s holds wrong values %+v", r.Key, r.Values)
		}
		perBatch[b]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for b, n := range perBatch {
		if n != crashBatchSize {
			t.Errorf("batch %d has %d of its %d tickets", b, n, crashBatchSize)
		}
	}
	if info, err := s.Info(ctx); err != nil || info.Tickets != (lastBatch+1)*crashBatchSize+1 {
		t.Errorf("Info = %+v, %v; want %d tickets", info, err, (lastBatch+1)*crashBatchSize+1)
	}
	t.Logf("after the crash: batches 0..%d complete, %d reported", lastBatch, reported)
}
