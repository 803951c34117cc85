//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// skipUnlessEvictable skips a cold case, or a test that needs eviction,
// when the bench directory is in memory (tmpfs, ramfs), with the reason.
func skipUnlessEvictable(tb testing.TB) {
	tb.Helper()
	if harness.ColdSkip != "" {
		tb.Skip(harness.ColdSkip)
	}
}

// MountTmpfs mounts a small tmpfs on a new directory, unmounted when the
// test ends; it skips, saying why, when the test cannot mount (not root).
func mountTmpfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=512m"); err != nil {
		t.Skipf("cannot mount a tmpfs on %s (root is needed): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// diskDir returns a directory for the test on a file system with a page
// cache, or skips.
func diskDir(t *testing.T) string {
	t.Helper()
	if d := t.TempDir(); MemoryFS(d) == "" {
		return d
	}
	if MemoryFS(diskTempDir) != "" {
		t.Skipf("neither the temp dir nor %s is on a disk", diskTempDir)
	}
	d, err := os.MkdirTemp(diskTempDir, "benchdir-test-")
	if err != nil {
		t.Skipf("%s: %v", diskTempDir, err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestMemoryFS(t *testing.T) {
	tmpfs := mountTmpfs(t)
	if got := MemoryFS(tmpfs); got != "tmpfs" {
		t.Errorf("MemoryFS(a tmpfs) = %q, want tmpfs", got)
	}
	why := NoEviction(tmpfs)
	for _, want := range []string{"cold cases (and partial and memory-pressure ones) need a filesystem whose pages can be evicted", tmpfs + " is tmpfs", "set MMAPBENCH_DIR to a disk directory"} {
		if !strings.Contains(why, want) {
			t.Errorf("NoEviction = %q, want it to say %q", why, want)
		}
	}
	disk := diskDir(t)
	if got := MemoryFS(disk); got != "" {
		t.Errorf("MemoryFS(%s) = %q, want \"\"", disk, got)
	}
	if why := NoEviction(disk); why != "" {
		t.Errorf("NoEviction(%s) = %q, want \"\"", disk, why)
	}
}

// TestResolveBenchDir: the default leaves an in-memory temp dir for the
// disk and says so; a directory the user named is kept, in memory or not.
func TestResolveBenchDir(t *testing.T) {
	tmpfs := mountTmpfs(t)
	disk := diskDir(t)
	old := diskTempDir
	diskTempDir = disk
	defer func() { diskTempDir = old }()

	t.Setenv("MMAPBENCH_DIR", "")
	t.Setenv("TMPDIR", tmpfs)
	d := ResolveBenchDir("")
	if d.Path != disk || d.Explicit || d.MovedFrom != tmpfs {
		t.Errorf("TMPDIR on tmpfs: %+v, want %s, moved from %s", d, disk, tmpfs)
	}
	if note := d.Note(); !strings.Contains(note, tmpfs+" is tmpfs") || !strings.Contains(note, disk) {
		t.Errorf("Note() = %q, want it to name both directories", note)
	}
	if v := d.ConfigValue(); !strings.Contains(v, "the temp dir is tmpfs") || strings.Contains(v, "/") {
		t.Errorf("ConfigValue() = %q, want the file system, why, and no path", v)
	}

	for _, tc := range []struct{ flag, env string }{{tmpfs, ""}, {"", tmpfs}} {
		t.Setenv("MMAPBENCH_DIR", tc.env)
		d := ResolveBenchDir(tc.flag)
		if d.Path != tmpfs || !d.Explicit || d.MovedFrom != "" {
			t.Errorf("-benchdir %q, MMAPBENCH_DIR=%q: %+v, want %s as it is", tc.flag, tc.env, d, tmpfs)
		}
		if v := d.ConfigValue(); v != "tmpfs (cold cases skip)" {
			t.Errorf("ConfigValue() = %q, want \"tmpfs (cold cases skip)\"", v)
		}
	}

	t.Setenv("MMAPBENCH_DIR", "")
	t.Setenv("TMPDIR", disk)
	if d := ResolveBenchDir(""); d.Path != disk || d.MovedFrom != "" || d.Note() != "" {
		t.Errorf("TMPDIR on disk: %+v, note %q, want it unchanged and no note", d, d.Note())
	}
}

// runBenchBinary runs this test binary with args and env added to the
// environment, and returns its exit status, stdout and stderr.
func runBenchBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// TestBadInputExitsBeforeBenchmarks: a bench directory that cannot be used
// and patterns testing would refuse from inside m.Run (where the private
// directory's removal never runs) exit 2 before any benchmark, naming the
// value, leaving nothing behind.
func TestBadInputExitsBeforeBenchmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"benchdir-missing", []string{"-test.bench", "^BenchmarkNoiseFloor$", "-benchdir", "/nonexistent"}, "/nonexistent does not exist"},
		{"benchdir-file", []string{"-test.bench", "^BenchmarkNoiseFloor$", "-benchdir", file}, file + " is not a directory"},
		{"bench-regexp", []string{"-test.bench", "Noise[", "-benchdir", dir}, `"Noise["`},
		{"bench-element", []string{"-test.bench", "BenchmarkRead/backend=(", "-benchdir", dir}, `element 1 ("backend=(")`},
		{"run-regexp", []string{"-test.run", "Test(", "-benchdir", dir}, `"Test("`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBenchBinary(t, nil, append([]string{"-test.benchtime", "1x"}, tc.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\nstderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want it to name the value (%q)", stderr, tc.want)
			}
			if strings.Contains(stdout, "Benchmark") || strings.Contains(stdout, "PASS") {
				t.Errorf("something ran before the refusal:\n%s", stdout)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, PrivatePrefix+"*")); len(left) > 0 {
				t.Errorf("left in the bench directory: %v", left)
			}
		})
	}
}

