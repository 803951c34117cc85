package impl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openFile opens, or with opt.Create creates, the file behind a store and
// returns its descriptor and the store's size. extra is added to the open
// flags (O_DIRECT). On error nothing is left open, and a file this call
// created is removed again.
func openFile(backend, path string, opt Options, extra int) (fd int, size int64, err error) {
	flags := unix.O_RDWR | unix.O_CLOEXEC | extra
	if opt.ReadOnly {
		flags = unix.O_RDONLY | unix.O_CLOEXEC | extra
	}
	if opt.Create {
		if err := checkFreeSpace(path, opt.Size); err != nil {
			return -1, 0, err
		}
		// O_EXCL: never truncate or reuse a path that someone else owns.
		flags |= unix.O_CREAT | unix.O_EXCL
	}
	fd, err = unix.Open(path, flags, 0o600)
	if err != nil {
		if extra&unix.O_DIRECT != 0 && err == unix.EINVAL {
			return -1, 0, fmt.Errorf("impl: %s: open %s with O_DIRECT: the filesystem refuses direct I/O: %w", backend, path, err)
		}
		return -1, 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer func(fd int) {
		if err != nil {
			abandon(fd, path, opt)
		}
	}(fd) // not the named result, which the error returns below set to -1
	if opt.Create {
		return fd, opt.Size, allocate(fd, path, opt.Size)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return -1, 0, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return -1, 0, fmt.Errorf("impl: %s: open %s: is a directory, want a regular file", backend, path)
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return -1, 0, fmt.Errorf("impl: %s: open %s: not a regular file (mode %v)", backend, path, fs.FileMode(st.Mode&0o7777))
	case st.Size == 0:
		// mmap(2): "length must be greater than 0"; all backends share the rule.
		return -1, 0, fmt.Errorf("impl: %s: open %s: the file is empty, and a store needs at least one byte", backend, path)
	case opt.Size > st.Size:
		return -1, 0, fmt.Errorf("impl: %s: open %s: size %d is larger than the file's %d bytes, and a store never extends its file", backend, path, opt.Size, st.Size)
	case opt.Size > 0:
		return fd, opt.Size, nil
	}
	return fd, st.Size, nil
}

// abandon undoes a failed open: it closes fd and removes the file if this
// open created it, so that a failed Open leaves nothing behind.
func abandon(fd int, path string, opt Options) {
	unix.Close(fd)
	if opt.Create {
		os.Remove(path)
	}
}

// checkFreeSpace refuses, before anything is created, a file larger than the
// free space of the filesystem that would hold it: fallocate would fail
// half-way, or a sparse file would fail with SIGBUS on first write.
func checkFreeSpace(path string, size int64) error {
	var sfs unix.Statfs_t
	dir := filepath.Dir(path)
	if err := unix.Statfs(dir, &sfs); err != nil {
		return &fs.PathError{Op: "statfs", Path: dir, Err: err}
	}
	free := int64(sfs.Bavail) * sfs.Bsize
	if size > free {
		return fmt.Errorf("impl: create %s: size %d bytes is larger than the %d bytes free on its filesystem", path, size, free)
	}
	return nil
}

// checkMemory refuses a buffer larger than the machine's memory, which the
// kernel would not let the Go runtime map: a fatal error, not an error value.
func checkMemory(label string, size int64) error {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return fmt.Errorf("impl: %s: sysinfo: %w", label, err)
	}
	if total := int64(si.Totalram) * int64(si.Unit); size > total {
		return fmt.Errorf("impl: %s: size %d bytes is larger than the %d bytes of memory", label, size, total)
	}
	return nil
}

// allocate gives a new file its blocks, so that writes through a mapping
// cannot fail later for lack of space. Filesystems without fallocate get a
// sparse file instead.
func allocate(fd int, path string, size int64) error {
	err := unix.Fallocate(fd, 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) {
		err = unix.Ftruncate(fd, size)
	}
	if err != nil {
		return &fs.PathError{Op: "fallocate", Path: path, Err: err}
	}
	return nil
}

