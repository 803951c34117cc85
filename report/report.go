package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
)

// Input is what a report is made from.
type Input struct {
	Files   Files         // the input files, for the report's heading (Durable and Count may be "")
	Results *plot.Results // the file benchmarks' and the IPC results, loaded together
	Durable *Durable      // nil when there is no durability evidence
	Counts  []Count
	// Figures are the rendered figures, by plot.Figure name, as links
	// relative to the report: "plots/read-warm" (without extension).
	Figures map[string]string
}

// ErrMissing reports that the results lack what the report needs.
var ErrMissing = errors.New("results lack the benchmarks the report needs")

// Check returns an error naming the files and benchmarks when the results
// cannot make a report: the file benchmarks (BenchmarkRead) and the IPC
// run (BenchmarkIPC) are required; every other table is left out when its
// benchmarks are missing.
func Check(in Input) error {
	var missing []string
	if !in.Results.Has("Read") {
		missing = append(missing, fmt.Sprintf("BenchmarkRead (in %s: make bench writes it)", in.Files.Bench))
	}
	if !in.Results.Has("IPC") {
		missing = append(missing, fmt.Sprintf("BenchmarkIPC (in %s: make bench writes it, or mmapbench ipc -quick)", in.Files.IPC))
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: no %s", ErrMissing, strings.Join(missing, "; no "))
	}
	return nil
}

// Write writes the report in Markdown.
func Write(w io.Writer, in Input) error {
	if err := Check(in); err != nil {
		return err
	}
	rs := in.Results
	b := &strings.Builder{}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	p("# mmapbench report\n\n")
	p("Written by `mmapbench report` (`make report`) from %s. Do not edit: every number and verdict below is computed from those files, by the rules stated here.\n\n",
		fileList(in.Files))

	p("## Machine\n\n| key | value |\n|---|---|\n")
	for _, c := range rs.Config {
		p("| %s | %s |\n", c.Key, mdEscape(c.Value))
	}
	p("\n")

	claims := Claims(rs, in.Durable, in.Counts)
	p("## The article's claims\n\n")
	p("| # | claim | measured evidence | verdict |\n|---|---|---|---|\n")
	for i, c := range claims {
		p("| %d | %s | %s | **%s** |\n", i+1, c.Text, mdEscape(strings.Join(c.Evidence, "<br>")), mdEscape(c.Verdict))
	}
	p("\nHow each verdict is computed (report/claims.go; Tie = %.0f%%: medians closer than that count as level, because samples vary by 5–15%% on the reference machine):\n\n", 100*Tie)
	for i, c := range claims {
		p("%d. %s\n", i+1, c.Rule)
	}
	p("\n")

	writeReads(p, rs)
	figure(p, in, "read-warm", "read-cold")
	writeOpenRead(p, rs)
	figure(p, in, "openread", "openread-ratio")
	writeWrites(p, rs)
	writeFaults(p, rs)
	figure(p, in, "faults", "fault-cost")
	writeIPC(p, rs)
	figure(p, in, "ipc-spin", "ipc-futex")
	writeOOM(p, rs, in)
	writeBystander(p, rs)
	writeReaders(p, rs)
	writeEvidence(p, in)

	_, err := io.WriteString(w, b.String())
	return err
}

