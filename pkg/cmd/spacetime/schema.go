package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/stores"
	"github.com/spacetime/tickets/pkg/storeschema"
)

// runSchema prints the default schema (a starting point to copy) or the one a store
// records, or checks a schema file, against the store's too when one is named.
func runSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("schema")
	check := fs.String("check", "", "check this schema `FILE` and report every problem")
	storeSpec := fs.String("store", "", storeUsage+": print the schema it records, or with -check compare the file with it")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	var stored *storeschema.Stored
	if *storeSpec != "" {
		st, err := stores.Open(ctx, *storeSpec, stores.MustExist())
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w; check --store", err)
		}
		if err != nil {
			return err
		}
		stored, err = storeschema.Read(ctx, st)
		_ = st.Close()
		if err != nil {
			return err
		}
		if stored == nil {
			return fmt.Errorf("the store %s records no schema: its tickets were written before stores recorded theirs; import with --schema to record one", *storeSpec)
		}
	}
	if *check == "" {
		if stored == nil {
			_, err := stdout.Write(schema.DefaultText())
			return err
		}
		// JSON is YAML too: the output is a schema file to edit or pass to --schema.
		var out bytes.Buffer
		if err := json.Indent(&out, stored.Record.Schema, "", "  "); err != nil {
			return fmt.Errorf("the store's schema: %w", err)
		}
		out.WriteByte('\n')
		_, err := stdout.Write(out.Bytes())
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
	if stored != nil {
		if stored.Hash != s.Hash() {
			return fmt.Errorf("%s: %s", *check, &storeschema.Mismatch{Stored: stored, Diff: schema.Compare(stored.Schema, s)})
		}
		fmt.Fprintf(stdout, "%s is the schema the store records (%s)\n", *check, stored.Hash)
	}
	return nil
}
