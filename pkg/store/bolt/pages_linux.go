//go:build linux

package bolt

import (
	"syscall"

	bbolt "go.etcd.io/bbolt"
)

// releasePages drops the file's pages from the process's memory map (MADV_DONTNEED).
// bbolt maps the file read-only and shared, so nothing is lost: the pages stay in the
// operating system's page cache, and a later read maps them in again. Without this, a
// full load leaves every page of the file counted in the process's resident set, about
// 550 bytes per ticket, for as long as the process runs. The read transaction keeps
// bbolt from remapping the file meanwhile, so the range is the current map.
func (s *Store) releasePages() {
	_ = s.db.View(func(tx *bbolt.Tx) error {
		info := s.db.Info()
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
		return nil
	})
}
