package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spacetime/tickets/pkg/schema"
)

type tokenKind uint8

const (
	tEOF    tokenKind = iota + 1
	tIdent            // a bare word: a field name or a keyword
	tQuoted           // a backquoted field name
	tString           // a double- or single-quoted string
	tNumber
	tOp // = != < <= > >= =~ !~
	tLParen
	tRParen
	tComma
)

// token is one lexeme. For strings and backquoted names, val is the decoded text and raw
// the text as written; for everything else val equals raw.
type token struct {
	kind tokenKind
	raw  string
	val  string
	num  float64
	pos  int
}

// is reports whether t is the keyword kw (keywords are case-insensitive bare words).
func (t token) is(kw string) bool { return t.kind == tIdent && strings.EqualFold(t.raw, kw) }

// keyword reports whether t is any keyword of the language.
func (t token) keyword() bool { return t.kind == tIdent && isKeyword(t.raw) }

// describe names the token for "found ..." in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		return "the string " + clip(t.raw)
	case tNumber:
		return "the number " + clip(t.raw)
	case tQuoted:
		return "the field " + clip(t.raw)
	}
	return strconv.Quote(clip(t.raw))
}

// clip shortens long token text so one bad token does not flood a message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// keywords are the reserved words. The schema owns the list, since it must refuse them as
// column names, so the two can never disagree.
var keywords = schema.Keywords()

func isKeyword(word string) bool {
	for _, k := range keywords {
		if strings.EqualFold(word, k) {
			return true
		}
	}
	return false
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '.' || c == '-'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isPlainIdent reports whether name lexes as one bare field name.
func isPlainIdent(name string) bool {
	if name == "" || !isIdentStart(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !isIdentPart(name[i]) {
			return false
		}
	}
	return !isKeyword(name)
}

// lexer turns filter text into tokens on demand, so the first problem in reading order is
// the one reported, whether the lexer or the parser finds it.
type lexer struct {
	src string
	off int
}

func (l *lexer) errorf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) next() (token, error) {
	for l.off < len(l.src) {
		switch l.src[l.off] {
		case ' ', '\t', '\n', '\r':
			l.off++
			continue
		}
		break
	}
	start := l.off
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[start]
	peek := byte(0)
	if start+1 < len(l.src) {
		peek = l.src[start+1]
	}
	punct := func(kind tokenKind, n int) (token, error) {
		l.off += n
		raw := l.src[start:l.off]
		return token{kind: kind, raw: raw, val: raw, pos: start}, nil
	}
	switch {
	case isIdentStart(c):
		end := start + 1
		for end < len(l.src) && isIdentPart(l.src[end]) {
			end++
		}
		l.off = end
		raw := l.src[start:end]
		return token{kind: tIdent, raw: raw, val: raw, pos: start}, nil
	case isDigit(c) || (c == '-' && isDigit(peek)):
		return l.number()
	case c == '"' || c == '\'':
		return l.quoted(tString, c)
	case c == '`':
		return l.quoted(tQuoted, c)
	case c == '(':
		return punct(tLParen, 1)
	case c == ')':
		return punct(tRParen, 1)
	case c == ',':
		return punct(tComma, 1)
	case c == '=':
		switch peek {
		case '~':
			return punct(tOp, 2)
		case '=':
			return token{}, l.errorf(start, `"==" is not an operator; write "="`)
		case '>':
			return token{}, l.errorf(start, `"=>" is not an operator; write ">="`)
		case '<':
			return token{}, l.errorf(start, `"=<" is not an operator; write "<="`)
		}
		return punct(tOp, 1)
	case c == '!':
		if peek == '=' || peek == '~' {
			return punct(tOp, 2)
		}
		return token{}, l.errorf(start, `unexpected "!"; write "not" to negate, or "!=" or "!~" to compare`)
	case c == '<':
		switch peek {
		case '=':
			return punct(tOp, 2)
		case '>':
			return token{}, l.errorf(start, `"<>" is not an operator; write "!="`)
		}
		return punct(tOp, 1)
	case c == '>':
		if peek == '=' {
			return punct(tOp, 2)
		}
		return punct(tOp, 1)
	case c == '&':
		return token{}, l.errorf(start, `unexpected "&"; write "and"`)
	case c == '|':
		return token{}, l.errorf(start, `unexpected "|"; write "or"`)
	}
	r, size := utf8.DecodeRuneInString(l.src[start:])
	if r == utf8.RuneError && size <= 1 {
		return token{}, l.errorf(start, "unexpected byte 0x%02x (the text is not valid UTF-8)", c)
	}
	return token{}, l.errorf(start, "unexpected character %s", strconv.Quote(string(r)))
}

