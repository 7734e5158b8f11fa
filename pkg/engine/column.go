package engine

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// nullTime marks a row without a value in a time column. It sorts before every real
// time, which the time index relies on to keep null rows at its start.
const nullTime = math.MinInt64

// maxNumberCodes is how many distinct values a number column may hold before it stops
// being dictionary-encoded. Facet numbers (severity, priority) have a handful of values
// and are then filtered and counted by code like strings; a measure with many distinct
// values is kept as plain floats instead.
const maxNumberCodes = 4096

type colKind uint8

const (
	kindKey    colKind = iota + 1 // the schema's key: its values are the key dictionary
	kindString                    // string and text: dictionary codes
	kindNumber                    // dictionary codes while small, then plain floats
	kindTime                      // milliseconds, nullTime for null
	kindBool                      // codes 0 null, 1 false, 2 true
	kindDetail                    // not held: read from the store for the output rows
)

const (
	boolFalse = 1
	boolTrue  = 2
)

// column is the in-memory form of one schema column.
type column struct {
	name string
	typ  schema.Type
	kind colKind

	dict  *dict   // kindString
	codes codeVec // kindString, kindBool, kindNumber before it goes raw

	nums    []float64          // kindNumber: code -> value; nums[0] is the null code
	numCode map[float64]uint32 // kindNumber: value -> code while coded
	raw     []float64          // kindNumber once raw: one value per row, NaN for null

	ms  []int64    // kindTime
	idx *timeIndex // kindTime: built on first use, then kept up to date by writes

	numberCodes int // the most codes a number column takes before it goes raw

	// lookup, when set, finds the code of a value for the filters instead of the
	// dictionary (the pattern dimension resolves aliases of pattern ids, and refuses a
	// string that is no id).
	lookup func(s string) (uint32, bool, error)

	// lastS and lastCode remember the last value interned: consecutive records often
	// share a status or a region, and a string compare is cheaper than a hash.
	lastS    string
	lastCode uint32
}

func newColumn(c *schema.Column, numberCodes int) *column {
	col := &column{name: c.Name, typ: c.Type, numberCodes: numberCodes}
	switch {
	case c.Detail:
		col.kind = kindDetail
	case c.Type == schema.String || c.Type == schema.Text:
		col.kind = kindString
		col.dict = newDict()
		col.dict.appendNull()
		col.codes = newCodeVec()
	case c.Type == schema.Number:
		col.kind = kindNumber
		col.codes = newCodeVec()
		col.nums = []float64{math.NaN()}
		col.numCode = map[float64]uint32{}
	case c.Type == schema.Time:
		col.kind = kindTime
	case c.Type == schema.Bool:
		col.kind = kindBool
		col.codes = newCodeVec()
	}
	return col
}

// find returns the code of a string column's value s, for the filters; an error says
// that s cannot be a value of the column.
func (c *column) find(s string) (uint32, bool, error) {
	if c.lookup != nil {
		return c.lookup(s)
	}
	code, ok := c.dict.find(s)
	return code, ok, nil
}

// coded reports whether the column's rows are dictionary codes.
func (c *column) coded() bool {
	return c.kind == kindString || c.kind == kindBool || (c.kind == kindNumber && c.raw == nil)
}

// codeCount is the number of codes, null included.
func (c *column) codeCount() int {
	switch c.kind {
	case kindString:
		return c.dict.len()
	case kindBool:
		return 3
	case kindNumber:
		return len(c.nums)
	}
	return 0
}

func (c *column) appendNulls(n int) {
	switch c.kind {
	case kindString, kindBool:
		c.codes.appendNulls(n)
	case kindNumber:
		if c.raw != nil {
			for range n {
				c.raw = append(c.raw, math.NaN())
			}
		} else {
			c.codes.appendNulls(n)
		}
	case kindTime:
		for range n {
			c.ms = append(c.ms, nullTime)
		}
		if c.idx != nil {
			for r := len(c.ms) - n; r < len(c.ms); r++ {
				c.idx.added(uint32(r))
			}
		}
	}
}

