// Package httpjson polls a ticket system's JSON API: a URL template with the watermark,
// authentication, pagination, and a mapping from JSON paths to schema columns, with
// presets for Jira Cloud, PagerDuty, ServiceNow and GitHub (see presets.go).
package httpjson

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
)

const (
	// DefaultBackfill is how far back the first poll reads.
	DefaultBackfill = 7 * 24 * time.Hour
	// DefaultTimeout bounds each call, the reading of the body included.
	DefaultTimeout = 30 * time.Second
	// maxPages stops a poll whose API keeps giving next pages (a loop, or a filter that
	// the API ignored).
	maxPages = 10_000
)

// Config configures an HTTP JSON source.
type Config struct {
	// Preset is "jira", "pagerduty", "servicenow", "github", or "custom" (or empty).
	Preset string
	// URL is, for a preset, the base URL of the instance (a path or query parameters of
	// its own are kept: a JQL filter, a ServiceNow query); for custom, the whole URL
	// template with placeholders (see template.go).
	URL  string
	Auth Auth
	// Mapping maps schema columns to JSON paths. For a preset its lines replace the
	// preset's; for custom, an empty mapping reads each item's own names, as `spacetime
	// import` reads JSON lines.
	Mapping Mapping
	// Items is the path of the array of tickets in an answer (custom only); empty: the
	// answer itself when it is an array, else its one array member, or the usual names.
	Items string
	// Paging (custom only); the zero value detects a Link header or a next URL.
	Paging Paging
	// Backfill is how far back the first poll reads; 0 means DefaultBackfill.
	Backfill time.Duration
	// Timeout bounds each call; 0 means DefaultTimeout.
	Timeout time.Duration
	Retry   Retry
	// Client is the HTTP client; nil means a new one.
	Client *http.Client
	// Now is the clock of Retry-After dates; nil means time.Now.
	Now func() time.Time
	// Redact takes secrets out of errors besides the Auth's own (which always are): the
	// data source's other secure settings.
	Redact *redact.Redactor
}

// request is one of the listings a poll reads, page by page.
type request struct {
	// url is the template of the first page.
	url string
	// items is the path of the array of tickets; auto finds it.
	items string
	auto  bool
	// paging says how to go to the next page.
	paging Paging
	// stopBefore, for a listing sorted newest first that cannot be filtered by time: a
	// time path; the listing is read until an item older than the window's start.
	stopBefore *Path
}

// Source is an HTTP JSON source.
type Source struct {
	desc     string
	reqs     []request
	mapping  Mapping // nil: each item's own names
	skip     *Path   // items with a value here are not tickets (GitHub's pull requests)
	client   *client
	mapper   *source.ObjectMapper
	backfill time.Duration
}

var _ source.Source = (*Source)(nil)

