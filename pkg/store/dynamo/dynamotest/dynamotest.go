// Package dynamotest gives the tests of other packages a DynamoDB table to work on: a
// migrated table on a dynalite the test starts itself, and store handles on it that are
// closed when the test ends. (The dynamo package's own tests cannot use it: it imports
// dynamo.)
package dynamotest

import (
	"context"
	"testing"

	"github.com/spacetime/tickets/pkg/store/dynamo"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
)

// Table starts a dynalite for t (skipping t when dynalite is not installed), creates the
// named table with its change index, and returns the configuration that reaches it.
func Table(t testing.TB, name string) dynamo.Config {
	t.Helper()
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	return Migrate(t, server.Endpoint, name)
}

// Migrate creates the named table on the DynamoDB-compatible server at endpoint, as
// `spacetime migrate` does, and returns the configuration that reaches it.
func Migrate(t testing.TB, endpoint, name string) dynamo.Config {
	t.Helper()
	awsCfg := dynalitetest.AWSConfig(endpoint)
	cfg := dynamo.Config{Table: name, AWS: &awsCfg, Endpoint: endpoint}
	client, err := dynamo.NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatalf("dynamotest: client for %s: %v", endpoint, err)
	}
	if _, err := dynamo.Migrate(context.Background(), client, name); err != nil {
		t.Fatalf("dynamotest: migrate table %s: %v", name, err)
	}
	return cfg
}

// Open opens a store handle on the table, closed when t ends: another process's view of
// the table, in tests of sharing.
func Open(t testing.TB, cfg dynamo.Config) *dynamo.Store {
	t.Helper()
	st, err := dynamo.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("dynamotest: open table %s: %v", cfg.Table, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
