package dashboards

import (
	"encoding/json"
	"reflect"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"

	"github.com/spacetime/tickets/pkg/query"
)

// Target is one panel target of the Spacetime data source: the query JSON of package query
// inside Grafana's envelope (refId, datasource). The query is a model of package query, so
// the dashboards keep in step with the wire format: a renamed query field does not compile
// here.
type Target struct {
	RefID      string
	Datasource *common.DataSourceRef
	Query      query.Model
}

// envelope is the part of a target's JSON that Grafana adds around the query.
type envelope struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
}

// MarshalJSON writes the envelope's fields, then the query's, as one object.
func (t Target) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(envelope{RefID: t.RefID, Datasource: t.Datasource})
	if err != nil {
		return nil, err
	}
	if t.Query == nil {
		return head, nil
	}
	body, err := query.Encode(t.Query)
	if err != nil {
		return nil, err
	}
	// Both are JSON objects: join {"refId":...} and {"queryType":...}.
	return append(append(head[:len(head)-1], ','), body[1:]...), nil
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
func target(refID string, q query.Model) targetBuilder {
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
