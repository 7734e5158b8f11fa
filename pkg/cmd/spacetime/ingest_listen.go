package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/webhook"
	"github.com/spacetime/tickets/pkg/store"
)

// Timeouts of the webhook server: a sender posts one small body and waits for the
// answer (GitHub gives up after 10 s, PagerDuty after 5 s), so a slow client is cut off
// rather than holding a connection; a write takes at most a minute (webhook.Config).
const (
	listenHeaderTimeout = 10 * time.Second
	listenReadTimeout   = 30 * time.Second
	listenWriteTimeout  = 90 * time.Second
	listenIdleTimeout   = 2 * time.Minute
	listenShutdown      = 30 * time.Second
)

// listenAndPoll serves the webhook receivers at addr, writing into st, and polls the
// source (built, nil for none) as `spacetime ingest` does, until ctx ends. The two writers
// share the store's version rule: a ticket delivered by webhook and polled later is
// stored once, and the poll brings what a missed or refused delivery lost.
func listenAndPoll(ctx context.Context, addr string, st store.Store, sch *schema.Schema, cfg ingestConfig,
	built *hub.Polled, hookSecrets []string, stderr io.Writer) error {
	logger := &lineLogger{w: stderr}
	var preset, mapping string
	if cfg.Source.Kind() == "http" {
		preset, mapping = cfg.Source.HTTP.Preset, cfg.Source.HTTP.Mapping
	}
	var red *redact.Redactor
	if built != nil {
		red = built.Redact
	}
	set := webhook.NewSet(sch, webhook.SetConfig{
		Secrets:       hookSecrets,
		SecretSetting: "secrets.webhookSecret",
		PollPreset:    preset,
		PollMapping:   mapping,
		// Concurrent deliveries share a store write (source.Combiner).
		Push:   source.NewCombiner(st, sch, nil).Push,
		Log:    logger.Warn,
		Redact: red,
	})
	for _, name := range webhook.Senders() {
		if err := set.Err(name); err != nil {
			return fmt.Errorf("the %s webhook: %w", name, err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle(webhook.Route, set)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: listenHeaderTimeout, ReadTimeout: listenReadTimeout,
		WriteTimeout: listenWriteTimeout, IdleTimeout: listenIdleTimeout, MaxHeaderBytes: 64 << 10}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "Taking webhooks at http://%s/webhooks/{github,pagerduty,jira,servicenow} into %s.\n", ln.Addr(), cfg.Store)

	var run *source.Running
	if built != nil {
		p := built.NewPoller(st, hub.PollerOptions{Logger: logger})
		fmt.Fprintf(stderr, "Polling the %s every %s as the safety net; stop with Ctrl-C.\n", built.Source.Describe(),
			time.Duration(p.Status().Interval))
		run = p.Start()
	} else {
		fmt.Fprintln(stderr, "No source to poll (source.type none): a missed webhook is not picked up later.")
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	shut, cancel := context.WithTimeout(context.Background(), listenShutdown)
	defer cancel()
	// Deliveries in progress finish their writes before the store closes.
	if err := srv.Shutdown(shut); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("stop the webhook server: %w", err))
	}
	if run != nil {
		run.Stop()
		s := run.Status()
		fmt.Fprintf(stderr, "Stopped after %d polls (%d failed): %d records stored, %d rejected.\n",
			s.Polls, s.Failures, s.Totals.Records, s.Totals.Rejected)
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}
