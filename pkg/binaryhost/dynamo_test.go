package binaryhost_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/binaryhost"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynamotest"
	"github.com/spacetime/tickets/pkg/ticket"
)

// dynamoContext is the plugin context of a data source on a DynamoDB table, as Grafana
// sends it after @grafana/aws-sdk's ConnectionConfig saved static keys: the keys only in
// the decrypted secureJsonData.
func dynamoContext(t *testing.T, uid, table, endpoint string) backend.PluginContext {
	t.Helper()
	return dynamoContextWith(t, uid, table, endpoint, nil)
}

// dynamoContextWith is dynamoContext with more jsonData: extra's keys replace the
// defaults' (its "dynamodb" replaces the table settings whole).
func dynamoContextWith(t testing.TB, uid, table, endpoint string, extra map[string]any) backend.PluginContext {
	t.Helper()
	jd := map[string]any{
		"store":         "dynamodb",
		"dynamodb":      map[string]any{"table": table, "endpoint": endpoint},
		"authType":      "keys",
		"defaultRegion": "us-east-1",
	}
	for k, v := range extra {
		jd[k] = v
	}
	raw, err := json.Marshal(jd)
	if err != nil {
		t.Fatal(err)
	}
	return backend.PluginContext{
		OrgID:    1,
		PluginID: binaryhost.PluginID,
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: 2, UID: uid, Name: "Spacetime on DynamoDB", JSONData: raw, Updated: time.Unix(1700000000, 0),
			DecryptedSecureJSONData: map[string]string{"accessKey": "AKIDPROTOCOL", "secretKey": "protocol-secret"},
		},
	}
}

// TestDynamoDBThroughTheProtocol: the real binary, configured for a table on dynalite,
// answers a stats query over the tickets another writer put there, and its health check
// describes the table, or says how to create a missing one.
func TestDynamoDBThroughTheProtocol(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	ctx := context.Background()
	const table = "spacetime-protocol"

	writer := dynamotest.Open(t, dynamotest.Migrate(t, server.Endpoint, table))
	const tickets = 300
	var recs []ticket.Record
	if err := gen.Generate(ctx, gen.Options{Tickets: tickets, End: end, Span: span, Seed: 11}, func(r *ticket.Record) error {
		recs = append(recs, r.Clone())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if res, err := writer.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	} else if res.Inserted != tickets {
		t.Fatalf("the writer inserted %d tickets, want %d", res.Inserted, tickets)
	}

	// AWS_CA_BUNDLE, which some machines set, is not supported by grafana-aws-sdk's HTTP
	// client. go-plugin hands the plugin this process's environment last, so it is
	// cleared here rather than in Start's list.
	t.Setenv("AWS_CA_BUNDLE", "")
	host, err := binaryhost.Start(built.bin, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Stop()

	pc := dynamoContext(t, "dyn", table, server.Endpoint)
	resp, err := host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{{
		RefID: "A", JSON: []byte(`{"queryType": "stats"}`), TimeRange: backend.TimeRange{From: end.Add(-span - time.Hour), To: end.Add(time.Hour)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses["A"]
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	if len(r.Frames) == 0 || len(r.Frames[0].Fields) == 0 {
		t.Fatalf("stats answered no frame: %+v", r)
	}
	if got, ok := r.Frames[0].Fields[0].At(0).(int64); !ok || got != tickets {
		t.Errorf("stats total = %v, want the %d tickets written to the table", r.Frames[0].Fields[0].At(0), tickets)
	}

	health, err := host.CheckHealth(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	if health.Status != backend.HealthStatusOk {
		t.Fatalf("health %v: %s", health.Status, health.Message)
	}
	if want := "DynamoDB table spacetime-protocol (region us-east-1) is ACTIVE with its change index ACTIVE, holding 300 tickets"; !strings.Contains(health.Message, want) {
		t.Errorf("health message %q lacks %q", health.Message, want)
	}

	missing, err := host.CheckHealth(ctx, dynamoContext(t, "absent", "absent-table", server.Endpoint))
	if err != nil {
		t.Fatal(err)
	}
	if missing.Status != backend.HealthStatusError ||
		!strings.Contains(missing.Message, "absent-table does not exist in region us-east-1") ||
		!strings.Contains(missing.Message, "spacetime migrate --store dynamodb://absent-table") {
		t.Errorf("health of a missing table = %v %q, want an error with the migrate command", missing.Status, missing.Message)
	}
}
