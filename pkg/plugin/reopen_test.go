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
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// mustAttach returns the instance's hold on its store, failing t when it has none.
func mustAttach(t *testing.T, d *Datasource) *attachment {
	t.Helper()
	a, err := d.attached(context.Background())
	if err != nil {
		t.Fatalf("the data source has no store: %v", err)
	}
	return a
}

// TestStoreLockedByAnotherProcessIsOpenedLater: a store file that another process holds
// when the data source starts (a `spacetime import` running into it) makes queries and the
// health check say so; once the other process lets go, the data source opens it by itself
// at a later request, with no change of settings.
func TestStoreLockedByAnotherProcessIsOpenedLater(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := recentTickets(t, 12, 3)
	if _, err := holder.Upsert(context.Background(), recs); err != nil {
		t.Fatal(err)
	}

	jd, _ := json.Marshal(map[string]any{"storePath": path})
	h := newTestHub(hub.Options{})
	d := h.newDatasource(context.Background(), backend.DataSourceInstanceSettings{UID: "busy", JSONData: jd}, func(string) string { return "" })
	t.Cleanup(d.Dispose)
	if d.setupErr != nil {
		t.Fatalf("a busy store is not a settings problem: %v", d.setupErr)
	}
	res, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, path) || !strings.Contains(res.Message, "opened again") {
		t.Fatalf("health while the file is held = %v %q, want an error naming the file and the retry", res.Status, res.Message)
	}

	if err := holder.Close(); err != nil {
		t.Fatal(err)
	}
	// Not before reopenEvery: the next attempt waits, so that a burst of panels does not
	// queue on the file lock.
	d.mu.Lock()
	d.nextOpen = time.Now()
	d.mu.Unlock()
	if n, _ := statsTotal(t, d); n != 12 {
		t.Fatalf("after the other process let go the data source has %d tickets, want 12", n)
	}
	res, err = d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk {
		t.Fatalf("health after the store opened = %v %q", res.Status, res.Message)
	}
}
