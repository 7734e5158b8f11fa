package source_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/ingest"
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

// A version far in the future would freeze its ticket: every real update after it would be
// older, and ignored. Push refuses it (more than MaxVersionSkew ahead of now), and says of
// each ticket that the version rule ignored that it is stale, with the stored version.
func TestPushRefusesFutureVersionsAndReportsStaleOnes(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	push := func(body string) source.PushResult {
		t.Helper()
		items, err := source.DecodePush([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := source.Push(context.Background(), st, schema.Default(), items, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	soon := now.Add(time.Hour).Format(time.RFC3339)
	res := push(`[{"id": "F-1", "updated": "9999-12-31T00:00:00Z"},
		{"id": "F-2", "updated": "` + now.Add(ingest.MaxVersionSkew+time.Hour).Format(time.RFC3339) + `"},
		{"id": "F-3", "updated": "` + soon + `"}]`)
	for i, key := range []string{"F-1", "F-2"} {
		r := res.Records[i]
		if r.Status != "rejected" || r.Key != key || !strings.Contains(r.Reason, "ahead of now") || !strings.Contains(r.Reason, "24h") {
			t.Errorf("record %d = %+v, want %s rejected: its version is more than 24h ahead of now", i, r, key)
		}
	}
	if r := res.Records[2]; r.Status != "accepted" {
		t.Errorf("a version an hour ahead (clocks differ) is refused: %+v", r)
	}
	if got, _ := st.Get(context.Background(), []string{"F-1", "F-2"}); len(got) != 0 {
		t.Errorf("stored %d future tickets", len(got))
	}

	res = push(`[{"id": "S-1", "title": "newer", "updated": "2026-11-20T11:00:00Z"}]`)
	if res.Records[0].Status != "accepted" {
		t.Fatalf("%+v", res)
	}
	res = push(`[{"id": "S-1", "title": "older", "updated": "2026-11-20T10:00:00Z"},
		{"id": "S-1", "title": "newer", "updated": "2026-11-20T11:00:00Z"},
		{"id": "S-2", "updated": "2026-11-20T10:00:00Z"}]`)
	want := []struct{ status, reason string }{
		{"stale", "older than the stored version, 2026-11-20T11:00:00Z"},
		{"accepted", ""},
		{"accepted", ""},
	}
	for i, w := range want {
		if r := res.Records[i]; r.Status != w.status || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("record %d = %+v, want %s %q", i, r, w.status, w.reason)
		}
	}
	if res.Accepted != 2 || res.Stale != 1 || res.Result.Stale != 1 || res.Result.Unchanged != 1 || res.Result.Inserted != 1 {
		t.Errorf("result %+v, want 2 accepted (1 unchanged, 1 inserted) and 1 stale", res)
	}
}
