package httpjson

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v5"

	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/source"
)

// Retry says how a failed call is tried again: exponential backoff with jitter, so that
// many pollers that failed together do not come back together.
type Retry struct {
	// Initial is the first wait; 0 means 1s.
	Initial time.Duration
	// Max is the longest wait between two tries; 0 means 30s.
	Max time.Duration
	// Tries is the most calls for one page, the first included; 0 means 5.
	Tries int
	// Budget is the longest a page may take, retries and waits included; 0 means 2m. A
	// Retry-After longer than what is left ends the poll with a RetryLaterError instead.
	Budget time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.Initial <= 0 {
		r.Initial = time.Second
	}
	if r.Max <= 0 {
		r.Max = 30 * time.Second
	}
	if r.Tries <= 0 {
		r.Tries = 5
	}
	if r.Budget <= 0 {
		r.Budget = 2 * time.Minute
	}
	return r
}

// Auth is how requests prove who they are. Secrets come only from the data source's
// secure settings (or the ingest command's secrets), never from its plain settings.
type Auth struct {
	// Kind is "none", "bearer", "basic" or "header".
	Kind string
	// Token is the bearer token. It is sent as "Authorization: <TokenScheme> <Token>"
	// unless it already holds a space ("Token token=...", "Bearer ...").
	Token string
	// TokenScheme is "Bearer" unless the preset says otherwise (PagerDuty: "Token token=").
	TokenScheme        string
	Username, Password string
	HeaderName         string
	HeaderValue        string
}

func (a Auth) apply(h http.Header) {
	switch a.Kind {
	case "bearer":
		switch {
		case strings.Contains(strings.TrimSpace(a.Token), " "):
			h.Set("Authorization", strings.TrimSpace(a.Token))
		case strings.HasSuffix(a.TokenScheme, "="):
			h.Set("Authorization", a.TokenScheme+a.Token)
		case a.TokenScheme != "":
			h.Set("Authorization", a.TokenScheme+" "+a.Token)
		default:
			h.Set("Authorization", "Bearer "+a.Token)
		}
	case "basic":
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password)))
	case "header":
		h.Set(a.HeaderName, a.HeaderValue)
	}
}

// maxBody bounds one answer: a page of tickets is kilobytes to a few megabytes.
const maxBody = 64 << 20

const (
	// excerptChars is the most of an answer that an error keeps (redacted, whitespace
	// folded), for an admin's health check: enough for an API's message about a bad query.
	excerptChars = 200
	// excerptScan is how much of an answer is read for the excerpt.
	excerptScan = 64 << 10
)

// answerError is an error about what the ticket system answered. Its message says what
// went wrong without the answer itself, which a dashboard's viewers must not see: an API
// or a proxy may echo the request's headers, credentials included, in an error page.
// Detail gives a short excerpt of the answer, with the secrets taken out, for the health
// check of an admin.
type answerError struct {
	msg     string
	excerpt string
}

func (e *answerError) Error() string { return e.msg }

// Detail is the start of the answer, redacted.
func (e *answerError) Detail() string { return e.excerpt }

