// Package files is a drop-box ticket source: a directory where another system drops CSV,
// TSV or JSON lines files (optionally gzipped). Each poll reads the files that are new or
// changed since they were last read, with the same mapping as `spacetime import`, and
// remembers in the store which files it has read, by size and modification time.
package files

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

// DefaultSettle is how long a file must be left unchanged before it is read: a file still
// being written would be read half. Writers that write to a temporary name and rename
// (the safe way) are never read half, whatever the settle time.
const DefaultSettle = 2 * time.Second

// keptRejects is how many rejects of one file are listed (all are counted).
const keptRejects = 20

// Options configure the files source.
type Options struct {
	// Map says how the files' columns map onto the schema, as for `spacetime import`.
	Map ingest.MapOptions
	// Settle is how long a file must be unchanged before it is read; 0 means
	// DefaultSettle, negative none.
	Settle time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Source reads a directory.
type Source struct {
	dir    string
	schema *schema.Schema
	opts   Options
}

var _ source.Source = (*Source)(nil)

// New returns the source of the directory dir.
func New(s *schema.Schema, dir string, opts Options) (*Source, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, errors.New("the files source needs a directory")
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("the directory %q is not an absolute path (the plugin's working directory is Grafana's)", dir)
	}
	if _, err := ingest.NewMapper(s, nil, opts.Map); err != nil {
		return nil, err
	}
	if opts.Settle == 0 {
		opts.Settle = DefaultSettle
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Source{dir: dir, schema: s, opts: opts}, nil
}

// Describe names the source.
func (s *Source) Describe() string { return "files in " + s.dir }

// seen is what the source remembers of a file it read.
type seen struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
	// Error is why the file could not be read (it is read again when it changes).
	Error string `json:"error,omitempty"`
}

// Poll reads the files that are new or changed, oldest first. A file that cannot be
// imported (it has no key column, it is not what its name says) is a reject of the poll:
// it is reported and left alone until it changes, and the other files go on.
func (s *Source) Poll(ctx context.Context, w source.Window, emit source.Emit) (json.RawMessage, error) {
	state := map[string]seen{}
	if len(w.State) > 0 {
		if err := json.Unmarshal(w.State, &state); err != nil {
			state = map[string]seen{}
		}
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read the directory %s: %w", s.dir, err)
	}
	type candidate struct {
		name string
		info os.FileInfo
	}
	var todo []candidate
	next := map[string]seen{}
	now := s.opts.Now()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		if _, ok := ingest.FormatOf(name); !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		prev, known := state[name]
		if known && prev.Size == info.Size() && prev.ModTime.Equal(info.ModTime()) {
			next[name] = prev
			continue
		}
		if s.opts.Settle > 0 && now.Sub(info.ModTime()) < s.opts.Settle {
			// Still being written: keep what was known, read it at a later poll.
			if known {
				next[name] = prev
			}
			continue
		}
		todo = append(todo, candidate{name, info})
	}
	sort.Slice(todo, func(i, j int) bool {
		if !todo[i].info.ModTime().Equal(todo[j].info.ModTime()) {
			return todo[i].info.ModTime().Before(todo[j].info.ModTime())
		}
		return todo[i].name < todo[j].name
	})
	for _, c := range todo {
		entry := seen{Size: c.info.Size(), ModTime: c.info.ModTime()}
		if err := s.read(ctx, c.name, emit); err != nil {
			if ctx.Err() != nil || isStoreError(err) {
				return nil, err
			}
			entry.Error = err.Error()
			if err := emit(ctx, source.Batch{Rejects: []source.Reject{{Where: c.name, Reason: "the file was not read: " + err.Error()}}}); err != nil {
				return nil, err
			}
		}
		next[c.name] = entry
	}
	raw, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("encode the files read: %w", err)
	}
	return raw, nil
}

// storeError marks a failure of emit (the store), which ends the poll, from a failure of
// the file itself, which does not.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func isStoreError(err error) bool {
	var se *storeError
	return errors.As(err, &se)
}

func (s *Source) read(ctx context.Context, name string, emit source.Emit) error {
	path := filepath.Join(s.dir, name)
	sink := func(ctx context.Context, recs []ticket.Record) (store.UpsertResult, error) {
		if err := emit(ctx, source.Batch{Records: recs}); err != nil {
			return store.UpsertResult{}, &storeError{err}
		}
		return store.UpsertResult{}, nil
	}
	rep, err := ingest.ImportFile(ctx, path, s.schema, ingest.Options{Map: s.opts.Map, KeepRejects: keptRejects}, sink)
	if len(rep.Rejects) > 0 || rep.Rejected > 0 {
		b := source.Batch{MoreRejected: rep.Rejected - len(rep.Rejects)}
		for _, r := range rep.Rejects {
			b.Rejects = append(b.Rejects, source.Reject{Where: fmt.Sprintf("%s line %d", name, r.Line), Key: r.Key, Reason: r.Reason})
		}
		if eerr := emit(ctx, b); eerr != nil {
			return &storeError{eerr}
		}
	}
	if err != nil {
		var se *storeError
		if errors.As(err, &se) {
			return se
		}
		return err
	}
	return nil
}
