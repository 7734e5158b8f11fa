package engine

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
)

// A filter is compiled into a plan of leaves combined by and/or. "not" is pushed down to
// the leaves (De Morgan), where it is a flag: every leaf can give its exact complement,
// because a negative test is the complement of its positive one, nulls included.
//
// Null semantics: a positive test (=, <, <=, >, >=, =~, contains, in) is false on a null;
// its negation (!=, !~, not contains, not in, or "not" around it) is therefore true on a
// null. "is null" is true only on nulls.
//
// A plan filters a selection vector: a list of row ids in time order. Each leaf keeps the
// rows that pass, in order; "and" applies its terms one after the other to the shrinking
// list; "or" applies each term to the rows no earlier term took and keeps the rows that
// some term took. Tests on dictionary-coded columns are answered once per code (lazily
// for big dictionaries, so a regular expression runs once per distinct value the range
// touches) and then read per row from a table.

type planNode interface {
	// filter returns the rows of in that pass, in order. When own is set, filter may
	// reuse in's array; otherwise it must leave in unchanged. It reports whether the
	// result is a fresh array the caller owns (it may also return in itself).
	filter(in []uint32, own bool) ([]uint32, bool)
	cost() int
}

type andPlan struct{ terms []planNode }
type orPlan struct{ terms []planNode }

func (p *andPlan) cost() int {
	c := 0
	for _, t := range p.terms {
		c += t.cost()
	}
	return c
}

func (p *orPlan) cost() int { return (&andPlan{p.terms}).cost() }

func (p *andPlan) filter(in []uint32, own bool) ([]uint32, bool) {
	for _, t := range p.terms {
		if len(in) == 0 {
			break
		}
		in, own = t.filter(in, own)
	}
	return in, own
}

func (p *orPlan) filter(in []uint32, own bool) ([]uint32, bool) {
	rest, restOwn := in, false
	for _, t := range p.terms {
		if len(rest) == 0 {
			break
		}
		took, _ := t.filter(rest, false)
		if len(took) == 0 {
			continue
		}
		rest, restOwn = subtract(rest, took, restOwn)
	}
	if len(rest) == 0 {
		return in, own
	}
	return subtract(in, rest, own)
}

// publishMemos adds the answers a plan found to the engine's shared memos.
func publishMemos(p planNode) {
	switch n := p.(type) {
	case *andPlan:
		for _, t := range n.terms {
			publishMemos(t)
		}
	case *orPlan:
		for _, t := range n.terms {
			publishMemos(t)
		}
	case *codePlan:
		n.memo.publish()
	}
}

// leaves is the number of tests in a plan: a row may meet every one of them, so it sizes
// the slices a plan filters at a time.
func leaves(p planNode) int {
	var terms []planNode
	switch n := p.(type) {
	case *andPlan:
		terms = n.terms
	case *orPlan:
		terms = n.terms
	default:
		return 1
	}
	total := 0
	for _, t := range terms {
		total += leaves(t)
	}
	return total
}

// subtract returns the rows of a that are not in sub, a subsequence of a.
func subtract(a, sub []uint32, own bool) ([]uint32, bool) {
	var out []uint32
	if own {
		out = a[:0]
	} else {
		out = make([]uint32, 0, len(a)-len(sub))
	}
	j := 0
	for _, r := range a {
		if j < len(sub) && sub[j] == r {
			j++
			continue
		}
		out = append(out, r)
	}
	return out, true
}

func outSlice(in []uint32, own bool) []uint32 {
	if own {
		return in[:0]
	}
	return make([]uint32, 0, len(in))
}

// constPlan passes every row or none.
type constPlan struct{ pass bool }

func (p constPlan) cost() int { return 0 }
func (p constPlan) filter(in []uint32, own bool) ([]uint32, bool) {
	if p.pass {
		return in, own
	}
	return in[:0], own
}

