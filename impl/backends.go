package impl

import (
	"fmt"
	"strings"
)

// Options configures [Open]. It is a plain value: a caller that changes a copy
// changes nothing shared.
type Options struct {
	// Size is the store's length in bytes. With Create it is required and
	// must be positive. Without Create, zero means the whole file, and a
	// positive Size (at most the file's length) makes a store of the file's
	// first Size bytes.
	Size int64

	// Create makes a new file at the path (O_CREAT|O_EXCL, mode 0600) and
	// allocates Size bytes for it. An existing path is an error, never
	// truncated. If Open then fails, the file it created is removed.
	Create bool

	// ReadOnly opens the file O_RDONLY (and maps it PROT_READ); writes fail
	// with ErrReadOnly.
	ReadOnly bool

	// Private maps the file MAP_PRIVATE instead of MAP_SHARED: writes stay
	// in this process's copy-on-write pages, never reach the file, and are
	// not seen by other processes. Mapped backends only.
	Private bool

	// Populate maps with MAP_POPULATE, faulting every page in before Open
	// returns. The mmap backend only: mmap-go cannot pass the flag.
	Populate bool

	// Direct opens with O_DIRECT, bypassing the page cache. The pread
	// backend only. Buffers, offsets and lengths must then be aligned to
	// the file's direct I/O alignment (see [DirectAlignment] and
	// [AlignedBuffer]), and so must Size.
	Direct bool
}

// Caps says which options and guarantees a backend has, so that callers can
// choose backends without trying them.
type Caps uint

const (
	// CapPersistent: the bytes live in a file, so another process, or a
	// later Open of the same path, sees them.
	CapPersistent Caps = 1 << iota
	// CapMapped: the store is a memory mapping; Options.Private applies.
	CapMapped
	// CapPopulate: Options.Populate applies.
	CapPopulate
	// CapDirect: Options.Direct applies.
	CapDirect
	// CapView: the stores implement Viewer (zero-copy access).
	CapView
)

// A Backend is one Store implementation, known by a short lowercase name that
// appears in every benchmark name and output line.
type Backend struct {
	Name string
	Doc  string // one line for -h output
	Caps Caps
	open func(path string, opt Options) (Store, error)
}

// Has reports whether the backend has every capability in c.
func (b Backend) Has(c Caps) bool { return b.Caps&c == c }

// Open opens the store at path with this backend.
func (b Backend) Open(path string, opt Options) (Store, error) {
	if err := b.check(opt); err != nil {
		return nil, err
	}
	return b.open(path, opt)
}

// check rejects options the backend cannot honour, before anything is created.
func (b Backend) check(opt Options) error {
	switch {
	case opt.Size < 0 || (opt.Create && opt.Size == 0):
		return fmt.Errorf("impl: %s: size %d: want a positive number of bytes", b.Name, opt.Size)
	case opt.Create && opt.ReadOnly:
		return fmt.Errorf("impl: %s: Create with ReadOnly would make a store of zeros that can never be written; create it writable, then reopen it read-only", b.Name)
	case opt.Private && !b.Has(CapMapped):
		return fmt.Errorf("impl: %s: Private (MAP_PRIVATE) needs a mapped backend (%s)", b.Name, b.namesWith(CapMapped))
	case opt.Populate && !b.Has(CapPopulate):
		return fmt.Errorf("impl: %s: Populate (MAP_POPULATE) is supported by %s only; use Advise(populate) instead", b.Name, b.namesWith(CapPopulate))
	case opt.Direct && !b.Has(CapDirect):
		return fmt.Errorf("impl: %s: Direct (O_DIRECT) is supported by %s only", b.Name, b.namesWith(CapDirect))
	}
	return nil
}

func (Backend) namesWith(c Caps) string {
	var names []string
	for _, b := range backends {
		if b.Has(c) {
			names = append(names, b.Name)
		}
	}
	return strings.Join(names, ", ")
}

// backends is the table, in the order rows appear in results: the control
// first, then the system-call backends, then the mappings.
var backends = []Backend{
	{"null", "no I/O: a buffer in memory, the control that measures the harness itself", CapView, openNull},
	{"osfile", "*os.File ReadAt/WriteAt (pread/pwrite through Go's internal/poll)", CapPersistent, openOSFile},
	{"pread", "unix.Pread/Pwrite on a raw descriptor; O_DIRECT optional", CapPersistent | CapDirect, openPread},
	{"mmap", "unix.Mmap of the whole file (MAP_SHARED unless Private)", CapPersistent | CapMapped | CapPopulate | CapView, openMmap},
	{"mmapgo", "github.com/edsrzf/mmap-go mapping of the whole file", CapPersistent | CapMapped | CapView, openMmapGo},
}

// Backends returns every backend, in a fixed order.
func Backends() []Backend { return append([]Backend(nil), backends...) }

// Names returns the backends' names, in the order of [Backends].
func Names() []string {
	names := make([]string, len(backends))
	for i, b := range backends {
		names[i] = b.Name
	}
	return names
}

// Lookup returns the backend called name. An unknown name is an error that
// lists the valid ones.
func Lookup(name string) (Backend, error) {
	for _, b := range backends {
		if b.Name == name {
			return b, nil
		}
	}
	return Backend{}, fmt.Errorf("impl: unknown backend %q: want one of %s", name, strings.Join(Names(), ", "))
}

// Open opens the store at path with the backend called name.
func Open(name, path string, opt Options) (Store, error) {
	b, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return b.Open(path, opt)
}
