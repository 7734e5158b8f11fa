package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestBenchCommand runs `spacetime bench` on a small data set, as a user would (its
// start-ups run in new processes of the binary), and checks that the report has every
// figure (the command fails when the second start-up did not read the image the first
// one wrote).
func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and generates a data set")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "spacetime")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "bench", "--tickets", "3000", "--rounds", "3", "--no-grpc", "--dir", filepath.Join(dir, "work")).CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	report := string(out)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^machine: .* load average [0-9.]+ [0-9.]+ [0-9.]+$`),
		regexp.MustCompile(`(?m)^import: +spacetime import: 3000 tickets in [0-9.]+ s, [0-9]+ tickets/s`),
		regexp.MustCompile(`(?m)^start-up: from the store: 3000 tickets ready to answer in [0-9.]+ s; resident [0-9]+ B/ticket \(anonymous [0-9]+ \+ mapped file [0-9]+\)`),
		regexp.MustCompile(`(?m)^image: +written in [0-9.]+ s: .*, [0-9]+ B/ticket$`),
		regexp.MustCompile(`(?m)^start-up: from the image: 3000 tickets ready to answer in `),
		regexp.MustCompile(`(?m)^pass: +range 24h +warm median [0-9.]+ ms p95 [0-9.]+ ms max [0-9.]+ ms; after a write \(no reuse\) median `),
		regexp.MustCompile(`(?m)^pass: +range all 30d `),
		regexp.MustCompile(`(?m)^gRPC: +skipped \(--no-grpc\)$`),
		regexp.MustCompile(`(?m)^machine: +load average [0-9.]+ [0-9.]+ [0-9.]+ at the end$`),
	} {
		if !want.MatchString(report) {
			t.Errorf("the report lacks a line matching %s:\n%s", want, report)
		}
	}
}
