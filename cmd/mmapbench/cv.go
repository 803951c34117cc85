package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchunit"

	"github.com/mmapbench/mmapbench/schema"
)

// runCV reports the coefficient of variation of one unit per benchmark
// across the samples of one or more result files: the noise check of the
// quick profile (make noise).
func runCV(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("cv", "[-max 3%] [-unit B/s] FILE...", stderr)
	maxFlag := fs.String("max", "3%", "fail when a benchmark's coefficient of variation exceeds this `percentage`")
	unit := fs.String("unit", "B/s", "the `unit` to check, as benchfmt tidies it (MB/s becomes B/s, ns/op sec/op)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	limit, err := parsePercent(*maxFlag)
	if err != nil {
		fprintf(stderr, "mmapbench cv: -max %q: %v\n", *maxFlag, err)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fprintf(stderr, "mmapbench cv: no result files: want one or more files in Go benchmark format\n")
		return exitUsage
	}
	rs, code := loadResults("cv", fs.Args(), stderr)
	if code >= 0 {
		return code
	}
	// The -unit is benchstat's spelling (benchunit.Tidy: MB/s is B/s,
	// ns/op sec/op); the results keep the file's, so each row's units are
	// tidied to find it, and its samples scaled alike.
	samples := map[string][]float64{}
	var order []string
	for _, r := range rs.Rows() {
		for _, u := range r.Units() {
			scale, tidied := benchunit.Tidy(1, string(u))
			if tidied != *unit {
				continue
			}
			if _, seen := samples[r.Name]; !seen {
				order = append(order, r.Name)
			}
			for _, v := range r.Samples(u) {
				samples[r.Name] = append(samples[r.Name], v*scale)
			}
		}
	}
	var floor []float64 // BenchmarkNoiseFloor, the control
	for _, r := range rs.Select(noiseFloor, nil) {
		floor = append(floor, r.Samples(schema.NsPerOp)...)
	}
	if len(order) == 0 {
		fprintf(stderr, "mmapbench cv: no benchmark in %s reports unit %q\n", strings.Join(fs.Args(), ", "), *unit)
		return exitUsage
	}
	sort.Strings(order)
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "benchmark\tn\tmean %s\tcv\t\n", *unit)
	worst, over := 0.0, 0
	for _, name := range order {
		xs := samples[name]
		mean, cv := meanCV(xs)
		mark := ""
		if cv > limit {
			mark, over = "  > max", over+1
		}
		worst = math.Max(worst, cv)
		fmt.Fprintf(tw, "%s\t%d\t%.4g\t%.1f%%%s\t\n", name, len(xs), mean, 100*cv, mark)
	}
	tw.Flush()
	fprintf(stdout, "%d of %d benchmarks over %.1f%%; worst %.1f%%\n", over, len(order), 100*limit, 100*worst)
	if len(floor) > 1 {
		_, cv := meanCV(floor)
		fprintf(stdout, "the machine's floor: Benchmark%s (arithmetic in registers, no memory, no system call) varies by %.1f%% over %d samples\n",
			noiseFloor, 100*cv, len(floor))
	}
	if over > 0 {
		return exitFail
	}
	return exitOK
}

// noiseFloor is the base name of the control benchmark (bench/noisefloor_test.go).
const noiseFloor = "NoiseFloor"

// meanCV returns the mean and the coefficient of variation (sample standard
// deviation over mean) of xs; the cv is 0 for fewer than two samples or a
// zero mean.
func meanCV(xs []float64) (mean, cv float64) {
	mean = stats.Mean(xs)
	if len(xs) < 2 || mean == 0 {
		return mean, 0
	}
	return mean, stats.StdDev(xs) / mean
}

// parsePercent parses "3%" or "0.03".
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want a non-negative percentage such as 3%%")
	}
	if strings.HasSuffix(s, "%") {
		v /= 100
	}
	return v, nil
}
