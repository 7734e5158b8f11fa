// Command spacetime imports tickets into a store, polls ticket sources, queries the
// tickets, writes the dashboards, generates synthetic data sets and measures the engine,
// with the same code that the Grafana plugin runs.
//
//	spacetime import     --store STORE [--schema FILE] [flags] FILE...
//	spacetime ingest     --config FILE [--once]
//	spacetime query      --store STORE [--schema FILE] [--type TYPE] [flags] [--json QUERY]
//	spacetime generate   --tickets N [--out FILE] [flags]
//	spacetime schema     [--check FILE] [--store STORE]
//	spacetime dashboards [--schema FILE] [--out DIR] [--alerts DIR] [--charts FIELD:KIND,...] [--check]
//	spacetime bench      [--tickets N] [--span DURATION] [flags]
//	spacetime migrate    --store dynamodb://TABLE?region=REGION [--check]
//	spacetime --version
//
// STORE is a file path (the embedded store) or dynamodb://TABLE?region=REGION. A store
// records the schema its tickets were imported with, which the commands use when not
// given --schema. Each command's -h says what it does and lists its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// command is one subcommand: it parses its own flags from args (newFlagSet, parseFlags)
// and writes its results to stdout and its progress and problems to stderr. Its help is
// made from its entry here and its flags (help.go).
type command struct {
	name string
	// summary is the command's line in the list of commands.
	summary string
	// synopsis is how the command is called, starting with "spacetime NAME".
	synopsis string
	// about says what the command does, for its help.
	about string
	// more writes more sections of the help, before the other flags; nil for none. The
	// flags it lists with printFlag are not listed again.
	more func(w io.Writer, fs *flag.FlagSet)
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{name: "import", summary: "read CSV, TSV or JSONL ticket files into a store", run: runImport,
			synopsis: "spacetime import --store STORE [--schema FILE] [flags] FILE...",
			about: `Reads CSV, TSV or JSONL ticket files (- is standard input) into the store, mapping
their columns onto the schema. A record with the key of a stored ticket replaces it
when its version is newer.`},
		{name: "ingest", summary: "poll a ticket source (demo, HTTP API, files) into a store", run: runIngest,
			synopsis: "spacetime ingest --config FILE [--once]",
			about: `Polls a ticket source into a store until stopped (SIGINT, SIGTERM), with the same code
as the Grafana data source's poller: for a store that several Grafana servers share.
On a DynamoDB table, one process polls a source at a time, the holder of a lease in
the table (source.lease, default 30s); the others take over when it stops renewing.`,
			more: func(w io.Writer, _ *flag.FlagSet) { fmt.Fprintln(w, "The configuration:\n\n"+ingestExample) }},
		{name: "query", summary: "run a query against a store and print the result", run: runQuery,
			synopsis: "spacetime query --store STORE [--schema FILE] [--type TYPE] [flags] [--json QUERY]",
			about: `Runs one query against the tickets of a store with the code the data source runs, and
prints its frames as a table, TSV, CSV or JSON. The query is the query JSON a panel
sends (--json), or flags, which set its fields (and override those of --json). The
range is --last, or --from and --to; without them, every ticket.`,
			more: queryHelp},
		{name: "generate", summary: "write a synthetic ticket data set (JSONL or CSV)", run: runGenerate,
			synopsis: "spacetime generate --tickets N [--out FILE] [flags]",
			about: `Writes a synthetic, deterministic ticket data set in the default schema's columns:
Zipf-skewed services and regions, business-hours seasonality and outage spikes.`},
		{name: "schema", summary: "print the default column schema or a store's, or check a schema file", run: runSchema,
			synopsis: "spacetime schema [--check FILE] [--store STORE]",
			about: `Prints the built-in column schema, a starting point to copy and edit, or with --store
the schema that store records (the one its tickets were imported with); with --check,
reads a schema file and reports every problem it has, and with --store too, how it
differs from the store's.`},
		{name: "dashboards", summary: "write the provisioned dashboards and alert rules for a schema", run: runDashboards,
			synopsis: "spacetime dashboards [--schema FILE] [--out DIR] [--alerts DIR] [--charts FIELD:KIND,...] [--check]",
			about: `Writes the provisioned dashboards (JSON) and alert rules (YAML) built from a schema;
with --check, writes nothing and fails when the files on disk are not what it would
write.`},
		{name: "bench", summary: "measure import, start-up, memory and the drill-down passes (in process and over gRPC)", run: runBench,
			synopsis: "spacetime bench [--tickets N] [--span DURATION] [flags]",
			about: `Measures, in one run on a generated data set, the figures the performance documentation
quotes: 'spacetime import' of a CSV file, the start-up of a process from the store and
from the engine image with its resident memory, and the drill-down passes in process
and through the plugin binary over gRPC, with the machine's load average before and
after.`},
		{name: "migrate", summary: "create or update the DynamoDB table of a store, and check it", run: runMigrate,
			synopsis: "spacetime migrate --store dynamodb://TABLE?region=REGION [--check]",
			about: `Creates the DynamoDB table and its change index when missing (on-demand capacity),
adds the index to a table without it, waits until both are ACTIVE, then checks the
permissions. Safe to run again. Credentials come from the AWS default chain.`},
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
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			// spacetime help COMMAND is spacetime COMMAND -h.
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, version())
		return 0
	case benchStartupCommand:
		// Internal: the child process of `spacetime bench` that measures a start-up.
		if err := runBenchStartup(ctx, args[1:], stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "spacetime %s: %v\n", args[0], err)
			return 1
		}
		return 0
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "spacetime: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "spacetime %s: %v\n", c.name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "spacetime %s: %v\n", c.name, err)
		return 1
	}
}
