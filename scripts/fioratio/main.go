// Command fioratio prints the fidelity table of scripts/fio-crosscheck.sh:
// the harness's figures (Go benchmark format) against fio's (JSON) on the
// same workloads, each ratio with its target and PASS or FAIL.
//
// Usage:
//
//	go run ./scripts/fioratio -fio DIR -bench FILE -size 16MiB
//
// DIR holds fio's JSON outputs named <job>-<round>.json, with job one of
// psync-4k, psync-1m and mmap-4k. FILE holds the output of every harness
// round: BenchmarkRead, BenchmarkHarnessOverhead and BenchmarkNoConsume.
// Each figure is the median over rounds (fio) or over result lines
// (harness). The table goes to stdout. Exit status: 0 when every check
// passes, 1 when one fails, 2 when the inputs are missing or malformed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mmapbench/mmapbench/schema"
)

func main() {
	fioDir := flag.String("fio", "", "`directory` of fio JSON outputs, <job>-<round>.json")
	benchFile := flag.String("bench", "", "`file` of harness results in Go benchmark format")
	size := flag.String("size", "16MiB", "the size= key of the BenchmarkRead rows to compare")
	flag.Parse()
	if *fioDir == "" || *benchFile == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: fioratio -fio DIR -bench FILE [-size 16MiB]")
		os.Exit(2)
	}
	n, err := schema.ParseSize(*size)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fioratio: -size: %v\n", err)
		os.Exit(2)
	}
	fio, err := readFio(*fioDir)
	if err == nil {
		var h *schema.Results
		if h, err = schema.Load(*benchFile); err == nil {
			var rows []row
			if rows, err = checks(fio, h, n); err == nil {
				if failed := printTable(os.Stdout, rows); failed {
					os.Exit(1)
				}
				return
			}
		}
	}
	fmt.Fprintf(os.Stderr, "fioratio: %v\n", err)
	os.Exit(2)
}

// fioJob is the part of fio's --output-format=json that the table needs.
type fioJob struct {
	Jobs []struct {
		Error int `json:"error"`
		Read  struct {
			IOPS     float64 `json:"iops"`
			BWBytes  float64 `json:"bw_bytes"`
			TotalIOs int64   `json:"total_ios"`
		} `json:"read"`
	} `json:"jobs"`
}

// fioResults maps a job name to its samples, one per round.
type fioResults map[string][]fioSample

type fioSample struct{ iops, bw float64 }

