// Package dashboards builds Spacetime's provisioned Grafana dashboards ("Spacetime
// overview" and "Ticket") and alert rules ("Ticket spike", "Sev-1 burst") as code, with
// grafana-foundation-sdk, from the column schema. The JSON and YAML it writes are
// committed under dashboards/ and provisioning/alerting/; a test regenerates them and
// fails on any difference.
//
// It also reproduces the parts of Grafana's behaviour that the dashboards rely on, for the
// contract tests that check them without a Grafana: variable interpolation with its
// formats and macros, the frontend's applyTemplateVariables, and the URL format of ad hoc
// filters.
package dashboards

//go:generate go run ../cmd/spacetime dashboards --out ../../dashboards --alerts ../../provisioning/alerting
