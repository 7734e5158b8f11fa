package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
)

// MaxPushRecords is the most tickets one push may carry; a webhook sends a few, and a
// bulk load belongs to `spacetime import`.
const MaxPushRecords = 10_000

// PushRecord is the outcome of one pushed ticket.
type PushRecord struct {
	// Index is the ticket's position in the pushed batch, from 0.
	Index int    `json:"index"`
	Key   string `json:"key,omitempty"`
	// Status is "accepted" (stored: new, an update, or identical to the stored version),
	// "stale" (older than the stored version, which the version rule keeps: Reason says
	// which) or "rejected" (it does not fit the schema: Reason says why).
	Status string `json:"status"`
	// Outcome says what the store did with an accepted ticket: "inserted", "updated" or
	// "unchanged".
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// PushResult says what a push did, ticket by ticket and in sum.
type PushResult struct {
	Received int `json:"received"`
	Accepted int `json:"accepted"`
	// Stale counts the tickets older than their stored version.
	Stale    int                `json:"stale"`
	Rejected int                `json:"rejected"`
	Result   store.UpsertResult `json:"result"`
	Records  []PushRecord       `json:"records"`
}

// DecodePush reads the body of a push: a JSON array of ticket objects, an object with a
// "tickets" array, or one ticket object.
func DecodePush(body []byte) ([]any, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("the body is empty: send a JSON array of tickets, or {\"tickets\": [...]}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the body is not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("the body has more than one JSON value: send one array of tickets")
	}
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case map[string]any:
		if t, ok := x["tickets"]; ok {
			arr, ok := t.([]any)
			if !ok {
				return nil, errors.New(`"tickets" is not an array`)
			}
			items = arr
		} else {
			items = []any{x}
		}
	default:
		return nil, errors.New("the body is neither an array of tickets nor an object")
	}
	if len(items) > MaxPushRecords {
		return nil, fmt.Errorf("the body has %d tickets; push at most %d at once", len(items), MaxPushRecords)
	}
	return items, nil
}

// Push maps the tickets onto the schema, writes those that fit to the store in one
// atomic write, calls afterWrite (which brings the engines up to date), and reports each
// ticket's outcome. Tickets of one push with the same key are applied in order.
func Push(ctx context.Context, st store.Store, s *schema.Schema, items []any, afterWrite func(context.Context) error) (PushResult, error) {
	res := PushResult{Received: len(items), Records: make([]PushRecord, len(items))}
	m, err := ingest.NewMapper(s, nil, ingest.MapOptions{})
	if err != nil {
		return res, err
	}
	var b Batch
	var pos []int // pos[j] is the index in items of b.Records[j]
	for i, item := range items {
		out := PushRecord{Index: i, Status: "accepted"}
		obj, ok := item.(map[string]any)
		if !ok {
			out.Status, out.Reason = "rejected", "not a JSON object"
			res.Records[i] = out
			continue
		}
		rec, err := m.MapObject(obj)
		if err != nil {
			out.Status, out.Reason = "rejected", err.Error()
			var re *ingest.RecordError
			if errors.As(err, &re) {
				out.Key = re.Key
			}
			res.Records[i] = out
			continue
		}
		out.Key = rec.Key
		res.Records[i] = out
		b.Records = append(b.Records, rec)
		pos = append(pos, i)
	}
	for _, r := range res.Records {
		if r.Status == "rejected" {
			res.Rejected++
		}
	}
	if len(b.Records) == 0 {
		return res, nil
	}
	var (
		outs []store.Outcome
		ur   store.UpsertResult
	)
	if r, ok := st.(store.UpsertReporter); ok {
		outs, ur, err = r.UpsertEach(ctx, b.Records)
	} else {
		ur, err = st.Upsert(ctx, b.Records)
	}
	if err != nil {
		return res, fmt.Errorf("write the tickets to the store: %w", err)
	}
	res.Result = ur
	res.Accepted = len(b.Records) - ur.Stale
	res.Stale = ur.Stale
	for j, o := range outs {
		out := &res.Records[pos[j]]
		switch o.Kind {
		case store.Stale:
			out.Status = "stale"
			out.Reason = fmt.Sprintf("older than the stored version, %s: the store keeps the newer one", versionText(s, o.Stored))
		case store.Inserted, store.Updated, store.Unchanged:
			out.Outcome = o.Kind.String()
		}
	}
	if afterWrite != nil {
		if err := afterWrite(ctx); err != nil {
			return res, fmt.Errorf("the tickets were stored, but the index did not take them: %w", err)
		}
	}
	return res, nil
}

// versionText writes a version as the schema's version column holds it: a time in RFC
// 3339, else a number.
func versionText(s *schema.Schema, v int64) string {
	if c, ok := s.Column(s.Version); ok && c.Type == schema.Time {
		return time.UnixMilli(v).UTC().Format(time.RFC3339Nano)
	}
	return strconv.FormatInt(v, 10)
}
