package oom

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/internal/testproc"
)

// runZramScript runs scripts/oom-zram.sh (make oom-zram) with env added,
// temp files and results in tmp, and returns its exit code and stderr.
func runZramScript(t *testing.T, tmp string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("../scripts/oom-zram.sh")
	cmd.Env = append(os.Environ(), append([]string{"TMPDIR=" + tmp, "OUT=" + filepath.Join(tmp, "run")}, env...)...)
	return testproc.RunStderr(t, cmd)
}

func zramDevices(t *testing.T) []string {
	t.Helper()
	ds, err := filepath.Glob("/sys/block/zram*")
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestZramScriptBadInput(t *testing.T) {
	tmp := t.TempDir()
	code, stderr := runZramScript(t, tmp, "ZRAM_SIZE=5x")
	if os.Getuid() != 0 {
		if code != 2 || !strings.Contains(stderr, "needs root") {
			t.Fatalf("not root: exit %d, stderr %q; want 2 and \"needs root\"", code, stderr)
		}
		return
	}
	if _, err := os.Stat("/sys/class/zram-control/hot_add"); err != nil {
		if code != 2 || !strings.Contains(stderr, "no zram") {
			t.Fatalf("no zram: exit %d, stderr %q; want 2 and \"no zram\"", code, stderr)
		}
		t.Skip("no zram on this machine: the runs below need it")
	}
	if code != 2 || !strings.Contains(stderr, "ZRAM_SIZE=5x is not a size") {
		t.Errorf("ZRAM_SIZE=5x: exit %d, stderr %q; want 2 naming the value", code, stderr)
	}
	code, stderr = runZramScript(t, tmp, "ZRAM_SIZE=100T")
	if code != 2 || !strings.Contains(stderr, "ZRAM_SIZE=100T does not fit") {
		t.Errorf("ZRAM_SIZE=100T: exit %d, stderr %q; want 2 naming the value", code, stderr)
	}

	// A flag mmapbench oom refuses: the device is made, the run exits 2,
	// and the device, its mount and the results files are gone after.
	lockZramTests(t)
	before := zramDevices(t)
	code, stderr = runZramScript(t, tmp, "OOM_ZRAM_FLAGS=-limit 1MiB")
	if code != 2 || !strings.Contains(stderr, "limit 1MiB is below 16MiB") {
		t.Errorf("-limit 1MiB: exit %d, stderr %q; want 2 naming the value", code, stderr)
	}
	if after := zramDevices(t); len(after) != len(before) {
		t.Errorf("zram devices before %v, after %v: one was left behind", before, after)
	}
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
	mounts, _ := os.ReadFile("/proc/self/mounts")
	if strings.Contains(string(mounts), tmp) {
		t.Errorf("a mount under %s was left behind", tmp)
	}
}

// lockZramTests serialises the tests that make zram devices and compare
// the devices before and after: this one and cmd/mmapbench's
// TestBenchLuceneScript* (zramTestLock, the same file), which go test may
// run at the same time in another test binary.
func lockZramTests(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "mmapbench-zram-tests.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

// zramFakeGo is a go command whose `go build -o X ./cmd/mmapbench` writes,
// as X, a fake mmapbench that writes its -dir to FAKE_STARTED and sleeps
// until TERM: oom-zram.sh's device, mount and traps without a measurement.
const zramFakeGo = `#!/usr/bin/env bash
if [ "$1" = build ] && [ "$2" = -o ]; then
	cat >"$3" <<'EOB'
#!/usr/bin/env bash
dir=
while [ $# -gt 0 ]; do
	[ "$1" = -dir ] && { dir=$2; shift; }
	shift
done
trap 'kill $! 2>/dev/null; exit 2' TERM
echo "$dir" >"$FAKE_STARTED.new" && mv "$FAKE_STARTED.new" "$FAKE_STARTED"
sleep 300 &
wait
EOB
	chmod +x "$3"
	exit
fi
echo "fake go: unexpected $*" >&2
exit 1
`

// TestZramScriptInterrupted: TERM while mmapbench oom runs on the device
// stops it and leaves no mount, device, temp dir or results (make
// oom-zram's trap, through scripts/invocations.sh).
func TestZramScriptInterrupted(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat("/sys/class/zram-control/hot_add"); err != nil {
		t.Skip("no zram on this machine")
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("no mkfs.ext4")
	}
	lockZramTests(t)
	tmp, dir := t.TempDir(), t.TempDir()
	fake, started := filepath.Join(dir, "go"), filepath.Join(dir, "started")
	if err := os.WriteFile(fake, []byte(zramFakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("../scripts/oom-zram.sh")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "OUT="+filepath.Join(dir, "run"), "GO="+fake,
		"FAKE_STARTED="+started, "ZRAM_SIZE=256M")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// No deadline: the wait ends when the fake starts or the script ends.
	var mnt string
	for mnt == "" {
		select {
		case err := <-done:
			t.Fatalf("the script ended (%v) before mmapbench oom started; stderr:\n%s", err, stderr.String())
		default:
		}
		if b, err := os.ReadFile(started); err == nil {
			mnt = strings.TrimSpace(string(b))
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mounts")
	var dev string
	for _, l := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == mnt {
			dev = f[0]
		}
	}
	if !strings.HasPrefix(dev, "/dev/zram") {
		t.Fatalf("mmapbench oom runs in %s, mounted from %q: want a zram device", mnt, dev)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := <-done; !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Errorf("TERM: %v, want exit 143; stderr:\n%s", err, stderr.String())
	}
	if _, err := os.Stat("/sys/block/" + strings.TrimPrefix(dev, "/dev/")); err == nil {
		t.Errorf("%s was left behind", dev)
	}
	mounts, _ = os.ReadFile("/proc/self/mounts")
	if strings.Contains(string(mounts), tmp) {
		t.Errorf("a mount under %s was left behind", tmp)
	}
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
	if res, _ := filepath.Glob(filepath.Join(dir, "run*")); len(res) > 0 {
		t.Errorf("results written: %v", res)
	}
}
