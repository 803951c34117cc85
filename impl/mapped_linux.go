package impl

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// mapped is what the two mapping backends share: the bytes of the mapping and
// the descriptor kept open for fdatasync, fadvise and mincore. Reads and
// writes are a copy from or into the mapping, as in fio's mmap engine; View
// is the zero-copy access that a copy-based engine cannot express.
type mapped struct {
	label    string // "mmap /path", for errors and %v
	fd       int
	data     []byte // the whole mapping; nil once closed
	size     int64
	readOnly bool
	private  bool
}

func (m *mapped) String() string { return m.label }

// Size reports the store's fixed length.
func (m *mapped) Size() int64 { return m.size }

// ReadAt copies from the mapping; a fault becomes an error wrapping ErrFault.
func (m *mapped) ReadAt(p []byte, off int64) (int, error) {
	if m.data == nil {
		return 0, closedError(m.label, "ReadAt")
	}
	n, spanErr := readSpan(m.label, off, len(p), m.size)
	if n == 0 {
		return 0, spanErr
	}
	if _, err := guardedCopy(p[:n], m.data[off:]); err != nil {
		return 0, fmt.Errorf("impl: %s: ReadAt at offset %d: %w", m.label, off, err)
	}
	return n, spanErr
}

// WriteAt copies into the mapping; a fault becomes an error wrapping ErrFault.
func (m *mapped) WriteAt(p []byte, off int64) (int, error) {
	if m.data == nil {
		return 0, closedError(m.label, "WriteAt")
	}
	n, spanErr := writeSpan(m.label, m.readOnly, off, len(p), m.size)
	if n == 0 {
		return 0, spanErr
	}
	if _, err := guardedCopy(m.data[off:], p[:n]); err != nil {
		return 0, fmt.Errorf("impl: %s: WriteAt at offset %d: %w", m.label, off, err)
	}
	return n, spanErr
}

// View returns the mapping's bytes [off, off+n).
func (m *mapped) View(off int64, n int) ([]byte, error) {
	if m.data == nil {
		return nil, closedError(m.label, "View")
	}
	if err := viewSpan(m.label, off, n, m.size); err != nil {
		return nil, err
	}
	return m.data[off : off+int64(n) : off+int64(n)], nil
}

// madviseFor maps hints onto madvise(2).
var madviseFor = [...]int{
	AdviceNormal:     unix.MADV_NORMAL,
	AdviceSequential: unix.MADV_SEQUENTIAL,
	AdviceRandom:     unix.MADV_RANDOM,
	AdviceWillNeed:   unix.MADV_WILLNEED,
	AdviceDontNeed:   unix.MADV_DONTNEED,
	AdviceHugePage:   unix.MADV_HUGEPAGE,
	AdvicePopulate:   unix.MADV_POPULATE_READ, // Linux 5.14: fault in and wait, without dirtying
}

// Advise passes the hint to madvise over the whole mapping.
func (m *mapped) Advise(a Advice) error {
	if m.data == nil {
		return closedError(m.label, "Advise")
	}
	if a < 0 || int(a) >= len(madviseFor) {
		return fmt.Errorf("impl: %s: unknown advice %d", m.label, int(a))
	}
	if a == AdviceDontNeed && m.private && !m.readOnly {
		return fmt.Errorf("impl: %s: advice %s would discard this private mapping's writes", m.label, a)
	}
	if err := unix.Madvise(m.data, madviseFor[a]); err != nil {
		return fmt.Errorf("impl: %s: advice %s: madvise: the kernel refused: %w", m.label, a, err)
	}
	return nil
}

// Evict drops the mapping's page table entries, then the file's pages.
func (m *mapped) Evict() error {
	if m.data == nil {
		return closedError(m.label, "Evict")
	}
	if m.private && !m.readOnly {
		return fmt.Errorf("impl: %s: evict would discard this private mapping's writes", m.label)
	}
	// Flush dirty mapped pages first: MADV_DONTNEED on a shared mapping keeps
	// them in the page cache, but only a written-back page can be dropped.
	if !m.readOnly {
		if err := unix.Msync(m.data, unix.MS_SYNC); err != nil {
			return fmt.Errorf("impl: %s: evict: msync: %w", m.label, err)
		}
	}
	// The kernel will not drop a page that a page table still maps.
	if err := unix.Madvise(m.data, unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("impl: %s: evict: madvise(DONTNEED): %w", m.label, err)
	}
	return evictFile(m.label, m.fd)
}

// Resident asks mincore about the mapping, which reports the page cache's
// state for a file mapping whether or not this process has touched a page.
func (m *mapped) Resident() (pages, total int, err error) {
	if m.data == nil {
		return 0, 0, closedError(m.label, "Resident")
	}
	return mincore(m.label, m.data)
}

// mapProt returns the protection and flags for opt.
func mapProt(opt Options) (prot, flags int) {
	prot, flags = unix.PROT_READ, unix.MAP_SHARED
	if !opt.ReadOnly {
		prot |= unix.PROT_WRITE
	}
	if opt.Private {
		flags = unix.MAP_PRIVATE
	}
	if opt.Populate {
		flags |= unix.MAP_POPULATE
	}
	return prot, flags
}

// checkMappable rejects a size the mapping call cannot express.
func checkMappable(label string, size int64) error {
	if size != int64(int(size)) {
		return fmt.Errorf("impl: %s: size %d does not fit in this platform's int", label, size)
	}
	return nil
}

// mapError explains the common ways the kernel refuses a mapping.
func mapError(label string, size int64, err error) error {
	if err == unix.ENOMEM {
		return fmt.Errorf("impl: %s: mmap of %d bytes: the kernel refused the mapping (out of address space, RLIMIT_AS or vm.max_map_count): %w", label, size, err)
	}
	return fmt.Errorf("impl: %s: mmap of %d bytes: %w", label, size, err)
}
