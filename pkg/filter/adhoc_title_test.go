package filter

import (
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/schema"
)

func TestFromAdHocAcceptsColumnTitles(t *testing.T) {
	s, err := schema.Parse([]byte(`key: id
time: at
columns:
  - {name: id, type: string, title: Ticket}
  - {name: at, type: time}
  - {name: service, type: string, title: Service}
  - {name: owner, type: string, title: Team}
  - {name: team, type: string, title: Squad}
  - {name: a, type: string, title: Shared}
  - {name: b, type: string, title: Shared}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key, want, wantErr string
	}{
		{"a field name is used as is", "service", `service = "x"`, ""},
		{"a display name maps to its field", "Service", `service = "x"`, ""},
		{"a field name wins over another column's title", "team", `team = "x"`, ""},
		{"a title that is no field name maps", "Team", `owner = "x"`, ""},
		{"a title shared by two columns is not guessed", "Shared", "", `unknown field "Shared"`},
		{"an unknown key is still an error", "Nope", "", `unknown field "Nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := FromAdHoc([]AdHocFilter{{Key: tt.key, Operator: "=", Value: "x"}}, s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
