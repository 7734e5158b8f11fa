package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/spacetime/tickets/pkg/source/sources"
)

// repoRoot is the repository root, from this package's directory.
const repoRoot = "../../.."

// scripts/run fills data/demo.db with `spacetime ingest --once --config scripts/demo.yaml`
// so that demo tickets exist without Grafana. The docs promise that Grafana's provisioned
// data source then goes on from that poll: it must use the same store file and the same
// source, as the poller names its watermark after the source's settings (Settings.Key).
func TestDemoConfigFeedsTheProvisionedDataSource(t *testing.T) {
	cfg, err := loadIngestConfig(filepath.Join(repoRoot, "scripts", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "provisioning", "datasources", "datasources.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Datasources []struct {
			UID      string         `yaml:"uid"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ds := range file.Datasources {
		if ds.UID != "spacetime" {
			continue
		}
		found = true
		storePath, _ := ds.JSONData["storePath"].(string)
		// The provisioned path is the Docker container's mount of the repository.
		if !strings.HasSuffix(storePath, "/"+cfg.Store) {
			t.Errorf("scripts/demo.yaml writes %s, but the provisioned data source reads %s", cfg.Store, storePath)
		}
		// Grafana hands jsonData to the plugin as JSON, which decodes into the same type.
		js, err := json.Marshal(ds.JSONData["source"])
		if err != nil {
			t.Fatal(err)
		}
		var provisioned sources.Settings
		if err := json.Unmarshal(js, &provisioned); err != nil {
			t.Fatal(err)
		}
		if provisioned.Kind() != "demo" {
			t.Fatalf("the provisioned source is %q, want demo", provisioned.Kind())
		}
		if got, want := cfg.Source.Key(), provisioned.Key(); got != want {
			t.Errorf("scripts/demo.yaml's source has watermark key %s, the provisioned one %s: Grafana would generate the week again", got, want)
		}
	}
	if !found {
		t.Fatal("no provisioned data source has uid spacetime")
	}
}
