package impl

import (
	"fmt"
	"io"
	"os"
)

// osfileStore is the "osfile" backend: *os.File's ReadAt and WriteAt, the
// path most Go programs take. Underneath it is pread and pwrite, through
// internal/poll's locking and EINTR handling; the difference from the
// "pread" backend is that overhead.
type osfileStore struct {
	label    string
	f        *os.File // nil once closed
	fd       int      // f's descriptor, for fdatasync, fadvise and mincore
	size     int64
	readOnly bool
}

func openOSFile(path string, opt Options) (Store, error) {
	fd, size, err := openFile("osfile", path, opt, 0)
	if err != nil {
		return nil, err
	}
	return &osfileStore{label: "osfile " + path, f: os.NewFile(uintptr(fd), path), fd: fd, size: size, readOnly: opt.ReadOnly}, nil
}

func (s *osfileStore) String() string { return s.label }

// Size reports the store's fixed length.
func (s *osfileStore) Size() int64 { return s.size }

// ReadAt is os.File.ReadAt, bounded by Size.
func (s *osfileStore) ReadAt(p []byte, off int64) (int, error) {
	if s.f == nil {
		return 0, closedError(s.label, "ReadAt")
	}
	n, spanErr := readSpan(s.label, off, len(p), s.size)
	if n == 0 {
		return 0, spanErr
	}
	if m, err := s.f.ReadAt(p[:n], off); err != nil {
		if err == io.EOF {
			// The file shrank underneath the store: not the store's end,
			// so not io.EOF (as in the "pread" backend).
			err = fmt.Errorf("%w (file truncated underneath?)", io.ErrUnexpectedEOF)
		}
		return m, fmt.Errorf("impl: %s: %w", s.label, err)
	}
	return n, spanErr
}

// WriteAt is os.File.WriteAt, bounded by Size.
func (s *osfileStore) WriteAt(p []byte, off int64) (int, error) {
	if s.f == nil {
		return 0, closedError(s.label, "WriteAt")
	}
	n, spanErr := writeSpan(s.label, s.readOnly, off, len(p), s.size)
	if n == 0 {
		return 0, spanErr
	}
	if m, err := s.f.WriteAt(p[:n], off); err != nil {
		return m, fmt.Errorf("impl: %s: %w", s.label, err)
	}
	return n, spanErr
}

// Sync is fdatasync, as for "pread", rather than os.File.Sync's fsync, so
// that the two descriptor backends pay for the same durability.
func (s *osfileStore) Sync() error {
	if s.f == nil {
		return closedError(s.label, "Sync")
	}
	if err := fdatasync(s.fd); err != nil {
		return fmt.Errorf("impl: %s: fdatasync: %w", s.label, err)
	}
	return nil
}

// Advise passes the hint to posix_fadvise, or readahead for populate.
func (s *osfileStore) Advise(a Advice) error {
	if s.f == nil {
		return closedError(s.label, "Advise")
	}
	return adviseFile(s.label, s.fd, s.size, a)
}

// Evict writes back and drops the file's pages from the page cache.
func (s *osfileStore) Evict() error {
	if s.f == nil {
		return closedError(s.label, "Evict")
	}
	return evictFile(s.label, s.fd)
}

// Resident reports the file's pages in the page cache.
func (s *osfileStore) Resident() (pages, total int, err error) {
	if s.f == nil {
		return 0, 0, closedError(s.label, "Resident")
	}
	return fileResident(s.label, s.fd, s.size)
}

// Close closes the file. A second Close does nothing.
func (s *osfileStore) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("impl: %s: %w", s.label, err)
	}
	return nil
}
