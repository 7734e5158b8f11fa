// Package redact takes configured secrets out of messages: the errors of a ticket
// source, which may quote what the ticket system answered, reach the health check, the
// status resource, the stats panel and the log. A system that echoes the request's
// headers in an error page (some proxies do) would otherwise show the credentials there,
// in clear, base64 or URL-encoded.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// Mark replaces each secret found.
const Mark = "[redacted]"

// Redactor replaces secrets, in each form they may take in a message, by Mark. The nil
// Redactor changes nothing. It is safe for concurrent use.
type Redactor struct {
	r *strings.Replacer
}

// New returns a redactor of the given secrets (empty ones are ignored), each also
// base64-encoded (standard and URL alphabets, padded or not), URL-encoded (query and path
// escaping) and JSON-escaped. A basic authorization's user:password pair is a secret of
// its own (BasicAuth), as its base64 does not contain the password's.
func New(secrets ...string) *Redactor {
	seen := map[string]bool{}
	var olds []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			olds = append(olds, s)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		add(s)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			add(enc.EncodeToString([]byte(s)))
		}
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		if raw, err := json.Marshal(s); err == nil {
			add(strings.Trim(string(raw), `"`))
		}
	}
	if len(olds) == 0 {
		return nil
	}
	// strings.Replacer tries the olds in the order given at each position: the longest
	// first, so that a secret's longer form is replaced whole rather than in part.
	sort.SliceStable(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, Mark)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// BasicAuth is the user:password pair that a basic authorization encodes.
func BasicAuth(user, password string) string {
	if password == "" {
		return ""
	}
	return user + ":" + password
}

// String returns s with every secret replaced by Mark.
func (r *Redactor) String(s string) string {
	if r == nil || s == "" {
		return s
	}
	return r.r.Replace(s)
}
