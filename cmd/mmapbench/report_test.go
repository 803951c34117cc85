package main

import (
	"os"
	"path/filepath"
	"strconv"
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

// The Lucene comparison's files are found beside the results, loaded
// apart (a row name the main run also has keeps its own samples), and a
// missing device is named; mmapbench plot leaves them out with a note.
func TestReportLucene(t *testing.T) {
	dir := copyFixture(t)
	var b strings.Builder
	b.WriteString("bench-dir-fs: ext4\nbench-dir-device: vda\n")
	for _, us := range []float64{100, 101, 99, 100, 102} {
		for _, row := range []struct {
			name string
			us   float64
		}{
			{"backend=pread/access=copy/pattern=rand/bs=16KiB/cache=warm/size=256MiB/advice=none/threads=1", us / 50},
			{"backend=mmap/access=view/pattern=rand/bs=16KiB/cache=warm/size=256MiB/advice=none/threads=1", us / 100},
			{"backend=pread/access=direct/pattern=rand/bs=16KiB/cache=warm/size=256MiB/advice=none/threads=1", us},
		} {
			b.WriteString("BenchmarkRead/" + row.name + "-2 1000 " + reportTestFloat(row.us*1000) + " ns/op\n")
		}
	}
	disk := filepath.Join(dir, "2026-12-01-vm-lucene-disk.txt")
	if err := os.WriteFile(disk, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "REPORT.md")
	code, _, stderr := runCapture("report", "-o", out, "-plots", filepath.Join(dir, "plots"), filepath.Join(dir, "2026-12-01-vm.txt"))
	if code != exitOK {
		t.Fatalf("report = %d, %s", code, stderr)
	}
	if !strings.Contains(stderr, "2026-12-01-vm-lucene-zram.txt: the Lucene comparison's zram half is not measured") {
		t.Errorf("stderr does not name the missing zram file: %s", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	report := string(data)
	for _, want := range []string{
		"`2026-12-01-vm-lucene-disk.txt`",
		"## A real-world check: Lucene's random-read benchmark",
		"### disk (ext4 on vda): 256MiB file",
		"| 1 | 1 | mmap NORMAL | 62.5 | 1µs | 2.00× (p<0.001) |", // 1µs per read: 1e6/(16×1000) ops/ms
		"**zram:** no " + filepath.Join(dir, "2026-12-01-vm-lucene-zram.txt") + ": this device's half is not measured (`make bench-lucene` writes it).",
	} {
		if !strings.Contains(report, want) {
			i := strings.Index(report, "## A real-world check")
			t.Errorf("report lacks %q; its Lucene section:\n%s", want, report[max(i, 0):])
		}
	}
	code, _, stderr = runCapture("plot", "-o", filepath.Join(dir, "plots"), "-format", "svg", filepath.Join(dir, "2026-12-01-vm.txt"), filepath.Join(dir, "2026-12-01-vm-ipc.txt"), disk)
	if code != exitOK || !strings.Contains(stderr, "the Lucene comparison has no figure") {
		t.Errorf("plot with a Lucene file = %d, stderr %q; want it left out with a note", code, stderr)
	}
}

func reportTestFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
