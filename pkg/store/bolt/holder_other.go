//go:build !linux

package bolt

// lockHolder names the process that holds the file; only Linux tells (see holder_linux.go).
func lockHolder(string) string { return "" }