// excerpt is the start of an answer as an answerError keeps it: the secrets taken out
// first (a secret cut in two by the limit would no longer be found), then whitespace
// folded, then cut short.
func (c *client) excerpt(body []byte) string {
	if len(body) > excerptScan {
		body = body[:excerptScan]
	}
	s := strings.Join(strings.Fields(c.redact(string(body))), " ")
	if len(s) > excerptChars {
		cut := excerptChars
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// redact takes the source's secrets out of s: its own credentials (whatever Config.Redact
// holds as well), in every form (package redact).
func (c *client) redact(s string) string {
	return c.extra.String(c.secrets.String(s))
}

// client makes the calls of one source.
type client struct {
	http *http.Client
	auth Auth
	// secrets are the auth's; extra are the caller's (every secure setting).
	secrets, extra *redact.Redactor
	headers        map[string]string
	timeout        time.Duration
	retry          Retry
	now            func() time.Time
}

// page is one answer: its decoded JSON and its headers.
type page struct {
	body   any
	header http.Header
}

// get fetches and decodes one page, retrying transient faults: refused or dropped
// connections, timeouts, 408, 425, 429 and 5xx. 429 and 503 honour Retry-After. Other
// answers (401, 404, a body that is not JSON) are not retried: they need a person.
func (c *client) get(ctx context.Context, rawURL string, retrying func(error, time.Duration)) (page, error) {
	started := c.now()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = c.retry.Initial
	b.MaxInterval = c.retry.Max
	b.RandomizationFactor = 0.5
	op := func() (page, error) {
		p, err := c.once(ctx, rawURL)
		var ra *retryAfterError
		if errors.As(err, &ra) {
			if left := c.retry.Budget - c.now().Sub(started); ra.wait > left {
				return p, backoff.Permanent(&source.RetryLaterError{Until: c.now().Add(ra.wait), Err: ra.err})
			}
		}
		return p, err
	}
	opts := []backoff.RetryOption{
		backoff.WithBackOff(b),
		backoff.WithMaxTries(uint(c.retry.Tries)),
		backoff.WithMaxElapsedTime(c.retry.Budget),
	}
	if retrying != nil {
		opts = append(opts, backoff.WithNotify(func(err error, wait time.Duration) { retrying(err, wait) }))
	}
	p, err := backoff.Retry(ctx, op, opts...)
	if err != nil && ctx.Err() != nil {
		return p, fmt.Errorf("%s: stopped: %w", safeURL(rawURL), ctx.Err())
	}
	return p, err
}

// retryAfterError is a transient answer with a Retry-After: backoff waits exactly that.
type retryAfterError struct {
	err   error
	wait  time.Duration
	after *backoff.RetryAfterError
}

func (e *retryAfterError) Error() string { return e.err.Error() }

// Unwrap gives the library the wait and the caller the cause.
func (e *retryAfterError) Unwrap() []error { return []error{e.after, e.err} }

func (c *client) once(ctx context.Context, rawURL string) (page, error) {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return page{}, backoff.Permanent(fmt.Errorf("the URL %s: %w", safeURL(rawURL), err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "spacetime-tickets")
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	c.auth.apply(req.Header)
	resp, err := c.http.Do(req)
	if err != nil {
		return page{}, c.transportError(ctx, cctx, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		// A connection dropped in the middle of the body: try again.
		return page{}, c.transportError(ctx, cctx, rawURL, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return page{}, c.statusError(rawURL, resp, body)
	}
	if len(body) > maxBody {
		return page{}, backoff.Permanent(fmt.Errorf("%s answered more than %d MiB in one page; ask for smaller pages", safeURL(rawURL), maxBody>>20))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return page{}, backoff.Permanent(&answerError{
			msg:     fmt.Sprintf("the answer of %s is not valid JSON (%s): check the URL", safeURL(rawURL), c.redact(err.Error())),
			excerpt: c.excerpt(body)})
	}
	if dec.More() {
		return page{}, backoff.Permanent(&answerError{
			msg:     fmt.Sprintf("the answer of %s has more after its JSON value: check the URL", safeURL(rawURL)),
			excerpt: c.excerpt(body)})
	}
	return page{body: v, header: resp.Header}, nil
}

func (c *client) transportError(ctx, cctx context.Context, rawURL string, err error) error {
	switch {
	case ctx.Err() != nil:
		return backoff.Permanent(ctx.Err())
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%s did not answer within %s", safeURL(rawURL), c.timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s refused the connection: is the service up, and the URL right?", safeURL(rawURL))
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return backoff.Permanent(fmt.Errorf("the host of %s does not exist (%s): check the URL", safeURL(rawURL), dnsErr.Name))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("calling %s failed: %v", safeURL(rawURL), err)
}

// statusError explains an answer that is not a success, and says whether to retry. The
// answer itself is only in the error's Detail.
func (c *client) statusError(rawURL string, resp *http.Response, body []byte) error {
	where := safeURL(rawURL)
	ae := &answerError{msg: fmt.Sprintf("%s answered %s", where, resp.Status), excerpt: c.excerpt(body)}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if wait, ok := retryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
			return &retryAfterError{err: ae, wait: wait, after: &backoff.RetryAfterError{Duration: wait}}
		}
		return ae
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code >= 500:
		return ae
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		ae.msg += ": the credentials were refused or lack the permission to read tickets; check the authentication and the secrets in the data source settings"
	case code == http.StatusNotFound:
		ae.msg += ": check the URL (and, for a preset, that it is the base URL of your instance)"
	}
	return backoff.Permanent(ae)
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// safeURL is a URL as messages show it: without its query, which may hold a key.
func safeURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "the URL"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
