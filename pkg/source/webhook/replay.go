package webhook

import (
	"container/list"
	"sync"
	"time"
)

// replays remembers the delivery ids applied within a window, at most max of them, so
// that a vendor's retry of a delivery already applied is answered without writing again.
// It is an economy and a second line, not what makes a redelivery harmless: the store's
// version rule does that (an identical ticket is "unchanged", an older one "stale"), so a
// delivery that falls out of a full cache is still applied only once in effect.
type replays struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	seen   map[string]*list.Element
	order  *list.List // of *replay, oldest first
}

type replay struct {
	id string
	at time.Time
}

func newReplays(window time.Duration, max int) *replays {
	return &replays{window: window, max: max, seen: map[string]*list.Element{}, order: list.New()}
}

// has reports whether id was applied within the window before now.
func (r *replays) has(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	_, ok := r.seen[id]
	return ok
}

// add records id as applied at now, forgetting the oldest id when the cache is full.
func (r *replays) add(id string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	if el, ok := r.seen[id]; ok {
		r.order.Remove(el)
	}
	for r.order.Len() >= r.max {
		old := r.order.Remove(r.order.Front()).(*replay)
		delete(r.seen, old.id)
	}
	r.seen[id] = r.order.PushBack(&replay{id: id, at: now})
}

// len is the number of ids remembered.
func (r *replays) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len()
}

func (r *replays) expire(now time.Time) {
	for el := r.order.Front(); el != nil; el = r.order.Front() {
		rp := el.Value.(*replay)
		if now.Sub(rp.at) < r.window {
			return
		}
		r.order.Remove(el)
		delete(r.seen, rp.id)
	}
}
