package plugin

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
	"github.com/spacetime/tickets/pkg/storeschema"
)

// recordSchema writes into st the record `spacetime import --schema` leaves: the default
// schema with a column more, so that the default schema lacks it.
func recordSchema(t *testing.T, st store.Store) *schema.Schema {
	t.Helper()
	s := defaultWith(t, "team")
	if err := storeschema.Write(context.Background(), st, s, "spacetime import", time.Now()); err != nil {
		t.Fatal(err)
	}
	return s
}

// defaultWith is the default schema with string columns of those names added.
func defaultWith(t *testing.T, names ...string) *schema.Schema {
	t.Helper()
	s := schema.Default()
	for _, n := range names {
		s.Columns = append(s.Columns, schema.Column{Name: n, Type: schema.String, Facet: true})
	}
	s, err := schema.Parse(s.Canonical())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHealthReportsSchemaMismatch: "Save & test" fails when the configured schema lacks a
// column of the one the store records (the panels would answer zeros or "unknown field"),
// notes a difference that breaks nothing, and says nothing when they are the same schema,
// however written.
func TestHealthReportsSchemaMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tickets.db")
	st, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stored := recordSchema(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		schema     any // jsonData.schema
		status     backend.HealthStatus
		want, dont string
	}{
		{"the default schema", nil, backend.HealthStatusError, `lacks the column(s) "team"`, ""},
		{"the same schema as JSON", string(stored.Canonical()), backend.HealthStatusOk, "", "schema differs"},
		{"a column more", string(defaultWith(t, "team", "site").Canonical()),
			backend.HealthStatusOk, `Note: the schema differs from the one the store's tickets were written with`, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := map[string]any{"storePath": path}
			if tt.schema != nil {
				settings["schema"] = tt.schema
			}
			jd, _ := json.Marshal(settings)
			h := newTestHub(hub.Options{})
			d := h.newDatasource(context.Background(), backend.DataSourceInstanceSettings{UID: "schema-" + string(rune('a'+i)), JSONData: jd}, func(string) string { return "" })
			t.Cleanup(d.Dispose)
			t.Cleanup(func() { _ = h.Close() })
			res, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || !strings.Contains(res.Message, tt.want) || (tt.dont != "" && strings.Contains(res.Message, tt.dont)) {
				t.Errorf("health %v %q; want %v with %q", res.Status, res.Message, tt.status, tt.want)
			}
		})
	}
}

// TestDynamoDBHealthReportsSchemaMismatch: the same on a DynamoDB table, whose record
// another process (`spacetime import`) wrote.
func TestDynamoDBHealthReportsSchemaMismatch(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	recordSchema(t, migratedTable(t, server.Endpoint, "schema-health"))
	h := newTestHub(hub.Options{})
	d := dynamoInstance(t, h, server.Endpoint, "schema-health")
	res, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, `lacks the column(s) "team"`) || !strings.Contains(res.Message, "spacetime schema --store") {
		t.Errorf("health %v %q; want an error naming the missing column and how to get the store's schema", res.Status, res.Message)
	}
}
