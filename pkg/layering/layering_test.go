package layering

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/spacetime/tickets/pkg"

// layer is a package of the map: what it does, and the packages of this module it may
// import (paths under pkg/; "" is pkg itself, the plugin's main).
type layer struct {
	does string
	may  []string
}

// layers is the package map, also written out in the architecture documentation. Data
// flows one way: source -> ingest -> store -> engine -> query/frames -> plugin.
var layers = map[string]layer{
	// Leaves: no package of the module.
	"ticket":   {"a ticket record: its values, layout and binary codec", nil},
	"schema":   {"the column schema: parse, validate, hash and compare", nil},
	"duration": {"durations as users write them (90m, 1d): parse and format", nil},
	"clock":    {"a clock that tests can set, for pollers and leases", nil},
	"logval":   {"values written into logs for people (counts, sizes)", nil},
	"redact":   {"secrets taken out of messages before anyone sees them", nil},
	"patterns": {"the online template miner: titles grouped into patterns as they arrive", nil},

	"filter": {"the filter language and Grafana's ad hoc filters: parse, check against a schema", []string{"schema"}},

	"store":                     {"the Store interface: where the latest version of each ticket is kept", []string{"ticket"}},
	"store/bolt":                {"the embedded store, one bbolt file", []string{"store", "ticket"}},
	"store/dynamo":              {"the DynamoDB store, for replicas that share a table", []string{"store", "ticket"}},
	"store/memory":              {"an in-memory store for tests", []string{"clock", "store", "ticket"}},
	"store/stores":              {"open a store from the spec a user types (path or dynamodb://)", []string{"store", "store/bolt", "store/dynamo"}},
	"store/storetest":           {"the behaviour every Store must have, as a test suite", []string{"store", "ticket"}},
	"store/dynamo/dynalitetest": {"start dynalite for tests", nil},
	"store/dynamo/dynamotest":   {"a migrated DynamoDB table on dynalite for tests", []string{"store/dynamo", "store/dynamo/dynalitetest"}},
	"storeschema":               {"the schema a store records beside its tickets", []string{"schema", "store"}},

	"keytable": {"a hash table from uint64 keys to int32 slots, for counts of value combinations", nil},

	"ingest": {"read CSV, TSV and JSONL records onto the schema's columns", []string{"schema", "store", "ticket"}},
	"gen":    {"synthetic, deterministic ticket data sets", []string{"schema", "ticket"}},

	"source":          {"polling a ticket source into a store: the poller, its lease and status, pushes", []string{"clock", "ingest", "logval", "redact", "schema", "store", "ticket"}},
	"source/demo":     {"the demo source: generated tickets as they happen", []string{"gen", "ingest", "schema", "source", "ticket"}},
	"source/files":    {"the files source: a directory of ticket files", []string{"ingest", "schema", "source", "store", "ticket"}},
	"source/httpjson": {"the HTTP API source (Jira, ServiceNow, GitHub... presets)", []string{"ingest", "redact", "schema", "source"}},
	"source/webhook":  {"signed webhook receivers mapped through the presets", []string{"redact", "schema", "source", "source/httpjson", "store"}},
	"source/sources":  {"build a source from its settings", []string{"duration", "redact", "schema", "source", "source/demo", "source/files", "source/httpjson", "source/webhook"}},

	"engine":             {"the in-memory column engine: counts, breakdowns, tickets, stats... over a store", []string{"filter", "keytable", "patterns", "schema", "store", "ticket"}},
	"localize":           {"where a rise is: the combinations of values that explain it, from leaf counts", []string{"filter", "keytable"}},
	"localize/synth":     {"the localization benchmark's cases, with their truth", []string{"localize"}},
	"localize/published": {"the published benchmarks' cases (Squeeze's layout) read as cubes, scored as synth scores", []string{"localize", "localize/synth"}},
	"frames":             {"engine results as Grafana data frames", []string{"engine", "filter", "localize", "schema"}},
	"query":              {"the query JSON of each query type, and its answer from the engine as frames", []string{"duration", "engine", "filter", "frames", "localize", "schema"}},
	"live":               {"Grafana Live streams of queries as tickets land", []string{"engine", "filter", "frames", "query", "schema"}},

	"hub": {"the runtime the plugin and `spacetime ingest` share: stores, engines, load/follow/trim, pollers",
		[]string{"clock", "engine", "filter", "live", "logval", "redact", "schema", "source", "source/sources", "store", "store/bolt", "store/dynamo", "store/stores", "storeschema"}},
	"plugin": {"the SDK glue: settings, and one file per SDK handler",
		[]string{"duration", "engine", "filter", "frames", "hub", "live", "logval", "query", "redact", "schema", "source", "source/sources", "source/webhook", "store", "store/bolt", "store/dynamo", "storeschema"}},
	"": {"the plugin binary's main", []string{"hub", "plugin"}},

	"dashboards":        {"the provisioned dashboards and alert rules, built from a schema", []string{"filter", "frames", "query", "schema"}},
	"bench":             {"the drill-down workload the benchmarks run", []string{"filter", "query"}},
	"binaryhost":        {"start the built plugin binary as Grafana does and talk gRPC to it (tests, bench)", nil},
	"binaryhost/bridge": {"Grafana's HTTP API answered by the plugin binary, for the TypeScript suites", []string{"binaryhost", "gen", "ingest", "schema", "store/stores"}},
	"layering":          {"this test", nil},
	// The command line may use every package but the plugin's SDK glue (below).
	"cmd/spacetime": {"the spacetime command line", nil},
}

