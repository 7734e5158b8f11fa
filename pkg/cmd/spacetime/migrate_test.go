package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/store/dynamo/dynalitetest"
)

func TestMigrate(t *testing.T) {
	server := dynalitetest.StartOrSkip(t, dynalitetest.Options{})
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	spec := "dynamodb://tickets?region=eu-west-1&endpoint=" + server.Endpoint
	steps := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout string
	}{
		{name: "check before the table exists", args: []string{"migrate", "--check", "--store", spec}, code: 1,
			stderr: []string{"tickets does not exist in region eu-west-1", "spacetime migrate --store dynamodb://tickets?region=eu-west-1"}},
		{name: "create", args: []string{"migrate", "--store", spec}, code: 0,
			stdout: []string{"created table tickets (on-demand capacity) with its change index", "is ACTIVE", "read and write"}},
		{name: "again: nothing to do", args: []string{"migrate", "--store", spec}, code: 0,
			stdout: []string{"table tickets is up to date", "holding 0 tickets"}},
		{name: "check only", args: []string{"migrate", "--check", "--store", spec}, code: 0,
			stdout: []string{"is ACTIVE"}, noStdout: "up to date"},
		{name: "no store", args: []string{"migrate"}, code: 2, stderr: []string{"--store is required"}},
		{name: "a file store", args: []string{"migrate", "--store", "data/x.db"}, code: 2,
			stderr: []string{"not a DynamoDB table", "needs no migration"}},
		{name: "a bad spec", args: []string{"migrate", "--store", "dynamodb://tickets?regin=x"}, code: 2,
			stderr: []string{`unknown parameter "regin"`}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), st.args, &stdout, &stderr)
			if code != st.code {
				t.Fatalf("exit %d, want %d; stdout %q, stderr %q", code, st.code, stdout.String(), stderr.String())
			}
			for _, w := range st.stdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout %q does not say %q", stdout.String(), w)
				}
			}
			for _, w := range st.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not say %q", stderr.String(), w)
				}
			}
			if st.noStdout != "" && strings.Contains(stdout.String(), st.noStdout) {
				t.Errorf("stdout %q says %q", stdout.String(), st.noStdout)
			}
		})
	}
}
