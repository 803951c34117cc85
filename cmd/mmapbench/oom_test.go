//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/internal/testproc"
)

func TestOOMBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-setups", "mmap,fancy"}, `unknown setup "fancy"`},
		{[]string{"-patterns", "zigzag"}, `unknown pattern "zigzag"`},
		{[]string{"-limit", "1MiB"}, "limit 1MiB is below 16MiB"},
		{[]string{"-size", "256MiB"}, "file size 256MiB is not at least twice the limit 256MiB"},
		{[]string{"-limit", "lots"}, `invalid value "lots" for flag -limit`},
		{[]string{"-duration", "1s"}, "duration 1s must be at least two intervals"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-dir", "/nonexistent"}, "-dir /nonexistent does not exist"},
		{[]string{"-dir", "/dev/shm"}, bench.NoEviction("/dev/shm")}, // skipped where /dev/shm is not tmpfs
	} {
		if tc.args[0] == "-dir" && tc.args[1] == "/dev/shm" && tc.want == "" {
			continue
		}
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"oom", "-dir", t.TempDir()}, tc.args...), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("oom %v: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr.String(), tc.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("oom %v: wrote %q to stdout", tc.args, stdout.String())
		}
	}
}

// TestOOMWithoutPermission runs the command as an unprivileged user, who
// may not create memory cgroups: it must stop with exit 2 and say why,
// before writing any file.
func TestOOMWithoutPermission(t *testing.T) {
	// Off a tmpfs temp dir, as the command's default goes: there -dir is
	// refused first, for its pages cannot be evicted.
	t.Setenv("TMPDIR", bench.ResolveBenchDir("").Path)
	dir := testproc.OthersTempDir(t, "mmapbench-oom-test-")
	if why := bench.NoEviction(dir); why != "" {
		t.Skip(why) // MMAPBENCH_DIR named a tmpfs: oom refuses it before the cgroup
	}
	exe := testproc.CopyTestBinary(t, dir)
	if err := os.Chmod(dir, 0o777); err != nil { // the run may write its file here
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "oom", "-dir", dir, "-size", "64MiB", "-limit", "16MiB", "-duration", "2s")
	cmd.Env = append(os.Environ(), mainEnv+"=1", "GORACE=atexit_sleep_ms=0")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: testproc.Nobody, Gid: testproc.Nobody}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if errors.Is(err, syscall.EPERM) && stderr.Len() == 0 {
		t.Skipf("cannot start a process as uid %d: %v", testproc.Nobody, err)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitUsage {
		t.Fatalf("oom as uid %d: %v, want exit status 2\nstderr: %s", testproc.Nobody, err, stderr.String())
	}
	msg := stderr.String()
	for _, want := range []string{"cannot place a memory limit", "permission denied", "run as root"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr %q does not say %q", msg, want)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q: no result may come from a run without the limit", stdout.String())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "mmapbench-oom-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
