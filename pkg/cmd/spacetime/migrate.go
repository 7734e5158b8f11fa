package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spacetime/tickets/pkg/store/dynamo"
)

// runMigrate creates or updates the DynamoDB table of a store spec (the table and its
// change index, on-demand capacity), then checks it as the data source's health check
// does: reachability, the table's state, and every permission the store needs.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate")
	storeSpec := fs.String("store", "", "the `STORE`, a DynamoDB table: dynamodb://TABLE?region=REGION[&endpoint=URL][&profile=NAME] (required)")
	checkOnly := fs.Bool("check", false, "change nothing: only check the table and the permissions")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *storeSpec == "" {
		return fmt.Errorf("%w: --store is required", errUsage)
	}
	if !strings.HasPrefix(strings.ToLower(*storeSpec), "dynamodb://") {
		return fmt.Errorf("%w: --store %q is not a DynamoDB table (dynamodb://TABLE?region=REGION); "+
			"the embedded store needs no migration", errUsage, *storeSpec)
	}
	cfg, err := dynamo.ParseURL(*storeSpec)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	client, err := dynamo.NewClient(ctx, cfg)
	if err != nil {
		return err
	}
	if !*checkOnly {
		res, err := dynamo.Migrate(ctx, client, cfg.Table)
		if err != nil {
			return err
		}
		switch {
		case res.Created:
			fmt.Fprintf(stdout, "created table %s (on-demand capacity) with its change index\n", cfg.Table)
		case res.IndexCreated:
			fmt.Fprintf(stdout, "added the change index to table %s\n", cfg.Table)
		default:
			fmt.Fprintf(stdout, "table %s is up to date\n", cfg.Table)
		}
	}
	h, err := dynamo.CheckHealth(ctx, client, cfg.Table)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h.Message)
	return nil
}
