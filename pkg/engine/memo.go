package engine

import (
	"container/list"
	"sync"
)

// A string test (contains, a regular expression, a comparison) on a dictionary-coded
// column is answered once per distinct value, not per row, and the answers are kept in
// a memo indexed by code. For a column of millions of distinct values (titles) the memo
// is what makes a filter cheap or dear, so:
//
//   - its pages are allocated as the rows a query reads touch them, never for the whole
//     dictionary, out of a budget per query (memBudget);
//   - a test on a big dictionary shares its answers across queries (memoCache): a value's
//     answer never changes, so the panels of a refresh, the next refresh and the first
//     query after a write test only the values they are the first to see. A query copies
//     the shared pages it reads and publishes the pages it filled as new pages when its
//     filter is done: a published page is never written again, so readers need no lock
//     to use one.

const (
	memoShift = 12
	memoPage  = 1 << memoShift
)

// maxFilterMemory bounds the memo pages of one query's filter: 64 MiB holds the answers
// of 64 million codes, far more than any dashboard filter touches.
const maxFilterMemory = 64 << 20

// memBudget is the memory one query may spend on the memos of its filter.
type memBudget struct{ left int }

func (b *memBudget) take(n int) bool {
	if b == nil || b.left < n {
		return false
	}
	b.left -= n
	return true
}

// codeMemo is one query's memo of a test: 0 not yet known, 1 fails, 2 passes.
type codeMemo struct {
	pages  [][]uint8
	budget *memBudget
	// shared, when set, is the engine's memo of the same test, which pages start from
	// and which publish adds to; dirty lists the pages that gained answers.
	shared *sharedMemo
	dirty  []bool
}

// page returns the page of code, or nil when the budget allows no new one.
func (m *codeMemo) page(code uint32) []uint8 {
	i := int(code >> memoShift)
	if i < len(m.pages) && m.pages[i] != nil {
		return m.pages[i]
	}
	if !m.budget.take(memoPage) {
		return nil
	}
	if i >= len(m.pages) {
		m.pages = append(m.pages, make([][]uint8, i+1-len(m.pages))...)
	}
	pg := make([]uint8, memoPage)
	if m.shared != nil {
		if from := m.shared.page(i); from != nil {
			copy(pg, from[:])
		}
	}
	m.pages[i] = pg
	return pg
}

// filled records that the page of code gained an answer.
func (m *codeMemo) filled(code uint32) {
	if m.shared == nil {
		return
	}
	i := int(code >> memoShift)
	if i >= len(m.dirty) {
		m.dirty = append(m.dirty, make([]bool, i+1-len(m.dirty))...)
	}
	m.dirty[i] = true
}

// publish adds the answers this query found to the shared memo.
func (m *codeMemo) publish() {
	if m.shared == nil {
		return
	}
	for i, d := range m.dirty {
		if d {
			m.shared.merge(i, m.pages[i])
			m.dirty[i] = false
		}
	}
}

// sharedMemo is the engine's memo of one test, kept across queries.
type sharedMemo struct {
	mu    sync.RWMutex
	pages []*[memoPage]uint8
	// size is the bytes of its pages, which the cache counts.
	size  int
	cache *memoCache
	key   string
}

func (s *sharedMemo) page(i int) *[memoPage]uint8 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if i < len(s.pages) {
		return s.pages[i]
	}
	return nil
}

// merge publishes page i as the union of what was published and local.
func (s *sharedMemo) merge(i int, local []uint8) {
	s.mu.Lock()
	if i >= len(s.pages) {
		s.pages = append(s.pages, make([]*[memoPage]uint8, i+1-len(s.pages))...)
	}
	merged := new([memoPage]uint8)
	grew := 0
	if old := s.pages[i]; old != nil {
		*merged = *old
	} else {
		grew = memoPage
	}
	for k, v := range local {
		if v != 0 {
			merged[k] = v
		}
	}
	s.pages[i] = merged
	s.size += grew
	s.mu.Unlock()
	if grew > 0 {
		s.cache.grew(s, grew)
	}
}

// memoCache holds the shared memos of the tests of recent queries, the least recently
// used dropped past maxMemoBytes. Trim renumbers the codes, so it empties the cache.
type memoCache struct {
	mu    sync.Mutex
	byKey map[string]*list.Element
	lru   list.List // of *memoEntry, most recent first
	bytes int
}

type memoEntry struct {
	key  string
	memo *sharedMemo
}

// maxMemoBytes bounds the shared memos: a test of every title of 10 million tickets
// takes 2.3 MB, so this keeps a hundred of them.
const maxMemoBytes = 256 << 20

func newMemoCache() *memoCache { return &memoCache{byKey: map[string]*list.Element{}} }

// get returns the shared memo of the test named key, made when new.
func (c *memoCache) get(key string) *sharedMemo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*memoEntry).memo
	}
	m := &sharedMemo{cache: c, key: key}
	c.byKey[key] = c.lru.PushFront(&memoEntry{key: key, memo: m})
	return m
}

// grew counts n more bytes of m, dropping the least recently used memos past the bound.
// A memo dropped while a query uses it is only no longer shared.
func (c *memoCache) grew(m *sharedMemo, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[m.key]; !ok || el.Value.(*memoEntry).memo != m {
		return // dropped meanwhile
	}
	c.bytes += n
	for c.bytes > maxMemoBytes && c.lru.Len() > 1 {
		el := c.lru.Back()
		en := el.Value.(*memoEntry)
		c.lru.Remove(el)
		delete(c.byKey, en.key)
		en.memo.mu.RLock()
		c.bytes -= en.memo.size
		en.memo.mu.RUnlock()
	}
}

// reset forgets every memo.
func (c *memoCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey = map[string]*list.Element{}
	c.lru.Init()
	c.bytes = 0
}
