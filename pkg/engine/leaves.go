package engine

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"time"

	"github.com/spacetime/tickets/pkg/keytable"
)

// Leaves counts the tickets of a window and of the baseline period before it per
// combination of the values of some fields (a leaf): the cube in which package localize
// searches for the combinations that explain a rise. It reads each period's rows once, a
// slice at a time, packing each row's codes of the fields into one number and counting
// those numbers in a hash table; the search then works on the leaves, which are far
// fewer than the rows.

// LeavesRequest asks for the leaves of a window and its baseline.
type LeavesRequest struct {
	// Scope is the window; both ends of the range are needed.
	Scope
	// Fields are string, number or bool fields; empty means the schema's facets but its
	// lifecycle columns.
	Fields []string
	// Baseline is the length of the period just before From that the window is
	// compared with; 0 means as long as the window.
	Baseline time.Duration
}

// LeafField is one field of a leaves result and the labels of its values.
type LeafField struct {
	Name string
	// Values are the formatted values that occur ("" for null, then Nulls marks it);
	// a leaf's code for the field indexes them.
	Values []string
	Nulls  []bool
}

// LeavesResult holds the leaves.
type LeavesResult struct {
	Fields []LeafField
	// Codes holds each leaf's value of each field, leaf by leaf: Codes[l*len(Fields)+f]
	// indexes Fields[f].Values.
	Codes []uint32
	// Now, Before and Early count each leaf's tickets in the window, in the baseline
	// period and in the baseline's first half.
	Now, Before, Early []int64
	// CurrentTotal and BaselineTotal count the tickets of either period.
	CurrentTotal, BaselineTotal int64
	// Length and BaselineLength are the periods' lengths; BaselineFrom and BaselineTo
	// bound the baseline period [BaselineFrom, BaselineTo).
	Length, BaselineLength   time.Duration
	BaselineFrom, BaselineTo time.Time
}

// MaxLeafFields bounds the fields of a leaves request.
const MaxLeafFields = 12

// MaxLeaves bounds the leaves of a result: the fields' combinations that occur. A
// million leaves cost about 80 MB while they are counted.
const MaxLeaves = 2_000_000

// reservedLeaves is the most leaves a count makes room for before it starts.
const reservedLeaves = 1 << 17

// cachedLeaves is the most leaves of a result the result cache keeps.
const cachedLeaves = 16384

// Leaves returns the tickets of the window and of its baseline counted per combination of
// the fields' values.
func (e *Engine) Leaves(ctx context.Context, req LeavesRequest) (*LeavesResult, error) {
	baseline, err := comparedPeriod("leaves", req.From, req.To, req.Baseline)
	if err != nil {
		return nil, err
	}
	fields := req.Fields
	if len(fields) == 0 {
		// A lifecycle column (a status) differs between any recent window and the period
		// before it, whatever the outage: by default the search leaves it out, as the
		// dashboards do, unless the schema has no other facet.
		var lifecycle []string
		for _, c := range e.schema.Facets() {
			if c.Lifecycle {
				lifecycle = append(lifecycle, c.Name)
			} else {
				fields = append(fields, c.Name)
			}
		}
		if len(fields) == 0 {
			fields = lifecycle
		}
		if len(fields) == 0 {
			return nil, badRequest("leaves: the schema has no facets; name the fields")
		}
	}
	if len(fields) > MaxLeafFields {
		return nil, badRequest("leaves: %d fields are more than the %d a query may combine", len(fields), MaxLeafFields)
	}
	for i, f := range fields {
		if slices.Contains(fields[:i], f) {
			return nil, badRequest("leaves: the field %q appears twice", f)
		}
	}
	return remember(e, cacheKey("leaves", &req.Scope, fields, baseline),
		func(res *LeavesResult) bool { return len(res.Now) <= cachedLeaves },
		func() (*LeavesResult, error) {
			var res *LeavesResult
			err := e.read(ctx, func(r *reader) error {
				var err error
				res, err = e.leaves(r, &req, fields, req.To.Sub(req.From), baseline)
				return err
			})
			return res, err
		})
}

// errCodesGrew says a field gained so many values during a count that its codes no
// longer fit the bits set aside for them: the count starts again with wider ones.
var errCodesGrew = errors.New("engine: a field's codes outgrew their bits")