// set stores v (already of the column's type, or null) in row.
func (c *column) set(row uint32, v ticket.Value) {
	switch c.kind {
	case kindString:
		code := uint32(0)
		if v.Kind == ticket.Str {
			if c.lastCode != 0 && v.S == c.lastS {
				code = c.lastCode
			} else {
				code, _ = c.dict.intern(v.S)
				c.lastS, c.lastCode = c.dict.get(code), code
			}
		}
		c.codes.set(row, code)
	case kindBool:
		code := uint32(0)
		if v.Kind == ticket.Bool {
			code = boolFalse
			if v.I != 0 {
				code = boolTrue
			}
		}
		c.codes.set(row, code)
	case kindNumber:
		f := math.NaN()
		if v.Kind == ticket.Num {
			f = v.F
		}
		c.setNumber(row, f)
	case kindTime:
		ms := int64(nullTime)
		if v.Kind == ticket.Time {
			ms = v.I
		}
		if c.ms[row] != ms {
			c.ms[row] = ms
			if c.idx != nil {
				c.idx.moved(row)
			}
		}
	}
}

func (c *column) setNumber(row uint32, f float64) {
	if c.raw != nil {
		c.raw[row] = f
		return
	}
	code := uint32(0)
	if !math.IsNaN(f) {
		if f == 0 {
			f = 0 // -0 and 0 are one value
		}
		var ok bool
		if code, ok = c.numCode[f]; !ok {
			if len(c.nums) >= c.numberCodes {
				c.goRaw()
				c.raw[row] = f
				return
			}
			code = uint32(len(c.nums))
			c.nums = append(c.nums, f)
			c.numCode[f] = code
		}
	}
	c.codes.set(row, code)
}

// goRaw turns a coded number column into plain floats for good.
func (c *column) goRaw() {
	n := c.codes.len()
	raw := make([]float64, n, max(n, c.codes.capacity()))
	for r := range n {
		raw[r] = c.nums[c.codes.get(uint32(r))]
	}
	c.raw = raw
	c.codes = codeVec{}
	c.nums, c.numCode = nil, nil
}

func (v *codeVec) capacity() int {
	return max(cap(v.b1), cap(v.b2), cap(v.b4))
}

// number returns the value of a number column at row, NaN for null.
func (c *column) number(row uint32) float64 {
	if c.raw != nil {
		return c.raw[row]
	}
	return c.nums[c.codes.get(row)]
}

func (c *column) bytes() int {
	n := c.codes.bytes() + 8*cap(c.ms) + 8*cap(c.raw) + 8*cap(c.nums) + 24*len(c.numCode)
	if c.dict != nil {
		n += c.dict.bytes()
	}
	if c.idx != nil {
		n += c.idx.bytes()
	}
	return n
}

// coerce converts a stored value into the column's type. Records written under an older
// schema may hold a column with another type; a value that cannot be read as the new
// type becomes null rather than a wrong value.
func coerce(v ticket.Value, t schema.Type) ticket.Value {
	switch t {
	case schema.String, schema.Text:
		switch v.Kind {
		case ticket.Str, ticket.Null:
			return v
		case ticket.Num:
			return ticket.String(strconv.FormatFloat(v.F, 'g', -1, 64))
		case ticket.Time:
			return ticket.String(v.Time().Format(time.RFC3339Nano))
		case ticket.Bool:
			return ticket.String(strconv.FormatBool(v.Bool()))
		}
	case schema.Number:
		switch v.Kind {
		case ticket.Num, ticket.Null:
			return v
		case ticket.Str:
			if f, err := strconv.ParseFloat(strings.TrimSpace(v.S), 64); err == nil {
				return ticket.Number(f)
			}
		case ticket.Time:
			return ticket.Number(float64(v.I))
		case ticket.Bool:
			return ticket.Number(float64(v.I))
		}
	case schema.Time:
		switch v.Kind {
		case ticket.Time, ticket.Null:
			return v
		case ticket.Num:
			if !math.IsNaN(v.F) && math.Abs(v.F) < 1<<62 {
				return ticket.TimeMS(int64(v.F))
			}
		case ticket.Str:
			if tm, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v.S)); err == nil {
				return ticket.TimeOf(tm)
			}
		}
	case schema.Bool:
		switch v.Kind {
		case ticket.Bool, ticket.Null:
			return v
		case ticket.Str:
			if b, err := strconv.ParseBool(strings.TrimSpace(v.S)); err == nil {
				return ticket.BoolOf(b)
			}
		case ticket.Num:
			return ticket.BoolOf(v.F != 0)
		}
	}
	return ticket.Value{}
}

// wantKind is the value kind a column of type t holds.
func wantKind(t schema.Type) ticket.Kind {
	switch t {
	case schema.String, schema.Text:
		return ticket.Str
	case schema.Number:
		return ticket.Num
	case schema.Time:
		return ticket.Time
	case schema.Bool:
		return ticket.Bool
	}
	return ticket.Null
}
