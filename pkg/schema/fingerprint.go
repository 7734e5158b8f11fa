package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Canonical is the schema as JSON with every option written out: the same bytes for two
// schema files that say the same thing in other words (YAML or JSON, key order, comments,
// options left to their defaults). Parse reads it back into an equal schema, so it is
// also the form in which a store keeps the schema it was imported with.
func (s *Schema) Canonical() []byte {
	b, err := json.Marshal(s)
	if err != nil {
		// A Schema holds strings, numbers, booleans and slices of them only.
		panic(fmt.Sprintf("schema: marshal: %v", err))
	}
	return b
}

// Hash names what the schema means: "sha256:" and the hex SHA-256 of Canonical. Two
// schemas with the same hash read and show tickets alike.
func (s *Schema) Hash() string {
	sum := sha256.Sum256(s.Canonical())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Diff is how one schema reads tickets differently from another that wrote them.
type Diff struct {
	// Breaking are the differences that change what stored tickets mean or hide them:
	// another key, version or time column, a column left out or given another type.
	// Queries with such a schema answer wrongly, often with zeros.
	Breaking []string
	// Other are the differences that keep the stored tickets readable: columns added,
	// titles, units, facets, table defaults, the default filter.
	Other []string
}

// Same reports whether the two schemas do not differ at all.
func (d Diff) Same() bool { return len(d.Breaking) == 0 && len(d.Other) == 0 }

// Compare says how used reads the tickets that stored wrote.
func Compare(stored, used *Schema) Diff {
	var d Diff
	for _, opt := range []struct{ name, stored, used string }{
		{"key", stored.Key, used.Key},
		{"version", stored.Version, used.Version},
		{"time", stored.Time, used.Time},
	} {
		if opt.stored != opt.used {
			d.Breaking = append(d.Breaking, fmt.Sprintf("the %s column is %q, not %q", opt.name, opt.used, opt.stored))
		}
	}
	var missing, added, retyped, changed []string
	for i := range stored.Columns {
		sc := &stored.Columns[i]
		uc, ok := used.Column(sc.Name)
		switch {
		case !ok:
			missing = append(missing, sc.Name)
		case uc.Type != sc.Type:
			retyped = append(retyped, fmt.Sprintf("%s is %s, not %s", sc.Name, uc.Type, sc.Type))
		case !sameColumn(sc, uc):
			changed = append(changed, sc.Name)
		}
	}
	for i := range used.Columns {
		if _, ok := stored.Column(used.Columns[i].Name); !ok {
			added = append(added, used.Columns[i].Name)
		}
	}
	if len(missing) > 0 {
		d.Breaking = append(d.Breaking, "it lacks the column(s) "+quoteAll(missing))
	}
	d.Breaking = append(d.Breaking, retyped...)
	if len(added) > 0 {
		d.Other = append(d.Other, "it adds the column(s) "+quoteAll(added))
	}
	if len(changed) > 0 {
		d.Other = append(d.Other, "it shows the column(s) "+quoteAll(changed)+" otherwise (title, unit, facet, table, link...)")
	}
	if stored.Open != used.Open || !slices.Equal(stored.Nulls, used.Nulls) || stored.Defaults != used.Defaults ||
		!slices.Equal(stored.Table.Columns, used.Table.Columns) || !slices.Equal(stored.Table.Sort, used.Table.Sort) || stored.Table.Limit != used.Table.Limit {
		d.Other = append(d.Other, "its open, nulls, table or defaults options differ")
	}
	if d.Same() && stored.Hash() != used.Hash() {
		// The column order, which Compare does not look at on its own.
		d.Other = append(d.Other, "it orders the columns otherwise")
	}
	return d
}

// sameColumn reports whether two columns of the same name and type agree on everything.
func sameColumn(a, b *Column) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// quoteAll quotes names and joins them with commas.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