// codePlan tests a dictionary-coded column. Codes are tested on first sight by test,
// the positive test (neg applies after it), and the answer is remembered in memo.
type codePlan struct {
	codes *codeVec
	memo  codeMemo
	test  func(code uint32) bool
	// one is set when exactly one code passes (an equality): a compare beats a table.
	one     bool
	oneCode uint32
	neg     bool
	weight  int
	// tests counts the calls of test.
	tests *int
}

func (p *codePlan) cost() int { return p.weight }

func (p *codePlan) filter(in []uint32, own bool) ([]uint32, bool) {
	out := outSlice(in, own)
	switch p.codes.width {
	case 1:
		out = runCodes(p, p.codes.b1, in, out)
	case 2:
		out = runCodes(p, p.codes.b2, in, out)
	default:
		out = runCodes(p, p.codes.b4, in, out)
	}
	return out, true
}

// runCodes appends the rows that pass to out, which has room for all of in (and may be
// in itself: a row is written at or before the place it was read from). The loops are
// branch-free: a selection near half the rows would otherwise mispredict every other row.
func runCodes[T uint8 | uint16 | uint32](p *codePlan, codes []T, in, out []uint32) []uint32 {
	out = out[:len(in)]
	n := 0
	if p.one {
		want := T(p.oneCode)
		if p.neg {
			for _, r := range in {
				out[n] = r
				n += b2i(codes[r] != want)
			}
		} else {
			for _, r := range in {
				out[n] = r
				n += b2i(codes[r] == want)
			}
		}
		return out[:n]
	}
	// The memo holds the test's own answer (1 fails, 2 passes); a negation swaps them.
	flip := uint8(0)
	if p.neg {
		flip = 3
	}
	var cur []uint8 // the page of the code seen last: runs of one page are common
	curPage := ^uint32(0)
	for _, r := range in {
		c := uint32(codes[r])
		if c>>memoShift != curPage {
			curPage = c >> memoShift
			cur = p.memo.page(c)
		}
		var k uint8
		if cur == nil {
			k = 1 + b2u8(p.test(c))
			*p.tests++
		} else if k = cur[c&(memoPage-1)]; k == 0 {
			k = 1 + b2u8(p.test(c))
			*p.tests++
			cur[c&(memoPage-1)] = k
			p.memo.filled(c)
		}
		out[n] = r
		n += int((k ^ flip) >> 1)
	}
	return out[:n]
}

func b2u8(b bool) uint8 {
	var i uint8
	if b {
		i = 1
	}
	return i
}

// b2i is 1 for true; the compiler turns it into a flag move, not a branch.
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}

// rowPlan tests each row with a function: for keys, plain-float numbers and the rare
// cases without a faster form.
type rowPlan struct {
	test   func(row uint32) bool
	weight int
}

func (p *rowPlan) cost() int { return p.weight }

func (p *rowPlan) filter(in []uint32, own bool) ([]uint32, bool) {
	out := outSlice(in, own)
	for _, r := range in {
		if p.test(r) {
			out = append(out, r)
		}
	}
	return out, true
}

// timePlan keeps rows whose time lies in [lo, hi] (inclusive), or in set, or is null.
type timePlan struct {
	ms     []int64
	lo, hi int64
	set    map[int64]bool
	isNull bool
	neg    bool
}

func (p *timePlan) cost() int { return 2 }

func (p *timePlan) filter(in []uint32, own bool) ([]uint32, bool) {
	out := outSlice(in, own)
	ms := p.ms
	switch {
	case p.set != nil:
		for _, r := range in {
			if p.set[ms[r]] != p.neg {
				out = append(out, r)
			}
		}
	case p.isNull:
		for _, r := range in {
			if (ms[r] == nullTime) != p.neg {
				out = append(out, r)
			}
		}
	default:
		lo, hi := p.lo, p.hi
		for _, r := range in {
			t := ms[r]
			if (t >= lo && t <= hi) != p.neg {
				out = append(out, r)
			}
		}
	}
	return out, true
}

