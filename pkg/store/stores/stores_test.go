package stores

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/store/dynamo"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
	"github.com/spacetime/tickets/pkg/ticket"
)

func TestOpenFileSpecs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		spec func(path string) string
	}{
		{"a plain path", func(p string) string { return p }},
		{"file:PATH", func(p string) string { return "file:" + p }},
		{"file://ABSOLUTE-PATH", func(p string) string { return "file://" + p }},
		{"the scheme in capitals", func(p string) string { return "FILE:" + p }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name, "tickets.db")
			s, err := Open(context.Background(), tt.spec(path))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			info, err := s.Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.Kind != "embedded" || info.Location != path {
				t.Errorf("Info = %+v, want the embedded store at %s", info, path)
			}
		})
	}
}

func TestOpenSpecsShareTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickets.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	layout := ticket.NewLayout([]string{"id"})
	if _, err := s.Upsert(ctx, []ticket.Record{{Key: "a", Layout: layout, Values: []ticket.Value{ticket.String("a")}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Get(ctx, []string{"a"}); err != nil || len(got) != 1 {
		t.Errorf("the ticket written through a plain path, read through file: = %v, %v", got, err)
	}
}

func TestOpenRefusedSpecs(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		spec  string
		wants []string
	}{
		{"empty", context.Background(), "  ", []string{"empty", "file path"}},
		{"file without a path", context.Background(), "file:", []string{"file:", "path is empty"}},
		{"dynamodb with an unknown parameter", context.Background(), "dynamodb://tickets?regin=eu-west-1", []string{"dynamodb://tickets", `unknown parameter "regin"`}},
		{"dynamodb without a table", context.Background(), "dynamodb://?region=eu-west-1", []string{"no table name"}},
		{"another scheme", context.Background(), "s3://bucket/tickets.db", []string{"s3://bucket/tickets.db", `unknown kind of store "s3"`}},
		{"a cancelled context", cancelled, filepath.Join(t.TempDir(), "x.db"), []string{"context canceled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.ctx, tt.spec)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.spec)
			}
			for _, want := range tt.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open(%q) error %q does not mention %q", tt.spec, err, want)
				}
			}
		})
	}
}

func TestOpenPassesBoltOptions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickets.db")
	first, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = Open(ctx, path, WithBoltOptions(bolt.Options{Timeout: 20 * time.Millisecond}))
	if err == nil || !strings.Contains(err.Error(), "waited 20ms") {
		t.Errorf("second Open = %v, want the lock error after the 20ms given", err)
	}
}

func TestOpenDynamoDB(t *testing.T) {
	ctx := context.Background()
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	spec := "dynamodb://tickets?region=eu-west-1&endpoint=" + server.Endpoint

	_, err := Open(ctx, spec)
	if err == nil || !strings.Contains(err.Error(), "spacetime migrate") {
		t.Fatalf("Open before migrate = %v, want the advice to run spacetime migrate", err)
	}
	cfg, err := dynamo.ParseURL(spec)
	if err != nil {
		t.Fatal(err)
	}
	client, err := dynamo.NewClient(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dynamo.Migrate(ctx, client, "tickets"); err != nil {
		t.Fatal(err)
	}
	var changed bool
	s, err := Open(ctx, spec, WithDynamoConfig(func(c *dynamo.Config) { changed = c.Table == "tickets" }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !changed {
		t.Error("the WithDynamoConfig function did not see the table's config")
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != "dynamodb" || !strings.Contains(info.Location, "dynamodb://tickets (region eu-west-1)") {
		t.Errorf("Info = %+v, want the DynamoDB table in eu-west-1", info)
	}
	layout := ticket.NewLayout([]string{"id"})
	if _, err := s.Upsert(ctx, []ticket.Record{{Key: "a", Layout: layout, Values: []ticket.Value{ticket.String("a")}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, []string{"a"}); err != nil || len(got) != 1 {
		t.Errorf("Get after Upsert through the spec = %v, %v", got, err)
	}
}
