package impl

import (
	"fmt"
	"os"

	"github.com/edsrzf/mmap-go"
)

// mmapgoStore is the "mmapgo" backend: the same whole-file mapping made
// through github.com/edsrzf/mmap-go, the portable library many Go programs
// use. Its data path is the raw backend's; what differs is the library's
// calls (Map, Flush, Unmap) and that Flush always syncs the whole mapping.
type mmapgoStore struct {
	mapped
	mm mmap.MMap
	f  *os.File
}

func openMmapGo(path string, opt Options) (Store, error) {
	label := "mmapgo " + path
	fd, size, err := openFile("mmapgo", path, opt, 0)
	if err != nil {
		return nil, err
	}
	if err := checkMappable(label, size); err != nil {
		abandon(fd, path, opt)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), path)
	prot := mmap.RDWR
	switch {
	case opt.Private:
		prot = mmap.COPY // mmap-go's name for MAP_PRIVATE
	case opt.ReadOnly:
		prot = mmap.RDONLY
	}
	mm, err := mmap.MapRegion(f, int(size), prot, 0, 0)
	if err != nil {
		f.Close() // not abandon: f owns the descriptor now
		if opt.Create {
			os.Remove(path)
		}
		return nil, mapError(label, size, err)
	}
	// COPY maps read-write; a read-only private store still refuses writes.
	return &mmapgoStore{mapped: mapped{label: label, fd: fd, data: mm, size: size, readOnly: opt.ReadOnly, private: opt.Private}, mm: mm, f: f}, nil
}

// Sync is mmap-go's Flush: msync(MS_SYNC) over the whole mapping.
func (s *mmapgoStore) Sync() error {
	if s.data == nil {
		return closedError(s.label, "Sync")
	}
	if s.private || s.readOnly {
		return nil
	}
	if err := s.mm.Flush(); err != nil {
		return fmt.Errorf("impl: %s: flush: %w", s.label, err)
	}
	return nil
}

// Close unmaps, then closes the file. A second Close does nothing.
func (s *mmapgoStore) Close() error {
	if s.data == nil {
		return nil
	}
	errMap := s.mm.Unmap()
	s.data, s.mm = nil, nil
	errClose := s.f.Close()
	if errMap != nil {
		return fmt.Errorf("impl: %s: unmap: %w", s.label, errMap)
	}
	if errClose != nil {
		return fmt.Errorf("impl: %s: close: %w", s.label, errClose)
	}
	return nil
}
