//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lineReader delivers a pipe's lines on a channel.
func lineReader(r io.Reader) <-chan string {
	ch := make(chan string, 16)
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			ch <- s.Text()
		}
		close(ch)
	}()
	return ch
}

// waitLine returns the first line from ch containing want, or fails after
// a generous timeout (the machine may be busy).
func waitLine(t *testing.T, ch <-chan string, want string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				t.Fatalf("output ended before a line containing %q", want)
			}
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line containing %q within 30s", want)
		}
	}
}

// TestDemo runs the article's scenario with real processes: a monitor, and
// changers that each set the pid and increment the counter.
func TestDemo(t *testing.T) {
	for _, backend := range []string{"mmap", "pread"} {
		t.Run(backend, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "record")
			mon := mmapbenchCmd(t, "monitor", "-file", path, "-create", "-interval", "10ms", "-backend", backend)
			stdout, _ := mon.StdoutPipe()
			stderr, _ := mon.StderrPipe()
			if err := mon.Start(); err != nil {
				t.Fatalf("starting monitor: %v", err)
			}
			defer mon.Process.Kill()
			out, errs := lineReader(stdout), lineReader(stderr)
			waitLine(t, errs, "now pid = 0, count = 0")

			for i := 1; i <= 2; i++ {
				chg := mmapbenchCmd(t, "changer", "-file", path, "-backend", backend)
				if b, err := chg.CombinedOutput(); err != nil {
					t.Fatalf("changer: %v\n%s", err, b)
				}
				// The changer stores pid and counter one after the other, so
				// the monitor may also print the state between the two.
				want := fmt.Sprintf("pid = %d, count = %d", chg.Process.Pid, i)
				if got := waitLine(t, out, want); got != want {
					t.Errorf("monitor printed %q; want %q", got, want)
				}
			}
			mon.Process.Signal(syscall.SIGTERM)
			if err := mon.Wait(); err != nil {
				t.Errorf("monitor after SIGTERM: %v; want exit 0", err)
			}
		})
	}
}

func TestDemoPrivateFile(t *testing.T) {
	t.Setenv("MMAPBENCH_DIR", t.TempDir())
	mon := mmapbenchCmd(t, "monitor", "-interval", "10ms")
	stderr, _ := mon.StderrPipe()
	if err := mon.Start(); err != nil {
		t.Fatalf("starting monitor: %v", err)
	}
	defer mon.Process.Kill()
	line := waitLine(t, lineReader(stderr), "-file ")
	path := line[strings.LastIndex(line, " ")+1:]
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("monitor's directory %s: %v, %v; want a private directory (0700)", filepath.Dir(path), fi, err)
	}
	mon.Process.Signal(syscall.SIGTERM)
	mon.Wait()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after the monitor stopped, its private file %s: %v; want it removed", path, err)
	}
}

func TestDemoErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, make([]byte, 8192), 0o600)
	for _, tc := range []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{[]string{"changer"}, exitUsage, "-file is required"},
		{[]string{"changer", "-file", filepath.Join(dir, "missing")}, exitUsage, "start the monitor first"},
		{[]string{"monitor", "-file", filepath.Join(dir, "missing")}, exitUsage, "or pass -create"},
		{[]string{"changer", "-file", junk}, exitUsage, "not an mmapbench IPC record"},
		{[]string{"changer", "-file", dir}, exitUsage, dir + " is a directory"},
		{[]string{"monitor", "-file", dir}, exitUsage, dir + " is a directory"},
		{[]string{"changer", "-file", filepath.Join(dir, "nodir", "record"), "-create"}, exitUsage, "cannot create it"},
		{[]string{"monitor", "-interval", "0s"}, exitUsage, "-interval 0s"},
		{[]string{"changer", "-file", junk, "-backend", "sysv"}, exitUsage, `-backend "sysv"`},
	} {
		code, _, stderr := runCapture(tc.args...)
		if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and stderr containing %q", tc.args, code, stderr, tc.wantCode, tc.wantErr)
		}
	}
	// The monitor's own directory goes under $MMAPBENCH_DIR: a missing one
	// is bad input too, refused before anything is made.
	t.Setenv("MMAPBENCH_DIR", filepath.Join(dir, "nodir"))
	if code, _, stderr := runCapture("monitor"); code != exitUsage || !strings.Contains(stderr, "nodir does not exist") {
		t.Errorf("monitor with MMAPBENCH_DIR missing: %d, %q; want 2 naming the directory", code, stderr)
	}
	// -create on the changer makes the record, then increments it.
	path := filepath.Join(dir, "new")
	if code, _, stderr := runCapture("changer", "-file", path, "-create", "-naive"); code != exitOK {
		t.Fatalf("changer -create: %d, %s", code, stderr)
	}
}

// TestMonitorKilledLeavesNothing: a monitor killed with SIGKILL cannot
// remove its private directory; the next monitor under the same parent
// does, and removes its own when it stops.
func TestMonitorKilledLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	t.Setenv("MMAPBENCH_DIR", parent)
	start := func() (*exec.Cmd, string, <-chan string) {
		mon := mmapbenchCmd(t, "monitor", "-interval", "10ms")
		stderr, _ := mon.StderrPipe()
		if err := mon.Start(); err != nil {
			t.Fatalf("starting monitor: %v", err)
		}
		t.Cleanup(func() { mon.Process.Kill(); mon.Wait() })
		lines := lineReader(stderr)
		line := waitLine(t, lines, "-file ")
		return mon, filepath.Dir(line[strings.LastIndex(line, " ")+1:]), lines
	}
	first, firstDir, _ := start()
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	if _, err := os.Stat(firstDir); err != nil {
		t.Fatalf("the killed monitor's %s is already gone (%v): the test shows nothing", firstDir, err)
	}
	second, secondDir, _ := start()
	if _, err := os.Stat(firstDir); !os.IsNotExist(err) {
		t.Errorf("after the next monitor started, the killed one's %s: %v; want it removed", firstDir, err)
	}
	second.Process.Signal(syscall.SIGTERM)
	second.Wait()
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("left in %s: %v (the second monitor's was %s)", parent, left, secondDir)
	}
}
