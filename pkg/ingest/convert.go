package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

// isoLayouts are the RFC 3339 forms and their everyday relatives, tried in this order. A
// fractional second after the seconds is accepted by every layout that has seconds (Go's
// parser allows it even when the layout does not show it). Layouts without a zone are read
// in the mapper's location.
var isoLayouts = []string{
	time.RFC3339,                // 2016-02-29T01:16:00Z, 2016-02-29T01:16:00.123+01:00
	"2006-01-02T15:04:05",       // no zone
	"2006-01-02 15:04:05Z07:00", // a space for the T
	"2006-01-02 15:04:05",       // a space for the T, no zone
	"2006-01-02T15:04:05Z0700",  // Jira and Java: 2016-02-29T01:16:00.000+0000
	"2006-01-02 15:04:05 -0700", // Go's time.String without the zone name
	"2006-01-02T15:04Z07:00",    // no seconds
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// maxTimeMS is the first millisecond of the year 10000: later (and much earlier) instants
// are typing mistakes or numbers in the wrong unit, not ticket times.
const maxTimeMS = 253402300800000

// unixMSThreshold separates unix seconds from unix milliseconds: 1e11 seconds is the year
// 5138, and 1e11 milliseconds is March 1973, before any ticket system kept records.
const unixMSThreshold = 1e11

// column is what the mapper needs to convert source text into one schema column.
type column struct {
	name string
	typ  schema.Type
	// layouts are the column's own time layouts followed by the extra ones of MapOptions.
	layouts []string
	// tried lists the time forms for error messages.
	tried string
}

func newColumn(c *schema.Column, extraLayouts []string) column {
	col := column{name: c.Name, typ: c.Type}
	if c.Type == schema.Time {
		col.layouts = append(append([]string(nil), c.Layouts...), extraLayouts...)
		col.tried = strings.Join(append([]string{"RFC 3339", "unix time"}, col.layouts...), ", ")
	}
	return col
}

// convert turns the source text of one cell into the column's typed value. null says that
// the source itself had no value (a JSON null). Blank text is null for every type but
// strings, where only the null tokens are.
func (m *Mapper) convert(c *column, raw string, null bool) (ticket.Value, error) {
	if null || m.isNull(raw) {
		return ticket.Value{}, nil
	}
	if c.typ == schema.String || c.typ == schema.Text {
		if !utf8.ValidString(raw) {
			// Exports in a legacy encoding (Windows-1252) are common; the bytes that are
			// not UTF-8 become U+FFFD rather than invalid text in frames and filters.
			raw = strings.ToValidUTF8(raw, "\uFFFD")
		}
		return ticket.String(raw), nil
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return ticket.Value{}, nil
	}
	switch c.typ {
	case schema.Number:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return ticket.Value{}, fmt.Errorf("%s: %s is not a number", c.name, quoteValue(raw))
		}
		return ticket.Number(f), nil
	case schema.Time:
		ms, err := m.parseTime(c, s)
		if err != nil {
			return ticket.Value{}, fmt.Errorf("%s: %s %v", c.name, quoteValue(raw), err)
		}
		return ticket.TimeMS(ms), nil
	case schema.Bool:
		b, ok := parseBool(s)
		if !ok {
			return ticket.Value{}, fmt.Errorf("%s: %s is not a bool (use true/false, yes/no, 1/0 or t/f)", c.name, quoteValue(raw))
		}
		return ticket.BoolOf(b), nil
	}
	return ticket.Value{}, fmt.Errorf("%s: the column has the unknown type %q", c.name, c.typ)
}

// isNull reports whether raw is one of the null tokens; surrounding spaces do not count.
func (m *Mapper) isNull(raw string) bool {
	if len(raw) > m.maxNull && !isSpace(raw[0]) && !isSpace(raw[len(raw)-1]) {
		return false
	}
	if _, ok := m.nulls[raw]; ok {
		return true
	}
	if raw != "" && (isSpace(raw[0]) || isSpace(raw[len(raw)-1])) {
		_, ok := m.nulls[strings.TrimSpace(raw)]
		return ok
	}
	return false
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// parseTime reads s as an instant in milliseconds. The column's layouts come first, so that
// a layout such as 20060102 wins over reading the same digits as unix seconds.
func (m *Mapper) parseTime(c *column, s string) (int64, error) {
	for _, layout := range c.layouts {
		if t, err := time.ParseInLocation(layout, s, m.loc); err == nil {
			return checkTimeRange(t.UnixMilli())
		}
	}
	if looksNumeric(s) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n > unixMSThreshold || n < -unixMSThreshold {
				return checkTimeRange(n)
			}
			return checkTimeRange(n * 1000)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			if math.Abs(f) <= unixMSThreshold {
				f *= 1000
			}
			if math.Abs(f) < maxTimeMS {
				return int64(math.Round(f)), nil
			}
			return 0, fmt.Errorf("is out of range as unix time (seconds or milliseconds)")
		}
	}
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		for _, layout := range isoLayouts {
			if t, err := time.ParseInLocation(layout, s, m.loc); err == nil {
				return checkTimeRange(t.UnixMilli())
			}
		}
	}
	return 0, fmt.Errorf("is not a time (tried %s)", c.tried)
}

func checkTimeRange(ms int64) (int64, error) {
	if ms >= maxTimeMS || ms <= -maxTimeMS {
		return 0, fmt.Errorf("is out of range (after the year 9999)")
	}
	return ms, nil
}

// looksNumeric reports whether s is a decimal number: digits with an optional sign, point
// and exponent.
func looksNumeric(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == 'e' || c == 'E':
		case (c == '-' || c == '+') && (i == 0 || s[i-1] == 'e' || s[i-1] == 'E'):
		default:
			return false
		}
	}
	return digits > 0
}

func parseBool(s string) (bool, bool) {
	for _, t := range []string{"true", "yes", "1", "t"} {
		if strings.EqualFold(s, t) {
			return true, true
		}
	}
	for _, f := range []string{"false", "no", "0", "f"} {
		if strings.EqualFold(s, f) {
			return false, true
		}
	}
	return false, false
}

// quoteValue quotes a source value for a message, cut short when it is long so that one
// bad description does not flood the report.
func quoteValue(s string) string {
	const max = 80
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !startsRune(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
}

func startsRune(b byte) bool { return b&0xC0 != 0x80 }
