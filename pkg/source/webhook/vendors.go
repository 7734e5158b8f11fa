package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/source"
)

// vendor is what differs between senders: how a delivery is signed and what it holds.
type vendor interface {
	title() string
	// verify checks the delivery's credentials against the secrets, in constant time;
	// it returns errUnsigned or errBadSig (wrapped) when they do not hold.
	verify(r *http.Request, body []byte, secrets [][]byte, user string) error
	// badStatus is the status of a badly signed delivery.
	badStatus() int
	// parse reads a verified delivery.
	parse(h http.Header, body []byte) (delivery, error)
}

// delivery is what a verified body holds.
type delivery struct {
	// id is the sender's delivery id, the same on each retry; "" when it sends none.
	id string
	// at is the signed time of the event; zero when the sender signs none.
	at time.Time
	// items are the tickets, each in the shape of the preset's API.
	items []map[string]any
	// ignored says why the delivery carries no ticket to take.
	ignored string
}

var vendors = map[string]vendor{
	"github":     github{},
	"pagerduty":  pagerduty{},
	"jira":       jira{},
	"servicenow": servicenow{},
}

// macs computes the HMAC-SHA256 of body under each secret.
func macs(body []byte, secrets [][]byte) [][]byte {
	out := make([][]byte, len(secrets))
	for i, s := range secrets {
		m := hmac.New(sha256.New, s)
		m.Write(body)
		out[i] = m.Sum(nil)
	}
	return out
}

// anyEqual compares sig with every expected MAC, each in constant time, and without
// stopping at the first match, so that the time taken says nothing of which matched.
func anyEqual(sig []byte, want [][]byte) bool {
	ok := 0
	for _, w := range want {
		ok |= subtle.ConstantTimeCompare(sig, w)
	}
	return ok == 1
}

// verifyPrefixed checks a header of the form "sha256=<hex of the HMAC-SHA256 of the
// body>", as GitHub and Jira send it.
func verifyPrefixed(r *http.Request, header string, body []byte, secrets [][]byte) error {
	v := r.Header.Get(header)
	if v == "" {
		return fmt.Errorf("%w: the %s header is missing", errUnsigned, header)
	}
	hexSig, ok := strings.CutPrefix(v, "sha256=")
	if !ok {
		return fmt.Errorf("%w: the %s header is not of the form sha256=<hex>", errBadSig, header)
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) != sha256.Size {
		return fmt.Errorf("%w: the %s header does not hold a SHA-256 digest in hex", errBadSig, header)
	}
	if !anyEqual(sig, macs(body, secrets)) {
		return fmt.Errorf("%w (%s)", errBadSig, header)
	}
	return nil
}

// decodeJSON reads a body as JSON with numbers kept as written.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the body is not valid JSON: %w", err)
	}
	if dec.More() {
		return errors.New("the body has more than one JSON value")
	}
	return nil
}

// github takes repository webhooks of issues events.
//
// A webhook with a secret signs each delivery with X-Hub-Signature-256: "sha256=" and the
// hex of the HMAC-SHA256 of the body under the secret; compare it in constant time
// (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
// X-GitHub-Event names the event and X-GitHub-Delivery is a GUID of the event, which a
// redelivery keeps (https://docs.github.com/en/webhooks/webhook-events-and-payloads,
// "Delivery headers"; github/docs issue 32822 made the docs say it is per event, not per
// delivery).
// GitHub signs no time, so no delivery of it is stale by its time: a replay is stopped by
// its delivery id within MaxAge and after that by the store's version rule (the body's
// issue carries its updated_at). The issues event's payload holds the issue as the REST
// API gives it (https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues),
// which the preset maps; issue_comment carries the issue too, whose updated_at moves.
// GitHub does not retry a failed delivery by itself; one is redelivered by hand or by
// the REST API, up to 3 days later (7 on GitHub Enterprise Server): past MaxAge, such a
// redelivery is written again and the version rule finds it unchanged.
type github struct{}

