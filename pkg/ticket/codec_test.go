package ticket

import (
	"math"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		vals []Value
	}{
		{"empty", nil},
		{"every kind", []Value{String("checkout"), Number(2.5), TimeOf(time.Date(2016, 2, 29, 1, 16, 0, 0, time.UTC)), BoolOf(true), BoolOf(false), {}}},
		{"empty string is not null", []Value{String(""), {}}},
		{"extremes", []Value{Number(math.Inf(-1)), Number(math.NaN()), TimeMS(math.MinInt64), TimeMS(math.MaxInt64), Number(-0.0)}},
		{"unicode", []Value{String("écrit à 東京 🚨")}},
	}
	for _, tt := range tests {
		for _, alias := range []bool{false, true} {
			buf := AppendValues([]byte{0xFF}, tt.vals) // a prefix, as the store writes one
			got, n, err := DecodeValues(buf[1:], nil, alias)
			if err != nil {
				t.Fatalf("%s: decode: %v", tt.name, err)
			}
			if n != len(buf)-1 {
				t.Errorf("%s: read %d bytes of %d", tt.name, n, len(buf)-1)
			}
			if len(got) != len(tt.vals) {
				t.Fatalf("%s: %d values, want %d", tt.name, len(got), len(tt.vals))
			}
			for i := range got {
				if !got[i].Equal(tt.vals[i]) {
					t.Errorf("%s alias=%v: value %d = %+v, want %+v", tt.name, alias, i, got[i], tt.vals[i])
				}
			}
		}
	}
}

func TestDecodeRejectsTruncatedInput(t *testing.T) {
	full := AppendValues(nil, []Value{String("service"), Number(1), TimeMS(1700000000000), BoolOf(true)})
	for cut := 0; cut < len(full); cut++ {
		if _, _, err := DecodeValues(full[:cut], nil, false); err == nil {
			t.Errorf("decoding the first %d of %d bytes succeeded; want an error", cut, len(full))
		}
	}
	if _, _, err := DecodeValues([]byte{1, 9}, nil, false); err == nil {
		t.Error("an unknown kind byte must be an error")
	}
}

func FuzzDecodeValues(f *testing.F) {
	f.Add(AppendValues(nil, []Value{String("a"), Number(1), TimeMS(2), BoolOf(true), {}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, _, err := DecodeValues(b, nil, false)
		if err != nil {
			return
		}
		again, _, err := DecodeValues(AppendValues(nil, vals), nil, false)
		if err != nil || len(again) != len(vals) {
			t.Fatalf("re-encoding decoded values failed: %v", err)
		}
	})
}

func TestRecordHelpers(t *testing.T) {
	l := NewLayout([]string{"id", "service"})
	r := Record{Key: "INC1", Layout: l, Values: []Value{String("INC1"), String("checkout")}}
	if got := r.Get("service"); got.S != "checkout" {
		t.Errorf("Get(service) = %+v", got)
	}
	if got := r.Get("missing"); !got.IsNull() {
		t.Errorf("Get of a column the layout lacks should be null, got %+v", got)
	}
	c := r.Clone()
	if !c.SameValues(&r) {
		t.Error("a clone should hold the same values")
	}
	c.Values[1] = String("search")
	if c.SameValues(&r) || r.Values[1].S != "checkout" {
		t.Error("changing a clone must not change the original")
	}
	other := Record{Layout: NewLayout([]string{"id", "region"}), Values: []Value{String("INC1"), String("checkout")}}
	if other.SameValues(&r) {
		t.Error("records under different column names are not the same")
	}
}
