// Package stores opens a store from the spec a user types on the command line or in the
// data source's settings, so that every entry point accepts the same specs:
//
//	/var/lib/spacetime/tickets.db    the embedded store in that file
//	file:tickets.db                  the same, explicitly (file:///abs/path.db also works)
//	dynamodb://TABLE?region=...      a DynamoDB table (not built yet)
package stores

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// Option changes how Open opens a store.
type Option func(*options)

type options struct {
	bolt bolt.Options
}

// WithBoltOptions sets the options of an embedded store.
func WithBoltOptions(o bolt.Options) Option {
	return func(opts *options) { opts.bolt = o }
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
		u, err := url.Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("open store %q: %w", spec, err)
		}
		if u.Host == "" {
			return nil, fmt.Errorf("open store %q: no table name; write dynamodb://TABLE?region=REGION", spec)
		}
		return nil, fmt.Errorf("open store %q: the DynamoDB store is not built yet; use a file path for now", spec)
	default:
		return nil, fmt.Errorf("open store %q: unknown kind of store %q; give a file path, file:PATH or dynamodb://TABLE", spec, scheme)
	}
}

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
