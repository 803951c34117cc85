package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/ipc"
	"github.com/mmapbench/mmapbench/oom"
)

func runCapture(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantCode int
		wantErr  string // substring of stderr
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"nosuch"}, exitUsage, `unknown command "nosuch": want one of backends`},
		{[]string{"backends", "-nosuch"}, exitUsage, "flag provided but not defined: -nosuch"},
		{[]string{"backends", "extra"}, exitUsage, `unexpected argument "extra"`},
	} {
		code, _, stderr := runCapture(tc.args...)
		if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and stderr containing %q", tc.args, code, stderr, tc.wantCode, tc.wantErr)
		}
	}
}

func TestHelp(t *testing.T) {
	code, stdout, _ := runCapture("help")
	if code != exitOK || !strings.Contains(stdout, "backends") {
		t.Errorf("run(help) = %d, stdout %q; want 0 and the command list", code, stdout)
	}
	code, _, stderr := runCapture("backends", "-h")
	if code != exitOK || !strings.Contains(stderr, "Usage: mmapbench backends") {
		t.Errorf("run(backends -h) = %d, stderr %q; want 0 and usage", code, stderr)
	}
	// help <command> is the command's own help, not the command list.
	for _, c := range commands {
		code, stdout, stderr := runCapture("help", c.name)
		if code != exitOK || !strings.Contains(stdout, "Usage: mmapbench "+c.name) || strings.Contains(stdout, "Commands:") {
			t.Errorf("run(help %s) = %d, stdout %q, stderr %q; want 0 and the command's usage", c.name, code, stdout, stderr)
		}
	}
	if code, _, stderr := runCapture("help", "nosuch"); code != exitUsage || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("run(help nosuch) = %d, stderr %q; want 2 naming it", code, stderr)
	}
}

func TestBackendsListsEveryBackend(t *testing.T) {
	code, stdout, stderr := runCapture("backends")
	if code != exitOK {
		t.Fatalf("run(backends) = %d, stderr %q", code, stderr)
	}
	for _, name := range impl.Names() {
		if !strings.Contains(stdout, "\n"+name+" ") {
			t.Errorf("backends output lacks a row for %q:\n%s", name, stdout)
		}
	}
}

// oomChildEnv is oom's (unexported) child variable: the test names it to
// check that only oom.RunChildIfRequested acts on it.
const oomChildEnv = "MMAPBENCH_OOM_CHILD"

// TestImportHasNoSideEffect re-runs this test binary, which imports ipc and
// oom, with both child variables set to a configuration no child accepts.
// With runChildIfRequested skipped, the process must stay a test binary and
// pass; with it called, each package must take the process over (and fail
// on the bad configuration, naming its variable).
func TestImportHasNoSideEffect(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ipc and oom have children on Linux only")
	}
	if os.Getenv(noChildEnv) != "" {
		// The re-run: nothing may have consumed the variables.
		for _, name := range []string{ipc.ChildEnv, oomChildEnv} {
			if v := os.Getenv(name); v != "not json" {
				t.Fatalf("in a process that did not call runChildIfRequested, %s = %q, want it untouched (%q)", name, v, "not json")
			}
		}
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("os.Executable: %v", err)
	}
	for _, c := range []struct {
		env      []string
		wantCode int
		want     string // in the output
	}{
		{[]string{noChildEnv + "=1", ipc.ChildEnv + "=not json", oomChildEnv + "=not json"}, 0, "PASS"},
		{[]string{ipc.ChildEnv + "=not json"}, 1, "bad " + ipc.ChildEnv},
		{[]string{oomChildEnv + "=not json"}, 1, "bad " + oomChildEnv},
	} {
		cmd := exec.Command(exe, "-test.run=^TestImportHasNoSideEffect$")
		cmd.Env = append(os.Environ(), c.env...)
		out, err := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatalf("%v: %v", c.env, err)
		}
		if code != c.wantCode || !strings.Contains(string(out), c.want) {
			t.Errorf("with %v: exit %d, output:\n%s\nwant exit %d and %q", c.env, code, out, c.wantCode, c.want)
		}
	}
}

// TestOneErrUsage: ipc and oom mark bad input with the same error, so that
// one errors.Is decides exit 2 for both, with one message.
func TestOneErrUsage(t *testing.T) {
	if ipc.ErrUsage != oom.ErrUsage {
		t.Fatalf("ipc.ErrUsage (%q) and oom.ErrUsage (%q) are different errors", ipc.ErrUsage, oom.ErrUsage)
	}
}

// TestExitFor: bad input and a system that cannot measure exit 2, before
// any work; a failed measurement exits 1.
func TestExitFor(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("ipc: unknown counter mode: %w", ipc.ErrUsage), exitUsage},
		{fmt.Errorf("oom: limit too small: %w", oom.ErrUsage), exitUsage},
		{fmt.Errorf("impl: mmap on darwin: %w", errors.ErrUnsupported), exitUsage},
		{errors.New("ipc: the monitor died"), exitFail},
	} {
		if got := exitFor(tc.err); got != tc.want {
			t.Errorf("exitFor(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
