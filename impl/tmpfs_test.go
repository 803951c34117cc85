//go:build linux

package impl_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/bench"
)

// skipUnlessEvictable skips a test that needs the page cache to drop a
// file's pages when the temp dir, where the tests' files go, is tmpfs or
// ramfs: there eviction leaves every page resident.
func skipUnlessEvictable(t *testing.T) {
	t.Helper()
	if why := bench.NoEviction(os.TempDir()); why != "" {
		t.Skip(why)
	}
}

// TestConformanceOnTmpfs runs the conformance suite with the temp dir on a
// tmpfs: the cases that need eviction skip with the reason, the rest pass.
// It mounts the tmpfs itself, and skips when it cannot (not root).
func TestConformanceOnTmpfs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary")
	}
	if bench.NoEviction(os.TempDir()) != "" {
		t.Skip("the temp dir is already in memory: the suite itself is this test")
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64m"); err != nil {
		t.Skipf("cannot mount a tmpfs on %s (root is needed): %v", dir, err)
	}
	defer unix.Unmount(dir, 0)
	cmd := exec.Command(os.Args[0], "-test.v", "-test.run", "^TestConformance$")
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the suite on tmpfs: %v\n%s", err, out.String())
	}
	why := bench.NoEviction(dir)
	// The suite runs its backends in parallel: a test's log lines follow
	// the "=== RUN" or "=== NAME" line that names it.
	gaveReason, skipped := map[string]bool{}, map[string]bool{}
	current := ""
	for _, l := range strings.Split(out.String(), "\n") {
		l = strings.TrimSpace(l)
		if name, ok := strings.CutPrefix(l, "=== RUN"); ok {
			current = strings.TrimSpace(name)
		} else if name, ok := strings.CutPrefix(l, "=== NAME"); ok {
			current = strings.TrimSpace(name)
		} else if name, ok := strings.CutPrefix(l, "--- SKIP: "); ok {
			name, _, _ = strings.Cut(name, " ")
			skipped[name] = true
		} else if strings.Contains(l, why) {
			gaveReason[current] = true
		}
	}
	for _, want := range []string{"TestConformance/mmap/Evict", "TestConformance/pread/Evict", "TestConformance/mmap/Populate", "TestConformance/mmap/Advise"} {
		if !skipped[want] || !gaveReason[want] {
			t.Errorf("%s: skipped %v, gave the reason %q %v; want both", want, skipped[want], why, gaveReason[want])
		}
	}
	if !strings.Contains(out.String(), "--- PASS: TestConformance/mmap/RoundTrip") {
		t.Errorf("the cases that need no eviction did not run:\n%s", out.String())
	}
}
