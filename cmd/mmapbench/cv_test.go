package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeResults(t *testing.T, lines ...string) string {
	path := filepath.Join(t.TempDir(), "r.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCV(t *testing.T) {
	steady := writeResults(t,
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 100 10 ns/op 1000 MB/s",
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 100 10 ns/op 1010 MB/s",
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 100 10 ns/op 990 MB/s",
	)
	code, out, stderr := runCapture("cv", "-max", "3%", steady)
	if code != exitOK || !strings.Contains(out, "1.0%") || !strings.Contains(out, "0 of 1 benchmarks over 3.0%") {
		t.Errorf("cv on steady samples = %d, %q, %q; want 0 and cv 1.0%%", code, out, stderr)
	}
	withFloor := writeResults(t,
		"BenchmarkNoiseFloor-2 1000 100 ns/op",
		"BenchmarkNoiseFloor-2 1000 110 ns/op",
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 100 10 ns/op 1000 MB/s",
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 100 10 ns/op 1010 MB/s",
	)
	if code, out, _ := runCapture("cv", withFloor); code != exitOK || !strings.Contains(out, "0 of 1 benchmarks") ||
		!strings.Contains(out, "BenchmarkNoiseFloor (arithmetic in registers, no memory, no system call) varies by 6.7% over 2 samples") {
		t.Errorf("cv with the control = %d, %q; want 0, the control out of the table and its cv on its own line", code, out)
	}
	noisy := writeResults(t,
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 100 10 ns/op 1000 MB/s",
		"BenchmarkOpenRead/backend=mmap/size=4KiB-2 100 10 ns/op 1500 MB/s",
	)
	if code, out, _ := runCapture("cv", noisy); code != exitFail || !strings.Contains(out, "> max") {
		t.Errorf("cv on noisy samples = %d, %q; want 1 and a marked row", code, out)
	}
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"cv"}, "no result files"},
		{[]string{"cv", "-max", "x", steady}, `-max "x": want a non-negative percentage`},
		{[]string{"cv", "-unit", "furlongs", steady}, `reports unit "furlongs"`},
		{[]string{"cv", filepath.Join(t.TempDir(), "missing.txt")}, "no such file"},
		{[]string{"cv", writeResults(t, "BenchmarkOpenRead/size=4KiB 100 x ns/op")}, "r.txt:1:"},
	} {
		if code, _, stderr := runCapture(tc.args...); code != exitUsage || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.wantErr)
		}
	}
}
