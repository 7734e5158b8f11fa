package binaryhost_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/binaryhost"
)

// bodyMarker starts every answer of the echo server: no viewer-visible message, nor the
// log, may carry it.
const bodyMarker = "ECHO-OF-THE-REQUEST"

// echoHeaders answers every call with status and a body that echoes the request's headers,
// as a misbehaving API or proxy does in its error pages, each value also in base64 and
// URL-encoded, and the parts of a basic authorization decoded.
func echoHeaders(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(bodyMarker + ": ")
		names := make([]string, 0, len(r.Header))
		for name := range r.Header {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v := r.Header.Get(name)
			fmt.Fprintf(&b, "%s=%s (base64 %s, escaped %s); ", name, v, base64.StdEncoding.EncodeToString([]byte(v)), url.QueryEscape(v))
			if basic, ok := strings.CutPrefix(v, "Basic "); ok {
				pair, _ := base64.StdEncoding.DecodeString(basic)
				_, pass, _ := strings.Cut(string(pair), ":")
				fmt.Fprintf(&b, "password=%s (base64 %s, escaped %s, path %s); ", pass, base64.StdEncoding.EncodeToString([]byte(pass)),
					url.QueryEscape(pass), url.PathEscape(pass))
			}
		}
		w.WriteHeader(status)
		fmt.Fprint(w, b.String())
	})
}

// forms are the ways a secret can be written back: as it is, base64, URL-encoded.
func forms(secret string) []string {
	return []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), base64.RawStdEncoding.EncodeToString([]byte(secret)),
		url.QueryEscape(secret), url.PathEscape(secret)}
}

func assertClean(t *testing.T, where, text string, forbidden []string) {
	t.Helper()
	for _, f := range forbidden {
		if strings.Contains(text, f) {
			t.Errorf("%s shows %q:\n%s", where, f, text)
		}
	}
}

// An HTTP source whose ticket system echoes our request headers in its error answers: the
// credentials are in those answers, in clear, base64 and URL-encoded. No message shows
// them, nor the answer itself to a dashboard viewer: the status resource, the stats
// panel's notice and metadata, a viewer's health check, the log. An admin's health check
// gets a short excerpt of the answer, redacted.
func TestUpstreamBodiesAndSecretsStayOutOfMessages(t *testing.T) {
	const (
		user     = "ops@example.com"
		password = "p@ss:w/rd+S3CRET"
		header   = "hdr-S3CRET/value+=x"
	)
	badRequest := httptest.NewServer(echoHeaders(http.StatusBadRequest))
	defer badRequest.Close()
	failing := httptest.NewServer(echoHeaders(http.StatusInternalServerError))
	defer failing.Close()

	var logs syncBuffer
	host, err := binaryhost.StartWith(built.bin, binaryhost.Options{WorkDir: t.TempDir(), Log: &logs,
		Env: []string{"GF_PATHS_DATA=" + filepath.Join(t.TempDir(), "grafana-data")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Stop)
	f := &fixture{host: host}

	forbidden := append(forms(password), forms(header)...)
	forbidden = append(forbidden, forms(user+":"+password)...)
	// The Authorization header whole, encoded again (the echo server writes its base64).
	encodedPair := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	forbidden = append(forbidden, forms(encodedPair)...)
	forbidden = append(forbidden, forms("Basic "+encodedPair)...)
	viewerForbidden := append([]string{bodyMarker}, forbidden...)

	basic := sourceContext(t, "echo-basic", map[string]any{
		"storePath": filepath.Join(t.TempDir(), "basic.db"),
		"source": map[string]any{"type": "http", "interval": "1m",
			"http": map[string]any{"url": badRequest.URL + "/tickets?since={since}", "auth": "basic", "username": user}},
	}, map[string]string{"httpPassword": password})
	headerAuth := sourceContext(t, "echo-header", map[string]any{
		"storePath": filepath.Join(t.TempDir(), "header.db"),
		"source": map[string]any{"type": "http", "interval": "1m",
			"http": map[string]any{"url": failing.URL + "/tickets", "auth": "header", "headerName": "X-Api-Key"}},
	}, map[string]string{"httpHeaderValue": header})

	ctx := context.Background()
	for _, pc := range []backend.PluginContext{basic, headerAuth} {
		uid := pc.DataSourceInstanceSettings.UID
		viewer, admin := pc, pc
		viewer.User = &backend.User{Login: "viewer", Role: "Viewer"}
		admin.User = &backend.User{Login: "admin", Role: "Admin"}

		res, err := host.CheckHealth(ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		assertClean(t, uid+": a viewer's health check", res.Message+string(res.JSONDetails), viewerForbidden)

		// The status, once the first call has failed (the 500s are retried, the 400 not).
		var status string
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			code, out, err := host.CallResource(ctx, viewer, http.MethodGet, "status", nil, nil)
			if err != nil || code != http.StatusOK {
				t.Fatalf("%s: status %d %s %v", uid, code, out, err)
			}
			status = string(out)
			if strings.Contains(status, `"lastError"`) || strings.Contains(status, `"lastRetry"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no failed call in the status: %s", uid, status)
			}
		}
		if !strings.Contains(status, "answered 400") && !strings.Contains(status, "answered 500") {
			t.Errorf("%s: the status does not say what the API answered: %s", uid, status)
		}
		assertClean(t, uid+": GET status", status, viewerForbidden)

		now := time.Now()
		resp := f.query(t, viewer, now.Add(-time.Hour), now, map[string]any{"queryType": "stats"})
		if resp.Error != nil {
			t.Fatalf("%s: stats: %v", uid, resp.Error)
		}
		frame, err := json.Marshal(resp.Frames)
		if err != nil {
			t.Fatal(err)
		}
		assertClean(t, uid+": the stats frame", string(frame), viewerForbidden)

		res, err = host.CheckHealth(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		assertClean(t, uid+": an admin's health check", res.Message+string(res.JSONDetails), forbidden)
		t.Logf("%s: an admin's health check: %s", uid, res.Message)
		if uid == "echo-basic" && (!strings.Contains(res.Message, bodyMarker) || !strings.Contains(res.Message, "Authorization=[redacted]")) {
			t.Errorf("an admin's health check does not show the start of the answer, redacted: %s", res.Message)
		}
	}
	waitLine(t, &logs, "Polling the ticket source failed")
	assertClean(t, "the log", logs.String(), viewerForbidden)
}