// TestSplitPattern: the elements are testing's (its splitRegexp).
func TestSplitPattern(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Read", []string{"Read"}},
		{"Read/backend=mmap", []string{"Read", "backend=mmap"}},
		{"Read/a[/]b/(c/d)", []string{"Read", "a[/]b", "(c/d)"}},
		{`a\/b/c`, []string{`a\/b`, "c"}},
	} {
		if got := splitPattern(tc.in); !slicesEqual(got, tc.want) {
			t.Errorf("splitPattern(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHoldPrivateDir is the child of TestStaleDirRemoved: a run that made
// its private directory (TestMain did) and lives until killed. It does
// nothing in a normal test run.
func TestHoldPrivateDir(t *testing.T) {
	if os.Getenv("MMAPBENCH_TEST_HOLD") != "1" {
		t.Skip("the child of TestStaleDirRemoved")
	}
	os.Stdout.WriteString("holding " + harness.Dir + "\n")
	time.Sleep(time.Minute)
}

// startHolder starts a run under parent that holds its private directory,
// and returns the process and the directory once it exists.
func startHolder(t *testing.T, parent string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHoldPrivateDir$", "-benchdir", parent)
	cmd.Env = append(os.Environ(), "MMAPBENCH_TEST_HOLD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	dir, ok := strings.CutPrefix(strings.TrimSpace(line), "holding ")
	if err != nil || !ok {
		t.Fatalf("the holder said %q, %v; want \"holding <dir>\"", line, err)
	}
	return cmd, dir
}

// TestStaleDirRemoved: a run killed with SIGKILL leaves its private
// directory; the next run under the same parent removes it, and leaves
// the directory of a run that is alive, and one without a lock file.
func TestStaleDirRemoved(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary")
	}
	parent := t.TempDir()
	killed, killedDir := startHolder(t, parent)
	_, liveDir := startHolder(t, parent)
	unlocked := filepath.Join(parent, PrivatePrefix+"nolock")
	if err := os.Mkdir(unlocked, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed.Wait()
	if _, err := os.Stat(killedDir); err != nil {
		t.Fatalf("the killed run's directory is gone before any cleanup (%v): the test shows nothing", err)
	}

	// The next run: this binary again, running nothing.
	code, _, stderr := runBenchBinary(t, nil, "-test.run", "^$", "-benchdir", parent)
	if code != 0 {
		t.Fatalf("the next run: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(killedDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed run's %s is still there (%v)", killedDir, err)
	}
	if !strings.Contains(stderr, "removed "+killedDir) {
		t.Errorf("the next run's stderr = %q, want it to say it removed %s", stderr, killedDir)
	}
	for _, d := range []string{liveDir, unlocked} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed (%v): it is not a dead run's", d, err)
		}
	}
	if got := RemoveStale(parent, nil); len(got) != 0 {
		t.Errorf("RemoveStale removed %v with no dead run", got)
	}
}

// TestPrivateDir: made locked, under the prefix, and gone after Remove.
func TestPrivateDir(t *testing.T) {
	parent := t.TempDir()
	if _, err := MakePrivateDir(parent, "other-", nil); err == nil {
		t.Error("MakePrivateDir accepted a prefix the cleanup does not look at")
	}
	pd, err := MakePrivateDir(parent, PrivatePrefix+"x-", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(pd.Path), PrivatePrefix+"x-") {
		t.Errorf("Path = %s, want the prefix", pd.Path)
	}
	if fi, err := os.Stat(pd.Path); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("Stat(%s) = %v, %v, want mode 0700", pd.Path, fi, err)
	}
	if got := RemoveStale(parent, nil); len(got) != 0 {
		t.Errorf("RemoveStale removed this process's own %v", got)
	}
	if err := pd.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pd.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Remove: %v", err)
	}
	if err := pd.Remove(); err != nil {
		t.Errorf("a second Remove: %v", err)
	}
}

