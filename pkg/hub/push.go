package hub

import (
	"context"
	"time"

	"github.com/spacetime/tickets/pkg/source"
)

// pushTimeout bounds the write of one push.
const pushTimeout = time.Minute

// Push maps pushed tickets (source.DecodePush's items) onto the index's schema, writes
// them to its store and brings every engine over the store up to date, reporting each
// ticket's outcome (source.Push). The write goes on if the caller hangs up: a batch is
// stored whole or not at all.
func (ix *Index) Push(ctx context.Context, items []any) (source.PushResult, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pushTimeout)
	defer cancel()
	return source.Push(ctx, ix.Store, ix.Schema, items, ix.shared.syncIndexes)
}
