package dashboards

import (
	"reflect"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"

	"github.com/spacetime/tickets/pkg/query"
)

// Target is one panel target of the Spacetime data source: the query JSON of package query
// inside Grafana's envelope (refId, datasource). Embedding query.Query keeps the dashboards
// in step with the wire format: a renamed query field does not compile here.
type Target struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	query.Query
}

var _ variants.Dataquery = Target{}

// ImplementsDataqueryVariant tells the foundation SDK that a Target is a panel query.
func (Target) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin id the SDK files the query under.
func (Target) DataqueryType() string { return PluginID }

// Validate accepts every target: the plugin is the judge of a query, and the contract
// tests send each one to it.
func (Target) Validate() error { return nil }

// Equals compares two targets field by field.
func (t Target) Equals(other variants.Dataquery) bool {
	o, ok := other.(Target)
	return ok && reflect.DeepEqual(t, o)
}

// targetBuilder hands a Target to the SDK's panel builders.
type targetBuilder struct{ t Target }

var _ cog.Builder[variants.Dataquery] = targetBuilder{}

func (b targetBuilder) Build() (variants.Dataquery, error) { return b.t, nil }

// target makes a panel target on the provisioned data source.
func target(refID string, q query.Query) targetBuilder {
	return targetBuilder{Target{RefID: refID, Datasource: datasourceRef(), Query: q}}
}

// datasourceRef is the dashboards' data source: the data source variable, so that they
// work with any Spacetime data source, the provisioned one by default.
func datasourceRef() *common.DataSourceRef {
	return &common.DataSourceRef{Type: ptr(PluginID), Uid: ptr(DatasourceRef)}
}

// provisionedRef is the provisioned data source itself, for the alert rules: a rule's query
// runs without a dashboard, so it cannot name a variable.
func provisionedRef() *common.DataSourceRef {
	return &common.DataSourceRef{Type: ptr(PluginID), Uid: ptr(DatasourceUID)}
}

func ptr[T any](v T) *T { return &v }
