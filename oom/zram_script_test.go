package oom

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runZramScript runs scripts/oom-zram.sh (make oom-zram) with env added,
// temp files and results in tmp, and returns its exit code and stderr.
func runZramScript(t *testing.T, tmp string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("../scripts/oom-zram.sh")
	cmd.Env = append(os.Environ(), append([]string{"TMPDIR=" + tmp, "OUT=" + filepath.Join(tmp, "run")}, env...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stderr.String()
	}
	t.Fatalf("running the script: %v", err)
	return -1, ""
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
