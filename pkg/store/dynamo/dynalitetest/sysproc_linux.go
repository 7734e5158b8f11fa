package dynalitetest

import "syscall"

// sysProcAttr puts dynalite in its own process group, so that a Ctrl-C in the terminal
// reaches the test binary (which stops dynalite in its cleanup) and not dynalite first,
// and has the kernel kill it when the test binary dies without cleaning up (a test
// timeout panics past every cleanup).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
