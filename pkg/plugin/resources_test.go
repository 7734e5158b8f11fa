package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/hub"
)

// The editors' POST routes answer a bad body with a status and a message, never a panic:
// Grafana passes an empty body as none at all (the SDK's httpadapter then gives the
// handler a nil Request.Body), and a body over the limit is refused, not cut.
func TestPostRoutesAnswerEmptyAndOversizedBodies(t *testing.T) {
	d := newInstance(t, newTestHub(hub.Options{}), "bodies", filepath.Join(t.TempDir(), "t.db"), nil)
	t.Cleanup(d.Dispose)
	big := append([]byte(`{"filter": "`), bytes.Repeat([]byte("a"), maxRequestBytes)...)
	big = append(big, `"}`...)
	for _, path := range []string{"validate", "validate-schema"} {
		t.Run(path+" empty", func(t *testing.T) {
			status, out := callResource(t, d, http.MethodPost, path, nil)
			var e struct{ Error string }
			if status != http.StatusBadRequest || json.Unmarshal(out, &e) != nil || !strings.Contains(e.Error, "empty") {
				t.Fatalf("%d %s, want 400 saying the body is empty", status, out)
			}
		})
		t.Run(path+" too large", func(t *testing.T) {
			status, out := callResource(t, d, http.MethodPost, path, big)
			var e struct{ Error string }
			want := fmt.Sprintf("%d MiB", maxRequestBytes>>20)
			if status != http.StatusRequestEntityTooLarge || json.Unmarshal(out, &e) != nil || !strings.Contains(e.Error, want) {
				t.Fatalf("%d %.200s, want 413 naming the limit (%s)", status, out, want)
			}
		})
	}
}
