package httpjson_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/redact"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/source/httpjson"
)

// An error answer is summed up in the error's message (the status), and its start is in
// Detail only, with the credentials and the caller's other secrets taken out even when the
// answer quotes them in base64, and cut short.
func TestAnAnswerIsKeptOutOfTheMessageAndRedactedInTheDetail(t *testing.T) {
	const password, other = "pa55:w/rd+x", "aws-SECRET-key"
	for _, tt := range []struct {
		status int
		body   string
		want   string
	}{
		{http.StatusBadRequest, "", "answered 400 Bad Request"},
		{http.StatusOK, "<html>login page</html>", "is not valid JSON"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			body := tt.body
			if body == "" {
				body = "bad request; you sent Authorization: " + r.Header.Get("Authorization") + " (password " +
					base64.StdEncoding.EncodeToString([]byte(password)) + ", " + other + ") " + strings.Repeat("padding ", 100)
			}
			_, _ = w.Write([]byte(body))
		}))
		src, err := httpjson.New(schema.Default(), httpjson.Config{URL: srv.URL + "/t", Redact: redact.New(other),
			Auth: httpjson.Auth{Kind: "basic", Username: "me", Password: password}, Retry: httpjson.Retry{Tries: 1}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Poll(context.Background(), source.Window{Now: time.Now()}, func(context.Context, source.Batch) error { return nil })
		srv.Close()
		var d interface{ Detail() string }
		if err == nil || !errors.As(err, &d) {
			t.Fatalf("%d: err %v, want one with a Detail", tt.status, err)
		}
		if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "login page") || strings.Contains(msg, "you sent") {
			t.Errorf("%d: the message %q quotes the answer, or does not say %q", tt.status, msg, tt.want)
		}
		detail := d.Detail()
		if len(detail) > 210 || detail == "" {
			t.Errorf("%d: detail of %d bytes: %q", tt.status, len(detail), detail)
		}
		if tt.body == "" {
			if !strings.Contains(detail, "Authorization: "+redact.Mark+" (password "+redact.Mark+", "+redact.Mark+")") {
				t.Errorf("detail %q: the secrets are not each replaced by the mark", detail)
			}
		} else if !strings.Contains(detail, "login page") {
			t.Errorf("detail %q lacks the answer's start", detail)
		}
	}
}

// An echo of a whole credential header, encoded again, is taken out too.
func TestAnEncodedEchoOfTheWholeHeaderIsRedacted(t *testing.T) {
	for _, auth := range []httpjson.Auth{
		{Kind: "basic", Username: "me", Password: "pa55word"},
		{Kind: "bearer", Token: "tok_0123456789"},
		{Kind: "header", HeaderName: "X-Key", HeaderValue: "k3y-value"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			v := r.Header.Get("Authorization") + r.Header.Get("X-Key")
			_, _ = w.Write([]byte("echo " + base64.StdEncoding.EncodeToString([]byte(v)) + " end"))
		}))
		src, err := httpjson.New(schema.Default(), httpjson.Config{URL: srv.URL, Auth: auth, Retry: httpjson.Retry{Tries: 1}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Poll(context.Background(), source.Window{Now: time.Now()}, func(context.Context, source.Batch) error { return nil })
		srv.Close()
		var d interface{ Detail() string }
		if !errors.As(err, &d) || d.Detail() != "echo "+redact.Mark+" end" {
			t.Errorf("%s: detail %q", auth.Kind, d.Detail())
		}
	}
}
