package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/sources"
	"github.com/spacetime/tickets/pkg/store"
)

// Source is a ticket source to poll, as its settings (the data source's jsonData.source,
// or `spacetime ingest`'s file) describe it.
type Source struct {
	Settings sources.Settings
	Secrets  sources.Secrets
	// MoreSecrets are other values to take out of every message (the data source's other
	// secure settings).
	MoreSecrets []string
	// Build changes how the source is built (tests: an HTTP client, fast retries).
	Build sources.Options
}

// PollerOptions are what a poller needs besides its source and store.
type PollerOptions struct {
	Logger Logger
	Clock  clock.Clock
	// AfterWrite is called after each batch is written (source.Options.AfterWrite).
	AfterWrite func(ctx context.Context) error
}

// Polled is a ticket source built from its settings and checked, with what its poller
// needs: for a caller that checks the settings before it opens the store.
type Polled struct {
	// Source is the ticket source.
	Source source.Source
	// Redact takes the source's secrets out of messages; every message about the source
	// goes through it.
	Redact *redact.Redactor
	key    string
	timing sources.Timing
}

// Build builds the ticket source of src, mapping onto sch. It returns nil for settings
// of type "none". Its errors name the setting at fault, and are redacted.
func Build(sch *schema.Schema, src Source) (*Polled, error) {
	set := src.Settings
	red := src.Secrets.Redactor(set, src.MoreSecrets...)
	timing, err := set.Timing()
	if err != nil {
		return nil, errors.New(red.String(err.Error()))
	}
	build := src.Build
	build.Redact = red
	s, err := sources.Build(sch, set, src.Secrets, build)
	if err != nil {
		return nil, errors.New(red.String(err.Error()))
	}
	if s == nil {
		return nil, nil
	}
	return &Polled{Source: s, Redact: red, key: set.Key(), timing: timing}, nil
}

// NewPoller returns the poller of the source into st: on the settings' schedule, with
// its checkpoint named by the settings, and on a store that other processes share
// (store.Leaser) with the lease that elects one poller among them.
func (p *Polled) NewPoller(st store.Store, opts PollerOptions) *source.Poller {
	popts := source.Options{
		Key:        p.key,
		Interval:   p.timing.Interval,
		Overlap:    p.timing.Overlap,
		AfterWrite: opts.AfterWrite,
		Clock:      opts.Clock,
		LeaseTTL:   p.timing.LeaseTTL,
		Redact:     p.Redact,
	}
	// A nil Logger must reach the poller as nil, not as a typed nil interface.
	if opts.Logger != nil {
		popts.Logger = opts.Logger
	}
	if l, ok := st.(store.Leaser); ok {
		popts.Lease = l
	}
	return source.NewPoller(p.Source, st, popts)
}

// Poller is a store's running poller, shared by the users that asked for it with the
// same settings.
type Poller struct {
	run  *source.Running
	key  string
	refs int
}

// Status is the poller's status (source.Poller.Status).
func (p *Poller) Status() source.Status { return p.run.Status() }

// pollerKey identifies everything a poller depends on: the source settings (its schedule
// and secrets included) and the schema, which the index key holds.
func pollerKey(ix *Index, src Source) string {
	raw, _ := json.Marshal(struct {
		Settings sources.Settings
		Secrets  sources.Secrets
		More     []string
		Index    string
	}{src.Settings, src.Secrets, src.MoreSecrets, ix.key})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// AttachPoller gives the user of ix the store's poller of src: the running one when it
// has the same settings, else a new one that replaces it (the user with the newest
// settings wins; Grafana disposes of the older instance soon after). It returns nil for
// settings of type "none", and an error, which names the setting at fault, for settings
// that give no poller. The returned release stops the poller when its last user lets go,
// and waits until it has.
func (h *Hub) AttachPoller(ix *Index, src Source) (*Poller, func(), error) {
	key := pollerKey(ix, src)
	h.mu.Lock()
	defer h.mu.Unlock()
	ss := h.stores[ix.storeID]
	if ss == nil || h.indexes[ix.key] != ix {
		return nil, func() {}, errors.New("the store's index was released")
	}
	if sp := ss.poller; sp != nil && sp.key == key {
		sp.refs++
		return sp, h.pollerReleaser(ss, sp), nil
	}
	built, err := Build(ix.Schema, src)
	if err != nil || built == nil {
		return nil, func() {}, err
	}
	p := built.NewPoller(ss.st, PollerOptions{Logger: h.opts.Logger, Clock: h.opts.Clock, AfterWrite: ss.syncIndexes})
	old := ss.poller
	sp := &Poller{key: key, refs: 1}
	ss.poller = sp
	// Stop the replaced poller before the new one starts, so that two pollers never
	// write to the store at once. Hub.mu is held meanwhile: a poller never takes it.
	if old != nil {
		old.run.Stop()
	}
	sp.run = p.Start()
	return sp, h.pollerReleaser(ss, sp), nil
}

func (h *Hub) pollerReleaser(ss *sharedStore, sp *Poller) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			sp.refs--
			if sp.refs > 0 {
				return
			}
			// A replaced poller was stopped when it was replaced; Stop is idempotent.
			sp.run.Stop()
			if ss.poller == sp {
				ss.poller = nil
			}
		})
	}
}
