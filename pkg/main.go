// The Spacetime plugin binary that Grafana starts.
package main

import (
	"os"
	"strconv"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/plugin"
)

// pluginID is the id in plugin.json.
const pluginID = "spacetime-tickets-datasource"

func main() {
	// The SDK's request middleware logs two lines per request ("Plugin Request Started"
	// and "Completed"), which Grafana parses from the plugin's output: at 63 requests per
	// dashboard drill-down, formatting and parsing them is a tenth of each request's
	// protocol time. They are logged when grafana.ini asks for them
	// ([plugin.spacetime-tickets-datasource] log_requests = true, which Grafana passes as
	// GF_PLUGIN_LOG_REQUESTS); failed requests and the plugin's own lines always are.
	if on, _ := strconv.ParseBool(os.Getenv("GF_PLUGIN_LOG_REQUESTS")); !on {
		backend.Logger = log.NewWithLevel(log.Warn)
	}
	h := hub.New(hub.Options{Logger: log.DefaultLogger})
	err := datasource.Manage(pluginID, plugin.NewFactory(h).NewInstance, datasource.ManageOpts{
		GRPCSettings: backend.GRPCSettings{MaxReceiveMsgSize: plugin.MaxRequestMessage},
	})
	// Manage returns when Grafana shuts the plugin down (go-plugin's shutdown call stops
	// the gRPC server), without disposing of the instances: stop the pollers here, so
	// that their leases go to another Grafana server at once, and close the stores.
	if cerr := h.Close(); cerr != nil {
		log.DefaultLogger.Warn("Closing the stores failed", "error", cerr)
	}
	if err != nil {
		log.DefaultLogger.Error("The plugin stopped", "error", err)
		os.Exit(1)
	}
}
