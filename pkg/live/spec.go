package live

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/query"
)

// Kinds of live query, each the streaming side of a panel's query type.
const (
	// Logs streams the new and updated tickets as log lines (the overview's feed).
	Logs = "logs"
	// Tickets streams them as table rows.
	Tickets = "tickets"
	// Counts streams the buckets the writes touched (the counts of the last minutes).
	Counts = "counts"
	// Stats streams the single stats of the range after each write.
	Stats = "stats"
)

var kinds = []string{Logs, Tickets, Counts, Stats}

// Spec is what a live channel streams: the part of a panel's query that decides which
// tickets it shows and how. The frontend sends it as the subscription's data; the
// channel's path is made from its digest (Path), so two panels with the same Spec share
// one stream, and a subscription whose data does not match its path is refused.
type Spec struct {
	Kind string `json:"kind"`
	// Filter, AdHocFilters, NoDefaultFilter and Search are the query's, with the same
	// meaning: the stream shows what the query would show.
	Filter          string               `json:"filter,omitempty"`
	AdHocFilters    []filter.AdHocFilter `json:"adhocFilters,omitempty"`
	NoDefaultFilter bool                 `json:"noDefaultFilter,omitempty"`
	Search          string               `json:"search,omitempty"`
	TimeField       string               `json:"timeField,omitempty"`
	// Range is the panel's relative range ("1h" for now-1h to now): a ticket whose time
	// is older is not streamed, and stats are over it. Required.
	Range string `json:"range"`
	// Bucket is the width of a counts bucket ("1m"). Required for counts.
	Bucket string `json:"bucket,omitempty"`
	// Columns of a tickets stream, or the fields of a logs line.
	Columns []string `json:"columns,omitempty"`
	// Limit bounds the rows of one frame (logs, tickets); 0: 200.
	Limit int `json:"limit,omitempty"`
	// LevelField is the logs level column, as in the query.
	LevelField string `json:"levelField,omitempty"`
}

// Limits of a channel.
const (
	// MaxSpecBytes bounds the subscription data: a filter of the filter language's own
	// limits with a few ad hoc filters fits many times over.
	MaxSpecBytes = 16 << 10
	// MaxRange bounds a stream's range: a stream is for the last minutes and hours.
	MaxRange = 7 * 24 * time.Hour
	// DefaultLimit is the rows of one frame when the Spec says none.
	DefaultLimit = 200
	// MaxLimit bounds them.
	MaxLimit = 1000
)

// pathVersion starts every path, so that a later form of Spec gets other channels.
const pathVersion = "v1"

// Paths are "v1/<kind>/<32 hex digits>": well within Grafana's channel rules (letters,
// digits, "_", "-", "/", "." and "=" in the path, and at most 160 characters for the whole
// "ds/<uid>/<path>"; docs/sources/live/live-channel.md of grafana/grafana). A filter does
// not fit in so few characters of so few kinds, hence the digest.
var pathPattern = regexp.MustCompile(`^v1/(logs|tickets|counts|stats)/[0-9a-f]{32}$`)

// Path is the channel path of a Spec: its kind and the first 128 bits of the SHA-256 of
// its canonical JSON.
func Path(s Spec) (string, error) {
	if !slices.Contains(kinds, s.Kind) {
		return "", fmt.Errorf("kind %q is not a live query (want %s)", s.Kind, strings.Join(kinds, ", "))
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return pathVersion + "/" + s.Kind + "/" + hex.EncodeToString(sum[:16]), nil
}

// decodeSpec reads a subscription's data strictly: unknown members are an error, so a
// panel's option the stream does not know cannot be silently left out.
func decodeSpec(data []byte) (Spec, error) {
	var s Spec
	if len(data) > MaxSpecBytes {
		return s, fmt.Errorf("the live query is %d bytes, more than %d", len(data), MaxSpecBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return s, errors.New("the subscription carries no live query")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("the live query is not valid: %w", err)
	}
	if dec.More() {
		return s, errors.New("the live query has more than one JSON value")
	}
	return s, nil
}

// plan is a checked Spec, ready to run.
type plan struct {
	spec   Spec
	where  filter.Expr
	rng    time.Duration
	bucket time.Duration
	limit  int
	level  string
}

// check validates a Spec against the data source's schema and filters, as a query of its
// kind would be.
func check(env *query.Env, s Spec) (*plan, error) {
	p := &plan{spec: s}
	var err error
	q := query.Common{Filter: s.Filter, AdHocFilters: s.AdHocFilters, NoDefaultFilter: s.NoDefaultFilter}
	if p.where, err = env.Where(&q); err != nil {
		return nil, err
	}
	if s.Range == "" {
		return nil, errors.New("a live query needs its range (\"1h\" for the last hour)")
	}
	if p.rng, err = query.ParseDuration(s.Range); err != nil {
		return nil, fmt.Errorf("range: %w", err)
	}
	if p.rng <= 0 || p.rng > MaxRange {
		return nil, fmt.Errorf("range: %s is not between 0 and %s", s.Range, MaxRange)
	}
	sc := env.Schema
	if s.TimeField != "" {
		if c, ok := sc.Column(s.TimeField); !ok || c.Type != "time" {
			return nil, fmt.Errorf("timeField: %q is not a time column", s.TimeField)
		}
	}
	for _, c := range s.Columns {
		if _, ok := sc.Column(c); !ok {
			return nil, fmt.Errorf("columns: %s", sc.UnknownField(c))
		}
	}
	switch p.limit = s.Limit; {
	case p.limit < 0 || p.limit > MaxLimit:
		return nil, fmt.Errorf("limit: %d is not between 0 and %d", s.Limit, MaxLimit)
	case p.limit == 0:
		p.limit = DefaultLimit
	}
	switch s.Kind {
	case Counts:
		if s.Bucket == "" {
			return nil, errors.New("a live counts query needs its bucket")
		}
		if p.bucket, err = query.ParseDuration(s.Bucket); err != nil {
			return nil, fmt.Errorf("bucket: %w", err)
		}
		if p.bucket < time.Second || p.bucket > p.rng {
			return nil, fmt.Errorf("bucket: %s is not between 1s and the range", s.Bucket)
		}
	case Logs:
		if p.level, err = levelField(env, s.LevelField); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// levelField is the logs level column: the Spec's, or the first number or string column
// named like a severity. It follows the logs query's rule (query.levelField), which the
// restructuring of package query is to export; this copy goes then.
func levelField(env *query.Env, name string) (string, error) {
	if name != "" {
		c, ok := env.Schema.Column(name)
		if !ok || (c.Type != "number" && c.Type != "string") {
			return "", fmt.Errorf("levelField: %q is not a number or string column", name)
		}
		return name, nil
	}
	for _, guess := range []string{"severity", "sev", "priority", "level"} {
		for _, c := range env.Schema.Columns {
			if strings.EqualFold(c.Name, guess) && (c.Type == "number" || c.Type == "string") {
				return c.Name, nil
			}
		}
	}
	return "", nil
}
