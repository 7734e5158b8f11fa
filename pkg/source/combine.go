package source

import (
	"context"
	"sync"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
)

// Combiner writes concurrent pushes to one store together (a group commit): while one
// write is in progress, the pushes that arrive wait, and the next write takes all of them
// in one store transaction and one afterWrite. A webhook carries one ticket, and an
// embedded store's write costs two fsyncs whatever its size, so a burst of deliveries in
// parallel would otherwise be bounded by the disk (a few hundred writes a second) rather
// than by the work. Each push still gets its own result, as Push alone would give it, and
// the pushes are applied in the order they arrived: a later push of the same ticket wins
// as it would one after the other. A failed write fails every push it carried; each
// sender retries its own.
type Combiner struct {
	st         store.Store
	schema     *schema.Schema
	afterWrite func(context.Context) error

	mu      sync.Mutex
	running bool
	waiting []*pushCall
}

type pushCall struct {
	items []any
	res   PushResult
	err   error
	// done closes when the call's write is over; lead closes when the call is to write
	// the next batch itself.
	done chan struct{}
	lead chan struct{}
}

// NewCombiner returns the combiner of the pushes to st (Push's arguments).
func NewCombiner(st store.Store, s *schema.Schema, afterWrite func(context.Context) error) *Combiner {
	return &Combiner{st: st, schema: s, afterWrite: afterWrite}
}

// Push is Push(ctx, st, schema, items, afterWrite), written together with the pushes that
// wait meanwhile. ctx bounds the write that carries the push: the caller's when it writes
// the batch itself, another caller's otherwise.
func (c *Combiner) Push(ctx context.Context, items []any) (PushResult, error) {
	call := &pushCall{items: items, done: make(chan struct{}), lead: make(chan struct{})}
	c.mu.Lock()
	if c.running {
		c.waiting = append(c.waiting, call)
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.res, call.err
		case <-call.lead:
		}
	} else {
		c.running = true
		c.mu.Unlock()
	}
	// This call writes the next batch: itself and the calls waiting, up to MaxPushRecords
	// tickets (a call alone may carry that many).
	c.mu.Lock()
	batch, total := []*pushCall{call}, len(items)
	for len(c.waiting) > 0 && total+len(c.waiting[0].items) <= MaxPushRecords {
		total += len(c.waiting[0].items)
		batch = append(batch, c.waiting[0])
		c.waiting = c.waiting[1:]
	}
	c.mu.Unlock()
	c.write(ctx, batch)
	// The first call still waiting writes the next batch; without one, the next push does.
	c.mu.Lock()
	if len(c.waiting) > 0 {
		next := c.waiting[0]
		c.waiting = c.waiting[1:]
		close(next.lead)
	} else {
		c.running = false
	}
	c.mu.Unlock()
	return call.res, call.err
}

// write pushes the batch's tickets in one Push and gives each call its share.
func (c *Combiner) write(ctx context.Context, batch []*pushCall) {
	defer func() {
		for _, call := range batch[1:] {
			close(call.done)
		}
	}()
	if len(batch) == 1 {
		batch[0].res, batch[0].err = Push(ctx, c.st, c.schema, batch[0].items, c.afterWrite)
		return
	}
	var items []any
	for _, call := range batch {
		items = append(items, call.items...)
	}
	res, err := Push(ctx, c.st, c.schema, items, c.afterWrite)
	off := 0
	for _, call := range batch {
		call.res, call.err = share(res, off, len(call.items)), err
		off += len(call.items)
	}
}

// share is the result of the n tickets from off of a combined push, as a push of them
// alone reports it.
func share(all PushResult, off, n int) PushResult {
	res := PushResult{Received: n, Records: make([]PushRecord, 0, n)}
	for _, r := range all.Records[off : off+n] {
		r.Index -= off
		res.Records = append(res.Records, r)
		switch r.Status {
		case "rejected":
			res.Rejected++
		case "stale":
			res.Stale++
			res.Result.Stale++
		case "accepted":
			res.Accepted++
			switch r.Outcome {
			case store.Inserted.String():
				res.Result.Inserted++
			case store.Updated.String():
				res.Result.Updated++
			case store.Unchanged.String():
				res.Result.Unchanged++
			}
		}
	}
	return res
}
