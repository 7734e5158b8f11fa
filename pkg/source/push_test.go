package source_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

func TestDecodePush(t *testing.T) {
	tests := []struct {
		name, body string
		want       int
		err        string
	}{
		{"array", `[{"id": "A"}, {"id": "B"}]`, 2, ""},
		{"object with tickets", `{"tickets": [{"id": "A"}]}`, 1, ""},
		{"one ticket", `{"id": "A", "title": "x"}`, 1, ""},
		{"empty array", `[]`, 0, ""},
		{"empty body", ``, 0, "the body is empty"},
		{"not JSON", `{"id": `, 0, "not valid JSON"},
		{"two values", `{"id": "A"} {"id": "B"}`, 0, "more than one JSON value"},
		{"tickets not an array", `{"tickets": {"id": "A"}}`, 0, `"tickets" is not an array`},
		{"a number", `42`, 0, "neither an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := source.DecodePush([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || len(items) != tt.want {
				t.Fatalf("%d items, %v; want %d", len(items), err, tt.want)
			}
		})
	}
}

func TestPushReportsEachTicket(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	items, err := source.DecodePush([]byte(`[
		{"id": "P-1", "title": "one", "updated": "2026-11-20T10:00:00Z", "fields": {"service": "nested is flattened"}},
		{"title": "no key"},
		{"id": "P-2", "severity": "high"},
		7,
		{"ticket_id": "P-3", "summary": "by source names", "updated_at": "2026-11-20T10:00:00Z"},
		{"id": "P-1", "title": "one, newer", "updated": "2026-11-20T11:00:00Z"}]`))
	if err != nil {
		t.Fatal(err)
	}
	synced := 0
	res, err := source.Push(context.Background(), st, schema.Default(), items, func(context.Context) error { synced++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ status, key, reason string }{
		{"accepted", "P-1", ""}, {"rejected", "", "the key is missing"}, {"rejected", "P-2", `"high" is not a number`},
		{"rejected", "", "not a JSON object"}, {"accepted", "P-3", ""}, {"accepted", "P-1", ""},
	}
	for i, w := range want {
		got := res.Records[i]
		if got.Index != i || got.Status != w.status || got.Key != w.key || !strings.Contains(got.Reason, w.reason) {
			t.Errorf("record %d = %+v, want %+v", i, got, w)
		}
	}
	if res.Accepted != 3 || res.Rejected != 3 || res.Result.Inserted != 2 || res.Result.Updated != 1 || synced != 1 {
		t.Errorf("result %+v (synced %d times)", res, synced)
	}
	recs, err := st.Get(context.Background(), []string{"P-1", "P-3"})
	if err != nil || len(recs) != 2 || recs[0].Get("title").S != "one, newer" || recs[1].Get("title").S != "by source names" {
		t.Fatalf("stored %+v (%v)", recs, err)
	}
}
