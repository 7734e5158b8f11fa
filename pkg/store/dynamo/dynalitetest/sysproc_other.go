//go:build !linux

package dynalitetest

import "syscall"

// sysProcAttr puts dynalite in its own process group, so that a Ctrl-C in the terminal
// reaches the test binary, which stops dynalite in its cleanup.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