func (github) title() string  { return "GitHub" }
func (github) badStatus() int { return http.StatusUnauthorized }

func (github) verify(r *http.Request, body []byte, secrets [][]byte, _ string) error {
	return verifyPrefixed(r, "X-Hub-Signature-256", body, secrets)
}

func (github) parse(h http.Header, body []byte) (delivery, error) {
	d := delivery{id: h.Get("X-GitHub-Delivery")}
	var p struct {
		Action string         `json:"action"`
		Issue  map[string]any `json:"issue"`
	}
	if err := decodeJSON(body, &p); err != nil {
		return d, err
	}
	switch event := h.Get("X-GitHub-Event"); event {
	case "issues", "issue_comment":
		if p.Issue == nil {
			return d, fmt.Errorf("the %s event has no issue", event)
		}
		if p.Action == "deleted" && event == "issues" {
			d.ignored = "a deleted issue: the store keeps the tickets it has"
			return d, nil
		}
		d.items = []map[string]any{p.Issue}
	case "ping":
		d.ignored = "a ping: the webhook reaches Spacetime"
	case "":
		return d, errors.New("the X-GitHub-Event header is missing")
	default:
		d.ignored = fmt.Sprintf("a %s event: only issues and issue_comment events carry tickets", event)
	}
	return d, nil
}

// pagerduty takes v3 webhook subscriptions of incident events.
//
// Each delivery carries X-PagerDuty-Signature: one or more "v1=<hex of the HMAC-SHA256 of
// the body>", comma separated, several during PagerDuty's secret rotation; the delivery is
// genuine when one matches, compared in constant time
// (PagerDuty's developer documentation, "Verifying Signatures": docs/webhooks/
// 04-Signatures.md of github.com/PagerDuty/developer-docs). PagerDuty's own Go library
// answers a missing header 400 and a bad signature 403 (go-pagerduty webhookv3): we
// answer a missing one 401, as every receiver here does, and a bad one 403.
//
// The body is {"event": {id, event_type, resource_type, occurred_at, data}}: event.id is
// unique per event (in the signed body, unlike the X-Webhook-Id header), occurred_at is
// its signed time, and for incident events data is the incident
// (docs/webhooks/01-Overview.md). PagerDuty retries a timeout, a 5xx or a 429 up to 4
// times over about 20 minutes, drops a delivery answered with any other 4xx, disables a
// subscription for 24 hours after 3 dropped deliveries in a row, and delivers at least
// once (docs/webhooks/02-Behavior.md): a duplicate is answered 200, never 4xx.
//
// The incident of a webhook lacks what the REST API adds: updated_at, resolved_at,
// description. The event's time stands for updated_at (and for resolved_at when the
// event resolves the incident), cut to the second as the REST API gives its times, so
// that a later poll of the same incident, whose updated_at is at least as late, wins the
// version rule and fills in the rest.
type pagerduty struct{}

func (pagerduty) title() string  { return "PagerDuty" }
func (pagerduty) badStatus() int { return http.StatusForbidden }

// maxSignatures bounds the signatures of one header that are compared.
const maxSignatures = 16

func (pagerduty) verify(r *http.Request, body []byte, secrets [][]byte, _ string) error {
	v := r.Header.Get("X-PagerDuty-Signature")
	if v == "" {
		return fmt.Errorf("%w: the X-PagerDuty-Signature header is missing", errUnsigned)
	}
	want := macs(body, secrets)
	parts := strings.Split(v, ",")
	if len(parts) > maxSignatures {
		return fmt.Errorf("%w: the X-PagerDuty-Signature header has %d signatures, more than %d", errBadSig, len(parts), maxSignatures)
	}
	seen := false
	for _, p := range parts {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(p), "v1=")
		if !ok {
			continue // another version of signature, which we do not know
		}
		sig, err := hex.DecodeString(hexSig)
		if err != nil || len(sig) != sha256.Size {
			continue
		}
		seen = true
		if anyEqual(sig, want) {
			return nil
		}
	}
	if !seen {
		return fmt.Errorf("%w: the X-PagerDuty-Signature header holds no v1 signature", errBadSig)
	}
	return fmt.Errorf("%w (X-PagerDuty-Signature)", errBadSig)
}

