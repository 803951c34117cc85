package bench

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// removeFile removes a benchmark's file; the null backend made none.
func removeFile(b *testing.B, path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.Error(err)
	}
}
