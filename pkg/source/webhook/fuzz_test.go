package webhook_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/webhook"
)

// FuzzDelivery sends any body with any signature header to each receiver, and a body
// signed right to each too. Whatever comes in: no panic, a status the receiver means
// (never a 500 from a body it could not read), no write of an unsigned or badly signed
// delivery, and no secret in the answer.
func FuzzDelivery(f *testing.F) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	seeds := []string{
		`{"action":"opened","issue":{"number":1,"title":"x","updated_at":"2026-12-01T11:00:00Z"}}`,
		`{"event":{"id":"e","event_type":"incident.triggered","resource_type":"incident","occurred_at":"2026-12-01T11:59:00Z","data":{"id":"P1","type":"incident"}}}`,
		`{"timestamp":1795000000000,"webhookEvent":"jira:issue_created","issue":{"key":"A-1","fields":{}}}`,
		`{"result":[{"number":{"value":"INC1"}}]}`,
		`{"result":7}`, `[]`, `null`, `{"event":null}`, `{"timestamp":"x"}`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "sha256=00", "issues")
	}
	s := schema.Default()
	type target struct {
		rc     *webhook.Receiver
		writes *int
	}
	targets := map[string]target{}
	for _, p := range []string{"github", "pagerduty", "jira", "servicenow"} {
		n := new(int)
		rc, err := webhook.New(s, webhook.Config{Preset: p, Secrets: []string{secret}, MaxBody: 32 << 10,
			Now: func() time.Time { return now },
			Push: func(_ context.Context, items []any) (source.PushResult, error) {
				*n++
				return source.PushResult{Received: len(items), Accepted: len(items)}, nil
			}})
		if err != nil {
			f.Fatal(err)
		}
		targets[p] = target{rc, n}
	}
	sign := map[string]func(http.Header, []byte){
		"github":     func(h http.Header, b []byte) { h.Set("X-Hub-Signature-256", hubSig(secret, b)) },
		"jira":       func(h http.Header, b []byte) { h.Set("X-Hub-Signature", hubSig(secret, b)) },
		"pagerduty":  func(h http.Header, b []byte) { h.Set("X-PagerDuty-Signature", pdSig(secret, b)) },
		"servicenow": func(h http.Header, _ []byte) { h.Set("Authorization", basic(webhook.DefaultUser, secret)) },
	}
	f.Fuzz(func(t *testing.T, body []byte, sig, event string) {
		for name, tg := range targets {
			for _, signed := range []bool{false, true} {
				req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
				req.Header.Set("X-GitHub-Event", event)
				req.Header.Set("X-GitHub-Delivery", "d")
				if signed {
					sign[name](req.Header, body)
				} else {
					for _, h := range []string{"X-Hub-Signature-256", "X-Hub-Signature", "X-PagerDuty-Signature", "Authorization"} {
						req.Header.Set(h, sig)
					}
				}
				before := *tg.writes
				w := httptest.NewRecorder()
				tg.rc.ServeHTTP(w, req)
				switch w.Code {
				case 200, 202, 400, 401, 403, 413, 422:
				default:
					t.Fatalf("%s: status %d for %q: %s", name, w.Code, body, w.Body)
				}
				if !signed && *tg.writes != before && !strings.Contains(sig, secret) {
					t.Fatalf("%s wrote a delivery signed %q", name, sig)
				}
				if strings.Contains(w.Body.String(), secret) {
					t.Fatalf("%s quotes the secret: %s", name, w.Body)
				}
			}
		}
	})
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}
