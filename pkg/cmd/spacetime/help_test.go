package main

import (
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spacetime/tickets/pkg/query"
)

// TestHelpExitsZero: every way of asking for help prints it on standard output and exits
// 0, as a user who typed -h expects; before, every -h exited 2 with "flag: help requested"
// on standard error.
func TestHelpExitsZero(t *testing.T) {
	for _, c := range commands() {
		for _, h := range []string{"-h", "--help", "-help"} {
			t.Run(c.name+" "+h, func(t *testing.T) {
				code, stdout, stderr := runCmd(t, c.name, h)
				if code != 0 || stderr != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing on stderr", code, stderr)
				}
				if !strings.HasPrefix(stdout, "Usage: spacetime "+c.name) {
					t.Errorf("stdout starts %q; want the synopsis of %s", firstLine(stdout), c.name)
				}
				if !strings.Contains(stdout, "\nFlags:\n") {
					t.Errorf("no list of flags in %q", stdout)
				}
			})
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		code, stdout, stderr := runCmd(t, args...)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Usage: spacetime COMMAND") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and the list of commands on stdout", args, code, firstLine(stdout), stderr)
		}
	}
	// `spacetime help COMMAND` is `spacetime COMMAND -h`.
	_, viaHelp, _ := runCmd(t, "help", "query")
	_, viaFlag, _ := runCmd(t, "query", "-h")
	if viaHelp != viaFlag || viaHelp == "" {
		t.Errorf("spacetime help query differs from spacetime query -h")
	}
}

// TestEveryCommandListed: the list of commands and the package doc (go doc, the source's
// first page) show every command with its synopsis; the package doc once named 5 of 7.
func TestEveryCommandListed(t *testing.T) {
	_, list, _ := runCmd(t, "help")
	doc := packageDoc(t)
	for _, c := range commands() {
		if !strings.HasPrefix(c.synopsis, "spacetime "+c.name+" ") && c.synopsis != "spacetime "+c.name {
			t.Errorf("%s: synopsis %q does not start with spacetime %s", c.name, c.synopsis, c.name)
		}
		if strings.TrimSpace(c.about) == "" || c.summary == "" {
			t.Errorf("%s: no summary or no about", c.name)
		}
		if !regexp.MustCompile(`(?m)^  ` + c.name + ` +` + regexp.QuoteMeta(c.summary) + `$`).MatchString(list) {
			t.Errorf("spacetime help does not list %s with its summary", c.name)
		}
		// The doc aligns the synopses in a column: compare them with runs of spaces folded.
		if !strings.Contains(doc, c.synopsis) {
			t.Errorf("the package doc (main.go) lacks the synopsis %q", c.synopsis)
		}
	}
	if !strings.Contains(doc, "spacetime --version") {
		t.Errorf("the package doc does not mention spacetime --version")
	}
}

// packageDoc is main.go's package comment with its synopsis lines' alignment undone.
func packageDoc(t *testing.T) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatal("main.go has no package doc")
	}
	var lines []string
	for _, l := range strings.Split(f.Doc.Text(), "\n") {
		lines = append(lines, regexp.MustCompile(`^\s*(spacetime \S+) +`).ReplaceAllString(l, "$1 "))
	}
	return strings.Join(lines, "\n")
}

// TestQueryHelpListsTypesAndFields: `query -h` lists every query type with its line and a
// flag for every field of the query JSON; it once listed 5 of 8 types and lacked --window,
// --baseline, --series and --level-field.
func TestQueryHelpListsTypesAndFields(t *testing.T) {
	code, help, _ := runCmd(t, "query", "-h")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, typ := range query.Types() {
		if !regexp.MustCompile(`(?m)^  ` + string(typ) + ` +\S`).MatchString(help) {
			t.Errorf("query -h does not list the type %s with what it answers", typ)
		}
	}
	flagOf := map[string]string{}
	for _, qf := range queryFlags() {
		flagOf[qf.field] = qf.name
	}
	for _, field := range queryJSONFields() {
		name, ok := flagOf[field]
		if !ok {
			t.Errorf("the query field %s has no flag", field)
			continue
		}
		if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(name) + `\b.*\(` + field + `\)`).MatchString(help) {
			t.Errorf("query -h does not list -%s (%s)", name, field)
		}
	}
	if len(flagOf) != len(queryJSONFields()) {
		t.Errorf("%d query flags for %d query fields", len(flagOf), len(queryJSONFields()))
	}
	for _, want := range []string{"-window", "-baseline", "-series", "-level-field", "dynamodb://"} {
		if !strings.Contains(help, want) {
			t.Errorf("query -h lacks %q", want)
		}
	}
}

// queryJSONFields are the JSON names of the fields of every registered query type's
// model, each once.
func queryJSONFields() []string {
	var out []string
	var walk func(reflect.Type)
	walk = func(st reflect.Type) {
		for i := range st.NumField() {
			sf := st.Field(i)
			if sf.Anonymous {
				walk(sf.Type)
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name != "" && name != "-" && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	for _, d := range query.Definitions() {
		walk(reflect.TypeOf(d.New()).Elem())
	}
	return out
}

// TestStoreFlagSaysDynamoDB: every command with -store says it takes a DynamoDB table too.
func TestStoreFlagSaysDynamoDB(t *testing.T) {
	for _, c := range commands() {
		_, help, _ := runCmd(t, c.name, "-h")
		if i := strings.Index(help, "  -store"); i >= 0 {
			entry := help[i:]
			if j := strings.Index(entry[2:], "\n  -"); j >= 0 {
				entry = entry[:j+2]
			}
			// migrate makes DynamoDB tables only; the others take either store.
			if !strings.Contains(entry, "dynamodb://") || (c.name != "migrate" && !strings.Contains(entry, "file path")) {
				t.Errorf("%s -h: -store says %q; want a file path or dynamodb://", c.name, entry)
			}
		}
	}
}

// TestVersion: --version prints the program and the Go version, and exits 0.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "-version", "version"} {
		code, stdout, stderr := runCmd(t, arg)
		if code != 0 || stderr != "" || !regexp.MustCompile(`^spacetime \S+.*, go1\.`).MatchString(stdout) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", arg, code, stdout, stderr)
		}
	}
}

// TestBadFlagPointsAtHelp: a mistake exits 2 and says where the help is, on stderr.
func TestBadFlagPointsAtHelp(t *testing.T) {
	code, stdout, stderr := runCmd(t, "query", "--no-such-flag")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "no-such-flag") || !strings.Contains(stderr, "spacetime query -h") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 naming the flag and the help", code, stdout, stderr)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