func readFio(dir string) (fioResults, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	res := fioResults{}
	for _, p := range paths {
		job, _, ok := strings.Cut(strings.TrimSuffix(filepath.Base(p), ".json"), "-r")
		if !ok {
			return nil, fmt.Errorf("%s: want a name <job>-r<round>.json", p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		// fio may print notes before the JSON object even with --output.
		if i := strings.IndexByte(string(data), '{'); i > 0 {
			data = data[i:]
		}
		var j fioJob
		if err := json.Unmarshal(data, &j); err != nil {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		if len(j.Jobs) != 1 || j.Jobs[0].Error != 0 || j.Jobs[0].Read.TotalIOs == 0 {
			return nil, fmt.Errorf("%s: want one job that read without error", p)
		}
		r := j.Jobs[0].Read
		res[job] = append(res[job], fioSample{iops: r.IOPS, bw: r.BWBytes})
	}
	return res, nil
}

// median is the median of xs (benchstat's center).
var median = schema.Center

// spread is (max-min)/median in percent: how far apart the rounds were.
func spread(xs []float64) float64 {
	return 100 * (slices.Max(xs) - slices.Min(xs)) / median(xs)
}

// row is one line of the table.
type row struct {
	check       string
	harness     string // the harness's figure, with its unit and spread
	reference   string // what it is compared with
	ratio       float64
	target      string
	pass        bool
	note        string
	withConsume float64 // the matrix row's ratio, Consume included; 0 when not applicable
	isOverhead  bool    // ratio column holds ns/op, not a ratio
}

// checks compares the harness's rows with fio's jobs. The harness's rows
// are looked up by their case (schema.Case) and the keys the fidelity
// benchmarks add to it (consume=none, loop=...); a row that is missing, or
// whose name has keys the lookup does not give, is an error.
func checks(fio fioResults, h *schema.Results, size int64) ([]row, error) {
	var missing []string
	// ns returns the ns/op samples of a row, or notes why there are none.
	ns := func(r *schema.Row, err error, what string) []float64 {
		if v := r.Samples(schema.NsPerOp); err == nil && len(v) > 0 {
			return v
		}
		if err != nil {
			what += " (" + err.Error() + ")"
		}
		missing = append(missing, what)
		return []float64{0}
	}
	getFio := func(job string) []fioSample {
		v := fio[job]
		if len(v) == 0 {
			missing = append(missing, "fio job "+job)
			return []fioSample{{}}
		}
		return v
	}
	matrix := func(backend string, access schema.Access, bs, size int64) schema.Case {
		return schema.Case{Backend: backend, Access: access, Pattern: schema.Seq, BS: bs, Cache: schema.Warm, Size: size, Advice: schema.AdviceNone, Threads: 1}
	}
	read := func(backend string, access schema.Access, bs int64) []float64 {
		c := matrix(backend, access, bs, size)
		r, err := h.Case("Read", c)
		return ns(r, err, "BenchmarkRead/"+c.Name())
	}
	// with looks a fidelity benchmark's row up: the matrix case plus key=value.
	with := func(bench string, c schema.Case, key, value string) []float64 {
		keys := schema.Keys(c.Keys())
		keys[key] = value
		r, err := h.Lookup(bench, keys)
		return ns(r, err, "Benchmark"+bench+"/"+c.Name()+"/"+key+"="+value)
	}
	noConsume := func(backend string, bs int64) []float64 {
		return with("NoConsume", matrix(backend, schema.Copy, bs, size), "consume", "none")
	}
	overhead := func(access schema.Access, loop string) []float64 {
		return with("HarnessOverhead", matrix("null", access, 64, 16<<20), "loop", loop)
	}
	fioIOPS := func(job string) []float64 {
		var xs []float64
		for _, s := range getFio(job) {
			xs = append(xs, s.iops)
		}
		return xs
	}
	fioBW := func(job string) []float64 {
		var xs []float64
		for _, s := range getFio(job) {
			xs = append(xs, s.bw)
		}
		return xs
	}

	const kib, mib = 1 << 10, 1 << 20
	preadSmall, preadLarge := read("pread", schema.Copy, 4*kib), read("pread", schema.Copy, mib)
	mmapCopy := read("mmap", schema.Copy, 4*kib)
	mmapView4, nullView4 := read("mmap", schema.View, 4*kib), read("null", schema.View, 4*kib)
	mmapView1M, nullView1M := read("mmap", schema.View, mib), read("null", schema.View, mib)
	ioSmall, ioLarge := noConsume("pread", 4*kib), noConsume("pread", mib)
	ioMmapCopy := noConsume("mmap", 4*kib)
	ohCopy, ohCopyBare := overhead(schema.Copy, "matrix"), overhead(schema.Copy, "bare")
	ohView, ohViewBare := overhead(schema.View, "matrix"), overhead(schema.View, "bare")
	psync4, psync1M, mmap4 := fioIOPS("psync-4k"), fioBW("psync-1m"), fioIOPS("mmap-4k")
	if len(missing) > 0 {
		return nil, fmt.Errorf("no results for:\n\t%s", strings.Join(missing, "\n\t"))
	}

	var rows []row
	// An operations-per-second check: the harness's I/O path (its matrix
	// loop without Consume) against fio's, which never reads the bytes;
	// withConsume is the matrix row, shown beside it.
	iops := func(check string, ns, withConsume, ref []float64, refName string, target float64) {
		got := 1e9 / median(ns)
		r := row{
			check:     check,
			harness:   fmt.Sprintf("%.0f IOPS (%.0f ns/op, ±%.0f%%)", got, median(ns), spread(ns)/2),
			reference: fmt.Sprintf("%s %.0f IOPS (±%.0f%%)", refName, median(ref), spread(ref)/2),
			ratio:     got / median(ref),
			target:    fmt.Sprintf(">= %.2f", target),
		}
		r.pass = r.ratio >= target
		r.withConsume = 1e9 / median(withConsume) / median(ref)
		rows = append(rows, r)
	}
	// A bandwidth check: harness bytes/s over the reference's.
	bw := func(check string, bs float64, ns, withConsume []float64, ref float64, refSpread float64, refName string, target float64) {
		got := bs * 1e9 / median(ns)
		r := row{
			check:     check,
			harness:   fmt.Sprintf("%.0f MiB/s (%.0f ns/op, ±%.0f%%)", got/mib, median(ns), spread(ns)/2),
			reference: fmt.Sprintf("%s %.0f MiB/s (±%.0f%%)", refName, ref/mib, refSpread/2),
			ratio:     got / ref,
			target:    fmt.Sprintf(">= %.2f", target),
		}
		r.pass = r.ratio >= target
		if withConsume != nil {
			r.withConsume = bs * 1e9 / median(withConsume) / ref
		}
		rows = append(rows, r)
	}
	iops("pread copy 4KiB vs fio psync 4k", ioSmall, preadSmall, psync4, "fio psync", 0.90)
	bw("pread copy 1MiB vs fio psync 1m", mib, ioLarge, preadLarge, median(psync1M), spread(psync1M), "fio psync", 0.95)
	iops("mmap copy 4KiB vs fio mmap 4k", ioMmapCopy, mmapCopy, mmap4, "fio mmap", 0.95)
	bw("mmap view 4KiB vs null view 4KiB", 4<<10, mmapView4, nil, 4<<10*1e9/median(nullView4), spread(nullView4), "null view", 0.80)
	bw("mmap view 1MiB vs null view 1MiB", mib, mmapView1M, nil, mib*1e9/median(nullView1M), spread(nullView1M), "null view", 0.80)
	over := func(check string, matrix, bare []float64) {
		d := median(matrix) - median(bare)
		rows = append(rows, row{
			check:      check,
			harness:    fmt.Sprintf("%.1f ns/op (±%.0f%%)", median(matrix), spread(matrix)/2),
			reference:  fmt.Sprintf("bare loop %.1f ns/op (±%.0f%%)", median(bare), spread(bare)/2),
			ratio:      d,
			target:     "<= 5 ns/op",
			pass:       d <= 5,
			isOverhead: true,
		})
	}
	over("null copy 64B: harness overhead", ohCopy, ohCopyBare)
	over("null view 64B: harness overhead", ohView, ohViewBare)
	return rows, nil
}

// printTable writes the table as aligned text and reports whether a check
// failed.
func printTable(w io.Writer, rows []row) (failed bool) {
	cells := [][]string{{"check", "harness (median)", "reference (median)", "ratio", "target", "result", "matrix row's ratio (with Consume)"}}
	for _, r := range rows {
		ratio := fmt.Sprintf("%.2f", r.ratio)
		if r.isOverhead {
			ratio = fmt.Sprintf("%+.1f ns/op", r.ratio)
		}
		verdict := "PASS"
		if !r.pass {
			verdict, failed = "FAIL", true
		}
		nc := "-"
		if r.withConsume > 0 {
			nc = fmt.Sprintf("%.2f", r.withConsume)
		}
		cells = append(cells, []string{r.check, r.harness, r.reference, ratio, r.target, verdict, nc})
	}
	width := make([]int, len(cells[0]))
	for _, c := range cells {
		for i, s := range c {
			width[i] = max(width[i], len(s))
		}
	}
	for _, c := range cells {
		var b strings.Builder
		for i, s := range c {
			if i > 0 {
				b.WriteString(" | ")
			}
			fmt.Fprintf(&b, "%-*s", width[i], s)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	return failed
}