// compiler turns a checked filter into a plan over the engine's columns. It runs under
// the read lock: dictionaries do not grow while the plan lives.
type compiler struct {
	e      *Engine
	budget *memBudget
	// tests counts the values the plan's string tests have tested, for the query's work.
	tests *int
}

func newCompiler(e *Engine) compiler {
	return compiler{e: e, budget: &memBudget{left: maxFilterMemory}, tests: new(int)}
}

func (c compiler) compile(x filter.Expr, neg bool) (planNode, error) {
	switch n := x.(type) {
	case nil:
		return constPlan{pass: !neg}, nil
	case *filter.And:
		return c.combine(n.Terms, neg, !neg)
	case *filter.Or:
		return c.combine(n.Terms, neg, neg)
	case *filter.Not:
		if n == nil {
			return nil, badRequest("the filter has an empty \"not\"")
		}
		return c.compile(n.X, !neg)
	case *filter.Compare:
		if n == nil {
			return nil, badRequest("the filter has an empty comparison")
		}
		return c.compare(n, neg)
	case *filter.In:
		if n == nil {
			return nil, badRequest("the filter has an empty \"in\"")
		}
		return c.in(n, neg != n.Negate)
	case *filter.IsNull:
		if n == nil {
			return nil, badRequest("the filter has an empty null test")
		}
		return c.isNull(n, neg != n.Negate)
	}
	return nil, badRequest("unsupported filter node %T", x)
}

// combine builds an "and" (conj) or an "or" of the terms, each negated when neg is set.
// Terms run cheapest first: their order does not change the result.
func (c compiler) combine(terms []filter.Expr, neg, conj bool) (planNode, error) {
	if terms == nil {
		return nil, badRequest("the filter has an empty \"and\" or \"or\"")
	}
	nodes := make([]planNode, 0, len(terms))
	for _, t := range terms {
		p, err := c.compile(t, neg)
		if err != nil {
			return nil, err
		}
		if cp, ok := p.(constPlan); ok {
			if cp.pass != conj {
				return cp, nil // false in an "and", true in an "or", decides it
			}
			continue
		}
		nodes = append(nodes, p)
	}
	switch len(nodes) {
	case 0:
		return constPlan{pass: conj}, nil
	case 1:
		return nodes[0], nil
	}
	slices.SortStableFunc(nodes, func(a, b planNode) int { return a.cost() - b.cost() })
	if conj {
		return &andPlan{nodes}, nil
	}
	return &orPlan{nodes}, nil
}

func (c compiler) column(field string) (*column, error) {
	col, ok := c.e.byName[field]
	if !ok {
		return nil, badRequest("filter: %s", c.e.schema.UnknownField(field))
	}
	if col.kind == kindDetail {
		return nil, badRequest("filter: %s is a detail column, kept only in the store, and cannot be filtered on", field)
	}
	return col, nil
}

func (c compiler) isNull(n *filter.IsNull, neg bool) (planNode, error) {
	col, err := c.column(n.Field)
	if err != nil {
		return nil, err
	}
	switch {
	case col.kind == kindKey:
		return constPlan{pass: neg}, nil
	case col.kind == kindTime:
		return &timePlan{ms: col.ms, isNull: true, neg: neg}, nil
	case col.coded():
		return &codePlan{codes: &col.codes, one: true, oneCode: 0, neg: neg, weight: 1}, nil
	}
	raw := col.raw
	return &rowPlan{test: func(r uint32) bool { return math.IsNaN(raw[r]) != neg }, weight: 2}, nil
}

// positive maps each negative operator to the positive one it negates.
var positive = map[filter.Op]filter.Op{
	filter.Ne:          filter.Eq,
	filter.NotMatch:    filter.Match,
	filter.NotContains: filter.Contains,
}