// New checks the configuration against the schema and returns the source.
func New(s *schema.Schema, cfg Config) (*Source, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, fmt.Errorf("the HTTP source needs a URL")
	}
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Without its query, which may hold a key.
		shown, _, _ := strings.Cut(strings.TrimSpace(cfg.URL), "?")
		return nil, fmt.Errorf("the URL %q is not an http:// or https:// URL", shown)
	}
	if err := checkAuth(cfg.Auth); err != nil {
		return nil, err
	}
	src := &Source{backfill: cfg.Backfill}
	if src.backfill <= 0 {
		src.backfill = DefaultBackfill
	}
	preset := cfg.Preset
	if preset == "" {
		preset = "custom"
	}
	var presetMapping Mapping
	var headers map[string]string
	switch preset {
	case "custom":
		if err := checkTemplate(cfg.URL); err != nil {
			return nil, err
		}
		pg := cfg.Paging
		if pg.Type == "" {
			pg.Type = "auto"
		}
		if err := pg.check(); err != nil {
			return nil, err
		}
		if _, err := ParsePath(cfg.Items); err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		src.reqs = []request{{url: strings.TrimSpace(cfg.URL), items: cfg.Items, auto: cfg.Items == "", paging: pg}}
		src.desc = "HTTP API at " + safeURL(cfg.URL)
	default:
		p, ok := presets[preset]
		if !ok {
			return nil, fmt.Errorf("unknown preset %q (want %s or custom)", preset, strings.Join(PresetNames(), ", "))
		}
		if src.reqs, err = p.requests(u); err != nil {
			return nil, err
		}
		presetMapping = p.mapping
		src.skip = p.skip
		src.desc = fmt.Sprintf("%s at %s", p.title, safeURL(cfg.URL))
		if cfg.Auth.Kind == "bearer" && cfg.Auth.TokenScheme == "" {
			cfg.Auth.TokenScheme = p.tokenScheme
		}
		headers = p.headers
	}
	if src.mapping, err = mergeMapping(s, presetMapping, cfg.Mapping); err != nil {
		return nil, err
	}
	if src.mapper, err = source.NewObjectMapper(s, ingest.MapOptions{}); err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	hc := cfg.Client
	if hc == nil {
		// A transport of its own, so that Close can let its connections go when the
		// poller stops, instead of leaving them idle in a shared pool.
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	a := cfg.Auth
	// The secrets, and the exact header values that carry them (an echo of a header may
	// encode it whole: base64 of "Bearer <token>" does not contain the token's base64).
	sent := http.Header{}
	a.apply(sent)
	secrets := []string{a.Token, a.Password, a.HeaderValue, redact.BasicAuth(a.Username, a.Password)}
	for _, vs := range sent {
		secrets = append(secrets, vs...)
		for _, v := range vs {
			if _, cred, ok := strings.Cut(v, " "); ok {
				secrets = append(secrets, cred) // the credentials after the scheme, whole
			}
		}
	}
	src.client = &client{http: hc, auth: a, headers: headers, timeout: timeout, retry: cfg.Retry.withDefaults(), now: now,
		secrets: redact.New(secrets...), extra: cfg.Redact}
	return src, nil
}

func checkAuth(a Auth) error {
	switch a.Kind {
	case "", "none":
	case "bearer":
		if a.Token == "" {
			return fmt.Errorf("bearer authentication needs a token (the secure setting httpToken)")
		}
	case "basic":
		if a.Username == "" || a.Password == "" {
			return fmt.Errorf("basic authentication needs a user and a password (the setting username and the secure setting httpPassword)")
		}
	case "header":
		if a.HeaderName == "" || a.HeaderValue == "" {
			return fmt.Errorf("header authentication needs a header name and a value (the setting headerName and the secure setting httpHeaderValue)")
		}
	default:
		return fmt.Errorf("unknown authentication %q (want none, bearer, basic or header)", a.Kind)
	}
	return nil
}

