// Package hub owns what a long-running process keeps open over its stores: the open
// stores, the engines loaded over them (shared and reference-counted), the background
// work that keeps each engine current (its first load, following other processes'
// writes, trimming to a window, writing its image), the pollers that write ticket sources
// into each store, and the write path of pushed tickets. The plugin's data source
// instances run on one Hub; `spacetime ingest` builds its poller the same way (Build).
//
// It knows nothing of Grafana: the plugin turns its settings into a Target and a Source.
package hub

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/logval"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
)

// DefaultTrimEvery is how often an engine with a window drops the tickets that have aged
// out of it. An hour's worth of old tickets is a small part of a window of days.
const DefaultTrimEvery = time.Hour

// DefaultImageEvery is how often an engine with an image writes it again when its
// tickets changed since the last time. The image only saves a restart the reading of
// what changed after it, so writing it rarely costs little.
const DefaultImageEvery = 30 * time.Minute

// DefaultFollowEvery is how often the engines over a shared (DynamoDB) store read what
// other processes wrote to it.
const DefaultFollowEvery = 10 * time.Second

// Logger is the part of a logger the hub writes to; the SDK's log.Logger is one.
type Logger interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// Options configure a Hub. The zero value of each field means its default.
type Options struct {
	// Logger receives the hub's log lines and its pollers'; nil logs nothing.
	Logger Logger
	// Clock is the time the background work and the pollers wait on; nil means
	// clock.Real.
	Clock clock.Clock
	// FollowEvery is how often engines over a shared store read the others' writes
	// when the target does not say (DefaultFollowEvery).
	FollowEvery time.Duration
	// TrimEvery is how often engines with a window are trimmed (DefaultTrimEvery).
	TrimEvery time.Duration
	// ImageEvery is how often engines write their image again when they changed
	// (DefaultImageEvery).
	ImageEvery time.Duration
}

// Hub shares open stores and loaded engines between their users (the data source
// instances). Grafana makes a new instance whenever settings change and disposes of the
// old one later; an embedded store file can be open only once, and reloading an engine of
// a million tickets costs a second, so users of the same store and schema share them,
// reference-counted.
type Hub struct {
	opts Options

	mu      sync.Mutex
	stores  map[string]*sharedStore
	indexes map[string]*Index
}

// New returns an empty hub.
func New(opts Options) *Hub {
	if opts.Logger == nil {
		opts.Logger = nopLogger{}
	}
	opts.Clock = clock.Or(opts.Clock)
	if opts.FollowEvery <= 0 {
		opts.FollowEvery = DefaultFollowEvery
	}
	if opts.TrimEvery <= 0 {
		opts.TrimEvery = DefaultTrimEvery
	}
	if opts.ImageEvery <= 0 {
		opts.ImageEvery = DefaultImageEvery
	}
	return &Hub{opts: opts, stores: map[string]*sharedStore{}, indexes: map[string]*Index{}}
}

type nopLogger struct{}

func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Warn(string, ...any)  {}
func (nopLogger) Error(string, ...any) {}

type sharedStore struct {
	st   store.Store
	refs int
	// poller is the store's one ticket poller, nil when no user asked for one. It is
	// replaced, not shared, when a user brings other source settings: the newest
	// settings are Grafana's truth. Guarded by Hub.mu.
	poller *Poller
	// indexes are the engines over the store, which a poller or a push brings up to date
	// after each write. Guarded by its own lock, which a poller takes while Hub.mu may be
	// held by someone waiting for that poller to stop.
	indexMu sync.Mutex
	indexes []*Index
}

// Index is a loaded engine over a store, shared by the users of the same store, schema
// and window.
type Index struct {
	Store  store.Store
	Engine *engine.Engine
	// Schema is the schema the engine was built with.
	Schema *schema.Schema
	// shared is the store the index reads, with the other indexes over it.
	shared *sharedStore
	// storeID is the store's identity in the hub (Target.ID).
	storeID string
	key     string
	refs    int
	ready   chan struct{}
	err     error // set before ready closes
	cancel  context.CancelFunc
	// done closes when the loading (and following) goroutine has returned.
	done chan struct{}

	// image is the file of the engine's image, empty for none. imageMu makes one save
	// at a time; savedGen is the engine's generation the last image (read or written)
	// reflects, so that an unchanged engine is not written again.
	image    string
	imageMu  sync.Mutex
	savedGen uint64
	imaged   bool
}

// Ready waits until the engine has loaded the store.
func (ix *Index) Ready(ctx context.Context) error {
	select {
	case <-ix.ready:
		return ix.err
	case <-ctx.Done():
		return fmt.Errorf("waiting for the tickets to load: %w", ctx.Err())
	}
}

// Loaded reports whether the initial load has finished, without waiting.
func (ix *Index) Loaded() bool {
	select {
	case <-ix.ready:
		return true
	default:
		return false
	}
}

