//go:build linux

package bench

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// The matrix's knobs. Defaults give the quick profile that make bench runs.
var (
	profileFlag = flag.String("profile", envOr("MMAPBENCH_PROFILE", "quick"), "benchmark `profile`: quick (a covering subset, minutes), full (the whole matrix) map (BenchmarkRead's decision-map grid, make bench-map) or lucene (Lucene's random-read benchmark in our terms, make bench-lucene)")
	sizesFlag   = flag.String("sizes", os.Getenv("MMAPBENCH_SIZES"), "comma-separated file `sizes` overriding the profile's, e.g. 16MiB,1GiB; "+
		"each must be a multiple of the profile's largest block size (quick: 1MiB, full: 8MiB, map: 64KiB, lucene: 16KiB), so that every block size divides the file; "+
		"a block count that is not a power of two is fine (pattern=rand permutes any count). Default: derived from the machine (see the sizes line on stderr)")
	dropCaches = flag.Bool("dropcaches", false, "for cache=cold, also write 1 to /proc/sys/vm/drop_caches before each pass (needs root)")
	rotate     = flag.Int("rotate", 0, "rotate the order of the backends within each group of compared cases by `n` places (make bench passes each invocation's number, so that no backend always runs first)")
	progress   = flag.Bool("progress", false, "print each case's name and position on stderr as it starts (stdout keeps only results)")
)

// runCases runs each case as a sub-benchmark, telling stderr where the run
// is when -progress is set.
func runCases(b *testing.B, cases []schema.Case, o Op) {
	for i, c := range cases {
		if *progress {
			fmt.Fprintf(os.Stderr, "bench: %s [%d/%d] %s\n", b.Name(), i+1, len(cases), c.Name())
		}
		b.Run(c.Name(), func(b *testing.B) { runCase(b, c, o) })
		// A memory-pressure case keeps its cgroup over go test's calls
		// of it (b.N ramp); nothing after it may run under its limit.
		if err := harness.ReleasePressure(); err != nil {
			b.Fatal(err)
		}
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// currentProfile returns the run's profile. runMain has refused bad
// -profile and -sizes values before any benchmark ran, so an error here
// comes from a test that set the flags itself.
func currentProfile(tb testing.TB) profile {
	p, err := loadProfile(*profileFlag, *sizesFlag, harness.Dir)
	if err != nil {
		tb.Fatal(err)
	}
	p.rotate = *rotate
	return p
}
