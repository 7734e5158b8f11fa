package dynamo

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
	"github.com/spacetime/tickets/pkg/store/storetest"
)

// server is the dynalite every test of the package shares (each test uses its own
// tables); serverErr says why there is none.
var (
	server    *dynalitetest.Server
	serverErr error
	tables    atomic.Int64
)

func TestMain(m *testing.M) {
	server, serverErr = dynalitetest.Start(context.Background(), dynalitetest.Options{})
	code := m.Run()
	if server != nil {
		if err := server.Err(); err != nil {
			// Every test after the death failed on a refused connection; say why once.
			fmt.Fprintf(os.Stderr, "the shared dynalite died during the tests: %v\n", err)
			code = 1
		}
		_ = server.Close()
	}
	os.Exit(code)
}

// endpoint returns the shared server's endpoint, or skips t without one.
func endpoint(t testing.TB) string {
	t.Helper()
	if serverErr != nil {
		dynalitetest.Skip(t, serverErr)
	}
	if err := server.Err(); err != nil {
		t.Fatal(err)
	}
	return server.Endpoint
}

// newTable creates a new migrated table on the shared server and returns its config.
func newTable(t testing.TB) Config {
	t.Helper()
	ep := endpoint(t)
	cfg := testConfig(ep, fmt.Sprintf("spacetime-test-%d", tables.Add(1)))
	client, err := NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(context.Background(), client, cfg.Table); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return cfg
}

func testConfig(endpoint, table string) Config {
	aws := dynalitetest.AWSConfig(endpoint)
	return Config{Table: table, AWS: &aws, Endpoint: endpoint}
}

func openTable(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTable(t, newTable(t))
	})
	storetest.RunReopen(t, func(t *testing.T) func() (store.Store, error) {
		cfg := newTable(t)
		return func() (store.Store, error) { return Open(context.Background(), cfg) }
	})
}
