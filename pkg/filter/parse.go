package filter

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
)

// maxDepth bounds the nesting of parentheses and "not", so hostile input cannot exhaust
// the stack; real filters nest a handful of levels.
const maxDepth = 100

// Parse reads a filter expression. Empty or blank text is no filter: (nil, nil). Any
// problem is an *Error with the byte offset of the offending token.
func Parse(text string) (Expr, error) {
	if len(text) > MaxLength {
		return nil, &Error{Pos: MaxLength, Msg: fmt.Sprintf("the filter is %d bytes long; a filter may be at most %d bytes (64 KiB)", len(text), MaxLength)}
	}
	p := &parser{lex: lexer{src: text}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, nil
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		if p.tok.kind == tRParen {
			return nil, p.errorf(`unexpected ")" without a matching "("`)
		}
		return nil, p.errorf(`expected "and", "or" or the end of the filter, found %s`, p.tok.describe())
	}
	return e, nil
}

// parser is a recursive-descent parser with one token of lookahead (tok).
type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// errorf reports a problem at the current token.
func (p *parser) errorf(format string, args ...any) *Error {
	return &Error{Pos: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

// or = and { "or" and }
func (p *parser) or() (Expr, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	if !p.tok.is("or") {
		return first, nil
	}
	terms := flattenInto(nil, first, isOr)
	for p.tok.is("or") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.expectOperand(`"or"`); err != nil {
			return nil, err
		}
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = flattenInto(terms, e, isOr)
	}
	return &Or{Terms: terms, At: first.Pos()}, nil
}

// and = unary { "and" unary }
func (p *parser) and() (Expr, error) {
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	if !p.tok.is("and") {
		return first, nil
	}
	terms := flattenInto(nil, first, isAnd)
	for p.tok.is("and") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.expectOperand(`"and"`); err != nil {
			return nil, err
		}
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		terms = flattenInto(terms, e, isAnd)
	}
	return &And{Terms: terms, At: first.Pos()}, nil
}

// expectOperand gives a clear message when a connective is followed by nothing usable.
func (p *parser) expectOperand(after string) error {
	if p.tok.kind == tEOF || p.tok.kind == tRParen || p.tok.is("and") || p.tok.is("or") {
		return p.errorf("expected a filter after %s, found %s", after, p.tok.describe())
	}
	return nil
}

