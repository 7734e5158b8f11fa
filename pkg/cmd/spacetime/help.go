package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
)

// The help of every command is made here from what the code has: the command's entry in
// commands() (its synopsis and what it does), its flag set (every flag it defines, with
// its default), and for `query` the query types of package query. Nothing is written
// twice, so the help cannot drift from the code (help_test.go checks what could).

// errHelp says that the command line asked for help, which was printed: exit status 0.
var errHelp = errors.New("help requested")

// storeUsage is the -store flag's usage, the same for every command that takes one.
const storeUsage = "the `STORE`: a file path (the embedded store) or dynamodb://TABLE?region=REGION[&endpoint=URL][&profile=NAME]"

// newFlagSet returns the flag set of the named command. It prints nothing itself:
// parseFlags prints the help or returns the problem.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses a command's arguments. -h or --help prints the command's help to
// stdout and returns errHelp; any other problem returns errUsage with it.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout, fs)
		return errHelp
	case err != nil:
		return fmt.Errorf("%w: %v (see 'spacetime %s -h')", errUsage, err, fs.Name())
	}
	return nil
}

// lookup returns the command of that name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// printHelp writes a command's help: its synopsis, what it does, its own sections, and
// every flag of fs that they did not list.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	c, _ := lookup(fs.Name())
	fmt.Fprintf(w, "Usage: %s\n\n", c.synopsis)
	fmt.Fprintln(w, strings.TrimSpace(c.about))
	listed := map[string]bool{}
	if c.more != nil {
		fmt.Fprintln(w)
		c.more(&listing{w: w, listed: listed}, fs)
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.VisitAll(func(f *flag.Flag) {
		if !listed[f.Name] {
			printFlag(w, f, "")
		}
	})
}

// listing is the writer of a command's own help sections, which notes the flags they
// list (printFlag), so that the list of flags does not repeat them.
type listing struct {
	w      io.Writer
	listed map[string]bool
}

func (l *listing) Write(p []byte) (int, error) { return l.w.Write(p) }

// printFlag writes a flag as flag.PrintDefaults does, with a note after its name.
func printFlag(w io.Writer, f *flag.Flag, note string) {
	if l, ok := w.(*listing); ok {
		l.listed[f.Name] = true
	}
	name, usage := flag.UnquoteUsage(f)
	line := "  -" + f.Name
	if name != "" {
		line += " " + name
	}
	if note != "" {
		line += "  " + note
	}
	line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
	switch f.DefValue {
	case "", "0", "false", "[]":
	default:
		if reflect.TypeOf(f.Value).Elem().Kind() == reflect.String {
			line += fmt.Sprintf(" (default %q)", f.DefValue)
		} else {
			line += fmt.Sprintf(" (default %v)", f.DefValue)
		}
	}
	fmt.Fprintln(w, line)
}

// usage writes the list of commands.
func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: spacetime COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'spacetime COMMAND -h' for what a command does and its flags,")
	fmt.Fprintln(w, "and 'spacetime --version' for the version of this program.")
}

// version says which build this is: the module version and the commit it was built
// from, as the Go toolchain records them in the binary, and the Go version.
func version() string {
	v, commit, modified := "devel", "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if mv := info.Main.Version; mv != "" && mv != "(devel)" {
			v = mv
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	out := "spacetime " + v
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		out += " (commit " + commit
		if modified {
			out += ", modified"
		}
		out += ")"
	}
	return out + ", " + runtime.Version()
}
