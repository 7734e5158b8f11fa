package dynalitetest

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

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

// TestSurvivesADroppedRequest: a client that goes away while sending a request body (a
// cancelled context, a killed plugin) must not end the server for everyone else, as plain
// dynalite 4.0.0 does.
func TestSurvivesADroppedRequest(t *testing.T) {
	s := StartOrSkip(t, Options{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.Endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: dynalite\r\n"+
		"Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"+
		"Content-Length: 1000\r\n\r\n{\"Limit\":")
	if err != nil {
		t.Fatal(err)
	}
	// Let the server start reading the body before the client disappears.
	time.Sleep(200 * time.Millisecond)
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}

	client := dynamodb.NewFromConfig(AWSConfig(s.Endpoint))
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if err := s.Err(); err != nil {
			t.Fatalf("a dropped request ended the server: %v", err)
		}
		if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{},
			func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }); err != nil {
			t.Fatalf("after a dropped request the server does not answer: %v\n%s", err, s.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(s.Output(), "dropped a request") {
		t.Errorf("the server did not see the dropped request; it printed %q", s.Output())
	}
}

func TestMissingScript(t *testing.T) {
	t.Setenv(EnvScript, "/nonexistent/dynalite/cli.js")
	_, err := Start(context.Background(), Options{})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Start with a missing script = %v, want ErrUnavailable", err)
	}
}
