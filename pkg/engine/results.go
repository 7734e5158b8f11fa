package engine

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// resultCache keeps the answers of recent queries for as long as the tickets do not
// change (one generation): a dashboard refreshed by several people, or again before a
// ticket arrives, is answered without reading a row. Answers are shared, so callers treat
// them as read-only, as the frame builders do. Only small answers are kept (a tickets
// answer of at most cachedRows rows; aggregates are small by nature), at most
// maxCachedResults of them; the entries of an older generation go at the next insert.
type resultCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]any
}

const (
	maxCachedResults = 256
	cachedRows       = 1000
)

func newResultCache() *resultCache { return &resultCache{entries: map[string]any{}} }

func (c *resultCache) get(gen uint64, key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return nil, false
	}
	v, ok := c.entries[key]
	return v, ok
}

func (c *resultCache) put(gen uint64, key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gen < c.gen:
		return // computed before a write that a newer answer has seen
	case gen > c.gen:
		c.gen = gen
		clear(c.entries)
	}
	if len(c.entries) >= maxCachedResults {
		for k := range c.entries { // any one: the map's order is random enough
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = v
}

func (c *resultCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// remember answers a query from the result cache under key, or computes it and keeps
// the answer when keep says it is small enough. The generation is read before the
// computation: an answer computed while tickets were written is kept under the older
// generation, which the next read does not use.
func remember[T any](e *Engine, key string, keep func(T) bool, compute func() (T, error)) (T, error) {
	gen := e.gen.Load()
	if v, ok := e.results.get(gen, key); ok {
		return v.(T), nil
	}
	v, err := compute()
	if err == nil && (keep == nil || keep(v)) {
		e.results.put(gen, key, v)
	}
	return v, err
}

// scopeKey writes the scope as part of a result cache key.
func scopeKey(b *strings.Builder, kind string, sc *Scope) {
	fmt.Fprintf(b, "%s\x00%s\x00%s\x00%s\x00%q\x00", kind, sc.From.Format(time.RFC3339Nano), sc.To.Format(time.RFC3339Nano), sc.TimeField, sc.Search)
	if sc.Where != nil {
		b.WriteString(sc.Where.String())
	}
	b.WriteByte(0)
}

func cacheKey(kind string, sc *Scope, rest ...any) string {
	var b strings.Builder
	scopeKey(&b, kind, sc)
	for _, v := range rest {
		fmt.Fprintf(&b, "%v\x00", v)
	}
	return b.String()
}
