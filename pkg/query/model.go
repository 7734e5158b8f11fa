// Package query is the wire format of a Spacetime query (the JSON that a Grafana panel, an
// alert rule or `spacetime query` sends) and its translation into engine requests. The
// plugin and the command line share it, so both give the same answers.
//
// Each query type has its own model, in its own file (counts.go, breakdown.go...): the
// fields of its JSON, checked when it is decoded, and how it is answered. The registry
// (registry.go) lists the types once; the plugin, the command line's flags and help, and
// the documentation's lists are made from it. To add a type, see registry.go.
package query

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/frames"
)

// Type is the kind of a query, Grafana's queryType.
type Type string

// Model is the model of one query type: its JSON fields, its checks and its answer.
// Every model embeds Common. The models are the types of this package listed in the
// registry.
type Model interface {
	// Type is the model's query type.
	Type() Type
	// Base is the part every query type has.
	Base() *Common
	// Check validates what can be checked without the schema: durations, limits, lists
	// of options. Decode and Run call it; its errors wrap ErrInvalid and name the field.
	Check() error
	// run answers the query from the engine; scope is its range and filters, checked.
	run(ctx context.Context, eng *engine.Engine, env *Env, b frames.Builder, scope engine.Scope, r Request) (data.Frames, error)
}

// Common holds the fields of every query type: which tickets the query is about. Its
// fields come first in the JSON of every type. The help tag is the command line's help
// of the field (`spacetime query -h`); arg names its value there; flag is the flag's name
// when it is not the field's name in kebab case.
type Common struct {
	// RefID and the other Grafana envelope fields (datasource, hide, ...) are ignored here.
	QueryType Type `json:"queryType" flag:"type" arg:"TYPE" help:"the query TYPE (default counts)"`
	// Filter is an expression in the filter language.
	Filter string `json:"filter,omitempty" arg:"EXPR" help:"a filter expression EXPR, e.g. 'service = \"checkout\" and severity <= 2'"`
	// ViewerFilter is a filter expression typed by whoever views the dashboard (the
	// overview's "Filter expression" box), ANDed like Filter. It travels apart from Filter
	// because a typo in it is the viewer's, not the dashboard's: when it does not parse or
	// check, the query answers without it, with a notice, so that one typo does not turn
	// every panel into the same error. The panel that sets CheckViewerFilter fails with the
	// error instead, which is where the viewer reads it.
	ViewerFilter string `json:"viewerFilter,omitempty" arg:"EXPR" help:"a viewer's filter expression EXPR, ANDed; with an error it is left out, with a notice, unless -check-viewer-filter"`
	// CheckViewerFilter makes an error in ViewerFilter the query's error.
	CheckViewerFilter bool `json:"checkViewerFilter,omitempty" help:"make an error in -viewer-filter the query's error"`
	// AdHocFilters are Grafana's ad hoc filters, copied into the query by the frontend.
	AdHocFilters []filter.AdHocFilter `json:"adhocFilters,omitempty" flag:"adhoc" arg:"KEY|OP|VALUE" help:"an ad hoc filter as a dashboard URL writes it, KEY|OP|VALUE, e.g. 'service|=|checkout' (repeatable; ANDed)"`
	// Search marks the rows that contain every word (tickets, logs); it removes none.
	Search string `json:"search,omitempty" arg:"WORDS" help:"mark the rows that contain these WORDS (tickets, logs); it removes none"`
	// NoDefaultFilter switches the schema's default filter off for this query.
	NoDefaultFilter bool `json:"noDefaultFilter,omitempty" help:"switch off the schema's default filter"`
	// TimeField is the time column the range applies to; empty: the schema's time column.
	TimeField string `json:"timeField,omitempty" arg:"FIELD" help:"the time FIELD the range applies to (default: the schema's)"`
}

// Base returns c: every model has it through Common.
func (c *Common) Base() *Common { return c }
