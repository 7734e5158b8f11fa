package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spacetime/tickets/pkg/dashboards"
	"github.com/spacetime/tickets/pkg/schema"
)

// runDashboards writes the provisioned dashboards and alert rules, built from a schema, or
// with --check says whether the files on disk are what the generator writes.
func runDashboards(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dashboards")
	schemaPath := fs.String("schema", "", "the column schema file (default: the built-in schema)")
	out := fs.String("out", "dashboards", "directory of the dashboard JSON files")
	alerts := fs.String("alerts", "provisioning/alerting", "directory of the alert rules file")
	charts := fs.String("charts", "", "charts by dimension, FIELD:pie or FIELD:bar separated by commas (default: severity, service, region, category)")
	check := fs.Bool("check", false, "compare the files with what would be written, write nothing")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	s := schema.Default()
	if *schemaPath != "" {
		var err error
		if s, err = schema.Load(*schemaPath); err != nil {
			return err
		}
	}
	opts := dashboards.Options{Schema: s}
	if *charts != "" {
		for _, spec := range strings.Split(*charts, ",") {
			field, kind, ok := strings.Cut(strings.TrimSpace(spec), ":")
			if !ok {
				return fmt.Errorf("%w: --charts %q: want FIELD:pie or FIELD:bar", errUsage, spec)
			}
			opts.Charts = append(opts.Charts, dashboards.Chart{Field: field, Kind: dashboards.ChartKind(kind)})
		}
	}
	files, err := dashboards.Generate(opts)
	if err != nil {
		return err
	}
	dirs := map[string]string{
		filepath.Dir(dashboards.OverviewFile): *out,
		filepath.Dir(dashboards.AlertsFile):   *alerts,
	}
	if !*check {
		if err := dashboards.Write("", files, dirs); err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dirs[filepath.Dir(f.Path)], filepath.Base(f.Path)))
		}
		return nil
	}
	var stale []string
	for _, f := range files {
		path := filepath.Join(dirs[filepath.Dir(f.Path)], filepath.Base(f.Path))
		have, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if !bytes.Equal(have, f.Data) {
			stale = append(stale, path)
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("not what the generator writes (run spacetime dashboards): %s", strings.Join(stale, ", "))
	}
	fmt.Fprintln(stdout, "the dashboards and alert rules are up to date")
	return nil
}
