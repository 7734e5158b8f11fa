//go:build !linux

package bolt

// releasePages does nothing where madvise's MADV_DONTNEED is not known to leave a
// shared file mapping intact.
func (s *Store) releasePages() {}
