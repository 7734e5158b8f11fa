package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// MigrateResult says what Migrate did.
type MigrateResult struct {
	// Created is true when the table was created.
	Created bool
	// IndexCreated is true when the change index was added to an existing table.
	IndexCreated bool
	// Status is the table's status at the end (ACTIVE).
	Status string
}

// Migrate creates the table and its change index when missing (on-demand capacity), adds
// the index to an existing table without it, records the store format, and waits until
// the table and the index are ACTIVE. It is safe to run again, and it refuses a table
// whose keys were made for something else.
func Migrate(ctx context.Context, client *dynamodb.Client, table string) (MigrateResult, error) {
	var res MigrateResult
	if err := checkTableName(table); err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	region := client.Options().Region
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		if _, err := client.CreateTable(ctx, createTableInput(table)); err != nil {
			var inUse *types.ResourceInUseException
			if !errors.As(err, &inUse) { // another migrate created it meanwhile
				return res, fmt.Errorf("migrate: create table %s: %w", table, explain(err, "CreateTable", table, region))
			}
		} else {
			res.Created = true
		}
	case err != nil:
		return res, fmt.Errorf("migrate: %w", explain(err, "DescribeTable", table, region))
	default:
		if problem := checkKeys(desc.Table); problem != "" {
			return res, fmt.Errorf("migrate: %s", problem)
		}
		if findIndex(desc.Table) == nil {
			create := &types.CreateGlobalSecondaryIndexAction{
				IndexName:  aws.String(indexChanges),
				KeySchema:  indexKeySchema(),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
				// A provisioned table needs the index's throughput; on-demand tables
				// refuse it.
				ProvisionedThroughput: indexThroughput(desc.Table),
			}
			update := &dynamodb.UpdateTableInput{
				TableName:                   aws.String(table),
				AttributeDefinitions:        attributeDefinitions(),
				GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: create}},
			}
			_, err := client.UpdateTable(ctx, update)
			var invalid smithy.APIError
			if create.ProvisionedThroughput == nil && errors.As(err, &invalid) &&
				strings.Contains(invalid.ErrorMessage(), "provisionedThroughput") {
				// dynalite wants a throughput even on an on-demand table, where it
				// ignores it; DynamoDB itself never answers this.
				create.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
				_, err = client.UpdateTable(ctx, update)
			}
			if err != nil {
				return res, fmt.Errorf("migrate: add the index %q to %s: %w", indexChanges, table, explain(err, "UpdateTable", table, region))
			}
			res.IndexCreated = true
		}
	}
	status, err := waitActive(ctx, client, table)
	res.Status = status
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	// Record the format, keeping a newer one (which this build then refuses to open).
	_, err = client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(table),
		Key:                      map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: keyInfo}},
		UpdateExpression:         aws.String("SET #f = :f"),
		ConditionExpression:      aws.String("attribute_not_exists(#f) OR #f < :f"),
		ExpressionAttributeNames: map[string]string{"#f": attrFormat},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":f": &types.AttributeValueMemberN{Value: strconv.Itoa(formatVersion)},
		},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return res, fmt.Errorf("migrate: record the store format: %w", explain(err, "UpdateItem", table, region))
	}
	return res, nil
}

func attributeDefinitions() []types.AttributeDefinition {
	return []types.AttributeDefinition{
		{AttributeName: aws.String(attrKey), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrBucket), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrStamp), AttributeType: types.ScalarAttributeTypeN},
	}
}

func indexKeySchema() []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(attrBucket), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(attrStamp), KeyType: types.KeyTypeRange},
	}
}

func createTableInput(table string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: attributeDefinitions(),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(attrKey), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(indexChanges),
			KeySchema:  indexKeySchema(),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
		Tags: []types.Tag{{Key: aws.String("app"), Value: aws.String("spacetime")}},
	}
}

func indexThroughput(t *types.TableDescription) *types.ProvisionedThroughput {
	if t.BillingModeSummary != nil && t.BillingModeSummary.BillingMode == types.BillingModePayPerRequest {
		return nil
	}
	if t.ProvisionedThroughput == nil || t.ProvisionedThroughput.ReadCapacityUnits == nil ||
		*t.ProvisionedThroughput.ReadCapacityUnits == 0 {
		return nil
	}
	return &types.ProvisionedThroughput{
		ReadCapacityUnits:  t.ProvisionedThroughput.ReadCapacityUnits,
		WriteCapacityUnits: t.ProvisionedThroughput.WriteCapacityUnits,
	}
}

// missingIndexPatience is how long waitActive accepts an ACTIVE table without the index it
// was asked to create.
const missingIndexPatience = 3 * time.Second

