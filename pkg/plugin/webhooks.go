package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/webhook"
)

// The secure settings that hold the webhook secret: the one the ticket systems sign with,
// and during a rotation on Spacetime's side the one they signed with before.
const (
	secureWebhookSecret         = "webhookSecret"
	secureWebhookSecretPrevious = "webhookSecretPrevious"
)

// buildWebhooks makes the receivers of every sender, served at POST webhooks/<sender>
// (webhook.Route). They write through the hub's write path, as POST push does, with the
// poller's own mapping lines for the sender of the polled preset.
func (d *Datasource) buildWebhooks() {
	secure := d.instance.DecryptedSecureJSONData
	var preset, mapping string
	if d.settings.sourceErr == nil && d.settings.Source.Kind() == "http" {
		preset, mapping = d.settings.Source.HTTP.Preset, d.settings.Source.HTTP.Mapping
	}
	var others []string
	for _, v := range secure {
		others = append(others, v)
	}
	slices.Sort(others)
	logger := log.DefaultLogger
	d.webhooks = webhook.NewSet(d.env.Schema, webhook.SetConfig{
		Secrets:       []string{secure[secureWebhookSecret], secure[secureWebhookSecretPrevious]},
		SecretSetting: "the data source's webhook secret (secureJsonData." + secureWebhookSecret + ")",
		PollPreset:    preset,
		PollMapping:   mapping,
		Push:          d.pushItems,
		Log:           logger.Warn,
		Redact:        redact.New(others...),
	})
}

// pushItems writes mapped tickets through the hub's write path.
func (d *Datasource) pushItems(ctx context.Context, items []any) (source.PushResult, error) {
	ix, err := d.ready(ctx)
	if err != nil {
		return source.PushResult{}, fmt.Errorf("the store is not open: %w", err)
	}
	return ix.Push(ctx, items)
}

// handleWebhook takes a ticket system's delivery. The route authenticates the sender by
// its signature, not by a Grafana role: a ticket system has no Grafana user.
func (d *Datasource) handleWebhook(w http.ResponseWriter, r *http.Request) {
	if d.webhooks == nil {
		writeError(w, http.StatusServiceUnavailable, errors.Join(errors.New("the data source is not configured"), d.setupErr))
		return
	}
	d.webhooks.ServeHTTP(w, r)
}
