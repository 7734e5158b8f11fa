package dashboards_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/spacetime/tickets/pkg/dashboards"
)

// dockerRepo is where .config/docker-compose-base.yaml mounts the repository; the
// committed provisioning files name paths under it.
const dockerRepo = "/root/spacetime-tickets-datasource"

// TestProvisioningPathsMatchDockerCompose reads the compose file's volumes and checks that
// the provisioning folder is mounted where Grafana reads it and that every repository path
// the provisioning files name exists in the repository once mounted.
func TestProvisioningPathsMatchDockerCompose(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".config", "docker-compose-base.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	mounts := map[string]string{} // source, relative to the repository, to target
	for _, v := range compose.Services["grafana"].Volumes {
		src, dst, _ := strings.Cut(v, ":")
		rel, err := filepath.Rel(".", filepath.Join(".config", src))
		if err != nil {
			t.Fatal(err)
		}
		mounts[rel] = dst
	}
	if mounts["."] != dockerRepo {
		t.Fatalf("the repository is mounted at %q, want %q (mounts %v)", mounts["."], dockerRepo, mounts)
	}
	if mounts["provisioning"] != "/etc/grafana/provisioning" {
		t.Errorf("provisioning/ is mounted at %q, not where Grafana reads it", mounts["provisioning"])
	}
	if mounts["dist"] != "/var/lib/grafana/plugins/"+dashboards.PluginID {
		t.Errorf("dist/ is mounted at %q, not as the plugin %s", mounts["dist"], dashboards.PluginID)
	}
	provider := dashboardsProviderPath(t, filepath.Join(repoRoot, "provisioning"))
	rel, ok := strings.CutPrefix(provider, dockerRepo+"/")
	if !ok {
		t.Fatalf("the dashboards provider reads %q, outside the mounted repository %s", provider, dockerRepo)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, rel, filepath.Base(dashboards.OverviewFile))); err != nil {
		t.Errorf("the dashboards provider reads %q, which does not hold the overview: %v", provider, err)
	}
}

