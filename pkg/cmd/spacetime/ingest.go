package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/sources"
	"github.com/spacetime/tickets/pkg/storeschema"
)

// ingestConfig is the YAML file of `spacetime ingest`: the store, the schema, and the same
// source settings as the data source's jsonData.source, with the secrets beside them.
type ingestConfig struct {
	// Store is the store spec, as `spacetime import --store` takes it.
	Store string `yaml:"store"`
	// Schema is a schema file; empty means the schema the store records, else the
	// built-in one.
	Schema string           `yaml:"schema"`
	Source sources.Settings `yaml:"source"`
	// Secrets are httpToken, httpPassword and httpHeaderValue: a literal value, env:NAME
	// for an environment variable, or file:PATH for a file's first line.
	Secrets map[string]string `yaml:"secrets"`
}

const ingestExample = `store: /var/lib/spacetime/tickets.db
schema: /etc/spacetime/schema.yaml      # optional: the store's, else the built-in one
source:
  type: http                            # demo, http or files
  interval: 1m
  http:
    preset: jira                        # jira, pagerduty, servicenow, github or custom
    url: https://example.atlassian.net
    auth: basic
    username: ops@example.com
secrets:
  httpPassword: env:JIRA_API_TOKEN      # or file:/run/secrets/jira, or the value itself`

