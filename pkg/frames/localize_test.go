package frames

import (
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/localize"
)

func TestLocalizeFrame(t *testing.T) {
	res := &localize.Result{Verdict: localize.Localized, Causes: []localize.Cause{{
		Terms: []localize.Term{{Name: "service", Value: "a|b"}, {Name: "region", Null: true}},
		Now:   40, Expected: 2, Excess: 37, Share: 0.9, Ratio: 13.7, Score: 8,
	}}, TriplesSkipped: true}
	fr := Builder{}.Localize(res, true)[0]
	want := map[string]any{
		"cause": `service = "a|b" and region is null`, "current": int64(40), "share": 0.9,
		AdHocFilterField: "service|=|a__gfp__b", AdHocFilterField2: "region|=|(none)", AdHocFilterField3: "",
	}
	for name, v := range want {
		f, i := fr.FieldByName(name)
		if i < 0 {
			t.Fatalf("no field %q", name)
		}
		if got := f.At(0); got != v {
			t.Errorf("%s = %#v, want %#v", name, got, v)
		}
	}
	if len(fr.Meta.Notices) != 1 || !strings.Contains(fr.Meta.Notices[0].Text, "three fields") {
		t.Errorf("notices %+v", fr.Meta.Notices)
	}
	if plain := (Builder{}).Localize(res, false)[0]; len(plain.Fields) != 7 {
		t.Errorf("%d fields without filterField, want 7", len(plain.Fields))
	}
}
