package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/grafana/grafana-aws-sdk/pkg/awsauth"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/logval"
	"github.com/spacetime/tickets/pkg/query"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/stores"
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

// Hub shares open stores and loaded engines between data source instances. Grafana makes
// a new instance whenever settings change and disposes of the old one later; an embedded
// store file can be open only once, and reloading an engine of a million tickets costs a
// second, so instances over the same store and schema share them, reference-counted.
type Hub struct {
	mu      sync.Mutex
	stores  map[string]*sharedStore
	indexes map[string]*Index
	logger  log.Logger
	// awsConfigs builds (and caches) the AWS configurations of DynamoDB stores.
	awsConfigs awsauth.ConfigProvider
	// followEvery is how often engines over a DynamoDB store read the others' writes.
	followEvery time.Duration
	// trimEvery is how often engines with a window are trimmed.
	trimEvery time.Duration
	// imageEvery is how often engines write their image again when they changed.
	imageEvery time.Duration
}

// NewHub returns an empty hub. main makes one and hands it to the instance factory.
func NewHub(logger log.Logger) *Hub {
	return &Hub{
		stores:      map[string]*sharedStore{},
		indexes:     map[string]*Index{},
		logger:      logger,
		awsConfigs:  awsauth.NewConfigProvider(),
		followEvery: DefaultFollowEvery,
		trimEvery:   DefaultTrimEvery,
		imageEvery:  DefaultImageEvery,
	}
}

type sharedStore struct {
	st   store.Store
	refs int
	// poller is the store's one ticket poller, nil when no instance configured a source.
	// It is replaced, not shared, when an instance brings other source settings: the
	// newest settings are Grafana's truth. Guarded by Hub.mu.
	poller *sharedPoller
	// indexes are the engines over the store, which a poller brings up to date after
	// each write. Guarded by its own lock, which a poller takes while Hub.mu may be held
	// by someone waiting for that poller to stop.
	indexMu sync.Mutex
	indexes []*Index
}

// Index is a loaded engine over a store, shared by instances with the same store and
// schema.
type Index struct {
	Store  store.Store
	Engine *engine.Engine
	// shared is the store the index reads, with the other indexes over it.
	shared *sharedStore
	// storeID is the store's identity in the hub: the file path, or
	// dynamodb://TABLE@REGION/ENDPOINT#AUTH.
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

// Acquire returns the index for the store target names and the environment's schema,
// opening the store (through stores.Open) and loading the engine on first use. Call the
// returned release once when done. ctx bounds the opening of the store only.
func (h *Hub) Acquire(ctx context.Context, target storeTarget, env *query.Env) (*Index, func(), error) {
	fp, err := json.Marshal(env.Schema)
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
		st, err := stores.Open(ctx, target.Spec, target.Options...)
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
		Engine:  engine.New(env.Schema, ss.st, engine.Options{Open: env.Open, Window: target.Window}),
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
	go func() {
		defer close(ix.done)
		if !h.load(loadCtx, ix) {
			return
		}
		var wg sync.WaitGroup
		if target.Window > 0 {
			// An image holds the tickets that aged out of the window since it was
			// written: drop them now rather than at the next hourly trim.
			wg.Go(func() { h.trim(loadCtx, ix, h.trimEvery, ix.imaged) })
		}
		if ix.image != "" {
			wg.Go(func() { h.keepImage(loadCtx, ix, h.imageEvery) })
		}
		if target.Follow > 0 {
			h.follow(loadCtx, ix, target.Follow)
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
	start := time.Now()
	if ix.image != "" {
		info, err := ix.Engine.LoadImage(ctx, ix.image)
		switch {
		case err == nil:
			ix.imaged = true
			h.logger.Info("Tickets read from the engine image", "store", ix.storeID, "image", ix.image,
				"tickets", logval.Count(info.Tickets), "written", info.Saved, "took", logval.Duration(info.Took))
		case errors.Is(err, engine.ErrNoImage):
		default:
			// Never trusted: the store has every ticket, at the price of a longer start.
			h.logger.Warn("The engine image cannot be used; loading every ticket from the store", "store", ix.storeID, "error", err)
		}
	}
	gen := ix.Engine.Generation()
	n, err := ix.Engine.Sync(ctx)
	if err != nil {
		ix.err = fmt.Errorf("load the tickets from %s: %w", ix.storeID, err)
		h.logger.Error("Loading tickets failed", "store", ix.storeID, "error", err)
		return false
	}
	if ix.imaged && n == 0 {
		ix.savedGen = gen
	}
	h.logger.Info("Tickets loaded", "store", ix.storeID, "tickets", logval.Count(ix.Engine.Len()), "fromStore", logval.Count(n),
		"took", logval.Duration(time.Since(start)))
	return true
}

// keepImage writes the engine's image once it has loaded from the store, then every
// interval when the tickets changed, until ctx ends (the index's release writes it a
// last time).
func (h *Hub) keepImage(ctx context.Context, ix *Index, every time.Duration) {
	if !ix.imaged {
		h.saveImage(ctx, ix)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			h.saveImage(ctx, ix)
		}
	}
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
		h.logger.Warn("Writing the engine image failed; the next start loads from the store", "store", ix.storeID, "error", err)
		return
	}
	ix.savedGen = gen
	h.logger.Info("Engine image written", "store", ix.storeID, "image", ix.image, "tickets", logval.Count(info.Tickets),
		"bytes", logval.Count(info.Bytes), "took", logval.Duration(info.Took))
}

// follow applies what other processes write to a shared store, every interval, until ctx
// ends. A failed sync is logged and retried at the next tick: the engine resumes after
// what it applied, and queries keep answering from what is loaded.
func (h *Hub) follow(ctx context.Context, ix *Index, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_, err := ix.Engine.Sync(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			// Logged once per run of failures, not at every tick.
			h.logger.Warn("Reading the store's changes failed; retrying", "store", ix.storeID, "error", err)
			failing = true
		case err == nil && failing:
			h.logger.Info("Reading the store's changes works again", "store", ix.storeID)
			failing = false
		}
	}
}

// trim drops the tickets that aged out of the engine's window, every interval (and at
// once when now is set), until ctx ends.
func (h *Hub) trim(ctx context.Context, ix *Index, every time.Duration, now bool) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if !now {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		now = false
		start := time.Now()
		n, err := ix.Engine.Trim(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			h.logger.Warn("Dropping the tickets older than the window failed", "store", ix.storeID, "error", err)
		case n > 0:
			h.logger.Info("Dropped the tickets older than the window", "store", ix.storeID, "dropped", logval.Count(n),
				"held", logval.Count(ix.Engine.Len()), "took", logval.Duration(time.Since(start)))
		}
	}
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
		// Every instance released its poller before its index; dropStore stops a
		// poller left behind all the same.
		if err := h.dropStore(ix.storeID, ss); err != nil {
			h.logger.Warn("Closing the store failed", "store", ix.storeID, "error", err)
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

// Close stops every poller, giving its polling lease up so that another Grafana server
// takes over at once, and closes every store. main calls it when Grafana shuts the
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
