// The Spacetime plugin binary that Grafana starts.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/spacetime/tickets/pkg/plugin"
)

// pluginID is the id in plugin.json.
const pluginID = "spacetime-tickets-datasource"

func main() {
	hub := plugin.NewHub(log.DefaultLogger)
	err := datasource.Manage(pluginID, hub.NewFactory(), datasource.ManageOpts{
		GRPCSettings: backend.GRPCSettings{MaxReceiveMsgSize: plugin.MaxRequestMessage},
	})
	// Manage returns when Grafana shuts the plugin down (go-plugin's shutdown call stops
	// the gRPC server), without disposing of the instances: stop the pollers here, so
	// that their leases go to another Grafana server at once, and close the stores.
	if cerr := hub.Close(); cerr != nil {
		log.DefaultLogger.Warn("Closing the stores failed", "error", cerr)
	}
	if err != nil {
		log.DefaultLogger.Error("The plugin stopped", "error", err)
		os.Exit(1)
	}
}