// FromImage reports whether the engine's load began from its image (once loaded).
func (ix *Index) FromImage() bool {
	if !ix.Loaded() {
		return false
	}
	return ix.imaged
}

// Acquire returns the index over the store that target names, with the engine built
// with the schema sch and the open filter open (query.Env's), opening the store and
// loading the engine on first use. Call the returned release once when done. ctx bounds
// the opening of the store only.
func (h *Hub) Acquire(ctx context.Context, target Target, sch *schema.Schema, open filter.Expr) (*Index, func(), error) {
	fp, err := json.Marshal(sch)
	if err != nil {
		return nil, nil, fmt.Errorf("fingerprint the schema: %w", err)
	}
	key := fmt.Sprintf("%s\x00%x\x00%s", target.ID, sha256.Sum256(fp), target.Window)
	h.mu.Lock()
	defer h.mu.Unlock()
	if ix, ok := h.indexes[key]; ok {
		ix.refs++
		return ix, h.releaser(ix), nil
	}
	ss, ok := h.stores[target.ID]
	if !ok {
		st, err := target.Open(ctx)
		if err != nil {
			return nil, nil, err
		}
		ss = &sharedStore{st: st}
		h.stores[target.ID] = ss
	}
	ss.refs++
	loadCtx, cancel := context.WithCancel(context.Background())
	ix := &Index{
		Store:   ss.st,
		Engine:  engine.New(sch, ss.st, engine.Options{Open: open, Window: target.Window}),
		Schema:  sch,
		shared:  ss,
		storeID: target.ID,
		key:     key,
		refs:    1,
		ready:   make(chan struct{}),
		cancel:  cancel,
		done:    make(chan struct{}),
		image:   target.Image,
	}
	h.indexes[key] = ix
	ss.indexMu.Lock()
	ss.indexes = append(ss.indexes, ix)
	ss.indexMu.Unlock()
	follow := time.Duration(0)
	if target.Shared {
		follow = target.Follow
		if follow <= 0 {
			follow = h.opts.FollowEvery
		}
	}
	go func() {
		defer close(ix.done)
		if !h.load(loadCtx, ix) {
			return
		}
		var wg sync.WaitGroup
		if target.Window > 0 {
			// An image holds the tickets that aged out of the window since it was
			// written: drop them now rather than at the next hourly trim.
			wg.Go(func() { h.trim(loadCtx, ix, h.opts.TrimEvery, ix.imaged) })
		}
		if ix.image != "" {
			wg.Go(func() { h.keepImage(loadCtx, ix, h.opts.ImageEvery) })
		}
		if follow > 0 {
			h.follow(loadCtx, ix, follow)
		}
		wg.Wait()
	}()
	return ix, h.releaser(ix), nil
}

// load reads every ticket of the store into the engine and closes ix.ready: from the
// engine's image and the store's changes since, when the image can be used, else from
// the store.
func (h *Hub) load(ctx context.Context, ix *Index) bool {
	defer close(ix.ready)
	log := h.opts.Logger
	start := time.Now()
	if ix.image != "" {
		info, err := ix.Engine.LoadImage(ctx, ix.image)
		switch {
		case err == nil:
			ix.imaged = true
			log.Info("Tickets read from the engine image", "store", ix.storeID, "image", ix.image,
				"tickets", logval.Count(info.Tickets), "written", info.Saved, "took", logval.Duration(info.Took))
		case errors.Is(err, engine.ErrNoImage):
		default:
			// Never trusted: the store has every ticket, at the price of a longer start.
			log.Warn("The engine image cannot be used; loading every ticket from the store", "store", ix.storeID, "error", err)
		}
	}
	gen := ix.Engine.Generation()
	n, err := ix.Engine.Sync(ctx)
	if err != nil {
		ix.err = fmt.Errorf("load the tickets from %s: %w", ix.storeID, err)
		log.Error("Loading tickets failed", "store", ix.storeID, "error", err)
		return false
	}
	if ix.imaged && n == 0 {
		ix.savedGen = gen
	}
	log.Info("Tickets loaded", "store", ix.storeID, "tickets", logval.Count(ix.Engine.Len()), "fromStore", logval.Count(n),
		"took", logval.Duration(time.Since(start)))
	return true
}

// every calls fn every interval on the hub's clock until ctx ends; at once first when
// now is set.
func (h *Hub) every(ctx context.Context, interval time.Duration, now bool, fn func()) {
	tick := h.opts.Clock.NewTimer(interval)
	defer tick.Stop()
	for {
		if !now {
			select {
			case <-ctx.Done():
				return
			case <-tick.C():
			}
			tick.Reset(interval)
		}
		now = false
		fn()
	}
}

// keepImage writes the engine's image once it has loaded from the store, then every
// interval when the tickets changed, until ctx ends (the index's release writes it a
// last time).
func (h *Hub) keepImage(ctx context.Context, ix *Index, interval time.Duration) {
	h.every(ctx, interval, !ix.imaged, func() { h.saveImage(ctx, ix) })
}

