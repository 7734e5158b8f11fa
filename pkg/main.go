// The Spacetime plugin binary that Grafana starts.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/spacetime/tickets/pkg/plugin"
)

// pluginID is the id in plugin.json.
const pluginID = "spacetime-tickets-datasource"

func main() {
	hub := plugin.NewHub(log.DefaultLogger)
	if err := datasource.Manage(pluginID, hub.NewFactory(), datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("The plugin stopped", "error", err)
		os.Exit(1)
	}
}
