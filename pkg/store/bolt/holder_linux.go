package bolt

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockHolder names the process that holds the flock on the file at path (bbolt locks its
// file with flock), as "pid 1234 (spacetime import)", or "" when it cannot be told.
//
// The kernel lists every lock in /proc/locks with the holder's pid and the file's device
// and inode, so the answer is the kernel's: it is right whoever holds the file (Grafana,
// `spacetime import`, bbolt's own command), it cannot go stale after a kill -9 as a pid
// file written beside the store would, and it leaves nothing beside the store for an
// operator to copy or delete. A holder in another pid namespace (another container) is
// listed with a pid this process cannot see; the message then says only that.
func lockHolder(path string) string {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return ""
	}
	dev := uint64(st.Dev) // uint32 on some architectures
	id := fmt.Sprintf("%02x:%02x:%d", unix.Major(dev), unix.Minor(dev), st.Ino)
	f, err := os.Open("/proc/locks")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 1234 fe:00:10447336 0 EOF"; a waiter's line has "->"
		// after the number and holds nothing.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[5] != id {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || pid <= 0 {
			return "a process in another pid namespace (another container?)"
		}
		return describeProcess(pid)
	}
	return ""
}

// describeProcess names a process by its pid and its command: the program's name and,
// when the first argument is a word such as a subcommand ("spacetime import", "grafana
// server"), that word. The other arguments are left out: flags may hold secrets, and the
// message can reach a dashboard's viewers.
func describeProcess(pid int) string {
	self := ""
	if pid == os.Getpid() {
		self = ": this process, which opened it already"
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	args := strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
	if err != nil || len(args) == 0 || args[0] == "" {
		return fmt.Sprintf("pid %d%s", pid, self)
	}
	cmd := filepath.Base(args[0])
	if len(args) > 1 && isWord(args[1]) {
		cmd += " " + args[1]
	}
	return fmt.Sprintf("pid %d (%s)%s", pid, cmd, self)
}

func isWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' || s[0] == '-' {
			return false
		}
	}
	return true
}
