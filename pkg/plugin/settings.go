package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source/sources"
	"github.com/spacetime/tickets/pkg/store/bolt"
)

// Settings is the data source's jsonData. Every field is optional: with empty settings
// the data source uses the default schema and an embedded store in a default location.
type Settings struct {
	// Store is "embedded" (the default) or "dynamodb" (a table shared by several
	// Grafana servers; see DynamoDB and the AWS connection fields).
	Store string `json:"store,omitempty"`
	// DynamoDB names the table of store "dynamodb".
	DynamoDB DynamoDBSettings `json:"dynamodb,omitempty"`
	// AWSSettings are @grafana/aws-sdk's connection fields, at the top of jsonData.
	AWSSettings
	// StorePath is the embedded store's file; empty means bolt.DefaultPath for the UID.
	StorePath string `json:"storePath,omitempty"`
	// Schema is the column schema, as YAML or JSON text or as an object.
	Schema json.RawMessage `json:"schema,omitempty"`
	// SchemaPath is a schema file on the Grafana server, used when Schema is empty.
	SchemaPath string `json:"schemaPath,omitempty"`
	// Window is how far back the data source holds tickets in memory, such as "30d"
	// (duration.Parse: a Go duration or whole days or weeks); empty holds every
	// ticket of the store. See engine.Options.Window.
	Window string `json:"window,omitempty"`
	// Source says where new and updated tickets come from (type "none" when absent:
	// tickets come from `spacetime import`). Its secrets are in secureJsonData.
	Source sources.Settings `json:"-"`
	// RawSource is jsonData.source as sent. It is decoded apart, so that a mistake in the
	// source settings stops the polling only, not the queries over the stored tickets.
	RawSource json.RawMessage `json:"source,omitempty"`
	// sourceErr is why RawSource could not be decoded.
	sourceErr error
	// window is Window read; 0 without one.
	window time.Duration
	// dynamoSpec is the store spec of store "dynamodb" (dynamodb://TABLE?region=R...).
	dynamoSpec string
}

// minWindow keeps a window from cutting into the overview's ranges and their baselines.
const minWindow = 24 * time.Hour

// loadSettings reads jsonData. getenv is os.Getenv outside tests.
func loadSettings(s backend.DataSourceInstanceSettings, getenv func(string) string) (Settings, error) {
	var set Settings
	if len(bytes.TrimSpace(s.JSONData)) > 0 {
		if err := json.Unmarshal(s.JSONData, &set); err != nil {
			return set, fmt.Errorf("the data source settings (jsonData) are not valid JSON: %w", err)
		}
	}
	switch set.Store {
	case "", "embedded":
		set.Store = "embedded"
	case "dynamodb":
		spec, err := checkDynamoSettings(&set, s.DecryptedSecureJSONData)
		if err != nil {
			return set, err
		}
		set.dynamoSpec = spec
	default:
		return set, fmt.Errorf("unknown store %q (jsonData.store); use \"embedded\" or \"dynamodb\"", set.Store)
	}
	if strings.TrimSpace(set.Window) != "" {
		w, err := duration.Parse(set.Window)
		if err != nil {
			if duration.TooLong(err) {
				return set, fmt.Errorf("jsonData.window %w", err)
			}
			return set, fmt.Errorf("jsonData.window %q is not a duration such as 30d, 2w or 12h", set.Window)
		}
		if w < minWindow {
			return set, fmt.Errorf("jsonData.window %s is shorter than the shortest, %s: the overview's ranges and their baselines reach further back", w, minWindow)
		}
		set.window = w
	}
	if raw := bytes.TrimSpace(set.RawSource); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &set.Source); err != nil {
			set.sourceErr = fmt.Errorf("the source settings (jsonData.source) are not what is expected: %w", err)
		}
	}
	// Grafana starts plugins in its own working directory (often /, or wherever a service
	// manager leaves it), so a relative path would resolve there and change with it.
	for _, p := range []struct{ name, path, example string }{
		{"storePath", set.StorePath, "/var/lib/grafana/spacetime/tickets.db"},
		{"schemaPath", set.SchemaPath, "/etc/grafana/spacetime-schema.yaml"},
	} {
		if p.path != "" && !filepath.IsAbs(p.path) {
			return set, fmt.Errorf("jsonData.%s %q is a relative path, which would be read from Grafana's working directory: give an absolute path on the Grafana server, such as %s", p.name, p.path, p.example)
		}
	}
	if set.StorePath == "" && set.Store == "embedded" {
		p, err := bolt.DefaultPath(getenv, s.UID)
		if err != nil {
			return set, fmt.Errorf("choose the embedded store's location: %w (set storePath in the data source settings)", err)
		}
		set.StorePath = p
	}
	return set, nil
}

// loadSchema resolves the schema from the settings: the inline schema, else the schema
// file, else the default.
func (set Settings) loadSchema() (*schema.Schema, error) {
	raw := bytes.TrimSpace(set.Schema)
	if len(raw) > 0 && !bytes.Equal(raw, []byte(`""`)) && !bytes.Equal(raw, []byte("null")) {
		text := []byte(raw)
		if raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("jsonData.schema: %w", err)
			}
			text = []byte(s)
		}
		if strings.TrimSpace(string(text)) != "" {
			return schema.Parse(text)
		}
	}
	if set.SchemaPath != "" {
		if _, err := os.Stat(set.SchemaPath); err != nil {
			return nil, fmt.Errorf("schema file %s cannot be read by the Grafana server: %w", set.SchemaPath, err)
		}
		return schema.Load(set.SchemaPath)
	}
	return schema.Default(), nil
}
