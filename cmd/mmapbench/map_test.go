package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The decision map's file is read apart from the main run's: a row name in
// both (here pread's cold rand 4KiB row, which make bench also runs) keeps
// the map's own samples, and mmapbench plot draws the map's figure.
func TestMapFileLoadsApart(t *testing.T) {
	dir := copyFixture(t)
	const shared = "BenchmarkRead/backend=pread/access=copy/pattern=rand/bs=4KiB/cache=cold/size=256MiB/advice=none/threads=1-2"
	var b strings.Builder
	for i, us := range []float64{80, 82, 79, 81, 80} {
		fmt.Fprintf(&b, "BenchmarkRead/backend=mmap/access=view/pattern=rand/bs=4KiB/cache=part:50/size=256MiB/advice=rand/threads=1-2 100 %g ns/op %g p99-nsec\n", 1000*[]float64{40, 41, 39, 40, 42}[i], 300e3)
		fmt.Fprintf(&b, "BenchmarkRead/backend=pread/access=copy/pattern=rand/bs=4KiB/cache=part:50/size=256MiB/advice=none/threads=1-2 100 %g ns/op %g p99-nsec\n", 1000*us, 200e3)
		fmt.Fprintf(&b, "BenchmarkRead/backend=mmap/access=view/pattern=rand/bs=4KiB/cache=cold/size=256MiB/advice=rand/threads=1-2 100 %g ns/op %g p99-nsec\n", 1000*(us+1000), 5e6)
		fmt.Fprintf(&b, "%s 100 %g ns/op %g p99-nsec\n", shared, 1000*(us+500), 4e6)
	}
	mapFile := filepath.Join(dir, "2026-12-01-vm-map.txt")
	if err := os.WriteFile(mapFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join(dir, "2026-12-01-vm.txt"))
	if err != nil || !strings.Contains(string(main), shared) {
		t.Fatalf("the fixture lacks %s (%v): the test needs a row name both files have", shared, err)
	}
	plots := filepath.Join(dir, "plots")
	code, stdout, stderr := runCapture("plot", "-o", plots, "-format", "svg", filepath.Join(dir, "2026-12-01-vm.txt"), filepath.Join(dir, "2026-12-01-vm-ipc.txt"), mapFile)
	if code != exitOK || !strings.Contains(stdout, filepath.Join(plots, "map-4KiB.svg")) {
		t.Fatalf("plot = %d, stdout %q, stderr %q; want map-4KiB.svg", code, stdout, stderr)
	}
	out := filepath.Join(dir, "REPORT.md")
	if code, _, stderr := runCapture("report", "-o", out, "-plots", plots, filepath.Join(dir, "2026-12-01-vm.txt")); code != exitOK {
		t.Fatalf("report = %d, %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	report := string(data)
	if !strings.Contains(report, "`2026-12-01-vm-map.txt`") || !strings.Contains(report, "## Which to use") {
		t.Fatalf("report lacks the map file or the Which to use section")
	}
	// pread/none's cold median from the map file alone is 580µs; pooled
	// with the main run's samples it would be far lower.
	if !strings.Contains(report, "| 4KiB rand, 1 goroutine | pread/none | 580µs |") {
		i := strings.Index(report, "## Which to use")
		t.Errorf("cold row does not show the map's own pread/none median 580µs:\n%s", report[i:])
	}
}
