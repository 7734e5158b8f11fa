package httpjson

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Paging says how to get the next page of an answer.
type Paging struct {
	// Type is one of:
	//   "none"   one page;
	//   "link"   the Link header's rel="next" (RFC 8288; GitHub, ServiceNow);
	//   "next"   a URL in the body, at Next (Opsgenie's paging.next);
	//   "cursor" a token in the body, at Cursor, sent back as the query parameter
	//            CursorParam (Jira's nextPageToken); Last, when set, is a bool that says
	//            the page is the last (Jira's isLast);
	//   "offset" the query parameters OffsetParam and LimitParam, Limit items a page
	//            (PagerDuty's offset/limit; More, when set, is the bool that says more
	//            pages follow);
	//   "page"   the query parameter PageParam counting from 1, until a page comes short
	//            or empty.
	//   "auto"   (or empty) the Link header when there is one, else a next URL at one of
	//            the usual places (next, links.next, paging.next, _links.next.href).
	Type        string `json:"type,omitempty" yaml:"type,omitempty"`
	Next        string `json:"next,omitempty" yaml:"next,omitempty"`
	Cursor      string `json:"cursor,omitempty" yaml:"cursor,omitempty"`
	CursorParam string `json:"cursorParam,omitempty" yaml:"cursorParam,omitempty"`
	Last        string `json:"last,omitempty" yaml:"last,omitempty"`
	OffsetParam string `json:"offsetParam,omitempty" yaml:"offsetParam,omitempty"`
	LimitParam  string `json:"limitParam,omitempty" yaml:"limitParam,omitempty"`
	PageParam   string `json:"pageParam,omitempty" yaml:"pageParam,omitempty"`
	Limit       int    `json:"limit,omitempty" yaml:"limit,omitempty"`
	More        string `json:"more,omitempty" yaml:"more,omitempty"`
}

// autoNext are the places a next-page URL usually is in a body.
var autoNext = []string{"next", "links.next", "paging.next", "_links.next.href", "meta.next", "pagination.next", "next_page_url"}

func (p *Paging) check() error {
	switch p.Type {
	case "", "auto", "none", "link":
	case "next":
		if p.Next == "" {
			return fmt.Errorf("paging by next URL needs the path of that URL in the answer (next)")
		}
	case "cursor":
		if p.Cursor == "" || p.CursorParam == "" {
			return fmt.Errorf("paging by cursor needs the path of the cursor in the answer (cursor) and the query parameter it goes back in (cursorParam)")
		}
	case "offset":
		if p.OffsetParam == "" {
			p.OffsetParam = "offset"
		}
		if p.LimitParam == "" {
			p.LimitParam = "limit"
		}
		if p.Limit <= 0 {
			p.Limit = 100
		}
	case "page":
		if p.PageParam == "" {
			p.PageParam = "page"
		}
	default:
		return fmt.Errorf("unknown paging type %q (want none, link, next, cursor, offset, page or auto)", p.Type)
	}
	for _, s := range []string{p.Next, p.Cursor, p.Last, p.More} {
		if _, err := ParsePath(s); err != nil {
			return err
		}
	}
	return nil
}

// first returns the URL of the first page.
func (p *Paging) first(u string) (string, error) {
	switch p.Type {
	case "offset":
		return setParams(u, map[string]string{p.OffsetParam: "0", p.LimitParam: strconv.Itoa(p.Limit)})
	case "page":
		return setParams(u, map[string]string{p.PageParam: "1"})
	}
	return u, nil
}

// next returns the URL of the page after the one at cur, or "" after the last page.
func (p *Paging) next(cur string, pg page, items int) (string, error) {
	switch p.Type {
	case "none":
		return "", nil
	case "link":
		return linkNext(cur, pg), nil
	case "next":
		return resolve(cur, textAt(pg.body, p.Next))
	case "cursor":
		if p.Last != "" && truthy(pathGet(pg.body, p.Last)) {
			return "", nil
		}
		tok := textAt(pg.body, p.Cursor)
		if tok == "" || items == 0 {
			return "", nil
		}
		return setParams(cur, map[string]string{p.CursorParam: tok})
	case "offset":
		if p.More != "" {
			if !truthy(pathGet(pg.body, p.More)) {
				return "", nil
			}
		} else if items < p.Limit {
			return "", nil
		}
		if items == 0 {
			return "", nil
		}
		off, _ := strconv.Atoi(param(cur, p.OffsetParam))
		return setParams(cur, map[string]string{p.OffsetParam: strconv.Itoa(off + items)})
	case "page":
		if items == 0 {
			return "", nil
		}
		n, _ := strconv.Atoi(param(cur, p.PageParam))
		return setParams(cur, map[string]string{p.PageParam: strconv.Itoa(max(n, 1) + 1)})
	}
	// auto
	if n := linkNext(cur, pg); n != "" {
		return n, nil
	}
	for _, path := range autoNext {
		if s := textAt(pg.body, path); strings.Contains(s, "/") || strings.HasPrefix(s, "?") {
			return resolve(cur, s)
		}
	}
	return "", nil
}

func linkNext(cur string, pg page) string {
	for _, h := range pg.header.Values("Link") {
		if target := relNext(h); target != "" {
			n, err := resolve(cur, target)
			if err != nil {
				return ""
			}
			return n
		}
	}
	return ""
}

// relNext finds the target of rel="next" in a Link header (RFC 8288):
// <https://api.example.com/x?page=2>; rel="next", <...>; rel="last". A target may hold
// commas and semicolons, so the header is read link by link from the angle brackets.
func relNext(h string) string {
	for {
		start := strings.IndexByte(h, '<')
		if start < 0 {
			return ""
		}
		end := strings.IndexByte(h[start:], '>')
		if end < 0 {
			return ""
		}
		target := h[start+1 : start+end]
		h = h[start+end+1:]
		params := h
		if next := strings.IndexByte(h, '<'); next >= 0 {
			params = h[:next]
		}
		for _, p := range strings.Split(params, ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
				continue
			}
			for _, rel := range strings.Fields(strings.Trim(value, "\", \t")) {
				if strings.EqualFold(rel, "next") {
					return target
				}
			}
		}
	}
}

func pathGet(body any, path string) any {
	p, err := ParsePath(path)
	if err != nil {
		return nil
	}
	return p.Get(body)
}

func textAt(body any, path string) string {
	v := pathGet(body, path)
	if v == nil {
		return ""
	}
	return strings.TrimSpace(textOf(v))
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		b, _ := strconv.ParseBool(x)
		return b
	}
	return false
}

// resolve makes a next link absolute against the current page's URL.
func resolve(cur, next string) (string, error) {
	if next == "" {
		return "", nil
	}
	base, err := url.Parse(cur)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(next)
	if err != nil {
		// Not quoted: it comes from the answer, and its query may hold a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("the next page's URL in the answer is not a URL: %w", err)
	}
	return base.ResolveReference(ref).String(), nil
}

func setParams(u string, set map[string]string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	q := parsed.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	parsed.RawQuery = q.Encode()
	return parsed.String(), nil
}

func param(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return parsed.Query().Get(name)
}
