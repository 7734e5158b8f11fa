package hub_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/spacetime/tickets/pkg/clock"
	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/sources"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// otherSchema is the default schema with one more column: engines of another schema over
// the same store.
func otherSchema(t *testing.T) *schema.Schema {
	t.Helper()
	text := strings.Replace(string(schema.DefaultText()), "columns:\n", "columns:\n  - {name: extra, type: string}\n", 1)
	s, err := schema.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Column("extra"); !ok {
		t.Fatal("the other schema has no extra column; the default schema's text changed")
	}
	return s
}

func acquire(t *testing.T, h *hub.Hub, target hub.Target, s *schema.Schema) (*hub.Index, func()) {
	t.Helper()
	ix, release, err := h.Acquire(context.Background(), target, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Ready(bounded(t)); err != nil {
		t.Fatal(err)
	}
	return ix, release
}

func pushed(t *testing.T, ix *hub.Index, n int) {
	t.Helper()
	var items []any
	for i := range n {
		items = append(items, map[string]any{"id": fmt.Sprintf("P-%d", i), "title": "pushed",
			"created": t0.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)})
	}
	res, err := ix.Push(context.Background(), items)
	if err != nil || res.Accepted != n {
		t.Fatalf("push: %+v, %v", res, err)
	}
}

// TestEnginesAreSharedAndTheStoreClosesAfterTheLast: users of one store and schema share
// an engine; another schema gets its own engine over the same open store; a push reaches
// every engine over the store; the store closes (its file lock is let go) when the last
// user releases it.
func TestEnginesAreSharedAndTheStoreClosesAfterTheLast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	h := hub.New(hub.Options{})
	defer h.Close()
	target := hub.Embedded(path, 0)
	a, releaseA := acquire(t, h, target, schema.Default())
	b, releaseB := acquire(t, h, target, schema.Default())
	c, releaseC := acquire(t, h, target, otherSchema(t))
	if a != b {
		t.Error("two users of one store and schema got two engines")
	}
	if c == a || c.Store != a.Store {
		t.Error("another schema must get its own engine over the same open store")
	}
	if stores, indexes := h.Held(); stores != 1 || indexes != 2 {
		t.Errorf("Held = %d stores, %d indexes; want 1 and 2", stores, indexes)
	}
	pushed(t, a, 3)
	if a.Engine.Len() != 3 || c.Engine.Len() != 3 {
		t.Errorf("after a push the engines hold %d and %d tickets, want 3 each", a.Engine.Len(), c.Engine.Len())
	}
	releaseA()
	releaseA() // a release is idempotent
	releaseC()
	if stores, indexes := h.Held(); stores != 1 || indexes != 1 {
		t.Errorf("after two releases Held = %d, %d; want the store and the engine still in use", stores, indexes)
	}
	releaseB()
	if stores, indexes := h.Held(); stores != 0 || indexes != 0 {
		t.Errorf("after the last release Held = %d, %d", stores, indexes)
	}
	st, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatalf("the store file is still held after the last release: %v", err)
	}
	defer st.Close()
	if _, err := os.Stat(hub.ImagePath(path)); err != nil {
		t.Errorf("the engine wrote no image on its release: %v", err)
	}
}

