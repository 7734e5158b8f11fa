package plugin

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/hub"

	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
	"github.com/spacetime/tickets/pkg/ticket"
)

// TestRestartReadsTheEngineImage: a data source writes its engine's image beside the
// store after loading it; after a restart it reads the image and only what the store
// gained since; a damaged image is ignored (the store has everything) and written again.
func TestRestartReadsTheEngineImage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickets.db")
	recs := recentTickets(t, 50, 1)
	write := func(recs []ticket.Record) {
		t.Helper()
		st, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Upsert(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// start runs a data source until the test's function returns, as Grafana would
	// between a start and a shutdown, and says whether it read the image.
	start := func(want int64) (imaged bool) {
		t.Helper()
		h := newTestHub(hub.Options{})
		d := newInstance(t, h, "ds", path, nil)
		if n, _ := statsTotal(t, d); n != want {
			t.Fatalf("the data source has %d tickets, want %d", n, want)
		}
		imaged = mustAttach(t, d).index.FromImage()
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		return imaged
	}
	image := hub.ImagePath(path)

	write(recs[:30])
	if start(30) {
		t.Fatal("the first start read an image that did not exist")
	}
	first, err := os.Stat(image)
	if err != nil {
		t.Fatalf("no image after the first start: %v", err)
	}

	write(recs[30:])
	if !start(50) {
		t.Fatal("the second start did not read the image")
	}
	if st, err := os.Stat(image); err != nil || !st.ModTime().After(first.ModTime()) && st.Size() == first.Size() {
		t.Fatalf("the image was not written again after the store changed: %v", err)
	}
	if !start(50) {
		t.Fatal("the third start did not read the image")
	}

	raw, err := os.ReadFile(image)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(image, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if start(50) {
		t.Fatal("a damaged image was read")
	}
	if !start(50) {
		t.Fatal("after a damaged image, the image was not written again")
	}
}

// TestDynamoDBRestartReadsTheEngineImage: over a DynamoDB table, a restarted server reads
// its image (kept in Grafana's data directory) and only the index entries written since.
func TestDynamoDBRestartReadsTheEngineImage(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	other := migratedTable(t, server.Endpoint, "spacetime-image")
	ctx := context.Background()
	recs := recentTickets(t, 65, 1)
	if _, err := other.Upsert(ctx, recs[:40]); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	getenv := func(k string) string {
		if k == "GF_PATHS_DATA" {
			return data
		}
		return ""
	}
	start := func(want int64) bool {
		t.Helper()
		h := newTestHub(hub.Options{})
		d := dynamoInstanceEnv(t, h, server.Endpoint, "spacetime-image", getenv)
		if n, _ := statsTotal(t, d); n != want {
			t.Fatalf("the data source has %d tickets, want %d", n, want)
		}
		imaged := mustAttach(t, d).index.FromImage()
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		return imaged
	}
	if start(40) {
		t.Fatal("the first start read an image that did not exist")
	}
	images, _ := filepath.Glob(filepath.Join(data, "spacetime", "dynamodb-*.image"))
	if len(images) != 1 {
		t.Fatalf("images in Grafana's data directory: %v, want one", images)
	}
	if _, err := other.Upsert(ctx, recs[40:]); err != nil {
		t.Fatal(err)
	}
	if !start(65) {
		t.Fatal("the restart did not read the image")
	}
}

// TestImageWithAWindowIsTrimmedAtOnce: a restart over an image drops at once the tickets
// that aged out of the window while the image waited, rather than at the next hourly
// trim.
func TestImageWithAWindowIsTrimmedAtOnce(t *testing.T) {
	ctx := context.Background()
	recs := recentTickets(t, 5, 1)
	// Three tickets that leave the day's window two seconds after the test starts.
	err := gen.Generate(ctx, gen.Options{Tickets: 3, Span: time.Second, Seed: 2, End: time.Now().Add(-24*time.Hour + 2*time.Second)},
		func(r *ticket.Record) error {
			edge := r.Clone()
			edge.Key = "EDGE-" + edge.Key
			edge.Values[edge.Layout.Index("id")] = ticket.String(edge.Key)
			recs = append(recs, edge)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	path := storeFile(t, recs)
	start := func() (*testHub, *Datasource) {
		t.Helper()
		h := newTestHub(hub.Options{})
		jd, err := json.Marshal(map[string]any{"storePath": path, "window": "1d"})
		if err != nil {
			t.Fatal(err)
		}
		d := h.newDatasource(ctx, backend.DataSourceInstanceSettings{UID: "edge", JSONData: jd}, func(string) string { return "" })
		if err := mustAttach(t, d).index.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		return h, d
	}
	h, d := start()
	if n := mustAttach(t, d).index.Engine.Len(); n != 8 {
		t.Fatalf("the first start holds %d tickets, want all 8 inside the window", n)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // the edge tickets age out
	h, d = start()
	defer h.Close()
	ix := mustAttach(t, d).index
	if !ix.FromImage() {
		t.Fatal("the restart did not read the image")
	}
	eventually(t, "the aged-out tickets are dropped", func() bool { return ix.Engine.Len() == 5 })
}
