package plugin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

func TestLoadDynamoDBSettings(t *testing.T) {
	keys := map[string]string{"accessKey": "AKID", "secretKey": "secret"}
	tests := []struct {
		name     string
		jsonData string
		secrets  map[string]string
		wantSpec string
		wantAuth string
		wantErr  string
	}{
		{"table and region", `{"store": "dynamodb", "dynamodb": {"table": "tickets"}, "defaultRegion": "eu-west-1"}`,
			nil, "dynamodb://tickets?region=eu-west-1", "default", ""},
		{"DynamoDB's endpoint wins over every service's", `{"store": "dynamodb", "dynamodb": {"table": "tickets", "endpoint": "http://127.0.0.1:4567"}, "endpoint": "https://vpce.example", "authType": "keys"}`,
			keys, "dynamodb://tickets?endpoint=http%3A%2F%2F127.0.0.1%3A4567", "keys", ""},
		{"every service's endpoint applies to DynamoDB", `{"store": "dynamodb", "dynamodb": {"table": "tickets"}, "endpoint": "https://vpce.example", "authType": "credentials", "profile": "ops"}`,
			nil, "dynamodb://tickets?endpoint=https%3A%2F%2Fvpce.example", "credentials", ""},
		{"a follow interval", `{"store": "dynamodb", "dynamodb": {"table": "tickets", "follow": "2s"}, "defaultRegion": "eu-west-1"}`,
			nil, "dynamodb://tickets?region=eu-west-1", "default", ""},
		{"a follow interval that is not a duration", `{"store": "dynamodb", "dynamodb": {"table": "tickets", "follow": "often"}, "defaultRegion": "eu-west-1"}`,
			nil, "", "", "jsonData.dynamodb.follow \"often\" is not a duration"},
		{"a follow interval too short", `{"store": "dynamodb", "dynamodb": {"table": "tickets", "follow": "10ms"}, "defaultRegion": "eu-west-1"}`,
			nil, "", "", "shorter than the shortest, 500ms"},
		{"no table names the setting", `{"store": "dynamodb", "defaultRegion": "eu-west-1"}`,
			nil, "", "", "jsonData.dynamodb.table"},
		{"an invalid table name", `{"store": "dynamodb", "dynamodb": {"table": "no"}}`,
			nil, "", "", `table name "no" is not valid`},
		{"an endpoint that is not a URL", `{"store": "dynamodb", "dynamodb": {"table": "tickets", "endpoint": "localhost:4567"}}`,
			nil, "", "", "is not an http:// or https:// URL"},
		{"keys without the secret", `{"store": "dynamodb", "dynamodb": {"table": "tickets"}, "authType": "keys"}`,
			map[string]string{"accessKey": "AKID"}, "", "", "secureJsonData.secretKey"},
		{"an unknown authentication", `{"store": "dynamodb", "dynamodb": {"table": "tickets"}, "authType": "password"}`,
			nil, "", "", `unknown AWS authentication "password" (jsonData.authType)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := loadSettings(backend.DataSourceInstanceSettings{UID: "u", JSONData: []byte(tt.jsonData), DecryptedSecureJSONData: tt.secrets},
				func(string) string { return "" })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if set.dynamoSpec != tt.wantSpec {
				t.Errorf("spec = %q, want %q", set.dynamoSpec, tt.wantSpec)
			}
			if set.AuthType != tt.wantAuth {
				t.Errorf("authType = %q, want %q", set.AuthType, tt.wantAuth)
			}
			if set.StorePath != "" {
				t.Errorf("a DynamoDB store got an embedded store path %q", set.StorePath)
			}
		})
	}
}

// Grafana starts the plugin in its own working directory (often /), so a relative path
// would put the store or read the schema wherever that is: the settings refuse it.
func TestRelativePathsAreRefused(t *testing.T) {
	for _, jd := range []string{`{"storePath": "data/tickets.db"}`, `{"storePath": "./t.db"}`, `{"schemaPath": "schema.yaml"}`} {
		_, err := loadSettings(backend.DataSourceInstanceSettings{UID: "rel", JSONData: []byte(jd)}, func(string) string { return "/var/lib/grafana" })
		if err == nil || !strings.Contains(err.Error(), "absolute path") || !strings.Contains(err.Error(), "relative") {
			t.Errorf("%s: err = %v, want a refusal asking for an absolute path", jd, err)
		}
	}
}

// A schemaPath that names some other file (here one shaped like /etc/passwd, or a YAML
// file of secrets) says that the file is not a schema, without a byte of what it holds:
// the message reaches the health check and every panel's error.
func TestASchemaPathToAnotherFileDoesNotEchoIt(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"passwd":      "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
		"secrets.yml": "db_password: hunter2-s3cret\napi_token: tok-0123456789\n",
		"list.yml":    "- root-secret-entry\n- second\n",
		"env":         "API_KEY=abcdef0123456789\n",
		"binary":      "\x7fELF\x02\x01\x01\x00secret-bytes\x00\x00",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		set, err := loadSettings(backend.DataSourceInstanceSettings{UID: "s", JSONData: []byte(`{"schemaPath": "` + path + `"}`)}, func(string) string { return "/var/lib/grafana" })
		if err == nil {
			_, err = set.loadSchema()
		}
		if err == nil {
			t.Fatalf("%s: accepted as a schema", name)
		}
		msg := err.Error()
		if !strings.Contains(msg, "not a column schema") && !strings.Contains(msg, "not a text file") {
			t.Errorf("%s: %q does not say the file is not a schema", name, msg)
		}
		for _, secret := range []string{"root:", "x:0", "hunter2", "tok-0", "db_password", "api_token", "root-secret", "API_KEY", "abcdef", "secret-bytes", "ELF"} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s: the message echoes the file's content (%q): %s", name, secret, msg)
			}
		}
	}
}

// TestFollowEvery: jsonData.dynamodb.follow takes the durations every other setting takes
// (duration.Parse), "1d" included, as jsonData.window does.
func TestFollowEvery(t *testing.T) {
	const fallback = 10 * time.Second
	tests := []struct {
		follow  string
		want    time.Duration
		wantErr string
	}{
		{"", fallback, ""},
		{"2s", 2 * time.Second, ""},
		{"90m", 90 * time.Minute, ""},
		{"1d", 24 * time.Hour, ""},
		{"often", 0, `jsonData.dynamodb.follow "often" is not a duration such as 10s`},
		{"106752d", 0, `jsonData.dynamodb.follow "106752d" is too long: the longest duration is 106751d`},
		{"10ms", 0, "jsonData.dynamodb.follow 10ms is shorter than the shortest, 500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.follow, func(t *testing.T) {
			set := Settings{DynamoDB: DynamoDBSettings{Follow: tt.follow}}
			got, err := set.followEvery(fallback)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("followEvery(%q) = %v, %v; want an error containing %q", tt.follow, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("followEvery(%q) = %v, %v; want %v", tt.follow, got, err, tt.want)
			}
		})
	}
}
