// Package testproc helps tests run the test binary as another user: a
// directory that user can reach, and a copy of the binary it may execute.
package testproc

import (
	"os"
	"path/filepath"
	"testing"
)

// Nobody is the uid and gid tests run unprivileged children as.
const Nobody = 65534

// OthersTempDir returns a new temporary directory that other users can
// enter (but not list), removed when the test ends. It skips the test when
// a parent directory is closed to other users.
func OthersTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			t.Skipf("%s (mode %v) is closed to other users; cannot give another uid a path to %s", p, fi.Mode().Perm(), dir)
		}
		if p == filepath.Dir(p) {
			return dir
		}
	}
}

// CopyTestBinary copies the running test binary into dir, executable by
// all: the original may sit in a directory only its owner can enter.
func CopyTestBinary(t *testing.T, dir string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("os.Executable: %v", err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(exe))
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}
