package ipc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mmapbench/mmapbench/impl"
	"golang.org/x/sys/unix"
)

// CreateFile makes a new record file at path: O_CREAT|O_EXCL, mode 0600,
// RecordSize bytes allocated, header written. It never truncates or
// reuses an existing file (and so never trips ext4's auto_da_alloc
// flush-on-close heuristic, which only follows a truncation).
func CreateFile(path string) error {
	st, err := impl.Open("osfile", path, impl.Options{Create: true, Size: RecordSize})
	if err != nil {
		return fmt.Errorf("ipc: creating record: %w", err)
	}
	if _, err := st.WriteAt(header(), 0); err != nil {
		st.Close()
		os.Remove(path)
		return fmt.Errorf("ipc: writing record header: %w", err)
	}
	return st.Close()
}

// OpenFile opens the record file at path with the file backend called name
// (mmap, mmapgo, pread or osfile). A missing file is an error wrapping
// fs.ErrNotExist, and a file that is not a record one wrapping
// [ErrNotRecord].
func OpenFile(name, path string) (*Region, error) {
	b, err := LookupBackend(name)
	if err != nil {
		return nil, err
	}
	if !b.File {
		return nil, fmt.Errorf("ipc: backend %s has no record file; want one of mmap, mmapgo, pread, osfile", name)
	}
	return b.open(attach{Path: path})
}

// openFileAttach returns the open function of the file backend called name.
func openFileAttach(name string) func(a attach) (*Region, error) {
	return func(a attach) (*Region, error) {
		label := name + " " + a.Path
		// A separate descriptor of the same file, for flock and fdatasync:
		// impl's stores do not expose theirs. flock locks belong to the
		// open file description, so this one excludes other processes'.
		fd, err := unix.Open(a.Path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: a.Path, Err: err}
		}
		var stat unix.Stat_t
		if err := unix.Fstat(fd, &stat); err != nil {
			unix.Close(fd)
			return nil, &fs.PathError{Op: "fstat", Path: a.Path, Err: err}
		}
		if stat.Mode&unix.S_IFMT != unix.S_IFREG || stat.Size < RecordSize {
			unix.Close(fd)
			return nil, fmt.Errorf("ipc: %s: not a regular file of at least %d bytes: %w", label, RecordSize, ErrNotRecord)
		}
		st, err := impl.Open(name, a.Path, impl.Options{Size: RecordSize})
		if err != nil {
			unix.Close(fd)
			return nil, err
		}
		closeFn := func() error { return errors.Join(st.Close(), unix.Close(fd)) }
		if v, ok := st.(impl.Viewer); ok {
			mem, err := v.View(0, RecordSize)
			if err != nil {
				closeFn()
				return nil, err
			}
			return newMappedRegion(label, mem, fd, closeFn)
		}
		return newStoreRegion(label, st, fd, closeFn)
	}
}

// createFile makes the record file in dir, the driver's private directory.
func createFile(dir string) (*object, error) {
	path := filepath.Join(dir, "record")
	if err := CreateFile(path); err != nil {
		return nil, err
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(path)
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return pathObject(path, fd), nil
}

// mapFD maps the first RecordSize bytes of the shared-memory object fd and
// returns a region on them that closes fd (if closeFD) and unmaps on Close.
func mapFD(label string, fd int, closeFD bool) (*Region, error) {
	closeIt := func() error {
		if closeFD {
			return unix.Close(fd)
		}
		return nil
	}
	var stat unix.Stat_t
	if err := unix.Fstat(fd, &stat); err != nil {
		closeIt()
		return nil, fmt.Errorf("ipc: %s: fstat: %w", label, err)
	}
	if stat.Size < RecordSize {
		closeIt()
		return nil, fmt.Errorf("ipc: %s: %d bytes, want %d: %w", label, stat.Size, RecordSize, ErrNotRecord)
	}
	mem, err := unix.Mmap(fd, 0, RecordSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		closeIt()
		return nil, fmt.Errorf("ipc: %s: mmap: %w", label, err)
	}
	return newMappedRegion(label, mem, fd, func() error { return errors.Join(unix.Munmap(mem), closeIt()) })
}

// initFD sizes the new shared-memory object fd and writes the header.
func initFD(label string, fd int) error {
	if err := unix.Ftruncate(fd, RecordSize); err != nil {
		return fmt.Errorf("ipc: %s: ftruncate: %w", label, err)
	}
	if _, err := unix.Pwrite(fd, header(), 0); err != nil {
		return fmt.Errorf("ipc: %s: writing the header: %w", label, err)
	}
	return nil
}

// once returns f wrapped so that only its first call runs.
func once(f func()) func() {
	done := false
	return func() {
		if !done {
			done = true
			f()
		}
	}
}

// pathObject is an object that is a file at path, open as fd: release
// unlinks the name, cleanup also closes the descriptor.
func pathObject(path string, fd int) *object {
	o := &object{attach: attach{Path: path}, fd: fd}
	o.release = func() { os.Remove(path) }
	o.cleanup = once(func() {
		unix.Close(fd)
		os.Remove(path)
	})
	return o
}
