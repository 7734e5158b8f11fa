package plugin

import (
	"fmt"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Grafana's organisation roles as the plugin context carries them (backend.User.Role):
// the basic roles of Grafana's org.RoleType ("Viewer", "Editor", "Admin", and "None" for
// a user with no basic role; pkg/services/org/model.go of grafana/grafana).
const (
	roleEditor = "Editor"
	roleAdmin  = "Admin"
)

// requireWriter answers 403 and returns false unless the request's Grafana user may write
// tickets: an Editor or an Admin. Grafana lets every user who can query a data source call
// its resources (a Viewer, an anonymous visitor when anonymous access is on), so the write
// routes check the role themselves. The webhook routes do not: they authenticate the
// ticket system by its signature, not a Grafana user.
func requireWriter(w http.ResponseWriter, r *http.Request) bool {
	u := backend.UserFromContext(r.Context())
	if u != nil && (u.Role == roleEditor || u.Role == roleAdmin) {
		return true
	}
	who := "a request without a Grafana user"
	if u != nil {
		role := u.Role
		if role == "" {
			role = "no role"
		}
		who = fmt.Sprintf("a user with the %s role", role)
	}
	writeError(w, http.StatusForbidden, fmt.Errorf("writing tickets needs the Editor or Admin role; this is %s", who))
	return false
}
