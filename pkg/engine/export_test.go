package engine

// DropCaches forgets every cached selection, so that a benchmark iteration computes its
// selections as the first refresh after a write would.
func DropCaches(e *Engine) {
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	e.cache.entries = nil
	e.results.reset()
}

// DropResults forgets the cached answers only, so that a benchmark measures what the
// selection cache alone saves.
func DropResults(e *Engine) { e.results.reset() }
