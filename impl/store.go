package impl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// A Store is a fixed-size array of bytes backed by a file (or, for the null
// backend, by memory).
//
// ReadAt and WriteAt follow the [io.ReaderAt] and [io.WriterAt] contracts: a
// transfer shorter than len(p) always comes with a non-nil error. A read that
// reaches Size returns the bytes before Size and io.EOF, unwrapped, so that
// callers can compare it with ==. A write that reaches past Size writes the
// bytes that fit and returns an error wrapping [ErrNoExtend]. A negative
// offset is an error.
//
// ReadAt may be called from many goroutines at once, and so may WriteAt on
// disjoint ranges; overlapping concurrent writes leave the range with bytes
// from either. Close must not run concurrently with any other method: after
// it returns, every method returns an error wrapping [ErrClosed].
type Store interface {
	io.ReaderAt
	io.WriterAt

	// Size reports the store's fixed length in bytes.
	Size() int64

	// Sync makes completed writes durable: msync(MS_SYNC) for a mapping,
	// fdatasync for a descriptor. Other processes do not need it to see a
	// write: on Linux the page cache is shared and already holds it.
	Sync() error

	// Close releases the mapping or descriptor. It is idempotent and never
	// runs from a finalizer, so it cannot fire in the middle of a measurement.
	Close() error
}

// A Viewer is a Store whose bytes can be read and written in place, without a
// copy. The mapped backends implement it, and so does null.
type Viewer interface {
	// View returns the n bytes at off, aliasing the store's memory: writing
	// to the slice writes the store. The slice is valid until Close. A range
	// that does not fit inside Size is an error. Accesses to the slice are
	// not protected against SIGBUS; see [CatchFault].
	View(off int64, n int) ([]byte, error)
}

// An Advisor passes access hints to the kernel: madvise for a mapping,
// posix_fadvise or readahead for a descriptor. A hint the kernel refuses, or
// one that has no meaning for the backend, is an error; it never passes
// silently.
type Advisor interface {
	Advise(a Advice) error
}

// An Evicter can drop its file's pages from the page cache without root
// privileges and report how many are resident, so that a cold-cache run is
// verified rather than assumed.
type Evicter interface {
	// Evict writes back dirty pages and asks the kernel to drop the file's
	// clean pages (mapped backends first drop their own page table entries,
	// since mapped pages cannot be evicted). Pages still resident afterwards,
	// for instance because another process maps them, show in Resident.
	Evict() error

	// Resident reports how many of the file's pages are in the page cache,
	// out of total, as mincore sees them.
	Resident() (pages, total int, err error)
}

// Advice is an access hint for [Advisor].
type Advice int

// The hints, by the names used on the command line and in benchmark names.
const (
	AdviceNormal     Advice = iota // "normal": the kernel's default read-ahead
	AdviceSequential               // "seq": read ahead aggressively
	AdviceRandom                   // "rand": no read-ahead
	AdviceWillNeed                 // "willneed": start reading the whole store in now
	AdviceDontNeed                 // "dontneed": the pages will not be needed soon
	AdviceHugePage                 // "hugepage": back the mapping with huge pages (mappings only)
	AdvicePopulate                 // "populate": fault the whole store in now and wait (MADV_POPULATE_READ, on a temporary mapping for descriptors)
)

var adviceNames = [...]string{"normal", "seq", "rand", "willneed", "dontneed", "hugepage", "populate"}

func (a Advice) String() string {
	if a < 0 || int(a) >= len(adviceNames) {
		return fmt.Sprintf("Advice(%d)", int(a))
	}
	return adviceNames[a]
}

// ParseAdvice returns the Advice named s, one of the names [Advice.String]
// returns.
func ParseAdvice(s string) (Advice, error) {
	for i, name := range adviceNames {
		if s == name {
			return Advice(i), nil
		}
	}
	return 0, fmt.Errorf("impl: unknown advice %q: want one of %s", s, strings.Join(adviceNames[:], ", "))
}

// Errors wrapped by Store methods; test for them with errors.Is.
var (
	// ErrNoExtend reports a write that reaches past Size: a mapping cannot
	// grow its file, so no backend does.
	ErrNoExtend = errors.New("write past the store's fixed size")

	// ErrReadOnly reports a write to a store opened with Options.ReadOnly.
	ErrReadOnly = errors.New("store is read-only")

	// ErrClosed reports a call on a closed store. It is fs.ErrClosed, so
	// that code written for *os.File recognises it.
	ErrClosed = fs.ErrClosed

	// ErrFault reports a memory fault (SIGBUS or SIGSEGV) while touching a
	// mapping, typically because the file was truncated underneath it.
	ErrFault = errors.New("memory fault on mapped file (truncated underneath?)")

	// ErrNoView reports a View on a backend that has no zero-copy access.
	ErrNoView = errors.New("backend has no zero-copy view; only mapped backends do")
)

// View returns s.View(off, n) if s is a [Viewer], and otherwise an error
// wrapping [ErrNoView] that names the store.
func View(s Store, off int64, n int) ([]byte, error) {
	v, ok := s.(Viewer)
	if !ok {
		return nil, fmt.Errorf("impl: view of %v: %w", s, ErrNoView)
	}
	return v.View(off, n)
}
