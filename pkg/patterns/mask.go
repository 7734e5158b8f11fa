package patterns

// Masking decides which parts of a text are variable (a host, an id, a number) before the
// texts are compared: two titles that differ only there are the same pattern from the
// start, and the parse tree only has to generalize what masking could not recognise.
//
// The scanner is written by hand rather than as regular expressions: it runs on every
// ticket, and one pass over the bytes with a few tests per token is many times faster
// than a set of expressions each scanning the whole text.

// Wildcard is how a template shows a variable part.
const Wildcard = "<*>"

// token is one word of a text as the miner compares it. A wild token is variable as a
// whole; a partly variable word (key=value, "(12ms),") keeps w[:a] and w[b:] around a
// Wildcard; any other word is constant. The token refers to the text's bytes, so that
// masking allocates nothing: the masked form is built only when a template needs it.
type token struct {
	w    string
	a, b int32
	wild bool
	part bool
}

// String is the token as a template shows it.
func (t token) String() string {
	switch {
	case t.wild:
		return Wildcard
	case t.part:
		return t.w[:t.a] + Wildcard + t.w[t.b:]
	}
	return t.w
}

// isDigit, isAlpha and friends test ASCII bytes: every separator the scanner looks for
// is ASCII, and a byte of a multi-byte UTF-8 character is never one of them, so UTF-8
// text passes through as letters of unknown kind (constant).
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isHexLetter(c byte) bool {
	return ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// isOpener and isCloser are the punctuation that may wrap a word without being part of
// its value: "(12 ms)", "host=web-3,", "[us-east-1a]". They stay in the template.
func isOpener(c byte) bool { return c == '(' || c == '[' || c == '{' || c == '<' }
func isCloser(c byte) bool {
	switch c {
	case ')', ']', '}', '>', ',', '.', ';', ':', '!', '?':
		return true
	}
	return false
}

// isQuote is a quote that starts a quoted value.
func isQuote(c byte) bool { return c == '"' || c == '\'' || c == '`' }

// scanner splits texts into tokens. It keeps its buffers from one text to the next, so
// that a text whose pattern is already known costs no allocation.
type scanner struct {
	toks []token
	// collapse merges runs of wild tokens into one (see Options.KeepRuns).
	collapse bool
	// quotes makes a quoted value of plain words one variable token (see
	// Options.NoQuotes).
	quotes bool
}

// maxTokens bounds the tokens of a text: the rest of a longer text is one wild token.
// Titles are far shorter; the bound keeps a pasted log from costing a huge template.
const maxTokens = 128

// scan splits text into tokens and masks them. The tokens and their strings are valid
// until the next call.
func (s *scanner) scan(text string) []token {
	s.toks = s.toks[:0]
	i := 0
	for i < len(text) {
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		if i >= len(text) {
			break
		}
		if len(s.toks) == maxTokens-1 {
			s.push(token{wild: true})
			break
		}
		// A quoted value of plain words, possibly several, is one variable token when
		// its closing quote follows (an apostrophe inside a word does not start one).
		if q := text[i]; s.quotes && isQuote(q) {
			if j := closingQuote(text, i+1, q); j > i && s.plainQuote(text[i+1:j]) {
				s.push(token{wild: true})
				i = j + 1
				// Punctuation glued to the closing quote ("'x',") is part of the token.
				for i < len(text) && !isSpace(text[i]) {
					i++
				}
				continue
			}
		}
		j := i
		for j < len(text) && !isSpace(text[j]) {
			j++
		}
		s.push(s.word(text[i:j]))
		i = j
	}
	return s.toks
}

// plainQuote says whether a quoted value is a name to mask whole: its words are all
// plain words (a job's name, a user's). A quoted value with a word of another kind
// ("GET /v2/servers HTTP/1.1") is scanned word by word, so that its constant words (the
// method) still tell patterns apart and its variable ones are masked.
func (s *scanner) plainQuote(v string) bool {
	start := -1
	for i := 0; i <= len(v); i++ {
		if i < len(v) && !isSpace(v[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			w := v[start:i]
			if !plainWord(w) {
				return false
			}
			start = -1
		}
	}
	return true
}

// closingQuote returns the index of the quote q that closes a quoted value starting at
// from, or -1. The closing quote must end a word, so that "it's" inside does not.
func closingQuote(text string, from int, q byte) int {
	for j := from; j < len(text); j++ {
		if text[j] == q && (j+1 == len(text) || isSpace(text[j+1]) || isCloser(text[j+1])) {
			if j == from {
				return -1 // an empty quote is a constant: '' says nothing variable
			}
			return j
		}
	}
	return -1
}

func (s *scanner) push(t token) {
	if t.wild && s.collapse && len(s.toks) > 0 && s.toks[len(s.toks)-1].wild {
		return
	}
	s.toks = append(s.toks, t)
}

// word masks one whitespace-separated word. Wrapping punctuation stays constant around
// a variable core; a key=value keeps its key.
func (s *scanner) word(w string) token {
	if w == Wildcard {
		return token{wild: true}
	}
	a, b := 0, len(w)
	for a < b && isOpener(w[a]) {
		a++
	}
	for b > a && isCloser(w[b-1]) {
		b--
	}
	core := w[a:b]
	if core == "" {
		return token{w: w}
	}
	// key=value: the value is the variable part, whatever it looks like.
	if k := indexByte(core, '='); k > 0 && k < len(core)-1 && isKey(core[:k]) {
		return s.masked(w, a+k+1, b)
	}
	if !variable(core) {
		return token{w: w}
	}
	if a == 0 && b == len(w) {
		return token{wild: true}
	}
	return s.masked(w, a, b)
}

// masked is w with w[a:b] variable.
func (s *scanner) masked(w string, a, b int) token {
	return token{w: w, a: int32(a), b: int32(b), part: true}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// isKey says whether s looks like the key of a key=value: letters, digits, '_', '-', '.'.
func isKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// variable says whether the core of a word (wrapping punctuation removed) is a variable
// part: a number (with a unit or a percent sign), a hex id, an IP address, a UUID, a
// host-like name with a numbered or hashed segment (checkout-api-7f9c, ip-10-0-3-7,
// us-east-1a), a path, a URL, an e-mail address, a time. Words that carry one digit as
// part of a name (s3, ec2, http2, 5xx, k8s) are constant.
func variable(w string) bool {
	digits, letters, runs, seps := 0, 0, 0, 0
	hexOnly := true
	prevDigit := false
	slashes := 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		d := isDigit(c)
		switch {
		case d:
			digits++
			if !prevDigit {
				runs++
			}
		case isAlpha(c):
			letters++
			if !isHexLetter(c) {
				hexOnly = false
			}
		case c == '@':
			if i > 0 && i < len(w)-1 {
				return true // user@example.com
			}
			hexOnly = false
		case c == '/':
			slashes++
			seps++
			hexOnly = false
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '#' || c == '+' || c == '%' || c == ',':
			seps++
			hexOnly = false
		default:
			hexOnly = false
		}
		prevDigit = d
	}
	if slashes >= 2 && w[0] == '/' {
		return true // a path: /var/lib/mysql
	}
	if hasSchemeSep(w) {
		return true // a URL
	}
	if digits == 0 {
		return calendarWord(w)
	}
	if hexOnly && len(w) >= 6 {
		return true // a hash or a hex id
	}
	if number(w) {
		// 42, -3.5, 250ms, 12%, 1.5GB; but 5xx, 4XX name a class of status codes.
		return !statusClass(w)
	}
	if seps == 0 && runs == 1 && digits == 1 && letters > 0 {
		return false // s3, ec2, http2, ipv6, k8s, 5xx: names with a digit
	}
	return true
}

// number says whether w is a decimal number, optionally signed, with an optional unit
// of up to four letters or a percent sign after it.
func number(w string) bool {
	i := 0
	if i < len(w) && (w[i] == '-' || w[i] == '+') {
		i++
	}
	start := i
	for i < len(w) && (isDigit(w[i]) || w[i] == '.' || w[i] == ',') {
		i++
	}
	if i == start || !isDigit(w[start]) {
		return false
	}
	if i < len(w) && w[i] == '%' {
		return i+1 == len(w)
	}
	unit := 0
	for i < len(w) && isAlpha(w[i]) {
		i++
		unit++
	}
	return i == len(w) && unit <= 4
}

// statusClass is 5xx, 4XX and the like: a digit and two x.
func statusClass(w string) bool {
	return len(w) == 3 && isDigit(w[0]) && (w[1] == 'x' || w[1] == 'X') && (w[2] == 'x' || w[2] == 'X')
}

func hasSchemeSep(w string) bool {
	for i := 0; i+2 < len(w); i++ {
		if w[i] == ':' && w[i+1] == '/' && w[i+2] == '/' {
			return i > 0
		}
	}
	return false
}

// calendarWord is a capitalised name of a month or a day of the week, whole or
// abbreviated to three letters: the words of a date ("Fri Jun 17 07:07:00 2005").
func calendarWord(w string) bool {
	if len(w) < 3 || w[0] < 'A' || w[0] > 'Z' {
		return false
	}
	_, ok := calendar[w]
	return ok
}

var calendar = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, n := range []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December", "Monday", "Tuesday",
		"Wednesday", "Thursday", "Friday", "Saturday", "Sunday"} {
		m[n] = struct{}{}
		m[n[:3]] = struct{}{}
	}
	m["Sept"] = struct{}{}
	return m
}()
