package ipc

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync/atomic"
	"unsafe"

	"github.com/mmapbench/mmapbench/impl"
)

// A Region is one process's handle on a shared record. Mapped regions read
// and write the record's words with sync/atomic through the mapping;
// regions of the pread and osfile backends read and write them with system
// calls (ReadAt and WriteAt of the word), as a process without a mapping
// has to.
//
// A Region is used by one goroutine at a time. Errors of the system-call
// path inside the word accessors panic with a *regionError, which the
// roles recover into an ordinary error.
type Region struct {
	label string
	mem   []byte     // the mapped record (RecordSize bytes), nil for system-call regions
	st    impl.Store // the store behind a system-call region, nil otherwise
	fd    int        // a descriptor of the file or object, for flock and fdatasync; -1 if none
	buf   [8]byte    // scratch for system-call accesses
	close func() error
}

type regionError struct{ err error }

func (e *regionError) Error() string { return e.err.Error() }
func (e *regionError) Unwrap() error { return e.err }

// newMappedRegion checks the header of mem and returns a region on it.
func newMappedRegion(label string, mem []byte, fd int, closeFn func() error) (*Region, error) {
	if err := checkHeader(label, mem, int64(len(mem))); err != nil {
		closeFn()
		return nil, err
	}
	return &Region{label: label, mem: mem[:RecordSize:RecordSize], fd: fd, close: closeFn}, nil
}

// newStoreRegion reads and checks the header through st and returns a
// system-call region on it.
func newStoreRegion(label string, st impl.Store, fd int, closeFn func() error) (*Region, error) {
	var h [16]byte
	if _, err := st.ReadAt(h[:], 0); err != nil && err != io.EOF {
		closeFn()
		return nil, fmt.Errorf("ipc: %s: reading the header: %w", label, err)
	}
	if err := checkHeader(label, h[:], st.Size()); err != nil {
		closeFn()
		return nil, err
	}
	return &Region{label: label, st: st, fd: fd, close: closeFn}, nil
}

// String returns the region's label, "mmap /tmp/x/record" for instance.
func (r *Region) String() string { return r.label }

// Mapped reports whether the region is memory shared through a mapping,
// which futex waits and atomic read-modify-write need.
func (r *Region) Mapped() bool { return r.mem != nil }

// FD returns a descriptor of the object behind the region, or -1 (sysv,
// floor).
func (r *Region) FD() int { return r.fd }

// Close releases the region. It is idempotent.
func (r *Region) Close() error {
	if r.close == nil {
		return nil
	}
	f := r.close
	r.close, r.mem, r.st = nil, nil, nil
	return f()
}

// word32 and word64 return pointers into the mapping; offsets are constants
// aligned to their size, and the mapping is page-aligned.
func (r *Region) word32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.mem[off])) }
func (r *Region) word64(off int) *uint64 { return (*uint64)(unsafe.Pointer(&r.mem[off])) }

func (r *Region) load32(off int) uint32 {
	if r.mem != nil {
		return atomic.LoadUint32(r.word32(off))
	}
	r.readAt(4, off)
	return binary.LittleEndian.Uint32(r.buf[:4])
}

func (r *Region) store32(off int, v uint32) {
	if r.mem != nil {
		atomic.StoreUint32(r.word32(off), v)
		return
	}
	binary.LittleEndian.PutUint32(r.buf[:4], v)
	r.writeAt(4, off)
}

func (r *Region) load64(off int) uint64 {
	if r.mem != nil {
		return atomic.LoadUint64(r.word64(off))
	}
	r.readAt(8, off)
	return binary.LittleEndian.Uint64(r.buf[:8])
}

func (r *Region) store64(off int, v uint64) {
	if r.mem != nil {
		atomic.StoreUint64(r.word64(off), v)
		return
	}
	binary.LittleEndian.PutUint64(r.buf[:8], v)
	r.writeAt(8, off)
}

func (r *Region) readAt(n, off int) {
	if _, err := r.st.ReadAt(r.buf[:n], int64(off)); err != nil {
		panic(&regionError{fmt.Errorf("ipc: %s: ReadAt(%d, %d): %w", r.label, n, off, err)})
	}
}

func (r *Region) writeAt(n, off int) {
	if _, err := r.st.WriteAt(r.buf[:n], int64(off)); err != nil {
		panic(&regionError{fmt.Errorf("ipc: %s: WriteAt(%d, %d): %w", r.label, n, off, err)})
	}
}

// catchRegion turns a *regionError panic into *err; other panics go on.
// Defer it directly.
func catchRegion(err *error) {
	if p := recover(); p != nil {
		if re, ok := p.(*regionError); ok {
			*err = re
			return
		}
		panic(p)
	}
}

// PID and Counter return the article's two fields.
func (r *Region) PID() (pid uint64, err error) {
	defer catchRegion(&err)
	return r.load64(offPID), nil
}

// Counter returns the record's counter.
func (r *Region) Counter() (n uint64, err error) {
	defer catchRegion(&err)
	return r.load64(offCounter), nil
}

// Snapshot returns pid and counter together, as the monitor compares them.
func (r *Region) Snapshot() (pid, counter uint64, err error) {
	defer catchRegion(&err)
	return r.load64(offPID), r.load64(offCounter), nil
}

// SetPID stores pid.
func (r *Region) SetPID(pid uint64) (err error) {
	defer catchRegion(&err)
	r.store64(offPID, pid)
	return nil
}

// Increment adds one to the counter atomically (LOCK XADD through the
// mapping) and returns the new value. System-call regions cannot do that
// and return an error: use [Region.IncrementLocked].
func (r *Region) Increment() (uint64, error) {
	if r.mem == nil {
		return 0, fmt.Errorf("ipc: %s: an atomic increment needs a mapping; use flock or naive", r.label)
	}
	return atomic.AddUint64(r.word64(offCounter), 1), nil
}

// IncrementNaive is the article's info->counter++: a load, then a store of
// the loaded value plus one. Another process's increment between the two is
// lost.
func (r *Region) IncrementNaive() (n uint64, err error) {
	defer catchRegion(&err)
	n = r.load64(offCounter) + 1
	r.store64(offCounter, n)
	return n, nil
}