func (c compiler) compare(n *filter.Compare, neg bool) (planNode, error) {
	col, err := c.column(n.Field)
	if err != nil {
		return nil, err
	}
	op := n.Op
	if p, ok := positive[op]; ok {
		op, neg = p, !neg
	}
	switch op {
	case filter.Eq, filter.Lt, filter.Le, filter.Gt, filter.Ge, filter.Match, filter.Contains:
	default:
		return nil, badRequest("filter: unknown operator %q", n.Op)
	}
	if (op == filter.Match || op == filter.Contains) && col.typ != schema.String && col.typ != schema.Text {
		return nil, badRequest("filter: %s is a %s field; %q works only on string and text fields", col.name, col.typ, n.Op)
	}
	switch col.kind {
	case kindKey, kindString:
		test, err := stringTest(op, n)
		if err != nil {
			return nil, err
		}
		if col.kind == kindKey {
			if op == filter.Eq {
				return c.keyRows(n.Value.S, neg), nil
			}
			keys := c.e.keys
			return &rowPlan{test: func(r uint32) bool { return test(keys.get(r)) != neg }, weight: 5}, nil
		}
		if op == filter.Eq {
			code, ok, err := col.find(n.Value.S)
			if err != nil {
				return nil, badRequest("%s: %v", col.name, err)
			}
			if !ok {
				// No ticket has the value: only nulls and others pass the negation.
				return constPlan{pass: neg}, nil
			}
			return &codePlan{codes: &col.codes, one: true, oneCode: code, neg: neg, weight: 1}, nil
		}
		d := col.dict
		weight := 3
		if op == filter.Match {
			weight = 4
		}
		pos := *n
		pos.Op = op
		return c.codeTest(col, func(code uint32) bool {
			return code != 0 && test(d.get(code))
		}, neg, weight, pos.String()), nil
	case kindNumber:
		if n.Value.Kind != filter.LitNumber {
			return nil, badRequest("filter: %s is a number field; %s is not a number (the filter was not checked)", col.name, n.Value.String())
		}
		test := numberTest(op, n.Value.N)
		return c.numberPlan(col, test, neg), nil
	case kindTime:
		if n.Value.Kind != filter.LitTime {
			return nil, badRequest("filter: %s is a time field; %s is not a time (the filter was not checked)", col.name, n.Value.String())
		}
		return timeCompare(col.ms, op, n.Value, neg), nil
	case kindBool:
		if n.Value.Kind != filter.LitBool {
			return nil, badRequest("filter: %s is a bool field; %s is not true or false (the filter was not checked)", col.name, n.Value.String())
		}
		if op != filter.Eq {
			return nil, badRequest("filter: %s is a bool field; %q does not apply to it", col.name, n.Op)
		}
		code := uint32(boolFalse)
		if n.Value.B {
			code = boolTrue
		}
		return &codePlan{codes: &col.codes, one: true, oneCode: code, neg: neg, weight: 1}, nil
	}
	return nil, badRequest("filter: cannot compare %s", col.name)
}

// codeTest tests a coded column with test, the positive test of each code (false for
// the null code 0), negated when neg is set. A test on a big dictionary named by share
// keeps its answers in the engine's memo cache across queries: the answer for a value
// never changes, so the next query (after a write, say) tests only new values.
func (c compiler) codeTest(col *column, test func(uint32) bool, neg bool, weight int, share string) planNode {
	p := &codePlan{codes: &col.codes, memo: codeMemo{budget: c.budget}, test: test, neg: neg, weight: weight, tests: c.tests}
	if share != "" && col.codeCount() > memoPage {
		p.memo.shared = c.e.memos.get(col.name + "\x00" + share)
	}
	return p
}

