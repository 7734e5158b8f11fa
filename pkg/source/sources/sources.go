// Package sources builds a ticket source from the settings that the data source's
// settings page writes into jsonData.source (and that `spacetime ingest --config` reads
// from its YAML file), so that the plugin and the command poll the same way.
package sources

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/demo"
	"github.com/spacetime/tickets/pkg/source/files"
	"github.com/spacetime/tickets/pkg/source/httpjson"
)

// Settings is jsonData.source. The frontend (src/types.ts, SourceSettings) writes type,
// interval, demo.backfill, http.{preset, url, auth, headerName, username, mapping} and
// files.dir; the other fields are for provisioning files and the ingest command.
type Settings struct {
	// Type is "none" (the default: tickets come from `spacetime import`), "demo", "http"
	// or "files".
	Type string `json:"type,omitempty" yaml:"type,omitempty"`
	// Interval between polls, such as "1m" (the default) or "5s".
	Interval string `json:"interval,omitempty" yaml:"interval,omitempty"`
	// Overlap is how far before the watermark each poll reads again; default "5m".
	Overlap string `json:"overlap,omitempty" yaml:"overlap,omitempty"`
	// Lease is how long the polling lease lasts unrenewed when several processes share a
	// DynamoDB table (default "30s"): when the polling one dies, another takes over
	// between one and one and a third leases later.
	Lease string        `json:"lease,omitempty" yaml:"lease,omitempty"`
	Demo  DemoSettings  `json:"demo,omitzero" yaml:"demo,omitempty"`
	HTTP  HTTPSettings  `json:"http,omitzero" yaml:"http,omitempty"`
	Files FilesSettings `json:"files,omitzero" yaml:"files,omitempty"`
}

// DemoSettings configure the demo source.
type DemoSettings struct {
	// Backfill is how far back the first poll generates, such as "7d" (the default).
	Backfill string `json:"backfill,omitempty" yaml:"backfill,omitempty"`
	// Seed chooses the stream (default 1).
	Seed int64 `json:"seed,omitempty" yaml:"seed,omitempty"`
	// Rate is the usual tickets a minute (default 10).
	Rate float64 `json:"rate,omitempty" yaml:"rate,omitempty"`
}

