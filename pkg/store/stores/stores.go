// Package stores opens a store from the spec a user types on the command line or in the
// data source's settings, so that every entry point accepts the same specs:
//
//	/var/lib/spacetime/tickets.db    the embedded store in that file
//	file:tickets.db                  the same, explicitly (file:///abs/path.db also works)
//	dynamodb://TABLE?region=R        a DynamoDB table (see package store/dynamo), with
//	  &endpoint=http://HOST:PORT     a DynamoDB-compatible server or VPC endpoint, and
//	  &profile=NAME                  a profile of the shared AWS config files
//
// A DynamoDB table must exist: `spacetime migrate --store dynamodb://TABLE?...` creates it.
package stores

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/store/dynamo"
)

// Option changes how Open opens a store.
type Option func(*options)

type options struct {
	bolt   bolt.Options
	dynamo []func(*dynamo.Config)
}

// WithBoltOptions sets the options of an embedded store.
func WithBoltOptions(o bolt.Options) Option {
	return func(opts *options) {
		o.MustExist = o.MustExist || opts.bolt.MustExist
		opts.bolt = o
	}
}

// MustExist makes Open fail, with an error that wraps fs.ErrNotExist, rather than create
// an embedded store that is not there: for commands that only read. (A DynamoDB table is
// never created by Open.)
func MustExist() Option {
	return func(opts *options) { opts.bolt.MustExist = true }
}

// WithDynamoConfig changes the configuration of a DynamoDB store after it is read from the
// spec: the plugin sets the AWS configuration (credentials from the data source's
// settings) this way.
func WithDynamoConfig(change func(*dynamo.Config)) Option {
	return func(opts *options) { opts.dynamo = append(opts.dynamo, change) }
}

// Open opens the store that spec names.
func Open(ctx context.Context, spec string, opts ...Option) (store.Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open store %q: %w", spec, err)
	}
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("open store: the store spec is empty; give a file path, file:PATH or dynamodb://TABLE")
	}
	if path, ok := filePath(spec); ok {
		if path == "" {
			return nil, fmt.Errorf("open store %q: the file path is empty", spec)
		}
		return bolt.Open(path, o.bolt)
	}
	scheme, _, _ := strings.Cut(spec, "://")
	switch strings.ToLower(scheme) {
	case "dynamodb":
		cfg, err := dynamo.ParseURL(spec)
		if err != nil {
			return nil, fmt.Errorf("open %w", err)
		}
		for _, change := range o.dynamo {
			change(&cfg)
		}
		return dynamo.Open(ctx, cfg)
	default:
		return nil, fmt.Errorf("open store %q: unknown kind of store %q; give a file path, file:PATH or dynamodb://TABLE", spec, scheme)
	}
}

// LocalPath returns the file path of a spec that names the embedded store.
func LocalPath(spec string) (string, bool) { return filePath(spec) }

// filePath returns the path of a spec that names the embedded store: a plain path, file:PATH,
// or file://PATH (so that file:///abs/path is /abs/path).
func filePath(spec string) (string, bool) {
	if rest, ok := cutPrefixFold(spec, "file://"); ok {
		return rest, true
	}
	if rest, ok := cutPrefixFold(spec, "file:"); ok {
		return rest, true
	}
	if strings.Contains(spec, "://") {
		return "", false
	}
	return spec, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
