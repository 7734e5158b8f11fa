package webhook

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source/httpjson"
)

// Route is the pattern a Set is served under, in net/http's ServeMux syntax: one route per
// sender, POST /webhooks/github, /webhooks/pagerduty, /webhooks/jira, /webhooks/servicenow.
// The plugin's resource endpoint and `spacetime ingest --listen` both serve it.
const Route = "/webhooks/{sender}"

// Senders are the names of the senders, as their routes take them.
func Senders() []string {
	names := make([]string, 0, len(vendors))
	for n := range vendors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SetConfig configures the receivers of every sender at once.
type SetConfig struct {
	// Secrets are the accepted secrets, shared by every sender (Config.Secrets). Without
	// one, every route answers 404 saying which setting enables it.
	Secrets []string
	// SecretSetting names where the secret is configured, for that message
	// ("secureJsonData.webhookSecret", "webhook.secret").
	SecretSetting string
	// PollPreset is the preset the poller of the same store uses, and PollMapping the
	// user's mapping lines laid over it, as its settings write them (YAML; see
	// httpjson.ParseMapping): the receiver of that sender takes the same lines, so that
	// its tickets are mapped exactly as a poll maps them. The other senders use their
	// preset's lines alone.
	PollPreset  string
	PollMapping string
	// Push, Log and Redact are those of every Config.
	Push   PushFunc
	Log    func(msg string, keyvals ...any)
	Redact *redact.Redactor
	// Base holds the other fields of every Config (MaxBody, MaxAge, Now...); its
	// Preset, Secrets, Mapping, Push, Log and Redact are ignored.
	Base Config
}

// Set serves every sender's receiver under Route. It is an http.Handler for a ServeMux
// route with the {sender} wildcard.
type Set struct {
	receivers map[string]*Receiver
	// errs says why a sender's receiver could not be built (a short secret, a mapping
	// line for a column the schema lacks); its route answers 503 with it.
	errs    map[string]error
	setting string
	none    bool
}

// NewSet builds a receiver per sender. It never fails as a whole: a sender whose
// receiver cannot be built answers why (Err).
func NewSet(s *schema.Schema, cfg SetConfig) *Set {
	set := &Set{receivers: map[string]*Receiver{}, errs: map[string]error{}, setting: cfg.SecretSetting}
	var secrets []string
	for _, sec := range cfg.Secrets {
		if sec != "" {
			secrets = append(secrets, sec)
		}
	}
	if len(secrets) == 0 {
		set.none = true
		return set
	}
	for _, name := range Senders() {
		var mapping httpjson.Mapping
		if name == cfg.PollPreset && cfg.PollMapping != "" {
			m, err := httpjson.ParseMapping(cfg.PollMapping)
			if err != nil {
				set.errs[name] = fmt.Errorf("the mapping lines of the %s source: %w", name, err)
				continue
			}
			mapping = m
		}
		c := cfg.Base
		c.Preset, c.Secrets, c.Mapping, c.Push, c.Log, c.Redact = name, secrets, mapping, cfg.Push, cfg.Log, cfg.Redact
		rc, err := New(s, c)
		if err != nil {
			set.errs[name] = err
			continue
		}
		set.receivers[name] = rc
	}
	return set
}

// Enabled reports whether a secret is configured.
func (s *Set) Enabled() bool { return !s.none }

// Err is why the sender's receiver could not be built; nil when it is served (or when no
// secret is configured at all).
func (s *Set) Err(sender string) error { return s.errs[sender] }

// ServeHTTP passes a delivery to its sender's receiver.
func (s *Set) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("sender")
	if _, ok := vendors[name]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no webhook receiver for %q (want %s)",
			name, strings.Join(Senders(), ", "))})
		return
	}
	if s.none {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf(
			"webhooks are not enabled: set %s to a random secret of at least %d characters", s.setting, MinSecretLength)})
		return
	}
	rc, ok := s.receivers[name]
	if !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the webhook receiver is not configured: " + s.errs[name].Error()})
		return
	}
	if r.Body == nil {
		// The SDK's resource adapter gives a request with an empty body none at all.
		r.Body = http.NoBody
	}
	rc.ServeHTTP(w, r)
}
