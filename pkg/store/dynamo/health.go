package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Health describes a reachable, usable table.
type Health struct {
	Table       string `json:"table"`
	Region      string `json:"region"`
	Status      string `json:"status"`
	IndexStatus string `json:"indexStatus"`
	// Tickets is the store's own count; ApproxItems is DynamoDB's estimate of all items,
	// refreshed about every six hours.
	Tickets     int64 `json:"tickets"`
	ApproxItems int64 `json:"approxItems"`
	// Message is one line for a health check's answer.
	Message string `json:"message"`
}

// healthProbeKey is an item no one writes: the write probes are conditions that can never
// hold on it, so they prove the permission without changing anything.
const healthProbeKey = "s#health-probe"

// CheckHealth checks that the table is reachable, ACTIVE with its change index, and that
// the credentials may call every action the store uses: DescribeTable, GetItem,
// BatchGetItem, Query, PutItem, UpdateItem and DeleteItem (which gives a polling lease
// up). The writes are probed with conditions that
// never hold, so nothing changes (each costs one write unit). The error says what is
// wrong and what to do: a missing table or wrong region, the IAM action that is denied,
// refused credentials, an unreachable endpoint.
func CheckHealth(ctx context.Context, client *dynamodb.Client, table string) (Health, error) {
	region := client.Options().Region
	h := Health{Table: table, Region: region}
	if err := checkTableName(table); err != nil {
		return h, err
	}
	// A health check answers within seconds: an unreachable endpoint is reported after
	// two tries, not after the store's patient retries.
	quick := func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 }
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, quick)
	if err != nil {
		return h, explain(err, "DescribeTable", table, region)
	}
	h.Status = string(desc.Table.TableStatus)
	if idx := findIndex(desc.Table); idx != nil {
		h.IndexStatus = string(idx.IndexStatus)
	}
	h.ApproxItems = aws.ToInt64(desc.Table.ItemCount)
	if problem := checkTable(desc.Table); problem != "" {
		return h, errors.New(problem)
	}

	key := map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: keyInfo}}
	info, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return h, explain(err, "GetItem", table, region)
	}
	if n, ok := numberAttr(info.Item, attrTickets); ok {
		h.Tickets = n
	}
	if _, err := client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{table: {Keys: []map[string]types.AttributeValue{key}}},
	}); err != nil {
		return h, explain(err, "BatchGetItem", table, region)
	}
	if _, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                aws.String(table),
		IndexName:                aws.String(indexChanges),
		KeyConditionExpression:   aws.String("#b = :b"),
		ExpressionAttributeNames: map[string]string{"#b": attrBucket},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":b": &types.AttributeValueMemberS{Value: bucketName(0, 0)},
		},
		Limit: aws.Int32(1),
	}); err != nil {
		return h, explain(err, "Query", table, region)
	}

	never := aws.String("attribute_exists(#k) AND attribute_not_exists(#k)")
	probe := map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: healthProbeKey}}
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table), Item: probe,
		ConditionExpression: never, ExpressionAttributeNames: map[string]string{"#k": attrKey},
	})
	if err := probeResult(err, "PutItem", table, region); err != nil {
		return h, err
	}
	_, err = client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(table), Key: probe,
		UpdateExpression:          aws.String("SET #p = :p"),
		ConditionExpression:       never,
		ExpressionAttributeNames:  map[string]string{"#k": attrKey, "#p": "probe"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberN{Value: "1"}},
	})
	if err := probeResult(err, "UpdateItem", table, region); err != nil {
		return h, err
	}
	_, err = client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(table), Key: probe,
		ConditionExpression: never, ExpressionAttributeNames: map[string]string{"#k": attrKey},
	})
	if err := probeResult(err, "DeleteItem", table, region); err != nil {
		return h, err
	}
	h.Message = fmt.Sprintf("DynamoDB table %s (region %s) is %s with its change index %s, holding %s tickets; "+
		"the credentials may read and write it", table, region, h.Status, h.IndexStatus, strconv.FormatInt(h.Tickets, 10))
	return h, nil
}

// probeResult: a write probe is expected to fail its condition; any other error is real.
func probeResult(err error, action, table, region string) error {
	var failed *types.ConditionalCheckFailedException
	if err == nil || errors.As(err, &failed) {
		return nil
	}
	return explain(err, action, table, region)
}

// Health checks the store's table; see CheckHealth.
func (s *Store) Health(ctx context.Context) (Health, error) {
	return CheckHealth(ctx, s.client, s.table)
}
