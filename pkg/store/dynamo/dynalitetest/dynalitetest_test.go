package dynalitetest

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestPathSurvivesARestart: with Options.Path, a table written by one server is there
// for the next one started on the same directory, and a stopped server no longer answers.
func TestPathSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := StartOrSkip(t, Options{Path: dir})
	client := dynamodb.NewFromConfig(AWSConfig(first.Endpoint))
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("kept"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = client.ListTables(ctx, &dynamodb.ListTablesInput{}, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	if err == nil {
		t.Error("the stopped server still answers")
	}

	second := StartOrSkip(t, Options{Path: dir})
	client = dynamodb.NewFromConfig(AWSConfig(second.Endpoint))
	out, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TableNames) != 1 || out.TableNames[0] != "kept" {
		t.Errorf("after a restart on the same path the tables are %q, want [kept]", out.TableNames)
	}
}

func TestMissingScript(t *testing.T) {
	t.Setenv(EnvScript, "/nonexistent/dynalite/cli.js")
	_, err := Start(context.Background(), Options{})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Start with a missing script = %v, want ErrUnavailable", err)
	}
}
