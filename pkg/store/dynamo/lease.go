package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spacetime/tickets/pkg/store"
)

const (
	prefixLease   = "x#"
	attrHolder    = "h"
	attrExpiresMS = "e"

	// leaseCondition lets a write take the lease when nobody has it, when it has expired
	// by the writer's clock, or when the writer holds it already. Expiry is compared by
	// the server as a number the writers computed, so takeover comes early or late by the
	// clock skew between two replicas; NTP keeps that far below a lease's length.
	leaseCondition = "attribute_not_exists(#k) OR #h = :me OR #e < :now"
)

var _ store.Leaser = (*Store)(nil)

// AcquireLease implements store.Leaser with a conditional PutItem on the item x#NAME
// (holder and expiry in milliseconds). DynamoDB has no TTL in dynalite and none is
// needed: an expired lease is simply overwritten by the next taker.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (store.Lease, error) {
	if s.closed.Load() {
		return store.Lease{}, store.ErrClosed
	}
	if name == "" || holder == "" {
		return store.Lease{}, errors.New("acquire lease: the lease name and the holder must not be empty")
	}
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("acquire lease %s: the lease must last longer than %s", name, ttl)
	}
	now := s.now()
	expires := now.Add(ttl)
	out, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrKey:       &types.AttributeValueMemberS{Value: prefixLease + name},
			attrHolder:    &types.AttributeValueMemberS{Value: holder},
			attrExpiresMS: &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.UnixMilli(), 10)},
		},
		ConditionExpression:      aws.String(leaseCondition),
		ExpressionAttributeNames: map[string]string{"#k": attrKey, "#h": attrHolder, "#e": attrExpiresMS},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":me":  &types.AttributeValueMemberS{Value: holder},
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              types.ReturnConsumedCapacityTotal,
	})
	if err == nil {
		s.addWrite(out.ConsumedCapacity)
		return store.Lease{Holder: holder, Expires: expires}, nil
	}
	var failed *types.ConditionalCheckFailedException
	if !errors.As(err, &failed) {
		return store.Lease{}, fmt.Errorf("acquire lease %s: %w", name, explain(err, "PutItem", s.table, s.region))
	}
	item := failed.Item
	if len(item) == 0 {
		// The server did not return the item (dynalite does not): read who holds it.
		if item, err = s.getItem(ctx, prefixLease+name, attrHolder, attrExpiresMS); err != nil {
			return store.Lease{}, fmt.Errorf("acquire lease %s: read its holder: %w", name, err)
		}
		if item == nil {
			// Released between the write and the read: the next attempt takes it.
			return store.Lease{}, nil
		}
	}
	return leaseOf(item), nil
}

// ReleaseLease implements store.Leaser: a conditional delete that only the holder's
// call can make.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	out, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: prefixLease + name}},
		ConditionExpression:       aws.String("#h = :me"),
		ExpressionAttributeNames:  map[string]string{"#h": attrHolder},
		ExpressionAttributeValues: map[string]types.AttributeValue{":me": &types.AttributeValueMemberS{Value: holder}},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		// Someone else holds it now, or nobody: nothing to give up.
		return nil
	case err != nil:
		return fmt.Errorf("release lease %s: %w", name, explain(err, "DeleteItem", s.table, s.region))
	}
	s.addWrite(out.ConsumedCapacity)
	return nil
}

func leaseOf(item map[string]types.AttributeValue) store.Lease {
	var l store.Lease
	if h, ok := item[attrHolder].(*types.AttributeValueMemberS); ok {
		l.Holder = h.Value
	}
	if ms, ok := numberAttr(item, attrExpiresMS); ok {
		l.Expires = time.UnixMilli(ms)
	}
	return l
}