// mergeMapping lays the user's lines over the preset's. A user's line must name a schema
// column; a preset's line for a column the schema does not have is left out.
func mergeMapping(s *schema.Schema, preset, user Mapping) (Mapping, error) {
	var problems []string
	for _, col := range user.Columns() {
		if s.Index(col) < 0 {
			problems = append(problems, "mapping: "+s.UnknownField(col))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	if preset == nil && len(user) == 0 {
		return nil, nil
	}
	out := Mapping{}
	for col, f := range preset {
		if s.Index(col) >= 0 {
			out[col] = f
		}
	}
	for col, f := range user {
		out[col] = f
	}
	if _, ok := out[s.Key]; !ok {
		return nil, fmt.Errorf("the mapping has no line for the key column %q; add one such as \"%s: id\"", s.Key, s.Key)
	}
	return out, nil
}

// Describe names the source.
func (s *Source) Describe() string { return s.desc }

// Close lets the source's idle connections go; the poller calls it when it stops.
func (s *Source) Close() error {
	s.client.http.CloseIdleConnections()
	return nil
}

// Poll reads each listing of the source from the window's start, page by page, and hands
// each page's tickets over as one batch.
func (s *Source) Poll(ctx context.Context, w source.Window, emit source.Emit) (json.RawMessage, error) {
	since := w.Since
	if since.IsZero() {
		since = w.Now.Add(-s.backfill)
	}
	for _, req := range s.reqs {
		if err := s.read(ctx, req, since, w, emit); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (s *Source) read(ctx context.Context, req request, since time.Time, w source.Window, emit source.Emit) error {
	u, err := expandURL(req.url, since, w.Now)
	if err != nil {
		return err
	}
	if u, err = req.paging.first(u); err != nil {
		return err
	}
	seen := map[string]bool{}
	for n := 1; u != ""; n++ {
		if n > maxPages || seen[u] {
			return fmt.Errorf("%s keeps giving next pages (%d read); stopped", safeURL(u), n-1)
		}
		seen[u] = true
		pg, err := s.client.get(ctx, u, w.Retrying)
		if err != nil {
			if n > 1 {
				return fmt.Errorf("page %d: %w", n, err)
			}
			return err
		}
		items, err := itemsOf(pg.body, req)
		if err != nil {
			return fmt.Errorf("%s: %w", safeURL(u), err)
		}
		var b source.Batch
		stop := false
		for i, it := range items {
			where := fmt.Sprintf("%s page %d item %d", safeURL(u), n, i+1)
			obj, ok := it.(map[string]any)
			if !ok {
				b.Rejects = append(b.Rejects, source.Reject{Where: where, Reason: "the item is not a JSON object"})
				continue
			}
			if s.skip != nil && s.skip.Get(obj) != nil {
				continue
			}
			if req.stopBefore != nil {
				if t, ok := timeAt(obj, *req.stopBefore); ok && t.Before(since) {
					stop = true
					break
				}
			}
			if s.mapping != nil {
				obj = s.mapping.apply(obj)
			}
			s.mapper.Add(&b, obj, where)
		}
		if err := emit(ctx, b); err != nil {
			return err
		}
		if stop {
			return nil
		}
		if u, err = req.paging.next(u, pg, len(items)); err != nil {
			return fmt.Errorf("page %d: the next page: %w", n, err)
		}
	}
	return nil
}

// commonItems are the names an API usually gives its array of results.
var commonItems = []string{"items", "data", "results", "result", "records", "tickets", "issues", "incidents", "alerts", "values", "entries", "rows"}

func itemsOf(body any, req request) ([]any, error) {
	if !req.auto {
		p, err := ParsePath(req.items)
		if err != nil {
			return nil, err
		}
		switch v := p.Get(body).(type) {
		case []any:
			return v, nil
		case nil:
			if m, ok := body.(map[string]any); ok {
				// A member that is there but null is an empty list, as some APIs send it.
				first, _, _ := strings.Cut(strings.TrimPrefix(req.items, "$."), ".")
				if v, there := m[first]; there && (v == nil || first == req.items) {
					return nil, nil
				}
				return nil, fmt.Errorf("the answer has no array of tickets at %q (its members are %s)", req.items, members(m))
			}
			return nil, fmt.Errorf("the answer has no array of tickets at %q", req.items)
		default:
			return nil, fmt.Errorf("%q in the answer is not an array of tickets", req.items)
		}
	}
	switch v := body.(type) {
	case []any:
		return v, nil
	case map[string]any:
		for _, name := range commonItems {
			switch x, there := v[name]; arr := x.(type) {
			case []any:
				return arr, nil
			case nil:
				if there {
					return nil, nil // null for an empty list
				}
			}
		}
		var only []any
		n := 0
		for _, x := range v {
			if arr, ok := x.([]any); ok {
				only, n = arr, n+1
			}
		}
		if n == 1 {
			return only, nil
		}
		return nil, fmt.Errorf("cannot tell which member of the answer holds the tickets (its members are %s); set items in the source settings", members(v))
	}
	return nil, fmt.Errorf("the answer is neither an array of tickets nor an object")
}

func members(m map[string]any) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, fmt.Sprintf("%q", k))
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func timeAt(obj any, p Path) (time.Time, bool) {
	s, ok := p.Get(obj).(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}