// waitActive polls DescribeTable until the table and its change index are ACTIVE (an
// index added to a full table backfills for a while first).
func waitActive(ctx context.Context, client *dynamodb.Client, table string) (string, error) {
	delay := 100 * time.Millisecond
	var noIndexSince time.Time
	for {
		desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		var missing *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &missing) { // just created: may not be visible yet
			return "", explain(err, "DescribeTable", table, client.Options().Region)
		}
		if err == nil {
			status := string(desc.Table.TableStatus)
			idx := findIndex(desc.Table)
			if desc.Table.TableStatus == types.TableStatusActive && idx != nil &&
				idx.IndexStatus == types.IndexStatusActive {
				return status, nil
			}
			// DynamoDB lists an index as CREATING as soon as UpdateTable accepts it; a
			// server that accepts the update and never shows the index (dynalite cannot
			// add one to an existing table) would keep us waiting forever.
			if desc.Table.TableStatus == types.TableStatusActive && idx == nil {
				if noIndexSince.IsZero() {
					noIndexSince = time.Now()
				} else if time.Since(noIndexSince) > missingIndexPatience {
					return status, fmt.Errorf("table %s is ACTIVE but its %q index never appeared: this server "+
						"cannot add an index to an existing table; delete the table and run migrate again", table, indexChanges)
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for table %s to become ACTIVE: %w", table, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func findIndex(t *types.TableDescription) *types.GlobalSecondaryIndexDescription {
	for i := range t.GlobalSecondaryIndexes {
		if aws.ToString(t.GlobalSecondaryIndexes[i].IndexName) == indexChanges {
			return &t.GlobalSecondaryIndexes[i]
		}
	}
	return nil
}

// checkKeys says what is wrong with a table's keys for this store, or "".
func checkKeys(t *types.TableDescription) string {
	name := aws.ToString(t.TableName)
	if len(t.KeySchema) != 1 || aws.ToString(t.KeySchema[0].AttributeName) != attrKey {
		return fmt.Sprintf("table %s exists with another key schema (%s), not Spacetime's (a string partition key %q and no sort key); choose another table name",
			name, describeKeys(t.KeySchema), attrKey)
	}
	if idx := findIndex(t); idx != nil {
		if len(idx.KeySchema) != 2 || aws.ToString(idx.KeySchema[0].AttributeName) != attrBucket ||
			aws.ToString(idx.KeySchema[1].AttributeName) != attrStamp {
			return fmt.Sprintf("table %s has an index %q with keys (%s), not Spacetime's (%s, %s); choose another table name",
				name, indexChanges, describeKeys(idx.KeySchema), attrBucket, attrStamp)
		}
	}
	return ""
}

func describeKeys(keys []types.KeySchemaElement) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return strings.Join(parts, ", ")
}

// checkTable says why a table cannot be used as a store yet, or "".
func checkTable(t *types.TableDescription) string {
	if problem := checkKeys(t); problem != "" {
		return problem
	}
	name := aws.ToString(t.TableName)
	idx := findIndex(t)
	switch {
	case idx == nil:
		return fmt.Sprintf("table %s has no %q index; add it with `spacetime migrate --store dynamodb://%s`", name, indexChanges, name)
	case t.TableStatus != types.TableStatusActive && t.TableStatus != types.TableStatusUpdating:
		return fmt.Sprintf("table %s is %s, not ACTIVE", name, t.TableStatus)
	case idx.IndexStatus != types.IndexStatusActive && idx.IndexStatus != types.IndexStatusUpdating:
		return fmt.Sprintf("the %q index of table %s is %s (building it can take minutes on a full table); wait until it is ACTIVE",
			indexChanges, name, idx.IndexStatus)
	}
	return ""
}

var actionRE = regexp.MustCompile(`perform: (dynamodb:[A-Za-z]+)`)

// explain turns an SDK error into one that says what to do: a missing table (or the wrong
// region), missing permissions (naming the IAM action), refused credentials, an endpoint
// that cannot be reached. The original error stays wrapped.
func explain(err error, action, table, region string) error {
	if err == nil {
		return nil
	}
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) {
		return fmt.Errorf("table %s does not exist in region %s: create it with `spacetime migrate --store dynamodb://%s?region=%s`, "+
			"or set the region it was created in: %w", table, region, table, region, err)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "AccessDeniedException":
			act := "dynamodb:" + action
			if m := actionRE.FindStringSubmatch(apiErr.ErrorMessage()); m != nil {
				act = m[1]
			}
			return fmt.Errorf("permission denied: the credentials may not call %s on table %s; "+
				"grant it in the IAM policy (the README lists the actions Spacetime needs): %w", act, table, err)
		case "UnrecognizedClientException", "InvalidSignatureException", "InvalidClientTokenId",
			"ExpiredTokenException", "MissingAuthenticationTokenException":
			return fmt.Errorf("the credentials were refused (%s): check the access key, secret, session token "+
				"or role, and that region %s is right: %w", apiErr.ErrorCode(), region, err)
		}
	}
	if msg := err.Error(); strings.Contains(msg, "get credentials") || strings.Contains(msg, "failed to retrieve credentials") {
		return fmt.Errorf("no usable AWS credentials: set AWS_PROFILE (or ?profile=NAME in the store spec) or "+
			"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is attached: %w", err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("cannot resolve the DynamoDB endpoint %s: is region %q right (or the endpoint URL)? %w",
			dnsErr.Name, region, err)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Errorf("cannot reach the DynamoDB endpoint (%v): check the endpoint URL and the network: %w", opErr.Addr, err)
	}
	return err
}
