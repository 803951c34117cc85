//go:build linux

package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/internal/testproc"
	"golang.org/x/sys/unix"
)

// The tests of scripts/bench-lucene.sh (make bench-lucene) run it with a
// fake go command (GO=): its `go test -c -o X ./bench` writes, as X, a
// shell script that logs its arguments and prints two result lines, so
// that the script's loop, skips, files and cleanup are checked in a second
// each, without measuring. Every other go subcommand (tool benchstat) is
// the real one.

// luceneFakeGo is the fake go command. The fake binary it writes reads
// FAKE_LOG (append its arguments), FAKE_STARTED (write its -benchdir there
// once started), FAKE_SLEEP (sleep that long first, stopping on TERM with
// a line in FAKE_STOPPED), FAKE_EXIT (its exit status).
const luceneFakeGo = `#!/usr/bin/env bash
if [ "$1" = test ] && [ "$2" = -c ] && [ "$3" = -o ]; then
	cat >"$4" <<'EOB'
#!/usr/bin/env bash
echo "$*" >>"$FAKE_LOG"
dir= rot=
while [ $# -gt 0 ]; do
	case $1 in
	-benchdir) dir=$2; shift ;;
	-rotate) rot=$2; shift ;;
	esac
	shift
done
# The trap before the start is announced: a TERM right after it is caught.
trap 'kill $! 2>/dev/null; echo TERM >"$FAKE_STOPPED"; exit 2' TERM
if [ -n "${FAKE_STARTED:-}" ]; then echo "$dir" >"$FAKE_STARTED.new"; mv "$FAKE_STARTED.new" "$FAKE_STARTED"; fi
if [ -n "${FAKE_SLEEP:-}" ]; then
	sleep "$FAKE_SLEEP" &
	wait
fi
echo "goos: linux"
echo "bench-dir-fs: ext4"
echo "BenchmarkRead/backend=mmap/threads=1-2 	 100	 $((1000 + rot)) ns/op"
echo "BenchmarkRead/backend=pread/threads=1-2 	 100	 $((2000 + rot)) ns/op"
exit "${FAKE_EXIT:-0}"
EOB
	chmod +x "$4"
	exit
fi
exec "$REAL_GO" "$@"
`

// luceneScript is a prepared run of the script: its environment, the
// fake's log and where results and temp files go.
type luceneScript struct {
	t              *testing.T
	env            []string
	log, tmp, stem string
}

func newLuceneScript(t *testing.T, env ...string) *luceneScript {
	t.Helper()
	return newLuceneScriptIn(t, t.TempDir(), env...)
}

