package impl

import (
	"fmt"
	"io"
)

// readSpan bounds a read of n bytes at off in a store of size: it returns how
// many bytes to copy and io.EOF (never wrapped, as io.ReaderAt callers compare
// it with ==) when that is fewer than n.
func readSpan(label string, off int64, n int, size int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("impl: %s: ReadAt: negative offset %d", label, off)
	}
	if avail := size - off; int64(n) > avail {
		return int(max(avail, 0)), io.EOF
	}
	return n, nil
}

// writeSpan bounds a write like readSpan, returning an error wrapping
// ErrNoExtend for the part that does not fit.
func writeSpan(label string, readOnly bool, off int64, n int, size int64) (int, error) {
	if readOnly {
		return 0, fmt.Errorf("impl: %s: WriteAt: %w", label, ErrReadOnly)
	}
	if off < 0 {
		return 0, fmt.Errorf("impl: %s: WriteAt: negative offset %d", label, off)
	}
	if avail := size - off; int64(n) > avail {
		return int(max(avail, 0)), fmt.Errorf("impl: %s: WriteAt of %d bytes at offset %d: %w of %d bytes", label, n, off, ErrNoExtend, size)
	}
	return n, nil
}

// viewSpan checks that View's range lies inside the store.
func viewSpan(label string, off int64, n int, size int64) error {
	if off < 0 || n < 0 || int64(n) > size-off {
		return fmt.Errorf("impl: %s: View(%d, %d): range outside the store's %d bytes", label, off, n, size)
	}
	return nil
}

// closedError is what every method of a closed store returns.
func closedError(label, op string) error {
	return fmt.Errorf("impl: %s: %s: %w", label, op, ErrClosed)
}
