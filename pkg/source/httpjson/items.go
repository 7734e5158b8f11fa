package httpjson

import (
	"fmt"
	"strings"

	"github.com/spacetime/tickets/pkg/schema"
)

// Items maps one item of a preset's API at a time onto the schema's columns, through the
// lines a poll of that preset uses (with the user's lines laid over them), for a ticket
// that arrives by itself: the issue of a GitHub webhook, the incident of a PagerDuty one.
// A webhook and a poll of the same ticket then make the same record, so the store's
// version rule treats a later poll as a replay of the webhook, not as a second ticket.
type Items struct {
	mapping Mapping
	skip    *Path
}

// PresetItems returns the mapper of a preset's items onto s, with the user's mapping
// lines laid over the preset's as New does.
func PresetItems(s *schema.Schema, preset string, user Mapping) (*Items, error) {
	p, ok := presets[preset]
	if !ok {
		return nil, fmt.Errorf("unknown preset %q (want %s)", preset, strings.Join(PresetNames(), ", "))
	}
	m, err := mergeMapping(s, p.mapping, user)
	if err != nil {
		return nil, err
	}
	return &Items{mapping: m, skip: p.skip}, nil
}

// Map returns the item as an object keyed by schema column, ready for source.Push, or
// false when the preset does not take such items as tickets (GitHub's pull requests).
func (it *Items) Map(item map[string]any) (map[string]any, bool) {
	if it.skip != nil && it.skip.Get(item) != nil {
		return nil, false
	}
	return it.mapping.apply(item), true
}
