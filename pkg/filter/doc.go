// Package filter is the filter language of Spacetime: a hand-written lexer and
// recursive-descent parser that turn text such as
//
//	service = "checkout" and (region =~ "^eu-" or severity <= 2)
//
// into an AST, errors that point at the position and say what was expected, a canonical
// printer, the conversion of Grafana's ad hoc filters to the same AST, and the check of an
// AST against a column schema. The engine evaluates the AST; this package only describes it.
//
// # Grammar
//
// In EBNF; keywords (and, or, not, in, is, null, true, false, contains) are
// case-insensitive, and spaces, tabs and newlines separate tokens.
//
//	filter     = [ or ] .                        (empty text: no filter)
//	or         = and { "or" and } .
//	and        = unary { "and" unary } .
//	unary      = "not" unary | primary .
//	primary    = "(" or ")" | test .
//	test       = field compare value
//	           | field ( "=~" | "!~" ) string
//	           | field [ "not" ] "contains" value
//	           | field [ "not" ] "in" "(" value { "," value } ")"
//	           | field "is" [ "not" ] "null"
//	           | field ( "=" | "!=" ) "null" .
//	compare    = "=" | "!=" | "<" | "<=" | ">" | ">=" .
//	field      = ident | "`" { char | escape } "`" .
//	ident      = ( letter | "_" ) { letter | digit | "_" | "." | "-" } .   (not a keyword)
//	value      = string | number | "true" | "false" .
//	string     = `"` { char | escape } `"` | "'" { char | escape } "'" .
//	escape     = `\"` | `\'` | "\`" | `\\` | `\n` | `\t` | `\r` | `\u` hex hex hex hex .
//	number     = [ "-" ] digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ] .
//
// Precedence, from tightest: not, and, or. So
//
//	not a = 1 and b = 2 or c = 3    is    ((not a = 1) and b = 2) or c = 3
//
// # Meaning
//
//   - = != < <= > >= compare a field with a value; on string fields < and > compare text.
//   - =~ and !~ match an RE2 regular expression (package regexp), unanchored: use ^ and $ to
//     anchor, (?i) to ignore case. The pattern is a string, so a regex backslash is doubled:
//     `id =~ "^INC\\d+$"`. A pattern that does not compile is an error at parse time.
//   - contains and not contains test for a substring, ignoring case.
//   - in and not in test membership in a list of one or more values.
//   - is null and is not null test whether the field has a value; "field = null" and
//     "field != null" mean the same.
//   - A \uXXXX escape may be a UTF-16 surrogate pair (\uD83D\uDE00), as in JSON.
//   - A field that is a keyword or is not a plain identifier is written in backquotes:
//     `in` = 1, `first name` = "Ada".
//
// # Types
//
// Check resolves a parsed filter against a column schema. Fields must exist (an unknown
// field gets a "did you mean" list). Values take the type of their field:
//
//   - string and text fields: strings; a number is taken as its text as written (1.50 is the
//     text "1.50").
//   - number fields: numbers, or strings that hold a number ("3").
//   - time fields: strings in RFC 3339 (2024-05-01T12:00:00Z, fractional seconds and offsets
//     allowed), 2024-05-01, 2024-05-01 12:00, 2024-05-01 12:00:05 or 2024-05-01T12:00 (the
//     forms without a zone are UTC), or numbers of milliseconds since the Unix epoch.
//   - bool fields: true or false (quoted or not).
//
// =~, !~, contains and not contains apply to string and text fields only; < <= > >= do not
// apply to bool fields.
//
// # Canonical form
//
// Every node prints itself canonically with String: lower-case keywords, one space around
// operators and connectives, double-quoted strings with the escapes above, backquotes only
// where a field needs them, and parentheses only where precedence needs them. Nested "and"
// and "or" are flattened. Parse(e.String()) prints the same as e, and after Check equal
// filters print equally (numbers of number fields in shortest form, times in UTC RFC 3339),
// so the engine uses the string as a cache key.
//
// # Errors
//
// Parse and Check return an *Error: Pos is the 0-based byte offset of the problem, Msg says
// what was expected and what was found, and Error() prefixes a 1-based position:
//
//	position 12: expected a value after "=", found end of input
//
// # Ad hoc filters
//
// FromAdHoc maps Grafana's ad hoc filters onto the same AST and checks it: = != < <= > >=
// compare, =~ and !~ are RE2 regular expressions, =| is "in" and !=| "not in" (over Values,
// or Value when Values is empty); = with an empty value is "is null" and != with an empty
// value "is not null". All ANDs expressions; Fields lists the fields an expression uses.
package filter