// TestGrafanaLocal runs scripts/grafana-local with no Grafana on PATH, then with a
// stand-in that records how it is started, and checks the files it writes.
func TestGrafanaLocal(t *testing.T) {
	repo, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if repo, err = filepath.EvalSymlinks(repo); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(repo, "scripts", "grafana-local")
	// A PATH with the tools the script uses and no grafana.
	bin := t.TempDir()
	for _, tool := range []string{"bash", "dirname", "basename", "mkdir", "ln", "rm", "cp", "find", "cat", "readlink"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s is not installed: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "plugin.json"), []byte(`{"id": "`+dashboards.PluginID+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// The script writes resolved paths: compare with resolved ones.
	tempDir := func(t *testing.T) string {
		dir, err := filepath.EvalSymlinks(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return dir
	}
	run := func(t *testing.T, out, dist, path string, env ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(script)
		cmd.Env = append([]string{"PATH=" + path, "HOME=" + t.TempDir(), "SPACETIME_GRAFANA_DIR=" + out, "SPACETIME_DIST=" + dist}, env...)
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		err := cmd.Run()
		return output.String(), err
	}

	t.Run("without a build it says to run scripts/run", func(t *testing.T) {
		out := t.TempDir()
		msg, err := run(t, out, filepath.Join(t.TempDir(), "dist"), bin)
		if err == nil || !strings.Contains(msg, "run scripts/run first") {
			t.Fatalf("got %v: %s", err, msg)
		}
		if _, err := os.Stat(filepath.Join(out, "custom.ini")); err == nil {
			t.Error("it wrote custom.ini anyway")
		}
	})

	t.Run("without grafana it writes the files and says what to run", func(t *testing.T) {
		out := tempDir(t)
		msg, err := run(t, out, dist, bin, "GRAFANA_HOME=/opt/grafana")
		if err != nil {
			t.Fatalf("%v: %s", err, msg)
		}
		ini := filepath.Join(out, "custom.ini")
		if want := `grafana server --homepath "/opt/grafana" --config "` + ini + `"`; !strings.Contains(msg, want) {
			t.Errorf("the message does not give the command %s:\n%s", want, msg)
		}
		checkGrafanaLocalFiles(t, repo, out, dist)
	})

	t.Run("with grafana on PATH it starts it with the ini", func(t *testing.T) {
		out := tempDir(t)
		withGrafana := t.TempDir()
		args := filepath.Join(t.TempDir(), "args")
		stand := "#!" + filepath.Join(bin, "bash") + "\nfor a in \"$@\"; do echo \"$a\"; done >" + args + "\n"
		if err := os.WriteFile(filepath.Join(withGrafana, "grafana"), []byte(stand), 0o700); err != nil {
			t.Fatal(err)
		}
		msg, err := run(t, out, dist, withGrafana+":"+bin, "GRAFANA_HOME=/opt/grafana")
		if err != nil {
			t.Fatalf("%v: %s", err, msg)
		}
		got, err := os.ReadFile(args)
		if err != nil {
			t.Fatalf("grafana was not started: %v\n%s", err, msg)
		}
		want := strings.Join([]string{"server", "--homepath", "/opt/grafana", "--config", filepath.Join(out, "custom.ini")}, "\n") + "\n"
		if string(got) != want {
			t.Errorf("grafana started with\n%s\nwant\n%s", got, want)
		}
		checkGrafanaLocalFiles(t, repo, out, dist)
	})
}

// checkGrafanaLocalFiles checks custom.ini, the plugin link and the provisioning copy.
func checkGrafanaLocalFiles(t *testing.T, repo, out, dist string) {
	t.Helper()
	ini := readINI(t, filepath.Join(out, "custom.ini"))
	want := map[string]string{
		"paths.data":                             out,
		"paths.plugins":                          filepath.Join(out, "plugins"),
		"paths.provisioning":                     filepath.Join(out, "provisioning"),
		"plugins.allow_loading_unsigned_plugins": dashboards.PluginID,
	}
	for k, v := range want {
		if ini[k] != v {
			t.Errorf("custom.ini %s = %q, want %q", k, ini[k], v)
		}
	}
	link, err := os.Readlink(filepath.Join(out, "plugins", dashboards.PluginID))
	if err != nil || link != dist {
		t.Errorf("the plugin link goes to %q (%v), want %q", link, err, dist)
	}
	prov := filepath.Join(out, "provisioning")
	if got := provisionedStorePath(t, prov); got != filepath.Join(repo, "data", "demo.db") {
		t.Errorf("the data source's storePath is %q, want the repository's data/demo.db", got)
	}
	if got := dashboardsProviderPath(t, prov); got != filepath.Join(repo, "dashboards") {
		t.Errorf("the dashboards provider reads %q, want the repository's dashboards/", got)
	}
	committed, _ := filepath.Glob(filepath.Join(repo, "provisioning", "*", "*.yml"))
	for _, c := range committed {
		rel, _ := filepath.Rel(filepath.Join(repo, "provisioning"), c)
		text, err := os.ReadFile(filepath.Join(prov, rel))
		if err != nil {
			t.Errorf("the copy lacks %s: %v", rel, err)
			continue
		}
		if bytes.Contains(text, []byte(dockerRepo)) {
			t.Errorf("the copy of %s still names the Docker path %s", rel, dockerRepo)
		}
	}
}

// readINI reads section.key = value lines, as Grafana's ini library does for these.
func readINI(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: line %q is no key = value", path, line)
			}
			out[section+"."+strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// provisionedStorePath is the storePath of the provisioned Spacetime data source.
func provisionedStorePath(t *testing.T, prov string) string {
	t.Helper()
	var file struct {
		Datasources []struct {
			UID      string `yaml:"uid"`
			JSONData struct {
				StorePath string `yaml:"storePath"`
			} `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(prov, "datasources", "datasources.yml"), &file)
	for _, ds := range file.Datasources {
		if ds.UID == dashboards.DatasourceUID {
			return ds.JSONData.StorePath
		}
	}
	t.Fatalf("no data source %s in %s", dashboards.DatasourceUID, prov)
	return ""
}

// dashboardsProviderPath is the folder the Spacetime dashboards provider reads.
func dashboardsProviderPath(t *testing.T, prov string) string {
	t.Helper()
	var file struct {
		Providers []struct {
			Folder  string `yaml:"folder"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(prov, "dashboards", "dashboards.yml"), &file)
	for _, p := range file.Providers {
		if p.Folder == dashboards.FolderTitle {
			return p.Options.Path
		}
	}
	t.Fatalf("no dashboards provider for the folder %s in %s", dashboards.FolderTitle, prov)
	return ""
}
