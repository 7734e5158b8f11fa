package httpjson_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/httpjson"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// tracker is a small ticket system for the tests: tickets with an update time, listed
// oldest update first from ?since=, a page at a time, the next page in a Link header.
// Faults can be queued for the next calls.
type tracker struct {
	mu      sync.Mutex
	tickets map[string]tkt
	pageLen int
	faults  []fault
	calls   []call
	// block, when set, makes a call for that page wait until the request is cancelled
	// or release is closed.
	blockPage int
	release   chan struct{}
	blocked   chan struct{}
}

type tkt struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Service  string `json:"service"`
	Severity any    `json:"severity"`
	Created  string `json:"created"`
	Updated  string `json:"updated"`
	Status   string `json:"status"`
}

// fault is what one call answers instead of the tickets.
type fault struct {
	status     int
	retryAfter string
	body       string
	delay      time.Duration
}

type call struct {
	at    time.Time
	since string
	page  int
}

func newTracker() *tracker { return &tracker{tickets: map[string]tkt{}, pageLen: 3} }

func (tr *tracker) put(id, title string, updated time.Time) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	created := updated
	if old, ok := tr.tickets[id]; ok {
		created, _ = time.Parse(time.RFC3339, old.Created)
	}
	tr.tickets[id] = tkt{ID: id, Title: title, Service: "checkout", Severity: 2,
		Created: created.UTC().Format(time.RFC3339), Updated: updated.UTC().Format(time.RFC3339), Status: "open"}
}

func (tr *tracker) fail(f ...fault) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.faults = append(tr.faults, f...)
}

func (tr *tracker) callLog() []call {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]call(nil), tr.calls...)
}

func (tr *tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page == 0 {
		page = 1
	}
	since := r.URL.Query().Get("since")
	tr.mu.Lock()
	tr.calls = append(tr.calls, call{at: time.Now(), since: since, page: page})
	var f *fault
	if len(tr.faults) > 0 {
		f = &tr.faults[0]
		tr.faults = tr.faults[1:]
	}
	block := tr.blockPage == page && tr.release != nil
	release, blocked := tr.release, tr.blocked
	tr.mu.Unlock()
	if block {
		if blocked != nil {
			close(blocked)
		}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
	}
	if f != nil {
		if f.delay > 0 {
			select {
			case <-time.After(f.delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.status != 0 {
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			w.WriteHeader(f.status)
			fmt.Fprint(w, f.body)
			return
		}
		if f.body != "" {
			fmt.Fprint(w, f.body)
			return
		}
	}
	tr.mu.Lock()
	var list []tkt
	for _, t := range tr.tickets {
		if since == "" || t.Updated >= since {
			list = append(list, t)
		}
	}
	tr.mu.Unlock()
	sort.Slice(list, func(i, j int) bool {
		if list[i].Updated != list[j].Updated {
			return list[i].Updated < list[j].Updated
		}
		return list[i].ID < list[j].ID
	})
	from := (page - 1) * tr.pageLen
	to := min(from+tr.pageLen, len(list))
	if from > len(list) {
		from = len(list)
	}
	if to < len(list) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page+1))
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, q.Encode()))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"items": list[from:to]})
}

// rig is a store, a source over a tracker and a poller, as the plugin wires them.
type rig struct {
	st     store.Store
	poller *source.Poller
	src    *httpjson.Source
	url    string
}

var fastRetry = httpjson.Retry{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Tries: 4, Budget: 5 * time.Second}

func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newRig(t *testing.T, st store.Store, url string, mutate func(*httpjson.Config)) *rig {
	t.Helper()
	cfg := httpjson.Config{
		URL:     url + "/tickets?since={since}",
		Items:   "items",
		Paging:  httpjson.Paging{Type: "link"},
		Retry:   fastRetry,
		Timeout: 2 * time.Second,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	src, err := httpjson.New(schema.Default(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := source.NewPoller(src, st, source.Options{Key: "test", Interval: time.Second, Overlap: time.Minute})
	return &rig{st: st, poller: p, src: src, url: url}
}

func startTracker(t *testing.T, tr *tracker) *httptest.Server {
	srv := httptest.NewServer(tr)
	t.Cleanup(srv.Close)
	return srv
}

func tempStorePath(t *testing.T) string { return filepath.Join(t.TempDir(), "tickets.db") }

// stored reads back tickets by key: key -> title.
func stored(t *testing.T, st store.Store, keys ...string) map[string]string {
	t.Helper()
	recs, err := st.Get(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs {
		out[r.Key] = r.Get("title").S
	}
	return out
}

func ticketCount(t *testing.T, st store.Store) int {
	t.Helper()
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.Tickets
}