// unary = "not" unary | primary
func (p *parser) unary() (Expr, error) {
	if !p.tok.is("not") {
		return p.primary()
	}
	at := p.tok.pos
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expectOperand(`"not"`); err != nil {
		return nil, err
	}
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	return &Not{X: x, At: at}, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("the filter nests parentheses or \"not\" more than %d levels deep", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// primary = "(" or ")" | test
func (p *parser) primary() (Expr, error) {
	if p.tok.kind != tLParen {
		return p.test()
	}
	open := p.tok.pos
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expectOperand(`"("`); err != nil {
		return nil, err
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tRParen {
		return nil, p.errorf(`expected ")" to close "(" at position %d, found %s`, open+1, p.tok.describe())
	}
	return e, p.advance()
}

// test is a comparison of one field: field op value, field [not] contains value,
// field [not] in (values), field is [not] null, field = null, field != null.
func (p *parser) test() (Expr, error) {
	field, at, err := p.field()
	if err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	after := strconv.Quote(clip(field))
	switch {
	case p.tok.kind == tOp:
		return p.comparison(field, at)
	case p.tok.is("contains"):
		return p.contains(field, at, Contains)
	case p.tok.is("in"):
		return p.in(field, at, false)
	case p.tok.is("is"):
		return p.isNull(field, at)
	case p.tok.is("not"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch {
		case p.tok.is("in"):
			return p.in(field, at, true)
		case p.tok.is("contains"):
			return p.contains(field, at, NotContains)
		}
		return nil, p.errorf(`expected "in" or "contains" after "not", found %s`, p.tok.describe())
	}
	return nil, p.errorf(`expected an operator after %s (one of = != < <= > >= =~ !~ contains, not contains, in, not in, is null, is not null), found %s`, after, p.tok.describe())
}

// field reads a field name at the current token.
func (p *parser) field() (string, int, error) {
	switch {
	case p.tok.kind == tQuoted:
		return p.tok.val, p.tok.pos, nil
	case p.tok.kind == tIdent && !p.tok.keyword():
		return p.tok.raw, p.tok.pos, nil
	case p.tok.kind == tIdent:
		return "", 0, p.errorf("expected a field name, found the keyword %s (write `%s` for a field of that name)", p.tok.describe(), p.tok.raw)
	case p.tok.kind == tString:
		return "", 0, p.errorf("expected a field name, found %s (field names are bare words or `backquoted`; a quoted string is a value)", p.tok.describe())
	}
	return "", 0, p.errorf("expected a field name, found %s", p.tok.describe())
}

func (p *parser) comparison(field string, at int) (Expr, error) {
	op := Op(p.tok.raw)
	opDesc := strconv.Quote(p.tok.raw)
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.is("null") {
		switch op {
		case Eq, Ne:
			isNull := &IsNull{Field: field, Negate: op == Ne, At: at}
			return isNull, p.advance()
		}
		return nil, p.errorf(`null can only follow = or != (or write "%s is null"), not %s`, clip(field), opDesc)
	}
	if op == Match || op == NotMatch {
		if p.tok.kind != tString {
			return nil, p.errorf("expected a quoted regular expression after %s, found %s", opDesc, p.tok.describe())
		}
		lit := Literal{Kind: LitString, S: p.tok.val, At: p.tok.pos}
		re, err := compileRegexp(lit)
		if err != nil {
			return nil, err
		}
		return &Compare{Field: field, Op: op, Value: lit, Re: re, At: at}, p.advance()
	}
	lit, err := p.value("after " + opDesc)
	if err != nil {
		return nil, err
	}
	return &Compare{Field: field, Op: op, Value: lit, At: at}, nil
}

func (p *parser) contains(field string, at int, op Op) (Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	lit, err := p.value(`after "` + string(op) + `"`)
	if err != nil {
		return nil, err
	}
	return &Compare{Field: field, Op: op, Value: lit, At: at}, nil
}

func (p *parser) isNull(field string, at int) (Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	negate := false
	if p.tok.is("not") {
		negate = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if !p.tok.is("null") {
		if negate {
			return nil, p.errorf(`expected "null" after "is not", found %s`, p.tok.describe())
		}
		return nil, p.errorf(`expected "null" or "not null" after "is", found %s`, p.tok.describe())
	}
	return &IsNull{Field: field, Negate: negate, At: at}, p.advance()
}

func (p *parser) in(field string, at int, negate bool) (Expr, error) {
	kw := `"in"`
	if negate {
		kw = `"not in"`
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tLParen {
		return nil, p.errorf(`expected "(" after %s, found %s`, kw, p.tok.describe())
	}
	open := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tRParen {
		return nil, p.errorf(`expected a value in the list of %s, found ")" (the list cannot be empty)`, kw)
	}
	var values []Literal
	for {
		where := `after ","`
		if len(values) == 0 {
			where = `after "("`
		}
		if p.tok.is("null") {
			return nil, p.errorf(`null cannot be in a list; write "%s is null" and join it with "or"`, clip(field))
		}
		lit, err := p.value(where)
		if err != nil {
			return nil, err
		}
		values = append(values, lit)
		switch p.tok.kind {
		case tComma:
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		case tRParen:
			return &In{Field: field, Values: values, Negate: negate, At: at}, p.advance()
		}
		return nil, p.errorf(`expected "," or ")" to close the list opened at position %d, found %s`, open+1, p.tok.describe())
	}
}

// value reads a literal; where says what it follows, for the error message.
func (p *parser) value(where string) (Literal, error) {
	t := p.tok
	var lit Literal
	switch {
	case t.kind == tString:
		lit = Literal{Kind: LitString, S: t.val, At: t.pos}
	case t.kind == tNumber:
		lit = Literal{Kind: LitNumber, S: t.raw, N: t.num, At: t.pos}
	case t.is("true"), t.is("false"):
		lit = Literal{Kind: LitBool, S: t.raw, B: t.is("true"), At: t.pos}
	case t.kind == tIdent && !t.keyword(), t.kind == tQuoted:
		return Literal{}, p.errorf(`expected a value %s, found %s; text must be quoted: %s`, where, t.describe(), quoteString(t.val))
	default:
		return Literal{}, p.errorf("expected a value %s, found %s", where, t.describe())
	}
	return lit, p.advance()
}

// compileRegexp compiles the pattern of lit, reporting a bad pattern at the literal with
// regexp's own reason.
func compileRegexp(lit Literal) (*regexp.Regexp, error) {
	re, err := regexp.Compile(lit.S)
	if err == nil {
		return re, nil
	}
	reason := err.Error()
	var se *syntax.Error
	if errors.As(err, &se) {
		reason = string(se.Code)
		if se.Expr != "" && se.Expr != lit.S {
			reason += " in " + quoteString(clip(se.Expr))
		}
	}
	return nil, &Error{Pos: lit.At, Msg: "invalid regular expression " + quoteString(clip(lit.S)) + ": " + reason}
}

func isAnd(e Expr) bool { _, ok := e.(*And); return ok }
func isOr(e Expr) bool  { _, ok := e.(*Or); return ok }

// flattenInto appends e to terms, or e's own terms when e is of the same kind (as told by
// same), so "a and (b and c)" becomes one And of three terms.
func flattenInto(terms []Expr, e Expr, same func(Expr) bool) []Expr {
	if !same(e) {
		return append(terms, e)
	}
	switch n := e.(type) {
	case *And:
		for _, t := range n.Terms {
			terms = flattenInto(terms, t, same)
		}
	case *Or:
		for _, t := range n.Terms {
			terms = flattenInto(terms, t, same)
		}
	}
	return terms
}
