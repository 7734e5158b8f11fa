// Package dynalitetest runs dynalite, a DynamoDB-compatible server written in Node.js, on a
// free loopback port, so that tests exercise the DynamoDB store over real HTTP with the real
// SDK. dynalite comes from the project's npm devDependencies (node_modules/dynalite, which
// `scripts/setup` installs); no Docker and no JVM are needed.
//
// What dynalite lacks (no transactions, no PartiQL, no TTL) the store does not use. Its
// consumed capacity counts the base table only, never a global secondary index.
package dynalitetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// ErrUnavailable means node or the dynalite package is missing on this machine.
var ErrUnavailable = errors.New("dynalite is not available")

// EnvScript names dynalite's cli.js explicitly, overriding the search of node_modules.
const EnvScript = "SPACETIME_DYNALITE"

// Options tune Start.
type Options struct {
	// Path keeps the data in this directory (LevelDB) instead of in memory, so that a
	// restarted server finds it again.
	Path string
	// TableDelay is how long tables stay CREATING, UPDATING or DELETING; dynalite's own
	// default is 500ms, the zero value here means 20ms so that tests do not wait.
	TableDelay time.Duration
}

// Server is one running dynalite.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string

	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	output   *syncBuffer
	stopOnce sync.Once
}

// Start starts dynalite on a free loopback port and waits until it accepts connections.
// It returns an error wrapping ErrUnavailable when node or dynalite is not installed.
func Start(ctx context.Context, opts Options) (*Server, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: node is not on PATH (install Node.js 20+)", ErrUnavailable)
	}
	script, err := findScript()
	if err != nil {
		return nil, err
	}
	delay := opts.TableDelay
	if delay <= 0 {
		delay = 20 * time.Millisecond
	}
	var lastErr error
	// The port is free when chosen but another process can take it before dynalite binds
	// it; a few attempts make that race harmless.
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := launch(ctx, node, script, port, delay, opts.Path)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// guard runs dynalite's cli.js (process.argv[1]) in a process that survives a client
// dropping a request half-way. dynalite 4.0.0 rethrows a request stream's error from its
// HTTP handler (index.js, httpHandler), uncaught, so one client cancelled
// while sending a body, or a plugin process killed mid-request, ends the whole server
// and every later test fails with "connection refused". Only that error (ECONNRESET, raised
// as "aborted" by Node's HTTP server) is ignored; any other uncaught error still ends the
// server, with a distinct exit code.
const guard = `process.on('uncaughtException', function (err) {
  if (err && err.code === 'ECONNRESET') {
    console.error('[dynalitetest] a client dropped a request half-way (' + err.message + '); still serving')
    return
  }
  console.error(err)
  process.exit(70)
})
require(process.argv[1])`

func launch(ctx context.Context, node, script string, port int, delay time.Duration, path string) (*Server, error) {
	ms := strconv.FormatInt(delay.Milliseconds(), 10)
	// node -e CODE SCRIPT ARGS... sets process.argv to [node, SCRIPT, ARGS...], the
	// shape cli.js reads its flags from.
	args := []string{"-e", guard, script, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", ms, "--updateTableMs", ms, "--deleteTableMs", ms}
	if path != "" {
		args = append(args, "--path", path)
	}
	// Not exec.CommandContext: the server must outlive the context that started it.
	cmd := exec.Command(node, args...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, exited: make(chan struct{}), output: out}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("dynalite exited before listening on %s (%v): %s", addr, s.waitErr, out.String())
		case <-ctx.Done():
			_ = s.Close()
			return nil, fmt.Errorf("start dynalite: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.Close()
			return nil, fmt.Errorf("dynalite did not listen on %s within 30s: %s", addr, out.String())
		}
	}
}

// findScript returns dynalite's cli.js: $SPACETIME_DYNALITE, or node_modules/dynalite/cli.js
// in the working directory or one of its parents (tests run in their package's directory).
func findScript() (string, error) {
	if p := os.Getenv(EnvScript); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v", ErrUnavailable, EnvScript, p, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find dynalite: %w", err)
	}
	for {
		p := filepath.Join(dir, "node_modules", "dynalite", "cli.js")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no node_modules/dynalite above the working directory "+
				"(run `npm ci` at the repository root, which installs the devDependency dynalite@4)", ErrUnavailable)
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Close stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it.
func (s *Server) Close() error {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return nil
}

// Output returns what the server printed, for failure messages.
func (s *Server) Output() string { return s.output.String() }

// Err returns nil while the server runs, and once it has ended (by Close or by itself) an
// error with its exit status and what it printed, so that a test can say the server died
// rather than report a connection refused.
func (s *Server) Err() error {
	select {
	case <-s.exited:
		return fmt.Errorf("dynalite at %s has exited (%v); it printed:\n%s", s.Endpoint, s.waitErr, s.output.String())
	default:
		return nil
	}
}

// AWSConfig returns an SDK configuration that talks to endpoint with static credentials
// in us-east-1, as dynalite accepts any credentials.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// StartOrSkip starts a server for t and stops it when t ends. Without node or dynalite the
// test is skipped with the reason, except under CI (CI=true), where `scripts/setup`
// installs them and their absence is a failure.
func StartOrSkip(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), opts)
	if err != nil {
		Skip(t, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Skip skips t for an ErrUnavailable error (fails it under CI) and fails it for any other.
func Skip(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrUnavailable) && os.Getenv("CI") == "" {
		t.Skipf("skipping the DynamoDB tests: %v", err)
	}
	t.Fatalf("dynalite: %v", err)
}

// syncBuffer collects the server's output from its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// The output only explains failures; a runaway server must not fill memory.
	if b.buf.Len() > 1<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
