package bench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

var fileSeq atomic.Int64

// benchPath returns a path that does not exist yet for a benchmark file, in
// the run's private directory, and removes whatever is there when the
// benchmark ends.
func benchPath(tb testing.TB, name string) string {
	path := filepath.Join(harness.Dir, fmt.Sprintf("%s-%d", name, fileSeq.Add(1)))
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
	return FillNew(tb, benchPath(tb, name), size)
}
