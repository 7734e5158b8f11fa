package synth

import (
	"testing"

	"github.com/spacetime/tickets/pkg/localize"
)

// A combination that selects exactly the truth's tickets in both periods counts as right
// in the second score only; one that selects other tickets counts as wrong in both.
func TestAddSame(t *testing.T) {
	c := &localize.Cube{Scale: 1, Dims: []localize.Dim{
		{Name: "d0", Values: []string{"d0v0", "d0v1", "d0v2"}},
		{Name: "d1", Values: []string{"d1v0", "d1v1", "d1v2"}},
	}}
	// d0v1 has tickets only with d1v2; d0v2 with d1v2 and d1v0.
	for _, l := range []struct {
		codes       [2]uint32
		now, before int64
	}{
		{[2]uint32{0, 0}, 3, 4}, {[2]uint32{0, 2}, 1, 2}, {[2]uint32{1, 2}, 9, 2},
		{[2]uint32{1, 0}, 0, 0}, // a leaf without tickets selects nothing
		{[2]uint32{2, 2}, 8, 1}, {[2]uint32{2, 0}, 0, 1},
	} {
		c.Codes = append(c.Codes, l.codes[:]...)
		c.Now = append(c.Now, l.now)
		c.Before = append(c.Before, l.before)
	}
	for _, tc := range []struct {
		truth, named []string
		strict, same Tally
	}{
		{[]string{"d0=d0v1&d1=d1v2"}, []string{"d0=d0v1"}, Tally{FP: 1, FN: 1, Cases: 1}, Tally{TP: 1, Cases: 1}},
		// d0v2 also has a baseline ticket outside d1v2.
		{[]string{"d0=d0v2&d1=d1v2"}, []string{"d0=d0v2"}, Tally{FP: 1, FN: 1, Cases: 1}, Tally{FP: 1, FN: 1, Cases: 1}},
		// Named exactly, and twice by the same tickets: the truth is matched once.
		{[]string{"d0=d0v1&d1=d1v2"}, []string{"d0=d0v1&d1=d1v2", "d0=d0v1"}, Tally{TP: 1, FP: 1, Cases: 1}, Tally{TP: 1, FP: 1, Cases: 1}},
		{nil, nil, Tally{Cases: 1, Silent: 1}, Tally{Cases: 1, Silent: 1}},
	} {
		var strict, same Tally
		strict.Add(tc.truth, tc.named)
		same.AddSame(c, tc.truth, tc.named)
		if strict != tc.strict || same != tc.same {
			t.Errorf("truth %v, named %v: strict %+v, same %+v; want %+v, %+v", tc.truth, tc.named, strict, same, tc.strict, tc.same)
		}
	}
}
