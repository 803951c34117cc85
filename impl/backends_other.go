//go:build !linux

package impl

import (
	"errors"
	"fmt"
	"runtime"
)

// The backends measure Linux: its page cache, mmap flags, madvise and
// O_DIRECT. Elsewhere the package builds, so that the analysis packages
// (plot, report) that import it build too, but every Open fails with
// errors.ErrUnsupported.

func unsupported(backend string) error {
	return fmt.Errorf("impl: %s on %s: %w (mmapbench measures on Linux only)", backend, runtime.GOOS, errors.ErrUnsupported)
}

func openOSFile(string, Options) (Store, error) { return nil, unsupported("osfile") }
func openPread(string, Options) (Store, error)  { return nil, unsupported("pread") }
func openMmap(string, Options) (Store, error)   { return nil, unsupported("mmap") }
func openMmapGo(string, Options) (Store, error) { return nil, unsupported("mmapgo") }

// checkMemory fails, so that null fails as the others do: its memory check
// is Linux's sysinfo(2).
func checkMemory(label string, _ int64) error { return unsupported(label) }

// DirectAlignment fails with errors.ErrUnsupported: it is Linux's statx.
func DirectAlignment(string) (int, error) { return 0, unsupported("O_DIRECT") }
