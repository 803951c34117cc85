package ipc

import (
	"fmt"
	"os"
	"strings"
)

// A Backend is one way for two processes to share a record.
type Backend struct {
	Name string
	Doc  string // one line for help output

	// Mapped: the processes share memory and access the words with atomic
	// instructions, so futex waits and atomic increments work. Otherwise
	// the record is read and written with system calls.
	Mapped bool

	// File: the record is a regular file on a disk file system, which
	// write-back and fdatasync act on.
	File bool

	// SpinOnly: the row is a bare spin loop with no waiter, so wait=spin
	// is the only strategy it has.
	SpinOnly bool

	create func(dir string) (*object, error) // driver side: make and initialise the object
	open   func(a attach) (*Region, error)   // child side: attach to it
}

// attach tells a child how to reach the shared object: by path, by the
// number of an inherited descriptor, or by SysV identifier.
type attach struct {
	Path  string `json:",omitempty"`
	FD    int    `json:",omitempty"`
	ShmID int    `json:",omitempty"`
}

// An object is a shared record as the driver made it.
type object struct {
	attach attach
	files  []*os.File // passed to every child with ExtraFiles, from descriptor 3
	fd     int        // the driver's descriptor of the object, for fdatasync; -1 if none

	// release removes the object's name once every child has attached, so
	// that a driver killed with SIGKILL later leaves nothing behind.
	// cleanup releases everything. Both are idempotent.
	release func()
	cleanup func()
}

// FloorName is the name of the calibration row: two threads of one process
// instead of two processes, and Go memory instead of a shared object.
const FloorName = "floor"

// BareName is the floor's bare variant: the tightest two-thread ping-pong
// Go can write (an atomic word, a spin loop, no waiter and no recorder),
// batch-timed only, so that floor ÷ floor-bare is the harness's own cost.
const BareName = "floor-bare"

// Supports reports whether the backend can wait with w: a futex needs the
// word in shared memory, and the bare loop only spins.
func (b Backend) Supports(w Wait) bool {
	return !(w.Futex() && !b.Mapped) && !(b.SpinOnly && w != WaitSpin)
}

// backends is the table, in the order rows appear in results: the
// calibration rows, the file mappings, the other shared memory, and the
// system-call backends.
var backends = []Backend{
	{Name: BareName, Doc: "the floor without the harness: two threads, one atomic word, a bare spin loop timed in batches only (wait=spin)", Mapped: true, SpinOnly: true},
	{Name: FloorName, Doc: "two threads of one process ping-ponging an atomic in Go memory: the hardware floor", Mapped: true},
	{Name: "mmap", Doc: "a file mapped MAP_SHARED with unix.Mmap (package impl)", Mapped: true, File: true, create: createFile, open: openFileAttach("mmap")},
	{Name: "mmapgo", Doc: "the same file mapped with github.com/edsrzf/mmap-go (package impl)", Mapped: true, File: true, create: createFile, open: openFileAttach("mmapgo")},
	{Name: "posixshm", Doc: "a POSIX shared memory object: a file in /dev/shm (tmpfs), O_EXCL, 0600, unlinked once attached", Mapped: true, create: createPosixShm, open: openPosixShm},
	{Name: "memfd", Doc: "an anonymous memfd_create object, passed to the children as descriptor 3", Mapped: true, create: createMemfd, open: openMemfd},
	{Name: "sysv", Doc: "a System V segment (shmget/shmat), marked IPC_RMID right after the driver attaches", Mapped: true, create: createSysv, open: openSysv},
	{Name: "pread", Doc: "the file read and written with unix.Pread/Pwrite, no mapping (package impl)", File: true, create: createFile, open: openFileAttach("pread")},
	{Name: "osfile", Doc: "the file read and written with *os.File ReadAt/WriteAt, no mapping (package impl)", File: true, create: createFile, open: openFileAttach("osfile")},
}

// Writable reports whether the backend has a descriptor that a writeback
// third party can fdatasync: not the floor rows (Go memory) nor sysv.
func (b Backend) Writable() bool {
	return b.Name != FloorName && b.Name != BareName && b.Name != "sysv"
}

// Backends returns every backend, in a fixed order, the floor rows first.
func Backends() []Backend { return append([]Backend(nil), backends...) }

// BackendNames returns the backends' names, in the order of [Backends].
func BackendNames() []string {
	names := make([]string, len(backends))
	for i, b := range backends {
		names[i] = b.Name
	}
	return names
}

// LookupBackend returns the backend called name. An unknown name is an error
// that lists the valid ones.
func LookupBackend(name string) (Backend, error) {
	for _, b := range backends {
		if b.Name == name {
			return b, nil
		}
	}
	return Backend{}, fmt.Errorf("ipc: unknown backend %q: want one of %s", name, strings.Join(BackendNames(), ", "))
}
