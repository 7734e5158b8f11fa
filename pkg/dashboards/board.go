package dashboards

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Board is a dashboard JSON file read back the way the contract tests need it: the
// variables, and every panel (those inside collapsed rows too) with its targets, links,
// transformations and field config.
type Board struct {
	UID        string       `json:"uid"`
	Title      string       `json:"title"`
	Links      []BoardLink  `json:"links"`
	Panels     []BoardPanel `json:"panels"`
	Templating struct {
		List []BoardVariable `json:"list"`
	} `json:"templating"`
}

// BoardLink is a dashboard link or a panel link.
type BoardLink struct {
	Title    string `json:"title"`
	Type     string `json:"type"`
	URL      string `json:"url"`
	KeepTime bool   `json:"keepTime"`
}

// BoardVariable is a template variable.
type BoardVariable struct {
	Name    string          `json:"name"`
	Type    string          `json:"type"`
	Query   json.RawMessage `json:"query"`
	Multi   bool            `json:"multi"`
	Current struct {
		Value json.RawMessage `json:"value"`
	} `json:"current"`
	Options []struct {
		Value string `json:"value"`
	} `json:"options"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
}

// CurrentValues are the variable's selected values.
func (v BoardVariable) CurrentValues() []string {
	var many []string
	if json.Unmarshal(v.Current.Value, &many) == nil {
		return many
	}
	var one string
	if json.Unmarshal(v.Current.Value, &one) == nil {
		return []string{one}
	}
	return nil
}

// BoardPanel is a panel or a row.
type BoardPanel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Repeat      string `json:"repeat"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets         []Target          `json:"targets"`
	Links           []BoardLink       `json:"links"`
	Transformations []json.RawMessage `json:"transformations"`
	FieldConfig     struct {
		Defaults struct {
			Links []BoardLink `json:"links"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Options json.RawMessage `json:"options"`
	// Panels are a collapsed row's panels.
	Panels []BoardPanel `json:"panels"`
}

// OverrideLinks are the data links of the overrides of a panel, by matcher.
func (p BoardPanel) OverrideLinks() (map[string][]BoardLink, error) {
	out := map[string][]BoardLink{}
	for _, o := range p.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			if prop.ID != "links" {
				continue
			}
			var links []BoardLink
			if err := json.Unmarshal(prop.Value, &links); err != nil {
				return nil, fmt.Errorf("panel %d: override links: %w", p.ID, err)
			}
			key := o.Matcher.ID + ":" + o.Matcher.Options
			out[key] = append(out[key], links...)
		}
	}
	return out, nil
}

// ParseBoard reads a dashboard JSON file.
func ParseBoard(data []byte) (*Board, error) {
	var b Board
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("read the dashboard: %w", err)
	}
	return &b, nil
}

// AllPanels lists the panels that show data, rows' panels included, rows left out.
func (b *Board) AllPanels() []BoardPanel {
	var out []BoardPanel
	var walk func([]BoardPanel)
	walk = func(ps []BoardPanel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(b.Panels)
	return out
}

// Variable finds a variable by name.
func (b *Board) Variable(name string) (BoardVariable, bool) {
	for _, v := range b.Templating.List {
		if v.Name == name {
			return v, true
		}
	}
	return BoardVariable{}, false
}

// Macros are Grafana's built-in variables that the dashboards may refer to.
var Macros = map[string]bool{
	"__from": true, "__to": true, "__interval": true, "__interval_ms": true,
	"__url_time_range": true, "__all_variables": true,
	"__data": true, "__value": true, "__field": true,
}

// CheckReferences reports every variable reference in text that names neither a variable
// of the board nor a macro.
func (b *Board) CheckReferences(text string) []string {
	var bad []string
	for _, ref := range References(text) {
		name, _, _ := strings.Cut(ref, ".")
		if _, ok := b.Variable(name); ok || Macros[name] {
			continue
		}
		bad = append(bad, ref)
	}
	return bad
}