// saveImage writes the engine's image when the engine changed since the last one.
func (h *Hub) saveImage(ctx context.Context, ix *Index) {
	if ix.image == "" || !ix.Loaded() || ix.err != nil {
		return
	}
	ix.imageMu.Lock()
	defer ix.imageMu.Unlock()
	gen := ix.Engine.Generation()
	if gen == ix.savedGen {
		return
	}
	info, err := ix.Engine.SaveImage(ctx, ix.image)
	if err != nil && ctx.Err() != nil {
		return // stopping: the release writes it
	}
	if err != nil {
		h.opts.Logger.Warn("Writing the engine image failed; the next start loads from the store", "store", ix.storeID, "error", err)
		return
	}
	ix.savedGen = gen
	h.opts.Logger.Info("Engine image written", "store", ix.storeID, "image", ix.image, "tickets", logval.Count(info.Tickets),
		"bytes", logval.Count(info.Bytes), "took", logval.Duration(info.Took))
}

// follow applies what other processes write to a shared store, every interval, until ctx
// ends. A failed sync is logged and retried at the next tick: the engine resumes after
// what it applied, and queries keep answering from what is loaded.
func (h *Hub) follow(ctx context.Context, ix *Index, interval time.Duration) {
	failing := false
	h.every(ctx, interval, false, func() {
		_, err := ix.Engine.Sync(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
		case err != nil && !failing:
			// Logged once per run of failures, not at every tick.
			h.opts.Logger.Warn("Reading the store's changes failed; retrying", "store", ix.storeID, "error", err)
			failing = true
		case err == nil && failing:
			h.opts.Logger.Info("Reading the store's changes works again", "store", ix.storeID)
			failing = false
		}
	})
}

// trim drops the tickets that aged out of the engine's window, every interval (and at
// once when now is set), until ctx ends.
func (h *Hub) trim(ctx context.Context, ix *Index, interval time.Duration, now bool) {
	h.every(ctx, interval, now, func() {
		start := time.Now()
		n, err := ix.Engine.Trim(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
		case err != nil:
			h.opts.Logger.Warn("Dropping the tickets older than the window failed", "store", ix.storeID, "error", err)
		case n > 0:
			h.opts.Logger.Info("Dropped the tickets older than the window", "store", ix.storeID, "dropped", logval.Count(n),
				"held", logval.Count(ix.Engine.Len()), "took", logval.Duration(time.Since(start)))
		}
	})
}

func (h *Hub) releaser(ix *Index) func() {
	var once sync.Once
	return func() { once.Do(func() { h.release(ix) }) }
}

func (h *Hub) release(ix *Index) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.indexes[ix.key] != ix {
		// Closed with the hub already.
		return
	}
	ix.refs--
	if ix.refs > 0 {
		return
	}
	ix.cancel()
	<-ix.done
	h.saveImage(context.Background(), ix)
	delete(h.indexes, ix.key)
	ss := h.stores[ix.storeID]
	ss.indexMu.Lock()
	for i, other := range ss.indexes {
		if other == ix {
			ss.indexes = append(ss.indexes[:i], ss.indexes[i+1:]...)
			break
		}
	}
	ss.indexMu.Unlock()
	ss.refs--
	if ss.refs == 0 {
		// Every user released its poller before its index; dropStore stops a poller
		// left behind all the same.
		if err := h.dropStore(ix.storeID, ss); err != nil {
			h.opts.Logger.Warn("Closing the store failed", "store", ix.storeID, "error", err)
		}
	}
}

// dropStore stops the store's poller, before the store closes under it, and closes the
// store. The caller holds h.mu.
func (h *Hub) dropStore(id string, ss *sharedStore) error {
	if ss.poller != nil {
		ss.poller.run.Stop()
		ss.poller = nil
	}
	delete(h.stores, id)
	if err := ss.st.Close(); err != nil {
		return fmt.Errorf("close the store %s: %w", id, err)
	}
	return nil
}

// Held says how many stores are open and how many engines loaded.
func (h *Hub) Held() (stores, indexes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.stores), len(h.indexes)
}

// Close stops every poller, giving its polling lease up so that another process takes
// over at once, and closes every store. The plugin's main calls it when Grafana shuts the
// plugin down, which does not dispose of the instances first.
func (h *Hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for _, ix := range h.indexes {
		ix.cancel()
	}
	for _, ix := range h.indexes {
		<-ix.done
	}
	// The images, so that the next start reads the columns back (a write is cut short
	// harmlessly if Grafana stops waiting: it goes to a temporary file first).
	for _, ix := range h.indexes {
		h.saveImage(context.Background(), ix)
	}
	clear(h.indexes)
	for id, ss := range h.stores {
		if err := h.dropStore(id, ss); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
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
