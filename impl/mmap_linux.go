package impl

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// mmapStore is the "mmap" backend: one unix.Mmap of the whole file, made at
// Open and kept until Close, so that no benchmark loop pays for mapping.
type mmapStore struct {
	mapped
}

func openMmap(path string, opt Options) (Store, error) {
	label := "mmap " + path
	fd, size, err := openFile("mmap", path, opt, 0)
	if err != nil {
		return nil, err
	}
	if err := checkMappable(label, size); err != nil {
		abandon(fd, path, opt)
		return nil, err
	}
	prot, flags := mapProt(opt)
	data, err := unix.Mmap(fd, 0, int(size), prot, flags)
	if err != nil {
		abandon(fd, path, opt)
		return nil, mapError(label, size, err)
	}
	return &mmapStore{mapped{label: label, fd: fd, data: data, size: size, readOnly: opt.ReadOnly, private: opt.Private}}, nil
}

// Sync is msync(MS_SYNC) of the whole mapping. A private mapping's writes
// never reach the file, so there is nothing to sync.
func (s *mmapStore) Sync() error {
	if s.data == nil {
		return closedError(s.label, "Sync")
	}
	if s.private || s.readOnly {
		return nil
	}
	if err := unix.Msync(s.data, unix.MS_SYNC); err != nil {
		return fmt.Errorf("impl: %s: msync: %w", s.label, err)
	}
	return nil
}

// Close unmaps, then closes the descriptor. A second Close does nothing.
func (s *mmapStore) Close() error {
	if s.data == nil {
		return nil
	}
	// Munmap needs the exact slice Mmap returned, which s.data is.
	errMap := unix.Munmap(s.data)
	s.data = nil
	errClose := unix.Close(s.fd)
	if errMap != nil {
		return fmt.Errorf("impl: %s: munmap: %w", s.label, errMap)
	}
	if errClose != nil {
		return fmt.Errorf("impl: %s: close: %w", s.label, errClose)
	}
	return nil
}
