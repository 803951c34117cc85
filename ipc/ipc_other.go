//go:build !linux

package ipc

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// The driver measures Linux: its futex, pinning, memfd, cachestat and
// page cache. Elsewhere the package builds, so that what reads results
// (report, plot) and mmapbench itself build too, but every measurement
// entry point fails with errors.ErrUnsupported.

func unsupported(what string) error {
	return fmt.Errorf("ipc: %s on %s: %w (mmapbench measures on Linux only)", what, runtime.GOOS, errors.ErrUnsupported)
}

// RunChildIfRequested does nothing: no driver here starts children.
func RunChildIfRequested() {}

// Run fails with errors.ErrUnsupported.
func Run(context.Context, Config) (Result, error) { return Result{}, unsupported("the latency run") }

// RunDurability fails with errors.ErrUnsupported.
func RunDurability(context.Context, DurabilityConfig) (DurabilityResult, error) {
	return DurabilityResult{}, unsupported("the durability run")
}

// RunCount fails with errors.ErrUnsupported.
func RunCount(context.Context, CountConfig) (CountResult, error) {
	return CountResult{}, unsupported("the counter run")
}

// CPUs fails with errors.ErrUnsupported.
func CPUs() ([]int, error) { return nil, unsupported("pinning") }

// Clocksource is "unknown": it is Linux's clocksource file.
func Clocksource() string { return "unknown" }

// WritebackSettings are Linux's vm.dirty_*_centisecs: -1, -1 here.
func WritebackSettings() (expire, interval int) { return -1, -1 }

// CreateFile fails with errors.ErrUnsupported.
func CreateFile(string) error { return unsupported("a record file") }

// OpenFile fails with errors.ErrUnsupported.
func OpenFile(string, string) (*Region, error) { return nil, unsupported("a record file") }

func createFile(string) (*object, error)     { return nil, unsupported("a record file") }
func createPosixShm(string) (*object, error) { return nil, unsupported("posixshm") }
func createMemfd(string) (*object, error)    { return nil, unsupported("memfd") }
func createSysv(string) (*object, error)     { return nil, unsupported("sysv") }
func openPosixShm(attach) (*Region, error)   { return nil, unsupported("posixshm") }
func openMemfd(attach) (*Region, error)      { return nil, unsupported("memfd") }
func openSysv(attach) (*Region, error)       { return nil, unsupported("sysv") }
func openFileAttach(string) func(attach) (*Region, error) {
	return func(attach) (*Region, error) { return nil, unsupported("a record file") }
}