func (pagerduty) parse(_ http.Header, body []byte) (delivery, error) {
	var p struct {
		Event *struct {
			ID           string         `json:"id"`
			EventType    string         `json:"event_type"`
			ResourceType string         `json:"resource_type"`
			OccurredAt   string         `json:"occurred_at"`
			Data         map[string]any `json:"data"`
		} `json:"event"`
	}
	if err := decodeJSON(body, &p); err != nil {
		return delivery{}, err
	}
	ev := p.Event
	if ev == nil {
		return delivery{}, errors.New(`the body has no "event"`)
	}
	if ev.ID == "" {
		return delivery{}, errors.New("the event has no id")
	}
	at, err := time.Parse(time.RFC3339Nano, ev.OccurredAt)
	if err != nil {
		return delivery{}, fmt.Errorf("the event's occurred_at %q is not an RFC 3339 time", ev.OccurredAt)
	}
	d := delivery{id: ev.ID, at: at}
	if ev.ResourceType != "incident" || ev.Data == nil || ev.Data["type"] != "incident" {
		d.ignored = fmt.Sprintf("a %s event: only incident events whose data is the incident carry tickets", ev.EventType)
		return d, nil
	}
	inc := make(map[string]any, len(ev.Data)+2)
	for k, v := range ev.Data {
		inc[k] = v
	}
	stamp := at.UTC().Truncate(time.Second).Format(time.RFC3339)
	if inc["updated_at"] == nil {
		inc["updated_at"] = stamp
	}
	if ev.EventType == "incident.resolved" && inc["resolved_at"] == nil {
		inc["resolved_at"] = stamp
	}
	d.items = []map[string]any{inc}
	return d, nil
}

// jira takes Jira Cloud's admin webhooks (made in Jira's administration, System >
// WebHooks, or with POST /rest/webhooks/1.0/webhook) of issue events.
//
// An admin webhook saved with a secret signs each delivery with X-Hub-Signature:
// "sha256=" and the hex of the HMAC-SHA256 of the body under the secret (WebSub's
// method=signature form; https://developer.atlassian.com/cloud/jira/platform/webhooks/,
// "Secure admin webhooks"). That is the one way Jira signs what it sends to a plain
// HTTPS endpoint, and the one this receiver takes: the webhooks of Connect apps are
// signed with a JWT of the app's shared secret from its installation, and the dynamic
// webhooks of OAuth 2.0 apps with a JWT of the app's client secret, neither of which a
// data source is. A secret in the URL, which older guides suggest, is refused: it is
// logged on its way by every proxy.
//
// The body holds "timestamp" (milliseconds, signed: a delivery older than MaxAge is
// stale), "webhookEvent" and, for issue events, "issue" as REST API v2 gives it (the
// description as text), which the preset maps. X-Atlassian-Webhook-Identifier is the
// same on each retry of a delivery. Jira retries a delivery answered 408, 409, 425, 429
// or 5xx, or that timed out, for up to 30 minutes
// (https://developer.atlassian.com/cloud/jira/platform/webhooks/#retry-policy): a
// duplicate is answered 200, and a refusal never 409.
type jira struct{}

func (jira) title() string  { return "Jira" }
func (jira) badStatus() int { return http.StatusUnauthorized }

func (jira) verify(r *http.Request, body []byte, secrets [][]byte, _ string) error {
	return verifyPrefixed(r, "X-Hub-Signature", body, secrets)
}