func (c compiler) numberPlan(col *column, test func(float64) bool, neg bool) planNode {
	if col.coded() {
		// col.nums is read at each test: it grows between two slices of a query.
		return c.codeTest(col, func(code uint32) bool {
			return code != 0 && test(col.nums[code])
		}, neg, 1, "")
	}
	raw := col.raw
	return &rowPlan{test: func(r uint32) bool {
		f := raw[r]
		if math.IsNaN(f) {
			return neg
		}
		return test(f) != neg
	}, weight: 2}
}

// keyRows passes the rows whose key is in keys (or the others, when neg is set).
func (c compiler) keyRows(key string, neg bool) planNode {
	row, ok := c.e.keys.find(key)
	if !ok {
		return constPlan{pass: neg}
	}
	return &rowPlan{test: func(r uint32) bool { return (r == row) != neg }, weight: 1}
}

func stringTest(op filter.Op, n *filter.Compare) (func(string) bool, error) {
	if n.Value.Kind != filter.LitString {
		return nil, badRequest("filter: %s is a string field; %s is not a string (the filter was not checked)", n.Field, n.Value.String())
	}
	lit := n.Value.S
	switch op {
	case filter.Eq:
		return func(s string) bool { return s == lit }, nil
	case filter.Lt:
		return func(s string) bool { return s < lit }, nil
	case filter.Le:
		return func(s string) bool { return s <= lit }, nil
	case filter.Gt:
		return func(s string) bool { return s > lit }, nil
	case filter.Ge:
		return func(s string) bool { return s >= lit }, nil
	case filter.Match:
		re := n.Re
		if re == nil {
			var err error
			if re, err = regexp.Compile(lit); err != nil {
				return nil, badRequest("filter: invalid regular expression %q: %v", lit, err)
			}
		}
		if m := literalMatch(re); m != nil {
			return m, nil
		}
		return re.MatchString, nil
	case filter.Contains:
		sub := strings.ToLower(lit)
		return func(s string) bool { return containsFold(s, sub) }, nil
	}
	return nil, fmt.Errorf("engine: no string test for %q", op)
}

func numberTest(op filter.Op, lit float64) func(float64) bool {
	switch op {
	case filter.Lt:
		return func(f float64) bool { return f < lit }
	case filter.Le:
		return func(f float64) bool { return f <= lit }
	case filter.Gt:
		return func(f float64) bool { return f > lit }
	case filter.Ge:
		return func(f float64) bool { return f >= lit }
	}
	return func(f float64) bool { return f == lit }
}

// timeCompare turns a comparison with a time into a range of milliseconds. The literal
// may have a sub-millisecond part, which the comparison respects.
func timeCompare(ms []int64, op filter.Op, lit filter.Literal, neg bool) planNode {
	floor := lit.T.UnixMilli()
	frac := lit.T.Sub(timeOfMS(floor)) > 0
	ceil := floor
	if frac {
		ceil++
	}
	const lowest, highest = math.MinInt64 + 1, math.MaxInt64
	p := &timePlan{ms: ms, neg: neg}
	switch op {
	case filter.Eq:
		p.lo, p.hi = floor, floor
		if frac {
			p.lo, p.hi = 1, 0 // empty
		}
	case filter.Lt:
		p.lo, p.hi = lowest, ceil-1
	case filter.Le:
		p.lo, p.hi = lowest, floor
	case filter.Gt:
		p.lo, p.hi = floor+1, highest
	case filter.Ge:
		p.lo, p.hi = ceil, highest
	}
	return p
}