func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ingest")
	var (
		configFile = fs.String("config", "", "the YAML configuration file (required)")
		once       = fs.Bool("once", false, "poll once, print what was done, and exit (non-zero when the poll failed);\n"+
			"on a shared DynamoDB table it does nothing, successfully, while another process holds the polling lease")
	)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *configFile == "" {
		return fmt.Errorf("%w: --config is required", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg, err := loadIngestConfig(*configFile)
	if err != nil {
		return err
	}
	var given *schema.Schema
	if cfg.Schema != "" {
		if given, err = schema.Load(cfg.Schema); err != nil {
			return err
		}
	}
	secrets, err := resolveSecrets(cfg.Secrets, os.Getenv)
	if err != nil {
		return fmt.Errorf("%s: %w", *configFile, err)
	}
	st, err := hub.Spec(cfg.Store).Open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	// Without schema: in the configuration, the tickets are written with the schema the
	// store records; the store records the schema they are written with.
	stored, err := storeschema.Read(ctx, st)
	if err != nil {
		return err
	}
	sch := given
	switch {
	case sch == nil && stored != nil:
		sch = stored.Schema
	case sch == nil:
		sch = schema.Default()
	case stored != nil && stored.Hash != sch.Hash():
		fmt.Fprintf(stderr, "spacetime ingest: warning: schema %s: %s; the store records this one from now on\n",
			cfg.Schema, &storeschema.Mismatch{Stored: stored, Diff: schema.Compare(stored.Schema, sch)})
	}
	// The same source and poller as the plugin's (package hub).
	built, err := hub.Build(sch, hub.Source{Settings: cfg.Source, Secrets: secrets})
	if err != nil {
		return fmt.Errorf("%s: %w", *configFile, err)
	}
	if built == nil {
		return fmt.Errorf("%s: source.type is none: there is nothing to poll (use demo, http or files)", *configFile)
	}
	if stored == nil || stored.Hash != sch.Hash() {
		if err := storeschema.Write(ctx, st, sch, "spacetime ingest", time.Now()); err != nil {
			return err
		}
	}
	red := built.Redact
	// On a table that Grafana servers share, this process polls only when none of them
	// (and no other ingest) does: the same lease as the plugin's.
	p := built.NewPoller(st, hub.PollerOptions{Logger: &lineLogger{w: stderr}})
	desc, interval := built.Source.Describe(), time.Duration(p.Status().Interval)
	if *once {
		rep, err := p.PollOnce(ctx)
		var standby *source.StandbyError
		if errors.As(err, &standby) {
			// Not a failure for a scheduled job: another process polls this source.
			fmt.Fprintf(stdout, "%s: not polled: %s holds the polling lease until %s\n", desc,
				standby.Lease.Holder, standby.Lease.Expires.UTC().Format(time.RFC3339))
			return nil
		}
		st := p.Status()
		printPoll(stdout, desc, rep, st)
		if err != nil {
			// The poller's message, redacted, and what the ticket system answered: this
			// command's user is the operator who holds the secrets.
			if st.LastError != nil && st.LastError.Detail != "" {
				fmt.Fprintf(stdout, "the answer began: %q\n", st.LastError.Detail)
			}
			return errors.New(red.String(err.Error()))
		}
		return nil
	}
	fmt.Fprintf(stderr, "Polling the %s into %s every %s; stop with Ctrl-C.\n", desc, cfg.Store, interval)
	run := p.Start()
	<-ctx.Done()
	run.Stop()
	st2 := p.Status()
	fmt.Fprintf(stderr, "Stopped after %d polls (%d failed): %d records stored, %d rejected.\n",
		st2.Polls, st2.Failures, st2.Totals.Records, st2.Totals.Rejected)
	return nil
}

func loadIngestConfig(path string) (ingestConfig, error) {
	var cfg ingestConfig
	raw, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("read the configuration: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("%s is empty; a configuration looks like:\n%s", path, ingestExample)
		}
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if strings.TrimSpace(cfg.Store) == "" {
		return cfg, fmt.Errorf("%s: store is missing: name the store file (or dynamodb://TABLE)", path)
	}
	return cfg, nil
}

// resolveSecrets reads the secrets: literal values, env:NAME, or file:PATH.
func resolveSecrets(in map[string]string, getenv func(string) string) (sources.Secrets, error) {
	var out sources.Secrets
	for name, ref := range in {
		var dst *string
		switch name {
		case "httpToken":
			dst = &out.HTTPToken
		case "httpPassword":
			dst = &out.HTTPPassword
		case "httpHeaderValue":
			dst = &out.HTTPHeaderValue
		default:
			return out, fmt.Errorf("secrets.%s: unknown secret (want httpToken, httpPassword or httpHeaderValue)", name)
		}
		switch {
		case strings.HasPrefix(ref, "env:"):
			v := getenv(strings.TrimPrefix(ref, "env:"))
			if v == "" {
				return out, fmt.Errorf("secrets.%s: the environment variable %s is empty or not set", name, strings.TrimPrefix(ref, "env:"))
			}
			*dst = v
		case strings.HasPrefix(ref, "file:"):
			b, err := os.ReadFile(strings.TrimPrefix(ref, "file:"))
			if err != nil {
				return out, fmt.Errorf("secrets.%s: %w", name, err)
			}
			first, _, _ := strings.Cut(string(b), "\n")
			*dst = strings.TrimSpace(first)
		default:
			*dst = ref
		}
	}
	return out, nil
}

func printPoll(w io.Writer, desc string, rep source.Report, st source.Status) {
	r := rep.Result
	fmt.Fprintf(w, "%s: %d records: %d inserted, %d updated, %d unchanged, %d stale, %d rejected, %d retries (%s)\n",
		desc, rep.Records, r.Inserted, r.Updated, r.Unchanged, r.Stale, rep.Rejected, rep.Retries,
		time.Duration(rep.Duration).Round(time.Millisecond))
	for _, rej := range st.RecentRejects {
		fmt.Fprintf(w, "rejected: %s\n", rej)
	}
	if more := rep.Rejected - len(st.RecentRejects); more > 0 {
		fmt.Fprintf(w, "... and %d more\n", more)
	}
}

// lineLogger writes the poller's log as lines: time, message, key=value pairs.
type lineLogger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineLogger) log(level, msg string, args ...any) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", time.Now().UTC().Format(time.RFC3339), level, msg)
	for i := 0; i+1 < len(args); i += 2 {
		fmt.Fprintf(&b, " %v=%v", args[i], args[i+1])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.w, b.String())
}

func (l *lineLogger) Info(msg string, args ...any)  { l.log("INFO", msg, args...) }
func (l *lineLogger) Warn(msg string, args ...any)  { l.log("WARN", msg, args...) }
func (l *lineLogger) Error(msg string, args ...any) { l.log("ERROR", msg, args...) }