// newLuceneScriptIn prepares a run with its files in dir.
func newLuceneScriptIn(t *testing.T, dir string, env ...string) *luceneScript {
	t.Helper()
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH (the fake hands tool benchstat to it)")
	}
	fake := filepath.Join(dir, "go")
	if err := os.WriteFile(fake, []byte(luceneFakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &luceneScript{t: t, log: filepath.Join(dir, "log"), tmp: filepath.Join(dir, "tmp"),
		stem: filepath.Join(dir, "results", "run")}
	if err := os.Mkdir(s.tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	s.env = append(os.Environ(), "GO="+fake, "REAL_GO="+realGo, "FAKE_LOG="+s.log, "FAKE_STOPPED=/dev/null", "TMPDIR="+s.tmp,
		"OUT="+s.stem, "MMAPBENCH_DIR=", "COUNT=", "BENCHTIME=", "DEVICES=")
	s.env = append(s.env, env...)
	return s
}

func (s *luceneScript) cmd(env ...string) *exec.Cmd {
	cmd := exec.Command("../../scripts/bench-lucene.sh")
	cmd.Env = append(append([]string(nil), s.env...), env...)
	return cmd
}

// run runs the script to its end and returns its exit status and stderr.
func (s *luceneScript) run(env ...string) (int, string) {
	s.t.Helper()
	return testproc.RunStderr(s.t, s.cmd(env...))
}

// invocations returns the fake binary's logged command lines.
func (s *luceneScript) invocations() []string {
	b, err := os.ReadFile(s.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// leftInTmp fails the test for anything the script left in its TMPDIR.
func (s *luceneScript) leftInTmp() {
	s.t.Helper()
	left, err := os.ReadDir(s.tmp)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, e := range left {
		s.t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// luceneBlockDir returns a temp dir on a block device's file system (the
// disk run needs one), or skips.
func luceneBlockDir(t *testing.T) {
	t.Helper()
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", "-T", os.TempDir()).Output()
	src, _, _ := strings.Cut(strings.TrimSpace(string(out)), "[")
	if fi, serr := os.Stat(src); err != nil || serr != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Skipf("the temp dir %s is not on a block device (findmnt: %q, %v): the disk run would skip", os.TempDir(), out, err)
	}
}

func TestBenchLuceneScriptBadKnobs(t *testing.T) {
	s := newLuceneScript(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ env, want string }{
		{"COUNT=0", "COUNT=0: want a positive whole number"},
		{"COUNT=5x", "COUNT=5x: want a positive whole number"},
		{"BENCHTIME=fast", "BENCHTIME=fast: want a positive duration"},
		{"BENCHTIME=0s", "BENCHTIME=0s: want a positive duration"},
		{"BENCHTIME=0x", "BENCHTIME=0x: want a positive duration"},
		{"DEVICES=ssd", `"ssd" is not a device`},
		{"DEVICES=disk,,zram", `DEVICES=disk,,zram: "" is not a device`},
		{"DEVICES=disk,disk", "DEVICES=disk,disk: disk is named twice"},
		{"OUT=results/x.txt", "OUT=results/x.txt: want the results files' stem"},
		{"OUT=" + notDir + "/x", "OUT=" + notDir + "/x: " + notDir + " is not a directory"},
		{"MMAPBENCH_DIR=/nonexistent/mmapbench", "MMAPBENCH_DIR=/nonexistent/mmapbench: not a directory"},
		{"GO=/nonexistent/go", "GO=/nonexistent/go: no such command"},
	} {
		code, stderr := s.run(tc.env)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", tc.env, code, stderr, tc.want)
		}
		if inv := s.invocations(); inv != nil {
			t.Fatalf("%s: the benchmark ran (%q): a bad knob must stop the script before any work", tc.env, inv)
		}
	}
	s.leftInTmp()
}

// TestBenchLuceneScriptTmpfsSkip: a disk run whose directory has no block
// device is skipped, naming the file system and MMAPBENCH_DIR; with
// nothing else to run the script exits 2 before any work.
func TestBenchLuceneScriptTmpfsSkip(t *testing.T) {
	var st unix.Statfs_t
	if err := unix.Statfs("/dev/shm", &st); err != nil || uint32(st.Type) != unix.TMPFS_MAGIC {
		t.Skip("no tmpfs at /dev/shm")
	}
	shm, err := os.MkdirTemp("/dev/shm", "mmapbench-test")
	if err != nil {
		t.Skipf("cannot make a dir in /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	s := newLuceneScript(t, "DEVICES=disk")
	for _, tc := range []struct{ env, named string }{
		{"TMPDIR=" + shm, "the system temp dir " + shm},
		{"MMAPBENCH_DIR=" + shm, "MMAPBENCH_DIR=" + shm},
	} {
		code, stderr := s.run(tc.env)
		want := "skipping the disk run: " + tc.named + " is on tmpfs, which has no block device: set MMAPBENCH_DIR to a directory on a disk"
		if code != 2 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "nothing could run") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2, %q and \"nothing could run\"", tc.env, code, stderr, want)
		}
		if inv := s.invocations(); inv != nil {
			t.Errorf("%s: the benchmark ran (%q)", tc.env, inv)
		}
	}
	if left, _ := os.ReadDir(shm); len(left) > 0 {
		t.Errorf("left behind in %s: %v", shm, left)
	}
}

// TestBenchLuceneScriptDiskRun: COUNT invocations with -rotate 0..COUNT-1
// and the profile, into <stem>-lucene-disk.txt with the configuration
// lines once and a .meta sibling; a failing benchmark's output goes to
// -failed.txt and nothing into place.
func TestBenchLuceneScriptDiskRun(t *testing.T) {
	luceneBlockDir(t)
	benchDir := t.TempDir()
	s := newLuceneScript(t, "DEVICES=disk", "COUNT=3", "BENCHTIME=7ms", "MMAPBENCH_DIR="+benchDir)
	code, stderr := s.run()
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	inv := s.invocations()
	if len(inv) != 3 {
		t.Fatalf("%d invocations, want COUNT=3: %q", len(inv), inv)
	}
	for i, args := range inv {
		for _, want := range []string{"-profile lucene", "-test.count 1", "-test.benchtime 7ms", "-benchdir " + benchDir,
			"-test.bench ^BenchmarkRead$", "-rotate " + string(rune('0'+i))} {
			if !strings.Contains(args+" ", want+" ") {
				t.Errorf("invocation %d: %q lacks %q", i+1, args, want)
			}
		}
	}
	b, err := os.ReadFile(s.stem + "-lucene-disk.txt")
	if err != nil {
		t.Fatal(err)
	}
	txt := string(b)
	if n := strings.Count(txt, "bench-dir-fs: "); n != 1 {
		t.Errorf("%d bench-dir-fs lines, want the configuration once:\n%s", n, txt)
	}
	if n := strings.Count(txt, "\nBenchmarkRead/"); n != 6 {
		t.Errorf("%d result lines, want 2 per invocation:\n%s", n, txt)
	}
	if !strings.Contains(txt, " 1002 ns/op") {
		t.Errorf("no result of the third invocation (-rotate 2):\n%s", txt)
	}
	meta, err := os.ReadFile(s.stem + "-lucene-disk.meta")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"commit: ", "date: ", "host: ", "command: bench.test ", "profile: lucene", "count: 3", "benchtime: 7ms", "elapsed: ", "device: "} {
		if !strings.Contains(string(meta), "\n"+key) && !strings.HasPrefix(string(meta), key) {
			t.Errorf(".meta lacks %q:\n%s", key, meta)
		}
	}
	if _, err := os.Stat(s.stem + "-lucene-zram.txt"); err == nil {
		t.Errorf("DEVICES=disk wrote a zram file")
	}
	s.leftInTmp()

	// A failing benchmark: exit 1, the output in -failed.txt, nothing in place.
	f := newLuceneScript(t, "DEVICES=disk", "COUNT=2", "MMAPBENCH_DIR="+benchDir, "FAKE_EXIT=1")
	code, stderr = f.run()
	if code != 1 || !strings.Contains(stderr, "benchmarks failed (exit 1)") {
		t.Errorf("failing benchmark: exit %d, stderr %q; want 1 and \"benchmarks failed (exit 1)\"", code, stderr)
	}
	if _, err := os.Stat(f.stem + "-lucene-disk-failed.txt"); err != nil {
		t.Errorf("failing benchmark: %v", err)
	}
	for _, suffix := range []string{"-lucene-disk.txt", "-lucene-disk.meta"} {
		if _, err := os.Stat(f.stem + suffix); err == nil {
			t.Errorf("failing benchmark: %s was moved into place", f.stem+suffix)
		}
	}
	f.leftInTmp()
}

// TestBenchLuceneScriptNotRoot: without root the zram run is skipped with
// the reason; the disk run still runs (exit 0), and with nothing else to
// run the script exits 2 before any work. Run as nobody (setpriv), so it
// needs root itself.
func TestBenchLuceneScriptNotRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("runs the script as nobody, which needs root")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("no setpriv")
	}
	luceneBlockDir(t)
	// A dir nobody can write in: t.TempDir's parent is root's alone.
	dir, err := os.MkdirTemp("", "mmapbench-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	// REAL_GO=true: nobody has no go cache for tool benchstat; its table
	// is not what this test checks.
	s := newLuceneScriptIn(t, dir, "REAL_GO=true", "COUNT=1", "HOME=/nonexistent")
	for _, d := range []string{s.tmp, filepath.Dir(s.stem)} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	asNobody := func(env ...string) (int, string) {
		cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "../../scripts/bench-lucene.sh")
		cmd.Env = append(append([]string(nil), s.env...), env...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		return testproc.ExitCode(t, cmd.Run()), stderr.String()
	}
	const why = "skipping the zram run: needs root: it makes a zram device and memory cgroups (uid is 65534)"
	code, stderr := asNobody("DEVICES=zram")
	if code != 2 || !strings.Contains(stderr, why) || !strings.Contains(stderr, "nothing could run (DEVICES=zram)") {
		t.Errorf("DEVICES=zram as nobody: exit %d, stderr %q; want 2, %q and \"nothing could run\"", code, stderr, why)
	}
	if inv := s.invocations(); inv != nil {
		t.Fatalf("DEVICES=zram as nobody: the benchmark ran (%q)", inv)
	}
	code, stderr = asNobody("DEVICES=disk,zram")
	if code != 0 || !strings.Contains(stderr, why) {
		t.Errorf("DEVICES=disk,zram as nobody: exit %d, stderr %q; want 0 and %q", code, stderr, why)
	}
	if _, err := os.Stat(s.stem + "-lucene-disk.txt"); err != nil {
		t.Errorf("DEVICES=disk,zram as nobody: no disk results: %v", err)
	}
	if _, err := os.Stat(s.stem + "-lucene-zram.txt"); err == nil {
		t.Errorf("DEVICES=disk,zram as nobody: a zram results file")
	}
	s.leftInTmp()
}

// zramTestLock serialises the tests that make zram devices (these and
// oom's TestZramScriptBadInput, whose lockZramTests takes the same lock in
// another test binary that go test may run at the same time): each checks
// the devices after its run.
func zramTestLock(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root: the script makes a zram device")
	}
	if _, err := os.Stat("/sys/class/zram-control/hot_add"); err != nil {
		t.Skip("no zram on this machine")
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("no mkfs.ext4")
	}
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "mmapbench-zram-tests.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

// luceneMounts returns the mount points under dir and the devices mounted there.
func luceneMounts(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && strings.HasPrefix(fields[1], dir+"/") {
			m[fields[1]] = fields[0]
		}
	}
	return m
}

