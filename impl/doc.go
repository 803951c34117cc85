// Package impl defines Store, the fixed-size file abstraction that every I/O
// backend of mmapbench implements, and the table of those backends.
//
// A benchmark opens a backend by its short name ("mmap", "mmapgo", "pread",
// "osfile" or "null") and then only talks to the Store interface, so that the
// difference between two rows of a result is the backend and nothing else.
// Capabilities that only some backends have are small optional interfaces
// found by type assertion, as io.WriterTo is: [Viewer] (zero-copy access to a
// mapping), [Advisor] (madvise/fadvise hints) and [Evicter] (drop the file's
// pages from the page cache and check with mincore that they are gone).
//
// # Why fixed size
//
// A mapping cannot grow its file, so a Store never grows either: a write past
// Size fails with [ErrNoExtend] (fio calls this FIO_NOEXTEND). Every backend
// then sees the same bytes and the comparison stays fair.
//
// # Why Linux only
//
// The measurements are about Linux's page cache: that a write through a
// MAP_SHARED mapping is seen by pread at once, that pages can be evicted with
// posix_fadvise, that residency can be read with mincore. Other systems give
// none of these the same meaning, so the package does not pretend to run there:
// elsewhere it builds (so that the packages that analyse results made on
// Linux build on a Mac too), but every Open fails with errors.ErrUnsupported.
//
// # Faults
//
// If a mapped file is truncated underneath a live mapping, touching the lost
// pages raises SIGBUS, which normally kills a Go program. ReadAt and WriteAt
// of the mapped backends turn such a fault into an error wrapping [ErrFault].
// A slice returned by View is plain memory: a caller that must survive
// truncation wraps its accesses in [CatchFault].
package impl
