package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFixture copies the report fixture into a results directory of its own.
func copyFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Dir(fixtureBench)
	for _, name := range []string{"2026-12-01-vm.txt", "2026-12-01-vm-ipc.txt", "2026-12-01-vm-durable.txt", "2026-12-01-vm-count.txt", "2026-12-01-vm-ipc-writeback.txt",
		"2026-12-01-vm-sched.txt", "2026-12-01-vm-oom.txt", "2026-12-01-vm-oom.csv", "2026-12-01-vm-oom-zram.txt", "2026-12-01-vm-oom-zram.csv"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReportLatest(t *testing.T) {
	dir := copyFixture(t)
	out := filepath.Join(dir, "REPORT.md")
	plots := filepath.Join(dir, "plots")
	if code, _, stderr := runCapture("plot", "-o", plots, "-format", "svg", filepath.Join(dir, "2026-12-01-vm.txt"), filepath.Join(dir, "2026-12-01-vm-ipc.txt")); code != exitOK {
		t.Fatalf("plot = %d, %s", code, stderr)
	}
	// Only SVGs: the report links a figure when both formats exist.
	code, stdout, stderr := runCapture("report", "-dir", dir, "-host", "vm", "-o", out, "-plots", plots)
	if code != exitOK || strings.TrimSpace(stdout) != out {
		t.Fatalf("report = %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join(filepath.Dir(fixtureBench), "REPORT.golden.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The command and the package agree on everything but the figures.
	head := func(b []byte) string { s, _, _ := strings.Cut(string(b), "## Reads"); return s }
	if head(data) != head(golden) {
		t.Errorf("report's claims differ from the golden file:\n%s", head(data))
	}
	if !strings.Contains(string(data), "*Figure read-warm not rendered: run `make plots`.*") {
		t.Errorf("report links figures that lack a PNG")
	}
}

func TestReportBadInput(t *testing.T) {
	dir := copyFixture(t)
	missing := filepath.Join(t.TempDir(), "2026-01-01-vm.txt")
	ipcOnly := filepath.Join(dir, "2026-12-01-vm-ipc.txt")
	out := filepath.Join(t.TempDir(), "REPORT.md")
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"report", "-o", out, missing}, "cannot read results file " + missing},
		{[]string{"report", "-o", out, "-ipc", missing, filepath.Join(dir, "2026-12-01-vm.txt")}, "cannot read results file " + missing},
		{[]string{"report", "-o", out, "-ipc", ipcOnly, ipcOnly}, "no BenchmarkRead (in " + ipcOnly},
		{[]string{"report", "-o", out, "-dir", dir, "-host", "nohost"}, `no results of make bench for host "nohost"`},
		{[]string{"report", "-o", out, "-durable", ipcOnly, filepath.Join(dir, "2026-12-01-vm.txt")}, "no output of 'mmapbench ipc -mode durable'"},
	} {
		if code, _, stderr := runCapture(tc.args...); code != exitUsage || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.wantErr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed report wrote %s", out)
	}
}