// number reads -?digits(.digits)?([eE][+-]?digits)?. Letters, digits, '_' or '.' right
// after it make the whole run an invalid number rather than two tokens, so "1.2.3" or
// "10abc" are reported as written.
func (l *lexer) number() (token, error) {
	start := l.off
	end := scanNumber(l.src, start)
	bad := end
	for bad < len(l.src) && (isIdentStart(l.src[bad]) || isDigit(l.src[bad]) || l.src[bad] == '.') {
		bad++
	}
	if bad > end {
		return token{}, l.errorf(start, "invalid number %q", clip(l.src[start:bad]))
	}
	l.off = end
	raw := l.src[start:end]
	n, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return token{}, l.errorf(start, "the number %s is out of range", clip(raw))
	}
	return token{kind: tNumber, raw: raw, val: raw, num: n, pos: start}, nil
}

// scanNumber returns the end of the number that starts at s[i], or i if none does.
func scanNumber(s string, i int) int {
	start := i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i > j
	}
	if !digits() {
		return start
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i++
		digits()
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		save := i
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			i = save
		}
	}
	return i
}

// isNumberText reports whether s is exactly one number token.
func isNumberText(s string) bool { return s != "" && scanNumber(s, 0) == len(s) }

// quoted reads a string or backquoted name closed by quote, decoding escapes. Any byte
// other than the quote and a backslash stands for itself, raw newlines included.
func (l *lexer) quoted(kind tokenKind, quote byte) (token, error) {
	start := l.off
	var b strings.Builder
	i := start + 1
	for {
		if i >= len(l.src) {
			what := "string"
			if kind == tQuoted {
				what = "field name"
			}
			return token{}, l.errorf(len(l.src), "unterminated %s starting at position %d: add the closing %c", what, start+1, quote)
		}
		c := l.src[i]
		if c == quote {
			i++
			break
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		n, err := l.escape(&b, i)
		if err != nil {
			return token{}, err
		}
		i += n
	}
	l.off = i
	tok := token{kind: kind, raw: l.src[start:i], val: b.String(), pos: start}
	if kind == tQuoted && tok.val == "" {
		return token{}, l.errorf(start, "empty field name ``")
	}
	return tok, nil
}

// escape decodes the escape sequence at s[i] (a backslash) into b and returns its length.
func (l *lexer) escape(b *strings.Builder, i int) (int, error) {
	if i+1 >= len(l.src) {
		return 0, l.errorf(i, "a backslash at the end of the input escapes nothing")
	}
	switch c := l.src[i+1]; c {
	case '"', '\'', '`', '\\':
		b.WriteByte(c)
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 'u':
		r, err := l.hex4(i)
		if err != nil {
			return 0, err
		}
		if !utf16IsHigh(r) {
			if utf16IsLow(r) {
				return 0, l.errorf(i, `\u%04X is the second half of a surrogate pair without the first`, r)
			}
			b.WriteRune(r)
			return 6, nil
		}
		if i+7 >= len(l.src) || l.src[i+6] != '\\' || l.src[i+7] != 'u' {
			return 0, l.errorf(i, `\u%04X is the first half of a surrogate pair; the second (\uDC00 to \uDFFF) must follow`, r)
		}
		low, err := l.hex4(i + 6)
		if err != nil {
			return 0, err
		}
		if !utf16IsLow(low) {
			return 0, l.errorf(i+6, `\u%04X must be the second half of a surrogate pair (\uDC00 to \uDFFF)`, low)
		}
		b.WriteRune(0x10000 + (r-0xD800)<<10 + (low - 0xDC00))
		return 12, nil
	default:
		r, _ := utf8.DecodeRuneInString(l.src[i+1:])
		return 0, l.errorf(i, `unknown escape "\%c"; the escapes are \" \' \\ \n \t \r and \uXXXX (a backslash itself is written \\)`, r)
	}
	return 2, nil
}

// hex4 reads the four hex digits of the \u escape at s[i].
func (l *lexer) hex4(i int) (rune, error) {
	if i+6 > len(l.src) {
		return 0, l.errorf(i, `expected 4 hex digits after \u`)
	}
	v, err := strconv.ParseUint(l.src[i+2:i+6], 16, 32)
	if err != nil {
		return 0, l.errorf(i, `expected 4 hex digits after \u, found %q`, l.src[i+2:i+6])
	}
	return rune(v), nil
}

func utf16IsHigh(r rune) bool { return 0xD800 <= r && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return 0xDC00 <= r && r < 0xE000 }
