package query

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestValuesByTitle: the values of a field asked for by its column title, as an ad hoc
// filter's value picker asks when the filter's key is a title, are the field's values; a
// name that is neither a field nor one column's title is refused, naming the field.
func TestValuesByTitle(t *testing.T) {
	eng, env, _ := newFixture(t)
	values := func(field string) ([]string, error) {
		fs, err := Run(context.Background(), eng, env, Request{Query: &ValuesQuery{Field: field}})
		if err != nil {
			return nil, err
		}
		var out []string
		for i := range fs[0].Fields[0].Len() {
			out = append(out, fs[0].Fields[0].At(i).(string))
		}
		return out, nil
	}
	byName, err := values("service")
	if err != nil || len(byName) == 0 {
		t.Fatalf("values of service: %v, %v", byName, err)
	}
	byTitle, err := values("Service")
	if err != nil {
		t.Fatalf("values of the title Service: %v", err)
	}
	if strings.Join(byTitle, ",") != strings.Join(byName, ",") {
		t.Errorf("values of Service %v, of service %v", byTitle, byName)
	}
	if _, err := values("Servce"); err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Servce") {
		t.Errorf("an unknown field: %v, want an invalid query naming it", err)
	}
}