func (e *Engine) leaves(r *reader, req *LeavesRequest, fields []string, length, baseline time.Duration) (*LeavesResult, error) {
	cols := make([]*column, len(fields))
	for i, f := range fields {
		col, err := e.groupingFor(f, "leaves")
		if err != nil {
			return nil, err
		}
		if !col.coded() {
			return nil, badRequest("leaves: %q has more than %d distinct numbers; it cannot be combined (choose fields of fewer values)", f, col.numberCodes)
		}
		cols[i] = col
	}
	cur, err := e.selection(r, &req.Scope)
	if err != nil {
		return nil, err
	}
	bsc := baselineScope(&req.Scope, baseline)
	base, err := e.selection(r, bsc)
	if err != nil {
		return nil, err
	}
	// The baseline's first half is a prefix of its rows, which are in time order.
	mid := ceilMS(bsc.From.Add(baseline / 2))
	ms := base.tcol.ms
	split := sort.Search(len(base.rows), func(i int) bool { return ms[base.rows[i]] >= mid })

	var lc *leafCounter
	for attempt := 0; ; attempt++ {
		lc, err = newLeafCounter(cols, len(cur.rows)+len(base.rows))
		if err != nil {
			return nil, err
		}
		err = lc.count(r, cur.rows, 0)
		if err == nil {
			err = lc.count(r, base.rows[:split], 1|2)
		}
		if err == nil {
			err = lc.count(r, base.rows[split:], 1)
		}
		if !errors.Is(err, errCodesGrew) || attempt == 3 {
			break
		}
	}
	if err != nil {
		if errors.Is(err, errCodesGrew) {
			return nil, fmt.Errorf("%w: the fields' values kept growing during the query; try again", ErrTooExpensive)
		}
		return nil, err
	}
	res := &LeavesResult{
		CurrentTotal: int64(len(cur.rows)), BaselineTotal: int64(len(base.rows)),
		Length: length, BaselineLength: baseline, BaselineFrom: bsc.From, BaselineTo: bsc.To,
	}
	if res.Now, res.Before, res.Early, err = lc.split(r); err != nil {
		return nil, err
	}
	if err := lc.decode(r, res, fields); err != nil {
		return nil, err
	}
	return res, nil
}

// leafCounter counts rows per leaf: the fields' codes packed into one number, each in
// its own bits, with room for the field to double its values while the count runs.
type leafCounter struct {
	cols  []*column
	shift []uint8
	width []uint8
	// index holds each leaf's counts beside its key: a row's count touches one place.
	index keytable.Map[leafCount]
	// keys lists the leaves in the order they were first seen (see split).
	keys []uint64
	// scratch holds a slice's keys.
	scratch []uint64
}

// leafCount is one leaf's place in the result (the order in which the count first saw
// it, so that the result does not depend on the table's layout) and its tickets in the
// window, the baseline and its first half (row numbers are 32 bits, so are counts).
type leafCount struct {
	order              int32
	now, before, early uint32
}

// newLeafCounter makes a counter for up to rows rows.
func newLeafCounter(cols []*column, rows int) (*leafCounter, error) {
	lc := &leafCounter{cols: cols, shift: make([]uint8, len(cols)), width: make([]uint8, len(cols))}
	total := 0
	combos := 1
	for i, c := range cols {
		w := bits.Len(uint(c.codeCount())) + 1
		lc.shift[i], lc.width[i] = uint8(total), uint8(w)
		total += w
		combos = min(combos*max(c.codeCount(), 1), MaxLeaves)
	}
	if total > 64 {
		return nil, badRequest("leaves: the fields have too many values to combine (%d bits of codes, at most 64); choose fewer fields or fields of fewer values", total)
	}
	// Room for about as many leaves as the rows make on the generated data (one leaf per
	// eight rows at a million rows), so that a long count does not grow the table
	// several times, but no more than the values can combine into, nor than the leaves
	// of a million rows: leaves grow more slowly than rows (258k at ten million), and a
	// table too big for them spreads every lookup over memory the cache does not hold.
	lc.index.Reserve(min(rows/8, combos, reservedLeaves))
	return lc, nil
}

