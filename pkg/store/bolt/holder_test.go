package bolt

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// holdEnv names the store that TestHelperHoldsTheStore opens when the test binary runs
// it as a helper process.
const holdEnv = "SPACETIME_TEST_HOLD_STORE"

// TestHelperHoldsTheStore is not a test: run by TestOpenNamesTheProcessThatHoldsTheStore
// as another process, it opens the store, says so, and holds it until its stdin closes.
func TestHelperHoldsTheStore(t *testing.T) {
	path := os.Getenv(holdEnv)
	if path == "" {
		t.Skip("a helper process of TestOpenNamesTheProcessThatHoldsTheStore")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer s.Close()
	fmt.Println("holding")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}

// The lock message names the process that holds the store, as the kernel reports it in
// /proc/locks: its pid and its command (without its arguments, which may hold secrets).
func TestOpenNamesTheProcessThatHoldsTheStore(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the holder of a lock is read from /proc/locks, on Linux only")
	}
	path := filepath.Join(t.TempDir(), "tickets.db")
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperHoldsTheStore$", "-test.count=1")
	helper.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = helper.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "holding" {
		t.Fatalf("the helper process did not open the store: %q %v", line, err)
	}

	s, err := Open(path, Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded while another process holds the store")
	}
	msg := err.Error()
	want := fmt.Sprintf("pid %d (%s)", helper.Process.Pid, filepath.Base(os.Args[0]))
	if !strings.Contains(msg, want) {
		t.Errorf("%q does not name the holder, %s", msg, want)
	}
	if strings.Contains(msg, "-test.run") {
		t.Errorf("%q shows the holder's arguments", msg)
	}
}
