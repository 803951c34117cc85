//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmapbench/mmapbench/ipc"
	mdreport "github.com/mmapbench/mmapbench/report"
	"github.com/mmapbench/mmapbench/schema"
	"golang.org/x/perf/benchfmt"
)

func TestIPCOutput(t *testing.T) {
	code, stdout, stderr := runCapture("ipc", "-backend", "floor-bare,floor,mmap,memfd,pread", "-wait", "futex,poll", "-poll", "0", "-samples", "200", "-dir", t.TempDir())
	if code != exitOK {
		t.Fatalf("ipc: exit %d\n%s", code, stderr)
	}
	r := benchfmt.NewReader(strings.NewReader(stdout), "stdout")
	var names []string
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("stdout is not benchmark format: %v\n%s", rec, stdout)
		case *benchfmt.Result:
			names = append(names, string(rec.Name))
			// The batch-timed round trips: the 200 samples, rounded up
			// to whole batches of K.
			k, _ := rec.Value(string(schema.IPCBatchRT))
			if rec.Iters < 200 || float64(rec.Iters) >= 200+k {
				t.Errorf("%s: %d iterations in batches of %v, want the 200 samples rounded up to a whole batch", rec.Name, rec.Iters, k)
			}
			for _, u := range []string{string(schema.IPCP999), string(schema.IPCClock)} {
				if v, ok := rec.Value(u); !ok || v <= 0 {
					t.Errorf("%s: %s = %v, %v; want a positive value", rec.Name, u, v, ok)
				}
			}
			if rec.GetConfig("fs-type") == "" || rec.GetConfig("clocksource") == "" {
				t.Errorf("%s: no fs-type or clocksource configuration", rec.Name)
			}
		}
	}
	want := []string{
		// floor-bare spins or nothing: skipped.
		"IPC/backend=floor/wait=futex", "IPC/backend=floor/wait=poll/interval=0",
		"IPC/backend=mmap/wait=futex", "IPC/backend=mmap/wait=poll/interval=0",
		"IPC/backend=memfd/wait=futex", "IPC/backend=memfd/wait=poll/interval=0",
		"IPC/backend=pread/wait=poll/interval=0", // futex skipped: no mapping
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("results:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if r.Units().GetBetter(string(schema.IPCP99)) != -1 {
		t.Errorf("no Unit %s better=lower line", schema.IPCP99)
	}
	for _, s := range []string{"x floor", "batch ns", "clock ns", "raw, nothing subtracted", "clocksource", "7/7"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
}

func TestIPCUsage(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-backend", "nosuch"}, `unknown backend "nosuch"`},
		{[]string{"-wait", "sleep"}, `unknown wait strategy "sleep"`},
		{[]string{"-samples", "0"}, "-samples 0"},
		{[]string{"-samples", "many"}, "want a whole number"},
		{[]string{"-poll", "-1ms", "-wait", "poll"}, "poll interval -1ms"},
		{[]string{"-backend", "pread", "-wait", "futex"}, "a futex needs the word in shared memory"},
		{[]string{"-backend", "sysv", "-writeback", "10ms"}, "no file descriptor"},
		{[]string{"-backend", "floor-bare", "-wait", "futex"}, "bare spin loop"},
		{[]string{"-mode", "nosuch"}, `unknown -mode "nosuch"`},
		{[]string{"-mode", "count", "-counter", "atomic", "-backend", "osfile"}, "needs a mapping"},
		{[]string{"-mode", "durable", "-backend", "memfd"}, "no file on disk"},
		{[]string{"-count", "0"}, "-count 0"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		code, _, stderr := runCapture(append([]string{"ipc"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("ipc %q = %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.wantErr)
		}
	}
}

func TestIPCModes(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCapture("ipc", "-mode", "count", "-counter", "flock", "-increments", "500", "-dir", dir)
	if code != exitOK || !strings.Contains(stderr, "final counter 1000; lost 0") {
		t.Errorf("ipc -mode count: %d\n%s%s", code, stdout, stderr)
	}
	// Stdout is the result, in benchmark format, as the report reads it.
	checkBenchmarkLines(t, stdout, "BenchmarkCount/")
	path := filepath.Join(t.TempDir(), "count.txt")
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	cs, err := mdreport.ParseCounts(path)
	if err != nil {
		t.Fatalf("ParseCounts(ipc -mode count's stdout): %v\n%s", err, stdout)
	}
	if len(cs) != 1 || cs[0].Backend != "mmap" || cs[0].Counter != "flock" || cs[0].Changers != 2 || cs[0].Increments != 500 || cs[0].Want != 1000 || cs[0].Final != 1000 || cs[0].Lost != 0 || cs[0].ElapsedSeconds <= 0 {
		t.Errorf("ParseCounts(ipc -mode count's stdout) = %+v; want one flock run on mmap, 2 changers x 500 increments, none lost, a positive time", cs)
	}
	code, stdout, stderr = runCapture("ipc", "-mode", "durable", "-dir", dir)
	if code != exitOK || !strings.Contains(stdout, "BenchmarkDurable/backend=mmap/sync=fdatasync/step=after-kill ") { // durable_test.go checks the rest
		t.Errorf("ipc -mode durable: %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCapture("ipc", "-backend", "mmap,posixshm", "-wait", "futex", "-samples", "100", "-writeback", "1ms", "-dir", dir)
	if code != exitOK || !strings.Contains(stdout, "IPC/backend=mmap/wait=futex/writeback=1ms") {
		t.Errorf("ipc -writeback: %d\n%s%s", code, stdout, stderr)
	}
}

// checkBenchmarkLines fails the test unless every line of out is a line of
// the Go benchmark format (a Unit line, a configuration line, a blank line)
// or a result whose name starts with prefix, and there is such a result.
func checkBenchmarkLines(t *testing.T, out, prefix string) {
	t.Helper()
	results := 0
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		_, _, isConfig := strings.Cut(l, ": ")
		switch {
		case strings.HasPrefix(l, prefix):
			results++
		case l == "", strings.HasPrefix(l, "Unit "), isConfig && !strings.HasPrefix(l, "Benchmark"):
		default:
			t.Errorf("stdout line %q is neither a %s result nor a Unit, configuration or blank line", l, prefix)
		}
	}
	if results == 0 {
		t.Errorf("stdout has no %s result:\n%s", prefix, out)
	}
}

var childPIDs = regexp.MustCompile(`\(pid (\d+)\)`)

// TestIPCHygiene kills the driver in the middle of a run and checks that
// no child survives it and that no file, /dev/shm object or SysV segment
// remains.
func TestIPCHygiene(t *testing.T) {
	for _, tc := range []struct {
		backend string
		sig     syscall.Signal
	}{
		{"posixshm", syscall.SIGTERM},
		{"mmap", syscall.SIGINT},
		{"mmap", syscall.SIGKILL},
		{"sysv", syscall.SIGKILL},
		{"posixshm", syscall.SIGKILL},
	} {
		t.Run(tc.backend+"/"+tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			// Enough futex round trips to run for minutes.
			drv := mmapbenchCmd(t, "ipc", "-backend", tc.backend, "-wait", "futex", "-samples", "3000000", "-timeout", "10m", "-v", "-dir", dir)
			stderr, _ := drv.StderrPipe()
			if err := drv.Start(); err != nil {
				t.Fatalf("starting the driver: %v", err)
			}
			defer drv.Process.Kill()
			lines := lineReader(stderr)
			line := waitLine(t, lines, "changer (pid")
			var pids []int
			for _, m := range childPIDs.FindAllStringSubmatch(line, -1) {
				pid, _ := strconv.Atoi(m[1])
				pids = append(pids, pid)
			}
			if len(pids) != 2 {
				t.Fatalf("no child pids in %q", line)
			}
			drv.Process.Signal(tc.sig)
			err := drv.Wait()
			if tc.sig != syscall.SIGKILL {
				if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != exitFail {
					t.Errorf("driver after %v: %v; want exit status %d", tc.sig, err, exitFail)
				}
			}
			for _, pid := range pids {
				waitDead(t, pid)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("after %v, %s still holds %v", tc.sig, dir, ents)
			}
			if left, _ := filepath.Glob(fmt.Sprintf("%s/%s%d-*", ipc.ShmDir, ipc.ShmPrefix, drv.Process.Pid)); len(left) != 0 {
				t.Errorf("after %v, POSIX shm objects remain: %v", tc.sig, left)
			}
			// The kernel frees a segment marked IPC_RMID when its last
			// user's exit has finished, which can lag the exit status.
			var segs []string
			for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
				if segs = sysvSegmentsOf(t, drv.Process.Pid); len(segs) == 0 {
					break
				}
			}
			if len(segs) != 0 {
				t.Errorf("after %v, SysV segments created by the driver remain: %v", tc.sig, segs)
			}
		})
	}
}

// waitDead waits until pid is gone or a zombie: a child of a killed
// driver is reparented, and its new parent may not reap it at once.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("child %d still runs 30s after the driver died", pid)
}

// sysvSegmentsOf lists the shmids of segments whose creator is pid.
func sysvSegmentsOf(t *testing.T, pid int) []string {
	b, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		t.Logf("no /proc/sysvipc/shm: %v", err)
		return nil
	}
	var ids []string
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) == 0 {
		return nil
	}
	header := strings.Fields(lines[0])
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) > col["cpid"] && f[col["cpid"]] == strconv.Itoa(pid) {
			ids = append(ids, f[col["shmid"]])
		}
	}
	return ids
}
