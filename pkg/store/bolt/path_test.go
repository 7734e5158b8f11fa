package bolt

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the expected paths are Unix paths")
	}
	tests := []struct {
		name string
		env  map[string]string
		uid  string
		want string
	}{
		{
			name: "Grafana's data directory comes first",
			env:  map[string]string{"GF_PATHS_DATA": "/var/lib/grafana", "XDG_DATA_HOME": "/x", "HOME": "/home/g"},
			uid:  "P1234abcd",
			want: "/var/lib/grafana/spacetime/P1234abcd.db",
		},
		{
			name: "then XDG_DATA_HOME",
			env:  map[string]string{"XDG_DATA_HOME": "/home/g/data", "HOME": "/home/g"},
			uid:  "uid-1_2",
			want: "/home/g/data/spacetime/uid-1_2.db",
		},
		{
			name: "then HOME",
			env:  map[string]string{"HOME": "/home/g"},
			uid:  "abc",
			want: "/home/g/.local/share/spacetime/abc.db",
		},
		{
			name: "then the user cache directory",
			env:  map[string]string{"XDG_CACHE_HOME": "/cache"},
			uid:  "abc",
			want: "/cache/spacetime/abc.db",
		},
		{
			name: "relative directories are skipped, never the working directory",
			env:  map[string]string{"GF_PATHS_DATA": "data", "XDG_DATA_HOME": "./x", "HOME": "/home/g"},
			uid:  "abc",
			want: "/home/g/.local/share/spacetime/abc.db",
		},
		{
			name: "an empty name is default",
			env:  map[string]string{"HOME": "/home/g"},
			want: "/home/g/.local/share/spacetime/default.db",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultPath(func(k string) string { return tt.env[k] }, tt.uid)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("DefaultPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultPathWithoutAnyDirectory(t *testing.T) {
	env := map[string]string{"GF_PATHS_DATA": "relative", "PWD": "/srv/grafana"}
	got, err := DefaultPath(func(k string) string { return env[k] }, "abc")
	if err == nil {
		t.Fatalf("DefaultPath = %q with no usable directory, want an error", got)
	}
	if !strings.Contains(err.Error(), "GF_PATHS_DATA") {
		t.Errorf("error %q does not say what to set", err)
	}
}

func TestDefaultPathSanitisesNames(t *testing.T) {
	getenv := func(k string) string {
		if k == "HOME" {
			return "/home/g"
		}
		return ""
	}
	dir := "/home/g/.local/share/spacetime"
	names := []string{"../../etc/passwd", "a/b", "a_b", "a b", ".hidden", "..", "a\x00b", "ünïcode", strings.Repeat("x", 300)}
	seen := map[string]string{}
	for _, name := range names {
		got, err := DefaultPath(getenv, name)
		if err != nil {
			t.Fatalf("DefaultPath(%q): %v", name, err)
		}
		base := filepath.Base(got)
		if filepath.Dir(got) != dir {
			t.Errorf("DefaultPath(%q) = %q, outside %s", name, got, dir)
		}
		if strings.HasPrefix(base, ".") || len(base) > maxNameLen+len(".db") || !strings.HasSuffix(base, ".db") {
			t.Errorf("DefaultPath(%q) = %q: not a plain, short .db file name", name, got)
		}
		for _, r := range strings.TrimSuffix(base, ".db") {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
				t.Errorf("DefaultPath(%q) = %q holds %q", name, got, r)
			}
		}
		if other, ok := seen[got]; ok {
			t.Errorf("names %q and %q share the file %s", other, name, got)
		}
		seen[got] = name
	}
}
