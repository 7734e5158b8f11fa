package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/store"
)

var _ store.Resumer = (*Store)(nil)

// historyOf names a table's history by its ARN and creation time: a table deleted and
// created again under the same name starts another history, whose cursors say nothing
// of the first one's.
func historyOf(t *types.TableDescription) string {
	if t == nil {
		return ""
	}
	arn := aws.ToString(t.TableArn)
	if arn == "" {
		arn = aws.ToString(t.TableName)
	}
	created := int64(0)
	if t.CreationDateTime != nil {
		created = t.CreationDateTime.UnixMilli()
	}
	return fmt.Sprintf("%s@%d", arn, created)
}

// HistoryID names the table's history (its ARN and creation time), as Open read it.
func (s *Store) HistoryID(ctx context.Context) (string, error) {
	if s.closed.Load() {
		return "", store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("history id: %w", err)
	}
	if s.history == "" {
		return "", errors.New("history id: the table's description had no ARN or creation time")
	}
	return s.history, nil
}

// CheckCursor returns nil for a cursor of this store's kind. The change index keeps every
// ticket's latest change, so a cursor of the table stays resumable however old it is:
// Changes reads the index from the cursor's hour, costing a query per shard and hour
// since, most of them empty (half a read unit each).
func (s *Store) CheckCursor(ctx context.Context, c store.Cursor) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("check cursor: %w", err)
	}
	_, err := parseCursor(c)
	return err
}