func (c compiler) in(n *filter.In, neg bool) (planNode, error) {
	col, err := c.column(n.Field)
	if err != nil {
		return nil, err
	}
	if len(n.Values) == 0 {
		return nil, badRequest("filter: the list of %s is empty", n.Field)
	}
	for _, v := range n.Values {
		if want := litKindFor(col); v.Kind != want {
			return nil, badRequest("filter: %s is a %s field; %s does not fit it (the filter was not checked)", col.name, col.typ, v.String())
		}
	}
	switch col.kind {
	case kindKey:
		rows := map[uint32]bool{}
		for _, v := range n.Values {
			if r, ok := c.e.keys.find(v.S); ok {
				rows[r] = true
			}
		}
		if len(rows) == 0 {
			return constPlan{pass: neg}, nil
		}
		return &rowPlan{test: func(r uint32) bool { return rows[r] != neg }, weight: 2}, nil
	case kindString, kindBool:
		codes := map[uint32]bool{}
		for _, v := range n.Values {
			if col.kind == kindBool {
				code := uint32(boolFalse)
				if v.B {
					code = boolTrue
				}
				codes[code] = true
			} else {
				code, ok, err := col.find(v.S)
				if err != nil {
					return nil, badRequest("%s: %v", col.name, err)
				}
				if ok {
					codes[code] = true
				}
			}
		}
		if len(codes) == 0 {
			return constPlan{pass: neg}, nil
		}
		if len(codes) == 1 {
			for code := range codes {
				return &codePlan{codes: &col.codes, one: true, oneCode: code, neg: neg, weight: 1}, nil
			}
		}
		return c.codeTest(col, func(code uint32) bool { return codes[code] }, neg, 1, ""), nil
	case kindNumber:
		set := map[float64]bool{}
		for _, v := range n.Values {
			set[v.N] = true
		}
		return c.numberPlan(col, func(f float64) bool { return set[f] }, neg), nil
	case kindTime:
		set := map[int64]bool{}
		for _, v := range n.Values {
			floor := v.T.UnixMilli()
			if v.T.Equal(timeOfMS(floor)) {
				set[floor] = true
			}
		}
		return &timePlan{ms: col.ms, set: set, neg: neg}, nil
	}
	return nil, badRequest("filter: cannot test %s", col.name)
}

func litKindFor(col *column) filter.LitKind {
	switch col.kind {
	case kindNumber:
		return filter.LitNumber
	case kindTime:
		return filter.LitTime
	case kindBool:
		return filter.LitBool
	}
	return filter.LitString
}

// literalMatch answers a regular expression that is only a word or a choice of words,
// such as "(?i)disk|memory" (what a search box or an ad hoc "=~" filter usually holds),
// by looking for the words in the text, which is many times faster than running the
// expression's machine on every distinct title. It returns nil for any other expression.
// With (?i), it answers ASCII text only and leaves other text to the expression, whose
// case folding (Unicode's simple folding) a lower-cased search does not match exactly.
func literalMatch(re *regexp.Regexp) func(string) bool {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	tree = tree.Simplify()
	var words []*syntax.Regexp
	switch tree.Op {
	case syntax.OpLiteral:
		words = []*syntax.Regexp{tree}
	case syntax.OpAlternate:
		words = tree.Sub
	default:
		return nil
	}
	fold := words[0].Flags&syntax.FoldCase != 0
	lits := make([]string, len(words))
	for i, w := range words {
		if w.Op != syntax.OpLiteral || (w.Flags&syntax.FoldCase != 0) != fold {
			return nil
		}
		lits[i] = string(w.Rune)
		if fold {
			if !isASCII(lits[i]) {
				return nil
			}
			lits[i] = strings.ToLower(lits[i])
		}
	}
	if !fold {
		return func(s string) bool {
			for _, l := range lits {
				if strings.Contains(s, l) {
					return true
				}
			}
			return false
		}
	}
	return func(s string) bool {
		if !isASCII(s) {
			return re.MatchString(s)
		}
		for _, l := range lits {
			if containsFold(s, l) {
				return true
			}
		}
		return false
	}
}

// containsFold reports whether s contains sub, ignoring case; sub is already lower case.
// ASCII text, the common case, is searched without allocating.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	if !isASCII(s) || !isASCII(sub) {
		return strings.Contains(strings.ToLower(s), sub)
	}
	first := sub[0]
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < len(sub) && lowerASCII(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
