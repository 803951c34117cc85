package bench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
)

var fileSeq atomic.Int64

// benchPath returns a path that does not exist yet for a benchmark file, in
// the run's private directory, and removes whatever is there when the
// benchmark ends.
func benchPath(tb testing.TB, name string) string {
	path := filepath.Join(benchDir, fmt.Sprintf("%s-%d", name, fileSeq.Add(1)))
	tb.Cleanup(func() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			tb.Error(err)
		}
	})
	return path
}

// createFilled makes a new file of size bytes at a benchPath, filled with a
// non-zero pattern and synced, so that reads cannot be served from
// fallocated zeros, and returns its path. Open it with any backend.
func createFilled(tb testing.TB, name string, size int64) string {
	tb.Helper()
	return fillNew(tb, benchPath(tb, name), size)
}

// fill writes the non-zero pattern over all of s and syncs it.
func fill(tb testing.TB, s impl.Store) {
	chunk := make([]byte, 1<<20)
	fillPattern(chunk)
	for off := int64(0); off < s.Size(); off += int64(len(chunk)) {
		if _, err := s.WriteAt(chunk[:min(int64(len(chunk)), s.Size()-off)], off); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		tb.Fatal(err)
	}
}

// prefault touches every page of a fresh buffer, so that the first passes of
// a timed loop do not pay the kernel's first-touch faults for it.
func prefault(buf []byte) {
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
}
