package impl

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// AdviseRange gives a hint for bytes [off, off+n) of the mapping (see
// RangeAdvisor).
func (m *mapped) AdviseRange(a Advice, off, n int64) error {
	if m.data == nil {
		return closedError(m.label, "AdviseRange")
	}
	if err := checkRange(m.label, a, off, n, m.size); err != nil {
		return err
	}
	if off%int64(os.Getpagesize()) != 0 {
		return fmt.Errorf("impl: %s: advice %s on [%d, %d): madvise needs a page-aligned start (page size %d)", m.label, a, off, off+n, os.Getpagesize())
	}
	p := m.data[off : off+n]
	var advice int
	switch a {
	case AdviceWillNeed:
		advice = unix.MADV_WILLNEED
	case AdvicePopulate:
		advice = unix.MADV_POPULATE_READ
	case AdviceDontNeed:
		if err := unix.Madvise(p, unix.MADV_DONTNEED); err != nil {
			return fmt.Errorf("impl: %s: advice %s on [%d, %d): madvise(MADV_DONTNEED): %w", m.label, a, off, off+n, err)
		}
		return fadviseRange(m.label, m.fd, a, off, n)
	default:
		return fmt.Errorf("impl: %s: advice %s for a range: want willneed, populate or dontneed: %w", m.label, a, errors.ErrUnsupported)
	}
	if err := unix.Madvise(p, advice); err != nil {
		return fmt.Errorf("impl: %s: advice %s on [%d, %d): madvise: the kernel refused: %w", m.label, a, off, off+n, err)
	}
	return nil
}

// AdviseRange gives a hint for bytes [off, off+n) of the file (see
// RangeAdvisor).
func (s *preadStore) AdviseRange(a Advice, off, n int64) error {
	if s.fd < 0 {
		return closedError(s.label, "AdviseRange")
	}
	return adviseFileRange(s.label, s.fd, a, off, n, s.size)
}

// AdviseRange gives a hint for bytes [off, off+n) of the file (see
// RangeAdvisor).
func (s *osfileStore) AdviseRange(a Advice, off, n int64) error {
	if s.f == nil {
		return closedError(s.label, "AdviseRange")
	}
	return adviseFileRange(s.label, s.fd, a, off, n, s.size)
}

func adviseFileRange(label string, fd int, a Advice, off, n, size int64) error {
	if err := checkRange(label, a, off, n, size); err != nil {
		return err
	}
	switch a {
	case AdviceWillNeed, AdviceDontNeed:
		return fadviseRange(label, fd, a, off, n)
	case AdvicePopulate:
		return fmt.Errorf("impl: %s: advice %s for a range needs a mapping; a descriptor takes willneed: %w", label, a, errors.ErrUnsupported)
	}
	return fmt.Errorf("impl: %s: advice %s for a range: want willneed or dontneed: %w", label, a, errors.ErrUnsupported)
}

func fadviseRange(label string, fd int, a Advice, off, n int64) error {
	if err := unix.Fadvise(fd, off, n, fadviseFor[a]); err != nil {
		return fmt.Errorf("impl: %s: advice %s on [%d, %d): posix_fadvise: the kernel refused: %w", label, a, off, off+n, err)
	}
	return nil
}

// checkRange refuses a range outside the store or empty.
func checkRange(label string, a Advice, off, n, size int64) error {
	if off < 0 || n <= 0 || off > size-n {
		return fmt.Errorf("impl: %s: advice %s on [%d, %d): want a non-empty range inside the store's %d bytes", label, a, off, off+n, size)
	}
	return nil
}
