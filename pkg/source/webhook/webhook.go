// Package webhook takes tickets that a ticket system sends as they change (webhooks):
// GitHub issues events, PagerDuty v3 webhooks, Jira Cloud admin webhooks and a ServiceNow
// outbound REST message. Each Receiver checks the delivery as its sender documents it
// (a signature of the body, or a secret), refuses unsigned, badly signed, stale and
// oversized deliveries, answers a repeated delivery without writing it again, maps the
// ticket through the same preset lines as polling (httpjson.PresetItems), and writes it
// through the push path (source.Push), whose version rule makes any redelivery, and a
// later poll of the same ticket, count nothing twice.
//
// A Receiver is an http.Handler that knows nothing of where it is served: the plugin's
// resource routes and `spacetime ingest --listen` serve the same handler.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/httpjson"
	"github.com/spacetime/tickets/pkg/store"
)

// Defaults of a Config.
const (
	// DefaultMaxBody bounds a delivery. One ticket's event is a few kilobytes; PagerDuty
	// sends at most 256 KB (its Behavior page, "Size Limit"), and an issue with a long
	// description and many labels stays well under a megabyte.
	DefaultMaxBody = 1 << 20
	// DefaultMaxAge is how old a signed event time may be. It must outlast the senders'
	// retries: Jira retries for up to 30 minutes and PagerDuty for about 20 (see
	// vendors.go), and a retry carries the event's first time.
	DefaultMaxAge = time.Hour
	// DefaultReplayMax bounds the delivery ids remembered: at 8 bytes of overhead and a
	// 36-byte id, 100,000 ids are about 10 MB, an hour at 28 deliveries a second.
	DefaultReplayMax = 100_000
	// MaxSkew is how far in the future a signed event time may be (clocks differ).
	MaxSkew = 5 * time.Minute
	// MinSecretLength is the shortest secret a Receiver takes: the senders generate
	// long random secrets, and a short one can be guessed from signed deliveries.
	MinSecretLength = 16
	// DefaultUser is the user name of ServiceNow's basic authentication.
	DefaultUser = "spacetime"
)

// PushFunc writes mapped tickets: source.Push on the data source's store, with the
// engines' sync after the write.
type PushFunc func(ctx context.Context, items []any) (source.PushResult, error)

// Config configures a Receiver.
type Config struct {
	// Preset is the sender: "github", "pagerduty", "jira" or "servicenow".
	Preset string
	// Secrets are the accepted secrets: the one the sender signs with, and during a
	// rotation on this side the previous one too. At least one, each at least
	// MinSecretLength long.
	Secrets []string
	// User is the user name ServiceNow sends with its basic authentication (the secret
	// is the password); empty means DefaultUser. Other senders ignore it.
	User string
	// Mapping holds the user's mapping lines, laid over the preset's as for polling:
	// pass the same lines the data source's poller uses.
	Mapping httpjson.Mapping
	// Push writes the tickets.
	Push PushFunc
	// MaxBody bounds a delivery's body in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// MaxAge is how old a delivery's signed event time may be (where the sender signs
	// one: PagerDuty, Jira); 0 means DefaultMaxAge. Delivery ids are remembered as long.
	MaxAge time.Duration
	// ReplayMax bounds the delivery ids remembered; 0 means DefaultReplayMax.
	ReplayMax int
	// WriteTimeout bounds the write; 0 means a minute. The write goes on when the sender
	// hangs up: a batch is stored whole or not at all.
	WriteTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log, when set, is told of each refused or failed delivery, with secrets redacted.
	Log func(msg string, keyvals ...any)
	// Redact takes further secrets out of messages (the data source's other secure
	// settings); the Secrets are always taken out.
	Redact *redact.Redactor
}

// Receiver takes one sender's deliveries. It is safe for concurrent use.
type Receiver struct {
	cfg     Config
	vendor  vendor
	items   *httpjson.Items
	secrets [][]byte
	replays *replays
	redact  *redact.Redactor
}

// Response is the JSON answer to a delivery that was not refused.
type Response struct {
	// Status is "accepted" (written: Push says how each ticket fared), "duplicate" (a
	// delivery id already applied within MaxAge: nothing written again) or "ignored"
	// (an event that carries no ticket, such as a ping).
	Status   string             `json:"status"`
	Delivery string             `json:"delivery,omitempty"`
	Reason   string             `json:"reason,omitempty"`
	Push     *source.PushResult `json:"push,omitempty"`
}

