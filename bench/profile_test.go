package bench

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// TestBadSizesExitBeforeBenchmarks runs this test binary as make bench
// does, with values -sizes and -profile cannot take: each must exit 2 with
// a message naming the value, before any benchmark prints a result, and
// leave nothing in the bench directory.
func TestBadSizesExitBeforeBenchmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary")
	}
	for _, tc := range []struct{ flag, value, want string }{
		{"-sizes", "100B", "not a multiple of 1MiB"},
		{"-sizes", "1536KiB", "not a multiple of 1MiB"},
		{"-sizes", "0", "not a positive size"},
		{"-sizes", "foo", `"foo"`},
		{"-sizes", "16MiB,10XB", `"10XB"`},
		{"-profile", "nosuch", `"nosuch": want quick or full`},
	} {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run", "^$", "-test.bench", "^BenchmarkRead$", "-test.benchtime", "1x",
				"-benchdir", dir, tc.flag, tc.value)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit = %v, want status 2\nstderr: %s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr = %q, want it to name the value (%q)", stderr.String(), tc.want)
			}
			if strings.Contains(stdout.String(), "Benchmark") {
				t.Errorf("a benchmark ran before the refusal:\n%s", stdout.String())
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("left in the bench directory: %v", left)
			}
		})
	}
}

// TestQuickSizesFromMachine: the quick profile's files are sized from the
// machine, the small one inside the LLC and the large one beyond both the
// LLC and read-around, and -sizes accepts what the order can index.
func TestQuickSizesFromMachine(t *testing.T) {
	p, err := loadProfile("quick", "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	llc, err := LLCSize()
	if err != nil {
		llc = fallbackLLC
	}
	small, large := p.sizes[0], p.sizes[1]
	if small > llc {
		t.Errorf("small file %s exceeds the %s LLC", schema.FormatSize(small), schema.FormatSize(llc))
	}
	if large < largeLLCFactor*llc {
		t.Errorf("large file %s is under %d× the %s LLC", schema.FormatSize(large), largeLLCFactor, schema.FormatSize(llc))
	}
	if ra, err := ReadAheadBytes(t.TempDir()); err == nil && large < largeReadAheadWindows*ra {
		t.Errorf("large file %s is under %d read-ahead windows of %s", schema.FormatSize(large), largeReadAheadWindows, schema.FormatSize(ra))
	}
	if len(p.why) < 2 {
		t.Errorf("why = %q, want a line per size", p.why)
	}
	p, err = loadProfile("quick", "24MiB,1GiB", "")
	if err != nil || len(p.sizes) != 2 || p.sizes[0] != 24<<20 {
		t.Errorf("-sizes 24MiB,1GiB: %v, %v", p.sizes, err)
	}
	if _, err := loadProfile("full", "4MiB", ""); err == nil || !strings.Contains(err.Error(), "8MiB") {
		t.Errorf("full profile, -sizes 4MiB (under its 8MiB blocks): err = %v, want a refusal naming 8MiB", err)
	}
}

func TestPow2(t *testing.T) {
	for _, tc := range []struct{ n, floor, ceil int64 }{{1, 1, 1}, {3, 2, 4}, {4, 4, 4}, {5, 4, 8}, {32 << 20, 32 << 20, 32 << 20}, {33 << 20, 32 << 20, 64 << 20}} {
		if f, c := floorPow2(tc.n), ceilPow2(tc.n); f != tc.floor || c != tc.ceil {
			t.Errorf("floorPow2, ceilPow2(%d) = %d, %d; want %d, %d", tc.n, f, c, tc.floor, tc.ceil)
		}
	}
}
