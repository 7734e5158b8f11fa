package source_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// FuzzPushBody sends any body through the push path into a real store: no panic, a body
// that is not tickets is refused with a reason, and otherwise every ticket has an outcome
// that the store bears out (accepted and stale tickets are stored, a rejected one says
// why).
func FuzzPushBody(f *testing.F) {
	for _, seed := range []string{
		`[{"id": "A-1", "title": "one", "updated": "2026-11-20T10:00:00Z", "fields": {"service": "nested"}}]`,
		`{"tickets": [{"id": "A-2", "severity": "high"}, 7, {"ticket_id": "A-3", "summary": "x", "updated_at": 1700000000}]}`,
		`{"id": "A-1", "title": "older", "updated": "2026-11-20T09:00:00Z"}`,
		`{"id": "F-1", "updated": "9999-12-31T00:00:00Z"}`,
		`[{"id": "", "created": "yesterday"}, {"id": null}, {"id": ["a", "b"]}, {"id": {"x": 1}}]`,
		`[]`, ``, `{"tickets": {}}`, `[1, "two", null, true]`, `{"id": "\u0000\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	st, err := bolt.Open(filepath.Join(f.TempDir(), "fuzz.db"), bolt.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	s := schema.Default()
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := source.DecodePush(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("DecodePush: an error without a message")
			}
			return
		}
		if len(items) > source.MaxPushRecords {
			t.Fatalf("%d tickets accepted in one push", len(items))
		}
		res, err := source.Push(ctx, st, s, items, nil)
		if err != nil {
			t.Fatalf("Push: %v", err)
		}
		if res.Received != len(items) || len(res.Records) != len(items) || res.Accepted+res.Stale+res.Rejected != res.Received {
			t.Fatalf("result %+v for %d tickets", res, len(items))
		}
		var stored []string
		for i, r := range res.Records {
			switch {
			case r.Index != i:
				t.Fatalf("record %d has index %d", i, r.Index)
			case r.Status == "rejected" && r.Reason == "":
				t.Fatalf("record %d rejected without a reason", i)
			case r.Status == "accepted" || r.Status == "stale":
				if r.Key == "" {
					t.Fatalf("record %d %s without its key", i, r.Status)
				}
				stored = append(stored, r.Key)
			case r.Status != "rejected":
				t.Fatalf("record %d: status %q", i, r.Status)
			}
		}
		got, err := st.Get(ctx, stored)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, r := range got {
			have[r.Key] = true
		}
		for _, k := range stored {
			if !have[k] {
				t.Fatalf("%q was accepted but is not in the store", k)
			}
		}
	})
}
