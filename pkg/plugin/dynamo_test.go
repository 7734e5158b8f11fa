package plugin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/store/dynamo"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynamotest"
	"github.com/spacetime/tickets/pkg/ticket"
)

// noCABundle clears AWS_CA_BUNDLE, which some machines set and which grafana-aws-sdk's
// HTTP client cannot take (see Hub.target).
func noCABundle(t *testing.T) { t.Setenv("AWS_CA_BUNDLE", "") }

// dynamoInstance makes an instance whose store is table on the dynalite at endpoint,
// with static keys as @grafana/aws-sdk's ConnectionConfig saves them.
func dynamoInstance(t *testing.T, h *testHub, endpoint, table string) *Datasource {
	t.Helper()
	return dynamoInstanceEnv(t, h, endpoint, table, func(string) string { return "" })
}

// dynamoInstanceEnv is dynamoInstance in a Grafana whose environment is getenv.
func dynamoInstanceEnv(t *testing.T, h *testHub, endpoint, table string, getenv func(string) string) *Datasource {
	t.Helper()
	noCABundle(t)
	jd, err := json.Marshal(map[string]any{
		"store":         "dynamodb",
		"dynamodb":      map[string]any{"table": table, "endpoint": endpoint},
		"authType":      "keys",
		"defaultRegion": "us-east-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	d := h.newDatasource(context.Background(), backend.DataSourceInstanceSettings{
		UID: "dyn", JSONData: jd,
		DecryptedSecureJSONData: map[string]string{"accessKey": "AKIDTEST", "secretKey": "secret"},
	}, getenv)
	t.Cleanup(d.Dispose)
	return d
}

// migratedTable creates table on the server and returns a second store handle on it,
// standing in for another Grafana server or `spacetime import`.
func migratedTable(t *testing.T, endpoint, table string) *dynamo.Store {
	t.Helper()
	return dynamotest.Open(t, dynamotest.Migrate(t, endpoint, table))
}

// recentTickets generates n tickets created in the last hours, inside statsTotal's range.
func recentTickets(t *testing.T, n int, seed int64) []ticket.Record {
	t.Helper()
	var recs []ticket.Record
	err := gen.Generate(context.Background(), gen.Options{Tickets: n, Span: 6 * time.Hour, Seed: seed, End: time.Now().Add(-time.Minute)},
		func(r *ticket.Record) error { recs = append(recs, r.Clone()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("generated %d tickets, want %d", len(recs), n)
	}
	return recs
}

func TestDynamoDBInstanceFollowsAnotherWriter(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	other := migratedTable(t, server.Endpoint, "spacetime-plugin")
	ctx := context.Background()
	recs := recentTickets(t, 65, 1)
	if _, err := other.Upsert(ctx, recs[:40]); err != nil {
		t.Fatal(err)
	}

	h := newTestHub(hub.Options{FollowEvery: 50 * time.Millisecond})
	d := dynamoInstance(t, h, server.Endpoint, "spacetime-plugin")
	mustAttach(t, d)
	if n, _ := statsTotal(t, d); n != 40 {
		t.Fatalf("after the first load the instance has %d tickets, want the 40 written before it started", n)
	}

	// Written through the other handle while the instance runs: it must pick them up
	// from the change index without being told.
	if _, err := other.Upsert(ctx, recs[40:]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the other writer's tickets are queryable", func() bool { n, _ := statsTotal(t, d); return n == 65 })

	res, err := d.CheckHealth(ctx, &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk {
		t.Fatalf("health %v: %s", res.Status, res.Message)
	}
	for _, want := range []string{"65 tickets in the dynamodb store", "DynamoDB table spacetime-plugin (region us-east-1) is ACTIVE with its change index ACTIVE"} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("health message %q lacks %q", res.Message, want)
		}
	}
}

func TestDynamoDBInstanceShareAndSeparateStores(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	migratedTable(t, server.Endpoint, "shared-table")
	h := newTestHub(hub.Options{})
	a := dynamoInstance(t, h, server.Endpoint, "shared-table")
	b := dynamoInstance(t, h, server.Endpoint, "shared-table")
	if mustAttach(t, a).index != mustAttach(t, b).index {
		t.Error("two instances with the same table, credentials and schema do not share their index")
	}

	// Other credentials open their own handle, even on the same table.
	jd, _ := json.Marshal(map[string]any{"store": "dynamodb", "dynamodb": map[string]any{"table": "shared-table", "endpoint": server.Endpoint},
		"authType": "keys", "defaultRegion": "us-east-1"})
	c := h.newDatasource(context.Background(), backend.DataSourceInstanceSettings{UID: "c", JSONData: jd,
		DecryptedSecureJSONData: map[string]string{"accessKey": "AKIDOTHER", "secretKey": "other"}}, func(string) string { return "" })
	t.Cleanup(c.Dispose)
	if mustAttach(t, c).index.Store == mustAttach(t, a).index.Store {
		t.Error("an instance with other credentials shares the first instance's store handle")
	}
}

func TestDynamoDBHealthMissingTable(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	h := newTestHub(hub.Options{})
	d := dynamoInstance(t, h, server.Endpoint, "never-migrated")
	res, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusError {
		t.Fatalf("health of a missing table is %v: %s", res.Status, res.Message)
	}
	for _, want := range []string{"never-migrated does not exist in region us-east-1", "spacetime migrate --store dynamodb://never-migrated"} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("health message %q lacks %q", res.Message, want)
		}
	}
	// A query says the same, rather than an empty answer.
	now := time.Now()
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{
		RefID: "A", JSON: []byte(`{"queryType": "stats"}`), TimeRange: backend.TimeRange{From: now.Add(-time.Hour), To: now},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Responses["A"]; r.Error == nil || !strings.Contains(r.Error.Error(), "spacetime migrate") {
		t.Errorf("a query on a missing table answers error %v, want the migrate hint", r.Error)
	}
}

func TestDynamoDBNotAllowedAuthType(t *testing.T) {
	// Grafana's [aws] allowed_auth_providers reaches the plugin in the request's
	// configuration; awsauth refuses what it does not allow, before any AWS call.
	noCABundle(t)
	h := newTestHub(hub.Options{})
	jd := []byte(`{"store": "dynamodb", "dynamodb": {"table": "t-123", "endpoint": "http://127.0.0.1:9"}, "authType": "ec2_iam_role"}`)
	d := h.newDatasource(context.Background(), backend.DataSourceInstanceSettings{UID: "x", JSONData: jd}, func(string) string { return "" })
	t.Cleanup(d.Dispose)
	if d.setupErr == nil || !strings.Contains(d.setupErr.Error(), "non-allowed auth method ec2_iam_role") {
		t.Errorf("setup error = %v, want the refusal of ec2_iam_role", d.setupErr)
	}
}
