package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
)

// runSchema prints the default schema (a starting point to copy) or checks a schema file.
func runSchema(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("schema")
	check := fs.String("check", "", "check this schema file and report every problem")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *check == "" {
		_, err := stdout.Write(schema.DefaultText())
		return err
	}
	s, err := schema.Load(*check)
	if err != nil {
		return err
	}
	if _, err := query.NewEnv(s); err != nil {
		return fmt.Errorf("schema file %s: %w", *check, err)
	}
	fmt.Fprintf(stdout, "%s is valid: %d columns, %d facets, key %q, time %q\n", *check, len(s.Columns), len(s.Facets()), s.Key, s.Time)
	return nil
}
