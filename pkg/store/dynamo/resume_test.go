package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/store"
)

// TestHistoryAndCursorChecks: a table's history is its ARN and creation time, so a table
// created again under its name is another history; a cursor of the store's kind is
// resumable, another is not.
func TestHistoryAndCursorChecks(t *testing.T) {
	created := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	a := historyOf(&types.TableDescription{TableArn: aws.String("arn:aws:dynamodb:eu-west-1:1:table/t"), CreationDateTime: &created})
	again := created.Add(time.Hour)
	b := historyOf(&types.TableDescription{TableArn: aws.String("arn:aws:dynamodb:eu-west-1:1:table/t"), CreationDateTime: &again})
	if a == "" || a == b {
		t.Fatalf("histories %q and %q: want two different, non-empty ones", a, b)
	}
	ctx := context.Background()
	s := &Store{history: a}
	if got, err := s.HistoryID(ctx); err != nil || got != a {
		t.Fatalf("HistoryID = %q, %v; want %q", got, err, a)
	}
	st := cursorState{low: 5 << stampShift, high: 6 << stampShift, given: []uint64{1, 2}}
	for _, c := range []store.Cursor{"", st.encode()} {
		if err := s.CheckCursor(ctx, c); err != nil {
			t.Errorf("CheckCursor(%q) = %v, want nil", c, err)
		}
	}
	if err := s.CheckCursor(ctx, "12345"); err == nil {
		t.Error("CheckCursor accepted an embedded store's cursor")
	}
	if _, err := (&Store{}).HistoryID(ctx); err == nil {
		t.Error("HistoryID without a description succeeded")
	}
}
