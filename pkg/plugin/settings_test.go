package plugin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestLoadSettings(t *testing.T) {
	dir := t.TempDir()
	schemaFile := filepath.Join(dir, "schema.yaml")
	small := "key: k\ntime: t\ncolumns:\n  - {name: k, type: string}\n  - {name: t, type: time}\n"
	if err := os.WriteFile(schemaFile, []byte(small), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "GF_PATHS_DATA" {
			return "/var/lib/grafana"
		}
		return ""
	}
	tests := []struct {
		name        string
		jsonData    string
		wantPath    string
		wantColumns int
		wantErr     string
	}{
		{"empty settings: default schema, default path", ``, "/var/lib/grafana/spacetime/uid-1.db", 14, ""},
		{"schema as YAML text", `{"schema": "key: k\ntime: t\ncolumns:\n  - {name: k, type: string}\n  - {name: t, type: time}\n"}`, "", 2, ""},
		{"schema as an object (provisioning)", `{"schema": {"key": "k", "time": "t", "columns": [{"name": "k", "type": "string"}, {"name": "t", "type": "time"}]}}`, "", 2, ""},
		{"empty schema text falls back to the file", `{"schema": "", "schemaPath": "` + schemaFile + `"}`, "", 2, ""},
		{"explicit store path", `{"storePath": "/data/tickets.db"}`, "/data/tickets.db", 14, ""},
		{"schema file missing", `{"schemaPath": "/nope/schema.yaml"}`, "", 0, "/nope/schema.yaml cannot be read"},
		{"invalid schema names the field", `{"schema": "key: k\ntime: t\ncolumns:\n  - {name: k, type: strng}\n"}`, "", 0, "columns[0].type"},
		{"unknown store", `{"store": "postgres"}`, "", 0, `unknown store "postgres"`},
		{"not JSON", `{"store": `, "", 0, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := loadSettings(backend.DataSourceInstanceSettings{UID: "uid-1", JSONData: []byte(tt.jsonData)}, env)
			if err == nil {
				var n int
				if s, serr := set.loadSchema(); serr != nil {
					err = serr
				} else {
					n = len(s.Columns)
				}
				if err == nil && n != tt.wantColumns {
					t.Errorf("schema has %d columns, want %d", n, tt.wantColumns)
				}
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPath != "" && set.StorePath != tt.wantPath {
				t.Errorf("store path = %q, want %q", set.StorePath, tt.wantPath)
			}
		})
	}
}
