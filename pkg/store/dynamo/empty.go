package dynamo

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A first load reads the 8 shards of every hour since the table's first write: 70,080
// queries for a year, most of them empty on a quiet table, and their round trips, not the
// tickets, then make most of its time. But an hour of the index that is over (older than
// the overlap allowed for writers' clocks) never gains an entry: every write is indexed
// under the hour of its writer's clock, and an update moves a ticket out of its old hour,
// never into one. So an hour a first load found empty stays empty, and the first loads
// after it skip it. The empty hours of a day are kept in the item z#DAY (days since the
// epoch) as a number set that every finder adds to (UpdateItem ADD, a union, so that
// concurrent finders lose nothing; and a set that misses hours only costs queries).
const (
	prefixEmpty    = "z#"
	attrEmptyHours = "hs"
	// emptyCacheMin is the span of hours from which a first load consults and feeds the
	// cache: a shorter one costs few queries anyway.
	emptyCacheMin = 48
)

func emptyKey(day int64) string { return prefixEmpty + strconv.FormatInt(day, 10) }

// knownEmpty returns the hours from..to that earlier first loads found empty. It reads
// one item per day.
func (s *Store) knownEmpty(ctx context.Context, from, to int64) (map[int64]bool, error) {
	var keys []string
	for day := floorDiv(from, 24); day <= floorDiv(to, 24); day++ {
		keys = append(keys, emptyKey(day))
	}
	empty := map[int64]bool{}
	err := s.batchGet(ctx, "read the empty hours", keys, false, func(item map[string]types.AttributeValue) error {
		if set, ok := item[attrEmptyHours].(*types.AttributeValueMemberNS); ok {
			for _, v := range set.Value {
				if h, err := strconv.ParseInt(v, 10, 64); err == nil && h >= from && h <= to {
					empty[h] = true
				}
			}
		}
		return nil
	})
	return empty, err
}

// recordEmpty adds the hours found empty to their days' items, one UpdateItem a day.
func (s *Store) recordEmpty(ctx context.Context, hours []int64) error {
	byDay := map[int64][]string{}
	for _, h := range hours {
		day := floorDiv(h, 24)
		byDay[day] = append(byDay[day], strconv.FormatInt(h, 10))
	}
	for day, set := range byDay {
		out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: emptyKey(day)}},
			UpdateExpression:          aws.String("ADD #hs :hs"),
			ExpressionAttributeNames:  map[string]string{"#hs": attrEmptyHours},
			ExpressionAttributeValues: map[string]types.AttributeValue{":hs": &types.AttributeValueMemberNS{Value: set}},
			ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
		})
		if err != nil {
			return fmt.Errorf("record the empty hours of day %d: %w", day, explain(err, "UpdateItem", s.table, s.region))
		}
		s.addWrite(out.ConsumedCapacity)
	}
	return nil
}
