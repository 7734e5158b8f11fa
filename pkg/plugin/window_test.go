package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// storeFile writes recs into a new embedded store file, closed for a data source to open.
func storeFile(t *testing.T, recs []ticket.Record) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tickets.db")
	st, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Upsert(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWindowHoldsTheRecentTickets: jsonData.window keeps the tickets created before it
// out of memory, and health and status say how many; an instance without the window over
// the same store file holds every ticket.
func TestWindowHoldsTheRecentTickets(t *testing.T) {
	ctx := context.Background()
	recs := recentTickets(t, 5, 1)
	err := gen.Generate(ctx, gen.Options{Tickets: 3, Span: 6 * time.Hour, Seed: 2, End: time.Now().Add(-40 * 24 * time.Hour)},
		func(r *ticket.Record) error {
			old := r.Clone()
			old.Key = "OLD-" + old.Key
			old.Values[old.Layout.Index("id")] = ticket.String(old.Key)
			recs = append(recs, old)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	path := storeFile(t, recs)

	h := newTestHub(hub.Options{})
	instance := func(uid string, settings map[string]any) *Datasource {
		t.Helper()
		jd, err := json.Marshal(settings)
		if err != nil {
			t.Fatal(err)
		}
		d := h.newDatasource(ctx, backend.DataSourceInstanceSettings{UID: uid, JSONData: jd}, func(string) string { return "" })
		t.Cleanup(d.Dispose)
		mustAttach(t, d)
		return d
	}
	windowed := instance("windowed", map[string]any{"storePath": path, "window": "30d"})
	res, err := windowed.CheckHealth(ctx, &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "5 tickets of the last 30d (the window; 3 versions of older tickets left out)"; res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, want) {
		t.Errorf("health = %v %q, want it to say %q", res.Status, res.Message, want)
	}
	code, body := callResource(t, windowed, http.MethodGet, "status", nil)
	var status statusResponse
	if err := json.Unmarshal(body, &status); err != nil || code != http.StatusOK {
		t.Fatalf("status: %d %s", code, body)
	}
	if status.Tickets != 5 || status.Window != "30d" || status.OutsideWindow != 3 || status.Store == nil || status.Store.Tickets != 8 {
		t.Errorf("status = %s, want 5 of the store's 8 tickets held, 3 outside the window of 30d", body)
	}

	whole := instance("whole", map[string]any{"storePath": path})
	ix := mustAttach(t, whole).index
	if err := ix.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ix.Engine.Len(); n != 8 {
		t.Errorf("the instance without a window holds %d tickets, want all 8", n)
	}
}

func TestWindowSettings(t *testing.T) {
	for _, tt := range []struct {
		window  string
		want    time.Duration
		wantErr string
	}{
		{"", 0, ""},
		{"30d", 30 * 24 * time.Hour, ""},
		{"2w", 14 * 24 * time.Hour, ""},
		{"36h", 36 * time.Hour, ""},
		{"a month", 0, `jsonData.window "a month" is not a duration such as 30d`},
		{"6h", 0, "jsonData.window 6h0m0s is shorter than the shortest, 24h0m0s"},
		{"106752d", 0, `jsonData.window "106752d" is too long: the longest duration is 106751d`},
	} {
		jd, _ := json.Marshal(map[string]any{"storePath": "/data/t.db", "window": tt.window})
		set, err := loadSettings(backend.DataSourceInstanceSettings{UID: "w", JSONData: jd}, func(string) string { return "" })
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("window %q: err = %v, want one containing %q", tt.window, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("window %q: %v", tt.window, err)
		case set.window != tt.want:
			t.Errorf("window %q read as %s, want %s", tt.window, set.window, tt.want)
		}
	}
}

// TestWindowTrimsAgedTickets: a ticket that ages past the window while the data source
// runs is dropped by the hub's periodic trim, and status counts it as left out.
func TestWindowTrimsAgedTickets(t *testing.T) {
	ctx := context.Background()
	recs := recentTickets(t, 4, 7)
	edge := recs[0].Clone()
	edge.Key = "EDGE-1"
	edge.Values[edge.Layout.Index("id")] = ticket.String(edge.Key)
	// Inside the window of 30 days for another eight seconds: time enough to load it on a
	// loaded machine, then the trim must drop it.
	edge.Values[edge.Layout.Index("created")] = ticket.TimeOf(time.Now().Add(-30*24*time.Hour + 8*time.Second))
	path := storeFile(t, append(recs, edge))

	h := newTestHub(hub.Options{TrimEvery: 200 * time.Millisecond})
	jd, _ := json.Marshal(map[string]any{"storePath": path, "window": "30d"})
	d := h.newDatasource(ctx, backend.DataSourceInstanceSettings{UID: "trimmed", JSONData: jd}, func(string) string { return "" })
	t.Cleanup(d.Dispose)
	ix := mustAttach(t, d).index
	if err := ix.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ix.Engine.Len(); n != 5 {
		t.Fatalf("holds %d tickets after the load, want 5 (the edge ticket still inside the window)", n)
	}
	eventually(t, "the edge ticket is trimmed", func() bool { return ix.Engine.Len() == 4 })
	_, body := callResource(t, d, http.MethodGet, "status", nil)
	var status statusResponse
	if err := json.Unmarshal(body, &status); err != nil || status.Tickets != 4 || status.OutsideWindow != 1 {
		t.Errorf("status = %s (%v), want 4 tickets held and 1 left out", body, err)
	}
}
