package impl

import (
	"fmt"
	"io"
	"unsafe"

	"golang.org/x/sys/unix"
)

// preadStore is the "pread" backend: unix.Pread and unix.Pwrite on a raw
// descriptor, with none of os.File's machinery in between. Each call copies
// between the page cache and the caller's buffer (or, with O_DIRECT, moves
// the data by DMA without the page cache).
type preadStore struct {
	label    string
	fd       int // -1 once closed
	size     int64
	readOnly bool
	align    int // O_DIRECT alignment; 1 without O_DIRECT
}

func openPread(path string, opt Options) (Store, error) {
	label := "pread " + path
	extra := 0
	if opt.Direct {
		extra = unix.O_DIRECT
	}
	fd, size, err := openFile("pread", path, opt, extra)
	if err != nil {
		return nil, err
	}
	s := &preadStore{label: label, fd: fd, size: size, readOnly: opt.ReadOnly, align: 1}
	if opt.Direct {
		var stx unix.Statx_t
		if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_DIOALIGN, &stx); err != nil {
			abandon(fd, path, opt)
			return nil, fmt.Errorf("impl: %s: statx: %w", label, err)
		}
		s.align = dioAlign(&stx)
		if size%int64(s.align) != 0 {
			abandon(fd, path, opt)
			return nil, fmt.Errorf("impl: %s: O_DIRECT needs a size that is a multiple of %d bytes, got %d", label, s.align, size)
		}
	}
	return s, nil
}

func (s *preadStore) String() string { return s.label }

// Size reports the store's fixed length.
func (s *preadStore) Size() int64 { return s.size }

// Alignment reports the alignment O_DIRECT transfers need: buffer address,
// offset and length must all be multiples of it. It is 1 without O_DIRECT.
func (s *preadStore) Alignment() int { return s.align }

// checkAligned rejects, with a clear error, the transfer the kernel would
// refuse with a bare EINVAL.
func (s *preadStore) checkAligned(op string, p []byte, off int64) error {
	if s.align == 1 || len(p) == 0 {
		return nil
	}
	a := int64(s.align)
	addr := int64(uintptr(unsafe.Pointer(&p[0])))
	if off%a != 0 || int64(len(p))%a != 0 || addr%a != 0 {
		return fmt.Errorf("impl: %s: %s with O_DIRECT: offset %d, length %d and buffer address %#x must all be multiples of %d (see AlignedBuffer)", s.label, op, off, len(p), addr, a)
	}
	return nil
}

// ReadAt preads until p is full, retrying on EINTR and short reads.
func (s *preadStore) ReadAt(p []byte, off int64) (int, error) {
	if s.fd < 0 {
		return 0, closedError(s.label, "ReadAt")
	}
	n, spanErr := readSpan(s.label, off, len(p), s.size)
	if n == 0 {
		return 0, spanErr
	}
	if err := s.checkAligned("ReadAt", p[:n], off); err != nil {
		return 0, err
	}
	done := 0
	for done < n {
		m, err := unix.Pread(s.fd, p[done:n], off+int64(done))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return done, fmt.Errorf("impl: %s: pread at offset %d: %w", s.label, off+int64(done), err)
		case m == 0:
			// The file shrank underneath the store.
			return done, fmt.Errorf("impl: %s: pread at offset %d: %w (file truncated underneath?)", s.label, off+int64(done), io.ErrUnexpectedEOF)
		}
		done += m
	}
	return n, spanErr
}

// WriteAt pwrites until p is written, retrying on EINTR and short writes.
func (s *preadStore) WriteAt(p []byte, off int64) (int, error) {
	if s.fd < 0 {
		return 0, closedError(s.label, "WriteAt")
	}
	n, spanErr := writeSpan(s.label, s.readOnly, off, len(p), s.size)
	if n == 0 {
		return 0, spanErr
	}
	if err := s.checkAligned("WriteAt", p[:n], off); err != nil {
		return 0, err
	}
	done := 0
	for done < n {
		m, err := unix.Pwrite(s.fd, p[done:n], off+int64(done))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return done, fmt.Errorf("impl: %s: pwrite at offset %d: %w", s.label, off+int64(done), err)
		}
		done += m
	}
	return n, spanErr
}

// Sync is fdatasync: data and the metadata needed to read it back.
func (s *preadStore) Sync() error {
	if s.fd < 0 {
		return closedError(s.label, "Sync")
	}
	if err := fdatasync(s.fd); err != nil {
		return fmt.Errorf("impl: %s: fdatasync: %w", s.label, err)
	}
	return nil
}

// Advise passes the hint to posix_fadvise, or readahead for populate.
func (s *preadStore) Advise(a Advice) error {
	if s.fd < 0 {
		return closedError(s.label, "Advise")
	}
	return adviseFile(s.label, s.fd, s.size, a)
}

// Evict writes back and drops the file's pages from the page cache.
func (s *preadStore) Evict() error {
	if s.fd < 0 {
		return closedError(s.label, "Evict")
	}
	return evictFile(s.label, s.fd)
}

// Resident reports the file's pages in the page cache.
func (s *preadStore) Resident() (pages, total int, err error) {
	if s.fd < 0 {
		return 0, 0, closedError(s.label, "Resident")
	}
	return fileResident(s.label, s.fd, s.size)
}

// Close closes the descriptor. A second Close does nothing.
func (s *preadStore) Close() error {
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	if err != nil {
		return fmt.Errorf("impl: %s: close: %w", s.label, err)
	}
	return nil
}
