package stores

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/store/bolt"
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
		{"dynamodb", context.Background(), "dynamodb://tickets?region=eu-west-1&endpoint=http://127.0.0.1:8000", []string{"dynamodb://tickets", "DynamoDB store is not built yet"}},
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