// New checks the configuration against the schema and returns the receiver.
func New(s *schema.Schema, cfg Config) (*Receiver, error) {
	v, ok := vendors[cfg.Preset]
	if !ok {
		names := make([]string, 0, len(vendors))
		for n := range vendors {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("no webhook receiver for %q (want %s)", cfg.Preset, strings.Join(names, ", "))
	}
	if cfg.Push == nil {
		return nil, errors.New("the webhook receiver needs a push function")
	}
	var secrets [][]byte
	for i, sec := range cfg.Secrets {
		if sec == "" {
			continue
		}
		if len(sec) < MinSecretLength {
			// The secret itself is never quoted, only its place and length.
			return nil, fmt.Errorf("webhook secret %d is %d characters long; use a random secret of at least %d", i+1, len(sec), MinSecretLength)
		}
		secrets = append(secrets, []byte(sec))
	}
	if len(secrets) == 0 {
		return nil, fmt.Errorf("the %s webhook needs a secret: unsigned deliveries are refused", v.title())
	}
	items, err := httpjson.PresetItems(s, cfg.Preset, cfg.Mapping)
	if err != nil {
		return nil, err
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.ReplayMax <= 0 {
		cfg.ReplayMax = DefaultReplayMax
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.User == "" {
		cfg.User = DefaultUser
	}
	// A secret is taken out of messages as it is and as basic authentication carries it.
	words := append([]string(nil), cfg.Secrets...)
	for _, sec := range cfg.Secrets {
		words = append(words, redact.BasicAuth(cfg.User, sec))
	}
	return &Receiver{cfg: cfg, vendor: v, items: items, secrets: secrets,
		replays: newReplays(cfg.MaxAge, cfg.ReplayMax), redact: redact.New(words...)}, nil
}

// Refusals, each with the status its sender expects (see vendors.go).
var (
	errUnsigned = errors.New("the delivery is not signed")
	errBadSig   = errors.New("the delivery's signature does not match the secret")
)

// httpError is a refusal with its status.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func refuse(status int, format string, args ...any) error {
	return &httpError{status: status, err: fmt.Errorf(format, args...)}
}

// ServeHTTP takes one delivery.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, err := rc.handle(w, r)
	if err != nil {
		status := http.StatusInternalServerError
		var he *httpError
		switch {
		case errors.As(err, &he):
			status = he.status
		case errors.Is(err, store.ErrClosed):
			status = http.StatusServiceUnavailable
		}
		if status == http.StatusUnauthorized && rc.cfg.Preset == "servicenow" {
			w.Header().Set("WWW-Authenticate", `Basic realm="spacetime"`)
		}
		msg := rc.redact.String(rc.cfg.Redact.String(err.Error()))
		if rc.cfg.Log != nil {
			rc.cfg.Log("webhook delivery refused", "sender", rc.cfg.Preset, "status", status, "error", msg)
		}
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	status := http.StatusOK
	switch {
	case resp.Status == "ignored":
		status = http.StatusAccepted
	case resp.Push != nil && resp.Push.Received > 0 && resp.Push.Rejected == resp.Push.Received:
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, resp)
}

func (rc *Receiver) handle(w http.ResponseWriter, r *http.Request) (*Response, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, refuse(http.StatusMethodNotAllowed, "a webhook delivery is a POST, not a %s", r.Method)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rc.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, refuse(http.StatusRequestEntityTooLarge, "the delivery is larger than %d bytes", rc.cfg.MaxBody)
		}
		return nil, refuse(http.StatusBadRequest, "reading the delivery: %w", err)
	}
	// The signature is checked before anything reads the body.
	if err := rc.vendor.verify(r, body, rc.secrets, rc.cfg.User); err != nil {
		switch {
		case errors.Is(err, errUnsigned):
			return nil, refuse(http.StatusUnauthorized, "%s", err)
		case errors.Is(err, errBadSig):
			return nil, refuse(rc.vendor.badStatus(), "%s", err)
		}
		return nil, err
	}
	d, err := rc.vendor.parse(r.Header, body)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "%s delivery: %w", rc.vendor.title(), err)
	}
	now := rc.cfg.Now()
	if !d.at.IsZero() {
		switch {
		case d.at.Before(now.Add(-rc.cfg.MaxAge)):
			return nil, refuse(http.StatusForbidden, "the delivery is stale: its event is from %s, more than %s ago", d.at.UTC().Format(time.RFC3339), rc.cfg.MaxAge)
		case d.at.After(now.Add(MaxSkew)):
			return nil, refuse(http.StatusForbidden, "the delivery's event time %s is more than %s ahead of this clock", d.at.UTC().Format(time.RFC3339), MaxSkew)
		}
	}
	resp := &Response{Delivery: d.id}
	if d.id != "" && rc.replays.has(d.id, now) {
		resp.Status, resp.Reason = "duplicate", "this delivery was applied already; nothing is written again"
		return resp, nil
	}
	if d.ignored != "" {
		resp.Status, resp.Reason = "ignored", d.ignored
		return resp, nil
	}
	var tickets []any
	for _, it := range d.items {
		if obj, ok := rc.items.Map(it); ok {
			tickets = append(tickets, obj)
		}
	}
	if len(tickets) == 0 {
		resp.Status, resp.Reason = "ignored", "the event carries no ticket the "+rc.vendor.title()+" preset takes"
		return resp, nil
	}
	// The write goes on if the sender hangs up: a batch is stored whole or not at all.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), rc.cfg.WriteTimeout)
	defer cancel()
	res, err := rc.cfg.Push(ctx, tickets)
	if err != nil {
		return nil, fmt.Errorf("writing the delivery's tickets: %w", err)
	}
	if d.id != "" {
		rc.replays.add(d.id, now)
	}
	resp.Status, resp.Push = "accepted", &res
	return resp, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"the answer could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
