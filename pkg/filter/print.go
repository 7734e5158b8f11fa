package filter

import (
	"strconv"
	"strings"
	"time"
)

// The printer writes the canonical form of a filter: single spaces around operators and
// connectives, lower-case keywords, double-quoted strings, and parentheses only where
// precedence needs them. Parse(e.String()) gives a tree that prints the same, and the
// engine uses the string as a cache key.

func (e *And) String() string {
	var b strings.Builder
	writeJoined(&b, e.Terms, " and ", func(t Expr) bool { return isOr(t) })
	return b.String()
}

func (e *Or) String() string {
	var b strings.Builder
	// "and" binds tighter than "or", so no term of an Or needs parentheses.
	writeJoined(&b, e.Terms, " or ", func(Expr) bool { return false })
	return b.String()
}

func writeJoined(b *strings.Builder, terms []Expr, sep string, needParens func(Expr) bool) {
	for i, t := range terms {
		if i > 0 {
			b.WriteString(sep)
		}
		if needParens(t) {
			b.WriteString("(" + exprString(t) + ")")
		} else {
			b.WriteString(exprString(t))
		}
	}
}

func (e *Not) String() string {
	if isAnd(e.X) || isOr(e.X) {
		return "not (" + exprString(e.X) + ")"
	}
	return "not " + exprString(e.X)
}

func (e *Compare) String() string {
	return fieldString(e.Field) + " " + string(e.Op) + " " + e.Value.String()
}

func (e *In) String() string {
	var b strings.Builder
	b.WriteString(fieldString(e.Field))
	if e.Negate {
		b.WriteString(" not in (")
	} else {
		b.WriteString(" in (")
	}
	for i, v := range e.Values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	b.WriteString(")")
	return b.String()
}

func (e *IsNull) String() string {
	if e.Negate {
		return fieldString(e.Field) + " is not null"
	}
	return fieldString(e.Field) + " is null"
}

// String prints the literal as the filter language writes it. A number keeps the text it
// was written with (Check makes that text canonical for number fields, while a string field
// compared with 1.50 must still see "1.50"); a time prints in UTC RFC 3339.
func (l Literal) String() string {
	switch l.Kind {
	case LitNumber:
		if isNumberText(l.S) {
			return l.S
		}
		return formatNumber(l.N)
	case LitBool:
		if l.B {
			return "true"
		}
		return "false"
	case LitTime:
		if !l.T.IsZero() {
			return quoteString(formatTime(l.T))
		}
	}
	return quoteString(l.S)
}

func formatNumber(n float64) string { return strconv.FormatFloat(n, 'g', -1, 64) }

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// exprString prints e, tolerating a nil term in a hand-built tree.
func exprString(e Expr) string {
	if isNil(e) {
		return "<nil>"
	}
	return e.String()
}

// fieldString writes a field name bare when it lexes as one, and backquoted otherwise
// (keywords, spaces, leading digits...).
func fieldString(name string) string {
	if isPlainIdent(name) {
		return name
	}
	return quote(name, '`')
}

// quoteString writes s as a double-quoted string literal.
func quoteString(s string) string { return quote(s, '"') }

// quote escapes only what the lexer needs escaped (the quote, backslashes and control
// characters) and copies every other byte, so any string, even invalid UTF-8, reads back
// unchanged.
func quote(s string, q byte) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}
