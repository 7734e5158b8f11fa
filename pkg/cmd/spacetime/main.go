// Command spacetime imports tickets into a store, queries them, generates synthetic data
// sets and measures the engine, with the same code that the Grafana plugin runs.
//
//	spacetime import   --schema FILE --store PATH FILE...
//	spacetime ingest   --config FILE [--once]
//	spacetime query    --store PATH [--schema FILE] [flags | --json QUERY]
//	spacetime generate --tickets N [--out FILE]
//	spacetime bench    --tickets N
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// command is one subcommand: it parses its own flags from args and writes its results to
// stdout and its progress and problems to stderr.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"import", "read CSV, TSV or JSONL ticket files into a store", runImport},
		{"ingest", "poll a ticket source (demo, HTTP API, files) into a store", runIngest},
		{"query", "run a query against a store and print the result", runQuery},
		{"generate", "write a synthetic ticket data set (JSONL or CSV)", runGenerate},
		{"schema", "print the default column schema, or check a schema file", runSchema},
		{"dashboards", "write the provisioned dashboards and alert rules for a schema", runDashboards},
		{"bench", "measure import, start-up, memory and the drill-down passes (in process and over gRPC)", runBench},
		{"migrate", "create or update the DynamoDB table of a store, and check it", runMigrate},
	}
}

// errUsage marks an error caused by the command line itself; main exits with status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile, err := startProfile(os.Getenv("SPACETIME_CPUPROFILE"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "spacetime: SPACETIME_CPUPROFILE: %v\n", err)
		os.Exit(2)
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// startProfile writes a CPU profile of the whole command to path when it is set, so that
// any command (an import, a bench) can be profiled as users run it:
// SPACETIME_CPUPROFILE=cpu.out spacetime import ...; go tool pprof cpu.out.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "spacetime: write the CPU profile: %v\n", err)
		}
	}, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == benchStartupCommand {
		// Internal: the child process of `spacetime bench` that measures a start-up.
		if err := runBenchStartup(ctx, args[1:], stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "spacetime %s: %v\n", args[0], err)
			return 1
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "spacetime %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "spacetime %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "spacetime: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: spacetime COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'spacetime COMMAND -h' for the flags of a command.")
}
