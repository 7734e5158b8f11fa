package bolt

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
)

// maxNameLen keeps file names well under the 255 bytes file systems allow.
const maxNameLen = 100

// DefaultPath returns where the store of the data source called name lives when the user
// configured no path. Grafana gives a plugin no data directory and starts it in its own
// working directory (often "/"), so the working directory is never used; in order:
//
//	$GF_PATHS_DATA/spacetime/<name>.db    Grafana's data directory, when it is exported
//	                                      (the official Docker image does)
//	$XDG_DATA_HOME/spacetime/<name>.db
//	$HOME/.local/share/spacetime/<name>.db
//	<user cache directory>/spacetime/<name>.db
//
// Relative values of these variables are ignored: they would resolve against the working
// directory. name (a data source UID) is made a safe file name; empty means "default".
// DefaultPath reads the environment only through getenv.
func DefaultPath(getenv func(string) string, name string) (string, error) {
	file := safeName(name) + ".db"
	abs := func(key string) string {
		if v := getenv(key); v != "" && filepath.IsAbs(v) {
			return v
		}
		return ""
	}
	if dir := abs("GF_PATHS_DATA"); dir != "" {
		return filepath.Join(dir, "spacetime", file), nil
	}
	if dir := abs("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "spacetime", file), nil
	}
	if home := abs("HOME"); home != "" {
		return filepath.Join(home, ".local", "share", "spacetime", file), nil
	}
	if dir := userCacheDir(abs); dir != "" {
		return filepath.Join(dir, "spacetime", file), nil
	}
	return "", errors.New("no directory for the embedded store: set GF_PATHS_DATA, XDG_DATA_HOME " +
		"or HOME, or configure the store's path")
}

// userCacheDir is os.UserCacheDir read through getenv, for when HOME is unset (services).
func userCacheDir(abs func(string) string) string {
	switch runtime.GOOS {
	case "windows":
		return abs("LocalAppData")
	case "darwin", "ios":
		return "" // needs HOME, which was tried already
	case "plan9":
		return ""
	default:
		return abs("XDG_CACHE_HOME")
	}
}

// safeName keeps letters, digits, '-', '_' and inner dots. A name that had to be changed
// gets a hash of the original, so that two different names never share a file.
func safeName(name string) string {
	if name == "" {
		return "default"
	}
	var b strings.Builder
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.' && i > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	safe := b.String()
	if safe == name && len(safe) <= maxNameLen {
		return safe
	}
	sum := sha256.Sum256([]byte(name))
	if len(safe) > maxNameLen-9 {
		safe = safe[:maxNameLen-9]
	}
	return safe + "-" + hex.EncodeToString(sum[:4])
}