func (jira) parse(h http.Header, body []byte) (delivery, error) {
	var p struct {
		Timestamp    json.Number    `json:"timestamp"`
		WebhookEvent string         `json:"webhookEvent"`
		Issue        map[string]any `json:"issue"`
	}
	if err := decodeJSON(body, &p); err != nil {
		return delivery{}, err
	}
	d := delivery{id: h.Get("X-Atlassian-Webhook-Identifier")}
	if p.Timestamp == "" {
		return d, errors.New(`the body has no "timestamp"`)
	}
	ms, err := strconv.ParseInt(string(p.Timestamp), 10, 64)
	if err != nil {
		return d, fmt.Errorf("the timestamp %q is not milliseconds", p.Timestamp)
	}
	d.at = time.UnixMilli(ms)
	switch p.WebhookEvent {
	case "jira:issue_created", "jira:issue_updated":
		if p.Issue == nil {
			return d, fmt.Errorf("the %s event has no issue", p.WebhookEvent)
		}
		d.items = []map[string]any{p.Issue}
	case "jira:issue_deleted":
		d.ignored = "a deleted issue: the store keeps the tickets it has"
	case "":
		return d, errors.New(`the body has no "webhookEvent"`)
	default:
		d.ignored = fmt.Sprintf("a %s event: only jira:issue_created and jira:issue_updated carry tickets", p.WebhookEvent)
	}
	return d, nil
}

// servicenow takes an outbound REST message that a business rule on the incident table
// sends after each insert and update (docs/realtime.md has the rule).
//
// ServiceNow signs nothing it sends; an outbound REST message authenticates with basic
// authentication from a profile, or OAuth 2.0 (https://www.servicenow.com/docs, "Create a
// REST message" and "Configure a REST message with basic auth"). This receiver takes basic
// authentication: the user name of the Config (DefaultUser) and the secret as password,
// compared in constant time. A delivery has neither a signed time nor an id: a replay of
// one is made harmless by the store's version rule alone (sys_updated_on is the version),
// and the secret travels in each request, so the endpoint must be HTTPS.
//
// The body is the incident as the Table API gives it with sysparm_display_value=all
// (each field {"value", "display_value"}), which is what the preset maps: the record
// alone, or {"result": record}, or {"result": [records]}.
type servicenow struct{}

func (servicenow) title() string  { return "ServiceNow" }
func (servicenow) badStatus() int { return http.StatusUnauthorized }

func (servicenow) verify(r *http.Request, _ []byte, secrets [][]byte, user string) error {
	u, p, ok := r.BasicAuth()
	if !ok {
		return fmt.Errorf("%w: no basic authentication", errUnsigned)
	}
	// Digests first, so that the comparison takes the same time whatever the lengths.
	gotUser, wantUser := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(user))
	gotPass := sha256.Sum256([]byte(p))
	want := make([][]byte, len(secrets))
	for i, s := range secrets {
		d := sha256.Sum256(s)
		want[i] = d[:]
	}
	userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:]) == 1
	if passOK := anyEqual(gotPass[:], want); !userOK || !passOK {
		return fmt.Errorf("%w: the user name or password is wrong", errBadSig)
	}
	return nil
}

func (servicenow) parse(_ http.Header, body []byte) (delivery, error) {
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return delivery{}, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return delivery{}, errors.New("the body is not a JSON object")
	}
	var d delivery
	res, wrapped := obj["result"]
	if !wrapped {
		d.items = []map[string]any{obj}
		return d, nil
	}
	switch x := res.(type) {
	case map[string]any:
		d.items = []map[string]any{x}
	case []any:
		if len(x) > source.MaxPushRecords {
			return d, fmt.Errorf("the body has %d records; send at most %d at once", len(x), source.MaxPushRecords)
		}
		for i, it := range x {
			m, ok := it.(map[string]any)
			if !ok {
				return d, fmt.Errorf("result[%d] is not an object", i)
			}
			d.items = append(d.items, m)
		}
	default:
		return d, errors.New(`"result" is neither a record nor an array of records`)
	}
	return d, nil
}
