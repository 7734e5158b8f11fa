package httpjson

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The placeholders of a URL template, replaced before each poll (times in UTC):
//
//	{since}            the watermark minus the overlap, RFC 3339: 2026-11-24T06:00:00Z
//	{since_ms}         the same in unix milliseconds
//	{since_unix}       the same in unix seconds
//	{since_minutes}    whole minutes from it to now, rounded up (Jira's relative "-15m")
//	{since:LAYOUT}     the same in a Go time layout: {since:2006-01-02 15:04}
//	{now}, {now_ms}, {now_unix}, {now:LAYOUT}   the poll's start
//
// A placeholder in a query parameter's value is replaced and then escaped as the
// parameter needs, so a template may be written unescaped.
var placeholder = regexp.MustCompile(`\{(since|now)(_ms|_unix|_minutes)?(?::([^}]*))?\}`)

// expand replaces the placeholders of s.
func expand(s string, since, now time.Time) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		t := since
		if sub[1] == "now" {
			t = now
		}
		t = t.UTC()
		switch {
		case sub[3] != "":
			return t.Format(sub[3])
		case sub[2] == "_ms":
			return strconv.FormatInt(t.UnixMilli(), 10)
		case sub[2] == "_unix":
			return strconv.FormatInt(t.Unix(), 10)
		case sub[2] == "_minutes":
			return strconv.FormatInt(int64(math.Ceil(now.Sub(t).Minutes())), 10)
		}
		return t.Format(time.RFC3339)
	})
}

// checkTemplate refuses a template with braces that are no placeholder, which is a typo
// the user should hear about rather than a URL the API refuses.
func checkTemplate(s string) error {
	rest := placeholder.ReplaceAllString(s, "")
	if i := strings.IndexAny(rest, "{}"); i >= 0 {
		return fmt.Errorf("the URL %q has a %q that is not part of a placeholder; use {since}, {since_ms}, {since_unix}, {since_minutes}, {since:LAYOUT} or the same with now", s, rest[i:i+1])
	}
	return nil
}

// expandURL replaces the placeholders of a URL template, escaping query values properly.
func expandURL(tmpl string, since, now time.Time) (string, error) {
	u, err := url.Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("the URL %q: %w", tmpl, err)
	}
	u.Path = expand(u.Path, since, now)
	u.RawPath = ""
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return "", fmt.Errorf("the query of the URL %q: %w", tmpl, err)
		}
		for k, vs := range q {
			for i := range vs {
				vs[i] = expand(vs[i], since, now)
			}
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}