// HTTPSettings configure the HTTP JSON source. Secrets are not here: they are in
// secureJsonData (Secrets).
type HTTPSettings struct {
	Preset     string `json:"preset,omitempty" yaml:"preset,omitempty"`
	URL        string `json:"url,omitempty" yaml:"url,omitempty"`
	Auth       string `json:"auth,omitempty" yaml:"auth,omitempty"`
	HeaderName string `json:"headerName,omitempty" yaml:"headerName,omitempty"`
	Username   string `json:"username,omitempty" yaml:"username,omitempty"`
	// Mapping is YAML: schema column -> JSON path (see httpjson.ParseMapping).
	Mapping string `json:"mapping,omitempty" yaml:"mapping,omitempty"`
	// Items is the path of the array of tickets in an answer (custom only).
	Items string `json:"items,omitempty" yaml:"items,omitempty"`
	// Paging says how pages follow each other (custom only; default: detected).
	Paging httpjson.Paging `json:"paging,omitzero" yaml:"paging,omitempty"`
	// Backfill is how far back the first poll reads (default "7d").
	Backfill string `json:"backfill,omitempty" yaml:"backfill,omitempty"`
	// Timeout bounds each call (default "30s").
	Timeout string `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// FilesSettings configure the files source.
type FilesSettings struct {
	Dir string `json:"dir,omitempty" yaml:"dir,omitempty"`
	// Settle is how long a file must be unchanged before it is read (default "2s").
	Settle string `json:"settle,omitempty" yaml:"settle,omitempty"`
}

// Secrets are the source's secrets: secureJsonData httpToken, httpPassword and
// httpHeaderValue, which Grafana keeps encrypted and hands to the plugin decrypted.
type Secrets struct {
	HTTPToken       string `yaml:"httpToken,omitempty"`
	HTTPPassword    string `yaml:"httpPassword,omitempty"`
	HTTPHeaderValue string `yaml:"httpHeaderValue,omitempty"`
}

// SecretsFrom reads the secrets from decrypted secureJsonData.
func SecretsFrom(secure map[string]string) Secrets {
	return Secrets{HTTPToken: secure["httpToken"], HTTPPassword: secure["httpPassword"], HTTPHeaderValue: secure["httpHeaderValue"]}
}

// Redactor takes the secrets out of messages, in every form (package redact): each of
// them, the basic authorization pair of the settings' user, and the other secret values
// given (a data source's other secure settings).
func (sec Secrets) Redactor(set Settings, more ...string) *redact.Redactor {
	pair := redact.BasicAuth(set.HTTP.Username, sec.HTTPPassword)
	all := []string{sec.HTTPToken, sec.HTTPPassword, sec.HTTPHeaderValue, pair}
	if pair != "" {
		// The pair as the Authorization header carries it, so that its own encodings
		// (an echo of the whole header in base64) are found too.
		all = append(all, base64.StdEncoding.EncodeToString([]byte(pair)))
	}
	return redact.New(append(all, more...)...)
}

// Kind is the source type, "none" when unset.
func (s Settings) Kind() string {
	if s.Type == "" {
		return "none"
	}
	return s.Type
}

// Key identifies the source's configuration (not its secrets, interval or overlap): the
// name of its watermark in the store, so that pointing the data source at another
// ticket system starts that one from its backfill, while changing the token or the
// interval goes on from the watermark.
func (s Settings) Key() string {
	c := s
	c.Interval, c.Overlap, c.Lease = "", "", ""
	raw, _ := json.Marshal(c)
	sum := sha256.Sum256(raw)
	return s.Kind() + "-" + hex.EncodeToString(sum[:8])
}

// Timing is the poll schedule of the settings.
type Timing struct {
	Interval time.Duration
	Overlap  time.Duration
	LeaseTTL time.Duration
}

// Timing reads the interval and the overlap.
func (s Settings) Timing() (Timing, error) {
	t := Timing{Interval: source.DefaultInterval, Overlap: source.DefaultOverlap, LeaseTTL: source.DefaultLeaseTTL}
	var err error
	if s.Interval != "" {
		if t.Interval, err = duration.Parse(s.Interval); err != nil {
			return t, fmt.Errorf("source.interval: %w", err)
		}
		if t.Interval < source.MinInterval {
			return t, fmt.Errorf("source.interval: %s is shorter than the shortest interval, %s", s.Interval, source.MinInterval)
		}
	}
	if s.Overlap != "" {
		if s.Overlap == "0" || s.Overlap == "0s" {
			t.Overlap = -1
		} else if t.Overlap, err = duration.Parse(s.Overlap); err != nil {
			return t, fmt.Errorf("source.overlap: %w", err)
		}
	}
	if s.Lease != "" {
		if t.LeaseTTL, err = duration.Parse(s.Lease); err != nil {
			return t, fmt.Errorf("source.lease: %w", err)
		}
		if t.LeaseTTL < source.MinLeaseTTL {
			return t, fmt.Errorf("source.lease: %s is shorter than the shortest lease, %s", s.Lease, source.MinLeaseTTL)
		}
	}
	return t, nil
}

// Options change how Build builds.
type Options struct {
	// HTTPClient is the HTTP source's client; nil means a default one.
	HTTPClient *http.Client
	// Retry overrides the HTTP source's retries (tests make them fast).
	Retry httpjson.Retry
	// Redact takes secrets out of the source's errors besides its own credentials (which
	// always are): the data source's other secure settings.
	Redact *redact.Redactor
}

// Build returns the source of the settings, or nil for "none". Every problem of the
// settings is an error that names the setting.
func Build(sch *schema.Schema, set Settings, sec Secrets, opts Options) (source.Source, error) {
	if _, err := set.Timing(); err != nil {
		return nil, err
	}
	switch set.Kind() {
	case "none":
		return nil, nil
	case "demo":
		backfill, err := optDuration("source.demo.backfill", set.Demo.Backfill)
		if err != nil {
			return nil, err
		}
		seed := set.Demo.Seed
		if seed == 0 {
			seed = 1
		}
		src, err := demo.New(sch, demo.Options{Backfill: backfill, Seed: seed, Rate: set.Demo.Rate})
		if err != nil {
			return nil, fmt.Errorf("source.demo: %w", err)
		}
		return src, nil
	case "http":
		h := set.HTTP
		cfg := httpjson.Config{
			Preset: h.Preset, URL: h.URL, Items: h.Items, Paging: h.Paging,
			Auth: httpjson.Auth{Kind: h.Auth, Token: sec.HTTPToken, Username: h.Username, Password: sec.HTTPPassword,
				HeaderName: h.HeaderName, HeaderValue: sec.HTTPHeaderValue},
			Client: opts.HTTPClient, Retry: opts.Retry, Redact: opts.Redact,
		}
		var err error
		if cfg.Backfill, err = optDuration("source.http.backfill", h.Backfill); err != nil {
			return nil, err
		}
		if cfg.Timeout, err = optDuration("source.http.timeout", h.Timeout); err != nil {
			return nil, err
		}
		if cfg.Mapping, err = httpjson.ParseMapping(h.Mapping); err != nil {
			return nil, fmt.Errorf("source.http.mapping: %w", err)
		}
		src, err := httpjson.New(sch, cfg)
		if err != nil {
			return nil, fmt.Errorf("source.http: %w", err)
		}
		return src, nil
	case "files":
		settle, err := optDuration("source.files.settle", set.Files.Settle)
		if err != nil {
			return nil, err
		}
		if set.Files.Settle == "0" || set.Files.Settle == "0s" {
			settle = -1
		}
		src, err := files.New(sch, set.Files.Dir, files.Options{Settle: settle})
		if err != nil {
			return nil, fmt.Errorf("source.files: %w", err)
		}
		return src, nil
	}
	return nil, fmt.Errorf("source.type: unknown source %q (want none, demo, http or files)", set.Type)
}

func optDuration(name, s string) (time.Duration, error) {
	if s == "" || s == "0" || s == "0s" {
		return 0, nil
	}
	d, err := duration.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