// TestTmpfsBenchDir runs the cold cases' benchmarks once with the bench
// directory on a tmpfs named explicitly: the cold cases skip with the
// reason, the warm ones pass, and the configuration says so. Then with the
// temp dir on the tmpfs and no directory named: the files go to the disk.
func TestTmpfsBenchDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary")
	}
	tmpfs := mountTmpfs(t)
	args := []string{"-test.v", "-test.run", "^$", "-test.bench", "^Benchmark(Read|Readers|Bystander)$", "-test.benchtime", "1x",
		"-sizes", "4MiB", "-benchdir", tmpfs}
	code, stdout, stderr := runBenchBinary(t, []string{"MMAPBENCH_DIR="}, args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	why := NoEviction(tmpfs)
	// -v prints each case's name, then what it logged (the skip's reason),
	// then "--- SKIP: name"; a result line has the tab-separated figures.
	var coldSkips, warmRuns int
	lines := strings.Split(stdout, "\n")
	for i, l := range lines {
		result := strings.HasPrefix(l, "Benchmark") && strings.Contains(l, "\t")
		// Partial and pressure states evict too (the quick profile's map
		// slice has a part:50 row).
		cold := strings.Contains(l, "cache=cold") || strings.Contains(l, "cache=part:") || strings.Contains(l, "cache=mem:") ||
			(strings.Contains(l, "Bystander") && !strings.Contains(l, "readers=0"))
		switch {
		case strings.HasPrefix(l, "--- SKIP") && cold:
			coldSkips++
			if i == 0 || !strings.Contains(lines[i-1], why) {
				t.Errorf("%s: skipped without the reason %q", l, why)
			}
		case strings.HasPrefix(l, "--- SKIP"):
			t.Errorf("a case that needs no eviction skipped: %s (%s)", l, lines[max(i-1, 0)])
		case result && cold:
			t.Errorf("a cold case ran on tmpfs: %s", l)
		case result && strings.Contains(l, "cache=warm"):
			warmRuns++
		}
	}
	if coldSkips == 0 || warmRuns == 0 {
		t.Errorf("%d cold cases skipped and %d warm ones ran, want some of both\n%s", coldSkips, warmRuns, stdout)
	}
	if !strings.Contains(stdout, "\nbench-dir-fs: tmpfs (cold cases skip)\n") {
		t.Errorf("no bench-dir-fs line saying cold cases skip in\n%s", stdout)
	}
	if !strings.Contains(stderr, why) {
		t.Errorf("stderr does not give the reason %q:\n%s", why, stderr)
	}
	if left, _ := os.ReadDir(tmpfs); len(left) > 0 {
		t.Errorf("left on the tmpfs: %v", left)
	}

	// The default: TMPDIR on the tmpfs, nothing named.
	if MemoryFS(diskTempDir) != "" {
		t.Skipf("%s is in memory too: nowhere to move to", diskTempDir)
	}
	code, stdout, stderr = runBenchBinary(t, []string{"MMAPBENCH_DIR=", "TMPDIR=" + tmpfs},
		"-test.v", "-test.run", "^$", "-test.bench", "^BenchmarkRead$/backend=pread////cache=cold", "-test.benchtime", "1x", "-sizes", "4MiB")
	ran := strings.Contains(stdout, "cache=cold/size=4MiB/advice=none/threads=1-") // a result line: the name with -GOMAXPROCS
	if code != 0 || strings.Contains(stdout, "--- SKIP") || !ran {
		t.Fatalf("TMPDIR on tmpfs: exit %d, want the cold cases to run on %s\nstdout: %s\nstderr: %s", code, diskTempDir, stdout, stderr)
	}
	if !strings.Contains(stderr, "the temp dir "+tmpfs+" is tmpfs") || !strings.Contains(stderr, "files go under "+diskTempDir) {
		t.Errorf("stderr does not say where the files went:\n%s", stderr)
	}
	if !strings.Contains(stdout, "\nbench-dir-fs: ") || !strings.Contains(stdout, "(the temp dir is tmpfs)\n") {
		t.Errorf("no bench-dir-fs line saying the temp dir is tmpfs in\n%s", stdout)
	}
	// The run says where it made its file: "preparing a 4MiB file in <dir>".
	_, made, ok := strings.Cut(stderr, "file in "+diskTempDir+"/")
	made, _, _ = strings.Cut(made, "\n")
	if !ok || !strings.HasPrefix(made, PrivatePrefix) {
		t.Fatalf("stderr does not say where under %s the file was made:\n%s", diskTempDir, stderr)
	}
	if _, err := os.Stat(filepath.Join(diskTempDir, made)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run left %s behind (%v)", filepath.Join(diskTempDir, made), err)
	}
}