func fileList(f Files) string {
	var names []string
	for _, n := range []string{f.Bench, f.IPC, f.IPCWriteback, f.Durable, f.Count, f.Sched, f.OOM, f.OOMSeries, f.OOMZram, f.OOMZramSeries} {
		if n != "" {
			names = append(names, "`"+filepath.Base(n)+"`")
		}
	}
	return strings.Join(names, ", ")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

type printer func(format string, args ...any)

// figure links the figures that were rendered; a missing one is named with
// the command that makes it.
func figure(p printer, in Input, names ...string) {
	for _, f := range plot.Figures() {
		for _, n := range names {
			if f.Name != n {
				continue
			}
			link, ok := in.Figures[n]
			if !ok {
				p("*Figure %s not rendered: run `make plots`.*\n\n", n)
				continue
			}
			p("![%s](%s.png)\n\n*%s* ([SVG](%s.svg))\n\n", f.Title, link, f.Caption, link)
		}
	}
}

// cell formats a median time and its throughput: "1.53µs (2.49 GiB/s)".
func cell(r *plot.Row) string {
	return cellWith(r, func(mbs float64) string { return threeDigits(mbs*1e6/(1<<30)) + " GiB/s" })
}

// cellWith formats a median time per operation and, when there is one, its
// median throughput as through formats it from MB/s.
func cellWith(r *plot.Row, through func(mbs float64) string) string {
	if r == nil {
		return "–"
	}
	t, ok := r.Median("ns/op")
	if !ok {
		return "–"
	}
	s := plot.FormatNanos(t)
	if mbs, ok := r.Median("MB/s"); ok && mbs > 0 {
		s += " (" + through(mbs) + ")"
	}
	return s
}

func threeDigits(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// writeReads writes one table per file size and pattern, headed by the
// regimes the size is in; cold cells add the device bytes per read, and a
// cold cell on a file that read-around covers is marked and footnoted.
func writeReads(p printer, rs *plot.Results) {
	m := machineOf(rs)
	all := rs.Rows("Read", map[string]string{"threads": "1", "advice": "none"})
	for _, size := range plot.Values(all, "size") {
		n, _ := plot.ParseSize(size)
		rows := rs.Rows("Read", map[string]string{"size": size, "threads": "1", "advice": "none"})
		bss, caches := plot.Values(rows, "bs"), plot.Values(rows, "cache")
		covered := false
		for _, pattern := range plot.Values(rows, "pattern") {
			var pc, regimes []string // the caches this pattern was read with, and their regimes
			for _, c := range caches {
				if len(rs.Rows("Read", map[string]string{"size": size, "pattern": pattern, "cache": c})) > 0 {
					pc = append(pc, c)
					regimes = append(regimes, m.words(c, n))
				}
			}
			p("## Reads: %s, %s file, 1 thread\n\n%s. Median time per read and throughput (BenchmarkRead, pattern=%s); cold cells add the bytes read from the device per read (`dev-B/op`).\n\n| backend | access |",
				patternName(pattern), size, strings.Join(regimes, "; "), pattern)
			for _, c := range pc {
				for _, bs := range bss {
					p(" %s %s |", c, bs)
				}
			}
			p("\n|---|---|%s\n", strings.Repeat("---:|", len(pc)*len(bss)))
			for _, be := range plot.ReadBackends {
				for _, access := range []string{"copy", "view"} {
					if len(rs.Rows("Read", map[string]string{"backend": be, "access": access, "pattern": pattern, "size": size})) == 0 {
						continue
					}
					p("| %s | %s |", be, access)
					for _, c := range pc {
						for _, bs := range bss {
							r := rs.Row("Read", readKeysAt(size, be, access, pattern, c, bs))
							s := cell(r)
							if r == nil && c == "cold" {
								s = "not run"
							}
							if c == "cold" && r != nil {
								if dev, ok := r.Median("dev-B/op"); ok {
									s += ", dev " + plot.FormatSize(dev)
								}
								if m.regimeOf(c, n) == coldCovered {
									s += " †"
									covered = true
								}
							}
							p(" %s |", s)
						}
					}
					p("\n")
				}
			}
			p("\n")
		}
		if covered {
			p("† %s: the %s file spans fewer than %d read-ahead windows of %s, so a cold \"random\" read through a mapping prefetches much of it (see dev); these cells never decide a verdict.\n\n",
				coveredNote, size, minReadAheadWindows, plot.FormatSize(float64(m.readAhead)))
		}
	}
	writeAdvisedReads(p, rs, m)
	writeMemmoveStep(p, rs)
}

// writeAdvisedReads is the table of the reads made with random advice
// (MADV_RANDOM for mappings, POSIX_FADV_RANDOM for descriptors), which
// turns off read-around and read-ahead.
func writeAdvisedReads(p printer, rs *plot.Results, m machine) {
	rows := rs.Rows("Read", map[string]string{"advice": "rand", "threads": "1"})
	if len(rows) == 0 {
		return
	}
	p("## Reads with random advice (MADV_RANDOM, POSIX_FADV_RANDOM)\n\nMedian time per read, throughput and device bytes per read (BenchmarkRead, advice=rand): the hint turns read-around and read-ahead off.\n\n| backend | access | regime | read | median | dev per read |\n|---|---|---|---|---:|---:|\n")
	for _, be := range plot.ReadBackends {
		for _, r := range rs.Rows("Read", map[string]string{"backend": be, "advice": "rand", "threads": "1"}) {
			n, _ := plot.ParseSize(r.Key("size"))
			dev := "–"
			if d, ok := r.Median("dev-B/op"); ok {
				dev = plot.FormatSize(d)
			}
			p("| %s | %s | %s | %s %s | %s | %s |\n", be, r.Key("access"), m.words(r.Key("cache"), n), r.Key("pattern"), r.Key("bs"), cell(r), dev)
		}
	}
	p("\n")
}

// memmoveThreshold is where Go's memmove on amd64 switches to non-temporal
// stores (runtime/memmove_amd64.s: CMPQ BX, $0x100000): a copy of 1MiB or
// more bypasses the cache, and reading it back comes from memory.
const memmoveThreshold = 1 << 20

// writeMemmoveStep names the memmove threshold where a copy row's time per
// byte jumps between the block sizes on either side of it (the full
// profile's 512KiB, 1MiB and 2MiB), so that the step is not read as mmap's.
func writeMemmoveStep(p printer, rs *plot.Results) {
	var steps []string
	for _, r := range rs.Rows("Read", map[string]string{"access": "copy", "bs": "512KiB", "threads": "1", "advice": "none"}) {
		k := maps(r.Keys)
		k["bs"] = "1MiB"
		above := rs.Row("Read", k)
		below, ok1 := r.Median("ns/op")
		if above == nil || !ok1 {
			continue
		}
		at, _ := above.Median("ns/op")
		if step := (at / 2) / below; step > 1+Tie {
			steps = append(steps, fmt.Sprintf("%s %s %s %s: ×%.2f per byte", r.Key("backend"), r.Key("cache"), r.Key("pattern"), r.Key("size"), step))
		}
	}
	if len(steps) > 0 {
		p("Copy rows whose time per byte jumps from 512KiB to 1MiB blocks: %s. That is Go's memmove switching to non-temporal stores at %s (runtime/memmove_amd64.s), not the I/O path: the copy bypasses the cache and Consume reads it back from memory.\n\n",
			strings.Join(steps, "; "), plot.FormatSize(memmoveThreshold))
	}
}

func patternName(p string) string {
	switch p {
	case "seq":
		return "sequential"
	case "rand":
		return "random"
	}
	return p
}

func writeOpenRead(p printer, rs *plot.Results) {
	rows := rs.Rows("OpenRead", nil)
	if len(rows) == 0 {
		return
	}
	backends := plot.Values(rows, "backend")
	ordered := []string{}
	for _, be := range plot.ReadBackends {
		for _, b := range backends {
			if b == be {
				ordered = append(ordered, be)
			}
		}
	}
	p("## One-shot reads: the crossover\n\nMedian time to open a warm file, read every byte once and close it (BenchmarkOpenRead).\n\n| file size |")
	for _, be := range ordered {
		p(" %s |", be)
	}
	p(" mmap ÷ pread |\n|---:|%s---:|\n", strings.Repeat("---:|", len(ordered)))
	for _, size := range plot.Values(rows, "size") {
		p("| %s |", size)
		for _, be := range ordered {
			v, ok := median(rs, "OpenRead", map[string]string{"backend": be, "size": size}, "ns/op")
			if ok {
				p(" %s |", plot.FormatNanos(v))
			} else {
				p(" – |")
			}
		}
		tm, ok1 := median(rs, "OpenRead", map[string]string{"backend": "mmap", "size": size}, "ns/op")
		tp, ok2 := median(rs, "OpenRead", map[string]string{"backend": "pread", "size": size}, "ns/op")
		if ok1 && ok2 {
			p(" %.2f |\n", tm/tp)
		} else {
			p(" – |\n")
		}
	}
	if c := Crossover(rs); c != "" {
		p("\nBreak-even: from **%s** up mmap is not slower than pread (level or faster by the paired test and the %.0f%% tie), and it is faster at the largest size.\n\n", c, 100*Tie)
	} else {
		p("\nNo break-even: mmap is not faster than pread (beyond the %.0f%% tie, by the paired test) at the largest size.\n\n", 100*Tie)
	}
}

func writeWrites(p printer, rs *plot.Results) {
	rows := rs.Rows("Write", nil)
	if len(rows) == 0 {
		return
	}
	p("## Writes\n\nMedian time per write (BenchmarkWrite) and with a sync (msync or fdatasync) every 64 writes (BenchmarkWriteSync, per write).\n\n")
	p("| backend | access | block | cache | write | write + sync/64 |\n|---|---|---|---|---:|---:|\n")
	for _, be := range plot.ReadBackends {
		for _, r := range rs.Rows("Write", map[string]string{"backend": be}) {
			k := maps(r.Keys)
			k["sync"] = "64"
			p("| %s | %s | %s | %s | %s | %s |\n", be, r.Key("access"), r.Key("bs"), r.Key("cache"), cell(r), cell(rs.Row("WriteSync", k)))
		}
	}
	p("\n")
}

func writeFaults(p printer, rs *plot.Results) {
	rows := rs.Rows("Fault", nil)
	if len(rows) == 0 {
		return
	}
	p("## Page faults\n\nMap a warm file, touch every page once, unmap (BenchmarkFault): medians.\n\n")
	p("| access | populate | file size | faults/op | faults per 4KiB page | time per page |\n|---|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		f, _ := r.Median("minflt/op")
		fp, _ := r.Median("minflt/page")
		np, _ := r.Median("nsec/page")
		p("| %s | %s | %s | %s | %.4f | %s |\n", r.Key("access"), r.Key("populate"), r.Key("size"), trim(f), fp, plot.FormatNanos(np))
	}
	p("\n")
}

func trim(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func writeIPC(p printer, rs *plot.Results) {
	rows := rs.Rows("IPC", nil)
	p("## IPC: one-way latency between two processes\n\n")
	p("Medians over the runs of BenchmarkIPC (ping-pong through a shared record; floor: two threads of one process through the same harness; floor-bare: the tightest two-thread spin loop Go can write, batches only). "+
		"**batch** is the one-way latency: K round trips timed with two clock reads in all, ÷ 2K, median over batches, K chosen so that the clock is under 1%% of a batch. "+
		"p50 … max are per round trip, each timed alone and halved, **raw**: nothing is subtracted, so each carries one clock read (the clock column: back-to-back reads in the same run, the median of 101 means of 100), half of it one way. "+
		"× floor is the batch figure ÷ the floor row's with the same wait%s.\n\n", clocksourceNote(rs))
	p("| backend | wait | runs | batch | K | p50 | p90 | p99 | p99.9 | max | clock | × floor | CPU per message | page faults per message |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, wb := range append([]string{""}, plot.Values(rows, "writeback")...) {
		for _, wait := range plot.Values(rows, "wait") {
			floor, hasFloor := ipcFigure(ipcRow(rs, "floor", wait, ""), "ns/op")
			for _, be := range plot.IPCBackends {
				r := ipcRow(rs, be, wait, wb)
				if r == nil {
					continue
				}
				label := wait
				if wb != "" {
					label += ", fdatasync every " + wb
				}
				p("| %s | %s | %d |", be, label, len(r.Iters))
				batched := len(r.Samples("rt/batch")) > 0
				if v, ok := r.Median("ns/op"); ok && batched {
					k, _ := r.Median("rt/batch")
					p(" **%s** | %.0f |", plot.FormatNanos(v), k)
				} else {
					p(" – | – |") // a file from before batches: its ns/op is the p50
				}
				for _, pc := range plot.Percentiles {
					if v, ok := r.Median(pc.Unit); ok {
						p(" %s |", plot.FormatNanos(v))
					} else {
						p(" – |")
					}
				}
				if c, ok := r.Median("clock-nsec"); ok {
					p(" %s |", plot.FormatNanos(c))
				} else {
					p(" – |")
				}
				if v, ok := r.Median("ns/op"); ok && batched && hasFloor && floor > 0 {
					p(" %.2f |", v/floor)
				} else {
					p(" – |")
				}
				cpu, _ := r.Median("cpu-nsec/msg")
				flt, _ := r.Median("minflt/msg")
				p(" %s | %.4f |\n", plot.FormatNanos(cpu), flt)
			}
		}
	}
	p("\n")
}

// clocksourceNote names the clock source the IPC timings read, when the
// results say.
func clocksourceNote(rs *plot.Results) string {
	if cs := rs.ConfigValue("clocksource"); cs != "" {
		return "; clocksource: " + cs
	}
	return ""
}

func writeEvidence(p printer, in Input) {
	if in.Durable == nil && len(in.Counts) == 0 {
		return
	}
	p("## Durability and counter runs\n\nOutput of `mmapbench ipc -mode durable` and `-mode count`, as recorded:\n\n```\n")
	if in.Durable != nil {
		for _, l := range in.Durable.Lines {
			p("%s\n", l)
		}
	}
	for _, c := range in.Counts {
		p("%s\n", c.Line)
	}
	p("```\n")
}