// TestAPollerIsSharedReplacedAndStopped: users with the same source settings share one
// poller; other settings replace it (the old one is stopped first, so that two never
// write at once); the last release stops the poller, and nothing waits on the clock
// after the last user is gone.
func TestAPollerIsSharedReplacedAndStopped(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte(`{"id": "F-1", "created": "2026-11-25T09:00:00Z"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(t0)
	h := hub.New(hub.Options{Clock: fake})
	defer h.Close()
	ix, release := acquire(t, h, hub.Embedded(filepath.Join(t.TempDir(), "t.db"), 0), schema.Default())
	files := func(interval string) hub.Source {
		return hub.Source{Settings: sources.Settings{Type: "files", Interval: interval, Files: sources.FilesSettings{Dir: dir, Settle: "0s"}}}
	}
	p1, release1, err := h.AttachPoller(ix, files("1m"))
	if err != nil || p1 == nil {
		t.Fatalf("AttachPoller: %v, %v", p1, err)
	}
	p2, release2, err := h.AttachPoller(ix, files("1m"))
	if err != nil || p2 != p1 {
		t.Fatalf("the same settings got another poller (%v)", err)
	}
	ctx := bounded(t)
	for p1.Status().Polls == 0 {
		if !fake.WaitTimers(ctx, 2) { // the engine's image and the poller wait
			t.Fatal("the first poll never ended")
		}
	}
	if n := ix.Engine.Len(); n != 1 {
		t.Errorf("after the first poll the engine holds %d tickets, want 1", n)
	}
	p3, release3, err := h.AttachPoller(ix, files("2m"))
	if err != nil || p3 == p1 {
		t.Fatalf("other settings did not replace the poller (%v)", err)
	}
	if st := p1.Status().State; st != source.StateStopped {
		t.Errorf("the replaced poller is %s, want stopped", st)
	}
	release1()
	release2()
	if st := p3.Status().State; st == source.StateStopped {
		t.Error("releasing the replaced poller stopped its replacement")
	}
	release3()
	if st := p3.Status().State; st != source.StateStopped {
		t.Errorf("after its last release the poller is %s, want stopped", st)
	}
	if p, _, err := h.AttachPoller(ix, hub.Source{}); p != nil || err != nil {
		t.Errorf("settings of type none gave %v, %v; want no poller and no error", p, err)
	}
	if _, _, err := h.AttachPoller(ix, hub.Source{Settings: sources.Settings{Type: "http", HTTP: sources.HTTPSettings{Preset: "custom"}},
		Secrets: sources.Secrets{HTTPToken: "tok3n"}}); err == nil || !strings.Contains(err.Error(), "source.http") {
		t.Errorf("bad settings: %v, want an error naming the setting", err)
	}
	release()
	if n := fake.Timers(); n != 0 {
		t.Errorf("%d timers wait after every user let go: something could still run", n)
	}
	if _, _, err := h.AttachPoller(ix, files("1m")); err == nil {
		t.Error("a poller was attached to a released index")
	}
}

// TestBuildRedactsAndNamesTheSetting: a source's errors name the setting and never carry
// its secrets.
func TestBuildRedactsAndNamesTheSetting(t *testing.T) {
	_, err := hub.Build(schema.Default(), hub.Source{
		Settings: sources.Settings{Type: "http", Interval: "often"}, Secrets: sources.Secrets{HTTPToken: "often"}})
	if err == nil || !strings.Contains(err.Error(), "source.interval") || strings.Contains(err.Error(), "often") {
		t.Errorf("Build = %v, want an error naming source.interval with the secret taken out", err)
	}
	built, err := hub.Build(schema.Default(), hub.Source{Settings: sources.Settings{Type: "none"}})
	if built != nil || err != nil {
		t.Errorf("type none: %v, %v", built, err)
	}
}

func TestTargets(t *testing.T) {
	e := hub.Embedded("/data/t.db", 48*time.Hour)
	if e.ID != "/data/t.db" || e.Spec != "file:/data/t.db" || e.Image != "/data/t.db.image" || e.Shared || e.Window != 48*time.Hour {
		t.Errorf("Embedded = %+v", e)
	}
	if s := hub.Spec("dynamodb://tickets?region=eu-west-1"); !s.Shared || s.Image != "" {
		t.Errorf("Spec of a table = %+v, want a shared store without an image", s)
	}
	if s := hub.Spec("/data/t.db"); s.Shared {
		t.Errorf("Spec of a file = %+v, want a store of this process", s)
	}
	getenv := func(k string) string {
		if k == "GF_PATHS_DATA" {
			return "/var/lib/grafana"
		}
		return ""
	}
	d := hub.DynamoDB{Spec: "dynamodb://tickets?region=eu-west-1", Table: "tickets", AWS: aws.Config{Region: "eu-west-1"}, Auth: 7}
	one, other := hub.Dynamo(d, 0, getenv), hub.Dynamo(hub.DynamoDB{Spec: d.Spec, Table: d.Table, AWS: d.AWS, Auth: 8}, 0, getenv)
	if !one.Shared || one.ID == other.ID || one.Image == other.Image {
		t.Errorf("two credentials share a store handle or an image: %+v, %+v", one, other)
	}
	if !strings.HasPrefix(one.Image, "/var/lib/grafana/spacetime/dynamodb-") || !strings.HasSuffix(one.Image, ".image") {
		t.Errorf("the image of a table is %q, want it in Grafana's data directory", one.Image)
	}
}
