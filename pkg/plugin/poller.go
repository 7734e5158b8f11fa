package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/sources"
	"github.com/spacetime/tickets/pkg/store"
)

// sharedPoller is a store's poller and the instances that asked for it.
type sharedPoller struct {
	run  *source.Running
	key  string
	refs int
}

// pollerKey identifies everything a poller depends on: the source settings (its
// schedule and secrets included) and the schema, which the index key holds.
func pollerKey(ix *Index, set sources.Settings, sec sources.Secrets) string {
	raw, _ := json.Marshal(struct {
		Settings sources.Settings
		Secrets  sources.Secrets
		Index    string
	}{set, sec, ix.key})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// attachPoller gives the instance the store's poller for these settings: the running one
// when it has the same settings, else a new one that replaces it (the instance with the
// newest settings wins; Grafana disposes of the older one soon after). The returned
// release stops the poller when its last instance lets go, and waits until it has.
func (h *Hub) attachPoller(ix *Index, src source.Source, set sources.Settings, sec sources.Secrets, timing sources.Timing, red *redact.Redactor) (*sharedPoller, func()) {
	key := pollerKey(ix, set, sec)
	h.mu.Lock()
	ss := h.stores[ix.storeID]
	if sp := ss.poller; sp != nil && sp.key == key {
		sp.refs++
		h.mu.Unlock()
		return sp, h.pollerReleaser(ss, sp)
	}
	old := ss.poller
	opts := source.Options{
		Key:        set.Key(),
		Interval:   timing.Interval,
		Overlap:    timing.Overlap,
		AfterWrite: ss.syncIndexes,
		Logger:     h.logger,
		LeaseTTL:   timing.LeaseTTL,
		Redact:     red,
	}
	// A store that other Grafana servers share (DynamoDB) elects one poller among them.
	if l, ok := ss.st.(store.Leaser); ok {
		opts.Lease = l
	}
	p := source.NewPoller(src, ss.st, opts)
	sp := &sharedPoller{key: key, refs: 1}
	ss.poller = sp
	// Stop the replaced poller before the new one starts, so that two pollers never
	// write to the store at once. Hub.mu is held meanwhile: a poller never takes it.
	if old != nil {
		old.run.Stop()
	}
	sp.run = p.Start()
	h.mu.Unlock()
	return sp, h.pollerReleaser(ss, sp)
}

func (h *Hub) pollerReleaser(ss *sharedStore, sp *sharedPoller) func() {
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

// syncIndexes brings every engine over the store up to date with its writes.
func (ss *sharedStore) syncIndexes(ctx context.Context) error {
	ss.indexMu.Lock()
	list := append([]*Index(nil), ss.indexes...)
	ss.indexMu.Unlock()
	var errs []error
	for _, ix := range list {
		if _, err := ix.Engine.Sync(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sync the index: %w", err))
		}
	}
	return errors.Join(errs...)
}

// sourceStatus is the poller status of the instance, nil without a source.
func (d *Datasource) sourceStatus() *source.Status {
	a := d.current()
	if a == nil || a.poller == nil {
		return nil
	}
	st := a.poller.run.Status()
	return &st
}

// sourceErr is why the source settings give no poller, nil when they do or when the
// store is not open.
func (d *Datasource) sourceErr() error {
	if a := d.current(); a != nil {
		return a.sourceErr
	}
	return nil
}