// sdkFree are the packages that must not depend on the plugin SDK, even indirectly: the
// product's core knows nothing of Grafana.
var sdkFree = []string{"ticket", "keytable", "schema", "duration", "clock", "logval", "redact", "patterns", "filter", "store", "store/bolt", "store/dynamo",
	"store/memory", "store/stores", "storeschema", "ingest", "gen", "source", "source/demo", "source/files", "source/httpjson",
	"source/webhook", "source/sources", "engine", "localize", "localize/synth", "localize/published", "hub"}

// sourceMustNot are what the ticket sources must not depend on, even indirectly: a source
// turns an upstream into records, and knows nothing of queries or answers.
var sourceMustNot = []string{"engine", "frames", "query", "live", "hub", "plugin", "dashboards"}

const sdk = "github.com/grafana/grafana-plugin-sdk-go"

type pkgInfo struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// list returns every package of the module with its imports (not its tests').
func list(t *testing.T) map[string]pkgInfo {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkgInfo{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[short(p.ImportPath)] = p
	}
	return pkgs
}

// short is a path of the module without the module's pkg prefix ("" for pkg itself).
func short(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
}

func own(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == module || strings.HasPrefix(p, module+"/") {
			out = append(out, short(p))
		}
	}
	return out
}

// TestImportsFollowTheMap: every package imports only what the map allows, and every
// package is in the map.
func TestImportsFollowTheMap(t *testing.T) {
	pkgs := list(t)
	for name, p := range pkgs {
		l, ok := layers[name]
		if !ok {
			t.Errorf("package pkg/%s is not in the package map: add it to layers in layering_test.go, with what it does and may import", name)
			continue
		}
		for _, imp := range own(p.Imports) {
			switch {
			case imp == "plugin" && name != "":
				t.Errorf("pkg/%s imports pkg/plugin: only the plugin's main may; share code through hub or query", name)
			case name == "cmd/spacetime":
				// Anything else.
			case !slices.Contains(l.may, imp):
				t.Errorf("pkg/%s (%s) imports pkg/%s, which the package map does not allow it", name, l.does, imp)
			}
		}
	}
	for name := range layers {
		if _, ok := pkgs[name]; !ok {
			t.Errorf("the package map names pkg/%s, which does not exist", name)
		}
	}
}

// TestCoreIsSDKFree: the engine, the stores, the sources and the runtime do not depend
// on the plugin SDK, even through another package.
func TestCoreIsSDKFree(t *testing.T) {
	pkgs := list(t)
	for _, name := range sdkFree {
		for _, dep := range pkgs[name].Deps {
			if dep == sdk || strings.HasPrefix(dep, sdk+"/") {
				t.Errorf("pkg/%s depends on %s: the core knows nothing of Grafana", name, dep)
				break
			}
		}
	}
}

// TestSourcesKnowNoQueries: no ticket source depends on the engine, the frames, the query
// models or the plugin, even through another package.
func TestSourcesKnowNoQueries(t *testing.T) {
	pkgs := list(t)
	for name, p := range pkgs {
		if name != "source" && !strings.HasPrefix(name, "source/") {
			continue
		}
		for _, dep := range own(p.Deps) {
			if slices.Contains(sourceMustNot, dep) {
				t.Errorf("the source package pkg/%s depends on pkg/%s", name, dep)
			}
		}
	}
}