// count adds rows to the leaves: to the window's counts (what 0), or the baseline's
// (bit 1), and its first half's (bit 2).
func (lc *leafCounter) count(r *reader, rows []uint32, what int) error {
	var err error
	werr := r.slicesCost(rows, chunkRows, len(lc.cols), func(part []uint32) {
		if err != nil {
			return
		}
		if cap(lc.scratch) < len(part) {
			lc.scratch = make([]uint64, len(part))
		}
		keys := lc.scratch[:len(part)]
		clear(keys)
		for i, col := range lc.cols {
			// Codes only grow: a field whose values outgrew its bits may have mixed
			// its codes with the next field's.
			if col.codeCount() > 1<<lc.width[i] {
				err = errCodesGrew
				return
			}
			packCodes(&col.codes, part, keys, lc.shift[i])
		}
		for _, k := range keys {
			c, added := lc.index.FindOrAdd(k)
			if added {
				if lc.index.Len() > MaxLeaves {
					err = fmt.Errorf("%w: the fields make more than %d combinations of values in the range; choose fewer fields or a shorter range", ErrTooExpensive, MaxLeaves)
					return
				}
				c.order = int32(lc.index.Len() - 1)
			}
			switch what {
			case 0:
				c.now++
			case 1:
				c.before++
			default:
				c.before++
				c.early++
			}
		}
	})
	if werr != nil {
		return werr
	}
	return err
}

// split returns the counts as the result holds them, leaves in the order first seen,
// and lists their keys (pausing like the other loops: a count may have two million
// leaves).
func (lc *leafCounter) split(r *reader) (now, before, early []int64, err error) {
	n := lc.index.Len()
	now = make([]int64, n)
	before = make([]int64, n)
	early = make([]int64, n)
	lc.keys = make([]uint64, n)
	i := 0
	lc.index.All(func(key uint64, c *leafCount) {
		if err != nil {
			return
		}
		o := c.order
		lc.keys[o] = key
		now[o], before[o], early[o] = int64(c.now), int64(c.before), int64(c.early)
		if i++; i%chunkRows == 0 {
			err = r.tick(chunkRows)
		}
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return now, before, early, nil
}

// packCodes ors each row's code of a column into its key, at shift.
func packCodes(c *codeVec, rows []uint32, keys []uint64, shift uint8) {
	switch c.width {
	case 1:
		for i, row := range rows {
			keys[i] |= uint64(c.b1[row]) << shift
		}
	case 2:
		for i, row := range rows {
			keys[i] |= uint64(c.b2[row]) << shift
		}
	default:
		for i, row := range rows {
			keys[i] |= uint64(c.b4[row]) << shift
		}
	}
}

// decode turns the leaves' keys into codes of the values that occur, and labels them.
func (lc *leafCounter) decode(r *reader, res *LeavesResult, fields []string) error {
	nf := len(lc.cols)
	res.Codes = make([]uint32, len(lc.keys)*nf)
	res.Fields = make([]LeafField, nf)
	for f, col := range lc.cols {
		mask := uint64(1)<<lc.width[f] - 1
		// place maps a dictionary code to 1 + its place among the values that occur (0:
		// not seen yet): an array for the usual dictionaries (the codes fit in width bits,
		// at most four times the dictionary: 4 MiB at 2^20), a map for bigger ones. The
		// array's loop is written out: a closure call per leaf and field cost more than
		// the lookup.
		var codes []uint32
		if lc.width[f] <= 20 {
			index := make([]uint32, mask+1)
			for l, k := range lc.keys {
				p := &index[k>>lc.shift[f]&mask]
				if *p == 0 {
					codes = append(codes, uint32(k>>lc.shift[f]&mask))
					*p = uint32(len(codes))
				}
				res.Codes[l*nf+f] = *p - 1
				if l%chunkRows == chunkRows-1 {
					if err := r.tick(chunkRows); err != nil {
						return err
					}
				}
			}
		} else {
			index := map[uint32]uint32{}
			for l, k := range lc.keys {
				code := uint32(k >> lc.shift[f] & mask)
				p, ok := index[code]
				if !ok {
					codes = append(codes, code)
					p = uint32(len(codes))
					index[code] = p
				}
				res.Codes[l*nf+f] = p - 1
				if l%chunkRows == chunkRows-1 {
					if err := r.tick(chunkRows); err != nil {
						return err
					}
				}
			}
		}
		g := &grouping{col: col}
		values, nulls, err := g.labels(r, codes)
		if err != nil {
			return err
		}
		res.Fields[f] = LeafField{Name: fields[f], Values: values, Nulls: nulls}
	}
	return nil
}
