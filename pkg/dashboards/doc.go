// Package dashboards builds Spacetime's provisioned Grafana dashboards ("Spacetime
// overview" and "Ticket") and alert rules ("Ticket spike", "Sev-1 burst") as code, with
// grafana-foundation-sdk, from the column schema. The JSON and YAML it writes are
// committed under dashboards/ and provisioning/alerting/; a test regenerates them and
// fails on any difference.
//
// What a Grafana user sees of them is checked by the TypeScript contract suite
// (contract/), which opens the committed files with Grafana's own published code
// (@grafana/scenes, @grafana/data) against the plugin binary: nothing here imitates
// Grafana.
package dashboards

//go:generate go run ../cmd/spacetime dashboards --out ../../dashboards --alerts ../../provisioning/alerting