// fdatasync retries on EINTR, which a signal to the benchmark process can cause.
func fdatasync(fd int) error {
	for {
		err := unix.Fdatasync(fd)
		if err != unix.EINTR {
			return err
		}
	}
}

// evictFile writes the file's dirty pages back, then asks the kernel to drop
// its clean pages. Mapped pages are skipped by the kernel: unmap first.
func evictFile(label string, fd int) error {
	if err := fdatasync(fd); err != nil {
		return fmt.Errorf("impl: %s: evict: fdatasync: %w", label, err)
	}
	if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("impl: %s: evict: posix_fadvise(DONTNEED): %w", label, err)
	}
	return nil
}

// fileResident maps the file read-only just long enough to ask mincore about
// it: mapping faults nothing in, so the answer is the page cache's.
func fileResident(label string, fd int, size int64) (pages, total int, err error) {
	mem, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, 0, fmt.Errorf("impl: %s: resident: mmap: %w", label, err)
	}
	defer unix.Munmap(mem)
	return mincore(label, mem)
}

// mincore counts the pages of mem that are in memory. x/sys/unix has no
// wrapper for mincore(2).
func mincore(label string, mem []byte) (pages, total int, err error) {
	ps := os.Getpagesize()
	total = (len(mem) + ps - 1) / ps
	vec := make([]byte, total)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return 0, 0, fmt.Errorf("impl: %s: mincore: %w", label, errno)
	}
	for _, v := range vec {
		pages += int(v & 1)
	}
	return pages, total, nil
}

// fadviseFor maps hints onto posix_fadvise for descriptor backends.
var fadviseFor = [...]int{
	AdviceNormal:     unix.FADV_NORMAL,
	AdviceSequential: unix.FADV_SEQUENTIAL,
	AdviceRandom:     unix.FADV_RANDOM,
	AdviceWillNeed:   unix.FADV_WILLNEED,
	AdviceDontNeed:   unix.FADV_DONTNEED,
	AdviceHugePage:   -1, // no descriptor equivalent
	AdvicePopulate:   -1, // MADV_POPULATE_READ on a temporary mapping, below
}

// adviseFile applies a hint to a descriptor backend's file.
func adviseFile(label string, fd int, size int64, a Advice) error {
	switch {
	case a < 0 || int(a) >= len(fadviseFor):
		return fmt.Errorf("impl: %s: unknown advice %d", label, int(a))
	case a == AdviceHugePage:
		return fmt.Errorf("impl: %s: advice %s needs a mapping, and this backend reads through a descriptor: %w", label, a, errors.ErrUnsupported)
	case a == AdvicePopulate:
		// Not readahead(2): it returns before the reads finish, and reads at
		// most the device's read-ahead window (read_ahead_kb) per call.
		// MADV_POPULATE_READ on a temporary mapping reads the whole file into
		// the page cache and waits; the pages stay after munmap.
		mem, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			return fmt.Errorf("impl: %s: advice %s: mmap: %w", label, a, err)
		}
		defer unix.Munmap(mem)
		if err := unix.Madvise(mem, unix.MADV_POPULATE_READ); err != nil {
			return fmt.Errorf("impl: %s: advice %s: madvise: the kernel refused: %w", label, a, err)
		}
		return nil
	}
	if err := unix.Fadvise(fd, 0, size, fadviseFor[a]); err != nil {
		return fmt.Errorf("impl: %s: advice %s: posix_fadvise: the kernel refused: %w", label, a, err)
	}
	return nil
}

// DirectAlignment returns the alignment that O_DIRECT transfers on the file at
// path need for offsets, lengths and buffer addresses, as statx reports it;
// the page size where the kernel does not say.
func DirectAlignment(path string) (int, error) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_DIOALIGN, &stx); err != nil {
		return 0, &fs.PathError{Op: "statx", Path: path, Err: err}
	}
	return dioAlign(&stx), nil
}

func dioAlign(stx *unix.Statx_t) int {
	align := int(max(stx.Dio_mem_align, stx.Dio_offset_align))
	if stx.Mask&unix.STATX_DIOALIGN == 0 || align == 0 {
		return os.Getpagesize()
	}
	return align
}
