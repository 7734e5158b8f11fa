package redact

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

func TestRedactorTakesOutEveryForm(t *testing.T) {
	const (
		password = `p@ss:w/rd+S3"CRET`
		token    = "tok_0123456789abcdef"
	)
	pair := BasicAuth("ops@example.com", password)
	r := New(password, token, pair, "")
	msg := strings.Join([]string{
		"raw " + password,
		"basic Basic " + base64.StdEncoding.EncodeToString([]byte(pair)),
		"b64 " + base64.StdEncoding.EncodeToString([]byte(password)),
		"b64url " + base64.RawURLEncoding.EncodeToString([]byte(password)),
		"query " + url.QueryEscape(password),
		"path " + url.PathEscape(password),
		`json "` + strings.ReplaceAll(password, `"`, `\"`) + `"`,
		"bearer Bearer " + token,
		"the pair " + pair,
	}, "; ")
	got := r.String(msg)
	for _, leak := range []string{password, token, pair, "S3", "0123456789", base64.StdEncoding.EncodeToString([]byte(pair))[:12]} {
		if strings.Contains(got, leak) {
			t.Errorf("%q is left in %s", leak, got)
		}
	}
	if n := strings.Count(got, Mark); n != 9 {
		t.Errorf("%d marks, want one for each of the 9 secrets: %s", n, got)
	}
	for _, keep := range []string{"raw ", "basic Basic ", "bearer Bearer ", "the pair "} {
		if !strings.Contains(got, keep) {
			t.Errorf("%q was taken out too: %s", keep, got)
		}
	}
}

func TestNilRedactorChangesNothing(t *testing.T) {
	var r *Redactor
	if got := r.String("abc"); got != "abc" {
		t.Errorf("got %q", got)
	}
	if New("", "") != nil {
		t.Error("a redactor of no secrets is not nil")
	}
	if BasicAuth("user", "") != "" {
		t.Error("a pair without a password is a secret")
	}
}