// startZramRun starts a zram run whose fake benchmark sleeps, and waits
// until it runs on the mounted device; it returns the command, the
// channel its Wait's result comes on and the device (zramN).
func startZramRun(t *testing.T, s *luceneScript, started string) (*exec.Cmd, <-chan error, string) {
	t.Helper()
	cmd := s.cmd("DEVICES=zram", "COUNT=2", "FAKE_SLEEP=300", "FAKE_STARTED="+started)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// No timing threshold: the wait ends when the fake says it started,
	// or when the script has exited without starting it.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		if b, err := os.ReadFile(started); err == nil {
			dir := strings.TrimSpace(string(b))
			dev := luceneMounts(t, s.tmp)[dir]
			if !strings.HasPrefix(dev, "/dev/zram") {
				cmd.Process.Kill()
				t.Fatalf("the benchmark runs in %s, which is not a zram mount (mounts under TMPDIR: %v)", dir, luceneMounts(t, s.tmp))
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			return cmd, done, strings.TrimPrefix(dev, "/dev/")
		}
		select {
		case err := <-done:
			t.Fatalf("the script ended (%v) before the benchmark started; stderr:\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestBenchLuceneScriptInterrupted: TERM or INT while the zram run's
// benchmark runs stops it and leaves no mount, device, temp dir or result.
func TestBenchLuceneScriptInterrupted(t *testing.T) {
	zramTestLock(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		s := newLuceneScript(t)
		cmd, done, dev := startZramRun(t, s, filepath.Join(t.TempDir(), "started"))
		if err := cmd.Process.Signal(tc.sig); err != nil {
			t.Fatal(err)
		}
		if code := testproc.ExitCode(t, <-done); code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.sig, code, tc.code)
		}
		if m := luceneMounts(t, s.tmp); len(m) > 0 {
			t.Errorf("%v: mounts left under TMPDIR: %v", tc.sig, m)
		}
		if _, err := os.Stat("/sys/block/" + dev); err == nil {
			t.Errorf("%v: /dev/%s was left behind", tc.sig, dev)
		}
		s.leftInTmp()
		if left, _ := filepath.Glob(s.stem + "*"); len(left) > 0 {
			t.Errorf("%v: results moved into place: %v", tc.sig, left)
		}
	}
}

// TestBenchLuceneScriptKilled: kill -9 of the script leaves the device and
// its mount (the kernel keeps them) and stops the benchmark (its parent-
// death signal); the next run removes them.
func TestBenchLuceneScriptKilled(t *testing.T) {
	zramTestLock(t)
	if out, err := exec.Command("setpriv", "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "--pdeathsig") {
		t.Skip("no setpriv --pdeathsig: a killed script's benchmark runs on")
	}
	stopped := filepath.Join(t.TempDir(), "stopped")
	s := newLuceneScript(t, "FAKE_STOPPED="+stopped)
	cmd, done, dev := startZramRun(t, s, filepath.Join(t.TempDir(), "started"))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	if m := luceneMounts(t, s.tmp); len(m) != 1 {
		t.Fatalf("after kill -9, mounts under TMPDIR %v: want the zram one left", m)
	}
	// The benchmark gets TERM when its parent dies, and the temp dir's
	// lock is free once it and its children are gone: wait for that (no
	// deadline: go test's own timeout ends a hang), so that the rerun
	// finds the dir stale.
	stale, err := filepath.Glob(filepath.Join(s.tmp, "mmapbench-run.*"))
	if err != nil || len(stale) != 1 {
		t.Fatalf("after kill -9, temp dirs %v (%v): want the run's one left", stale, err)
	}
	d, err := os.Open(stale[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := os.Stat(stopped); err != nil {
		t.Errorf("the benchmark was not stopped by its parent's death: %v", err)
	}
	// The rerun: a disk run here if the temp dir allows, else a zram one.
	devices := "DEVICES=zram"
	if out, _ := exec.Command("findmnt", "-n", "-o", "SOURCE", "-T", os.TempDir()).Output(); strings.HasPrefix(string(out), "/dev/") {
		devices = "DEVICES=disk"
	}
	code, stderr := s.run(devices, "COUNT=1", "MMAPBENCH_DIR="+t.TempDir())
	if code != 0 || !strings.Contains(stderr, "left by a run that was killed") {
		t.Errorf("rerun: exit %d, stderr %q; want 0 and the stale dir's removal", code, stderr)
	}
	if m := luceneMounts(t, s.tmp); len(m) > 0 {
		t.Errorf("after the rerun, mounts under TMPDIR: %v", m)
	}
	if _, err := os.Stat("/sys/block/" + dev); err == nil {
		t.Errorf("after the rerun, /dev/%s is still there", dev)
	}
	s.leftInTmp()
}
