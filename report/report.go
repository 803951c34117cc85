package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
	"github.com/mmapbench/mmapbench/schema"
)

// Input is what a report is made from.
type Input struct {
	Files   Files           // the input files, for the report's heading (Durable and Count may be "")
	Results *schema.Results // the file benchmarks' and the IPC results, loaded together
	// Map holds the decision map's results (make bench-map), loaded apart:
	// its rows may have the same names as rows of Results, from another
	// run, and must not pool with them. nil: no map section.
	Map *schema.Results
	// Lucene holds the Lucene comparison's runs, one per device
	// (LuceneDevices, report/lucene.go), each loaded apart; a run whose
	// file is missing has nil Results and is named. nil: not looked for,
	// no section.
	Lucene  []LuceneRun
	Durable *Durable // nil when there is no durability evidence
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
	rs := newResults(in.Results)
	b := &strings.Builder{}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	p("# mmapbench report\n\n")
	p("Written by `mmapbench report` (`make report`) from %s. Do not edit: every number and verdict below is computed from those files, by the rules stated here.\n\n",
		fileList(in.Files, lucenePaths(in.Lucene)...))

	machine := (&Table{}).Left("key", "value")
	for _, c := range rs.Config {
		machine.Row(c.Key, c.Value)
	}
	p("## Machine\n\n%s\n", machine)

	claims := claims(rs, in.Durable, in.Counts)
	ct := (&Table{}).Left("#", "claim", "measured evidence", "verdict")
	for i, c := range claims {
		ct.Row(fmt.Sprint(i+1), c.Text, strings.Join(c.Evidence, "<br>"), "**"+c.Verdict+"**")
	}
	p("## The article's claims\n\n%s", ct)
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
	writeMap(p, in)    // only when in.Map has map rows (report/map.go)
	writeLucene(p, in) // only when in.Lucene was looked for (report/lucene.go)
	writeEvidence(p, in)
	if rs.err != nil {
		return rs.err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fileList(f Files, more ...string) string {
	var names []string
	for _, n := range append([]string{f.Bench, f.IPC, f.IPCWriteback, f.Durable, f.Count, f.Sched, f.OOM, f.OOMSeries, f.OOMZram, f.OOMZramSeries, f.Map}, more...) {
		if n != "" {
			names = append(names, "`"+filepath.Base(n)+"`")
		}
	}
	return strings.Join(names, ", ")
}

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
func cell(r *schema.Row) string {
	return cellWith(r, func(mbs float64) string { return threeDigits(mbs*1e6/(1<<30)) + " GiB/s" })
}

// cellWith formats a median time per operation and, when there is one, its
// median throughput as through formats it from MB/s.
func cellWith(r *schema.Row, through func(mbs float64) string) string {
	if r == nil {
		return "–"
	}
	t, ok := r.Median(schema.NsPerOp)
	if !ok {
		return "–"
	}
	s := schema.FormatNanos(t)
	if mbs, ok := r.Median(schema.MBPerSec); ok && mbs > 0 {
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
func writeReads(p printer, rs *results) {
	m := machineOf(rs)
	all := rs.Select("Read", schema.Keys{"threads": "1", "advice": "none"})
	for _, size := range schema.Values(all, "size") {
		n, _ := schema.ParseSize(size)
		rows := rs.Select("Read", schema.Keys{"size": size, "threads": "1", "advice": "none"})
		bss, caches := schema.Values(rows, "bs"), schema.Values(rows, "cache")
		covered := false
		for _, pattern := range schema.Values(rows, "pattern") {
			var pc, regimes []string // the caches this pattern was read with, and their regimes
			for _, c := range caches {
				if len(rs.Select("Read", schema.Keys{"size": size, "pattern": pattern, "cache": c})) > 0 {
					pc = append(pc, c)
					regimes = append(regimes, m.words(c, n))
				}
			}
			p("## Reads: %s, %s file, 1 thread\n\n%s. Median time per read and throughput (BenchmarkRead, pattern=%s); cold cells add the bytes read from the device per read (`dev-B/op`).\n\n",
				patternName(pattern), size, strings.Join(regimes, "; "), pattern)
			t := (&Table{}).Left("backend", "access")
			for _, c := range pc {
				for _, bs := range bss {
					t.Right(c + " " + bs)
				}
			}
			for _, be := range plot.ReadBackends {
				for _, access := range []schema.Access{schema.Copy, schema.View} {
					if len(rs.Select("Read", schema.Keys{"backend": be, "access": access.String(), "pattern": pattern, "size": size})) == 0 {
						continue
					}
					cells := []string{be, access.String()}
					for _, c := range pc {
						for _, bs := range bss {
							r := rs.kase("Read", readCase(size, bs, be, access, mustPattern(pattern), mustCache(c)))
							s := cell(r)
							if r == nil && c == "cold" {
								s = "not run"
							}
							if c == "cold" && r != nil {
								if dev, ok := r.Median(schema.DeviceBytes); ok {
									s += ", dev " + schema.FormatBytes(dev)
								}
								if m.regimeOf(c, n) == coldCovered {
									s += " †"
									covered = true
								}
							}
							cells = append(cells, s)
						}
					}
					t.Row(cells...)
				}
			}
			p("%s\n", t)
		}
		if covered {
			p("† %s: the %s file spans fewer than %d read-ahead windows of %s, so a cold \"random\" read through a mapping prefetches much of it (see dev); these cells never decide a verdict.\n\n",
				coveredNote, size, minReadAheadWindows, schema.FormatBytes(float64(m.readAhead)))
		}
	}
	writeAdvisedReads(p, rs, m)
	writeMemmoveStep(p, rs)
}

// writeAdvisedReads is the table of the reads made with random advice
// (MADV_RANDOM for mappings, POSIX_FADV_RANDOM for descriptors), which
// turns off read-around and read-ahead.
func writeAdvisedReads(p printer, rs *results, m machine) {
	if len(rs.Select("Read", schema.Keys{"advice": "rand", "threads": "1"})) == 0 {
		return
	}
	t := (&Table{}).Left("backend", "access", "regime", "read").Right("median", "dev per read")
	for _, be := range plot.ReadBackends {
		for _, r := range rs.Select("Read", schema.Keys{"backend": be, "advice": "rand", "threads": "1"}) {
			n, _ := schema.ParseSize(r.Key("size"))
			t.Row(be, r.Key("access"), m.words(r.Key("cache"), n), r.Key("pattern")+" "+r.Key("bs"), cell(r), metric(r, schema.DeviceBytes, schema.FormatBytes))
		}
	}
	p("## Reads with random advice (MADV_RANDOM, POSIX_FADV_RANDOM)\n\nMedian time per read, throughput and device bytes per read (BenchmarkRead, advice=rand): the hint turns read-around and read-ahead off.\n\n%s\n", t)
}

// memmoveThreshold is where Go's memmove on amd64 switches to non-temporal
// stores (runtime/memmove_amd64.s: CMPQ BX, $0x100000): a copy of 1MiB or
// more bypasses the cache, and reading it back comes from memory.
const memmoveThreshold = 1 << 20

// writeMemmoveStep names the memmove threshold where a copy row's time per
// byte jumps between the block sizes on either side of it (the full
// profile's 512KiB, 1MiB and 2MiB), so that the step is not read as mmap's.
func writeMemmoveStep(p printer, rs *results) {
	var steps []string
	for _, r := range rs.Select("Read", schema.Keys{"access": "copy", "bs": "512KiB", "threads": "1", "advice": "none"}) {
		k, _ := r.Case()
		k.BS = 1 << 20
		above := rs.kase("Read", k)
		below, ok1 := r.Median(schema.NsPerOp)
		if above == nil || !ok1 {
			continue
		}
		at, _ := above.Median(schema.NsPerOp)
		if step := (at / 2) / below; step > 1+Tie {
			steps = append(steps, fmt.Sprintf("%s %s %s %s: ×%.2f per byte", r.Key("backend"), r.Key("cache"), r.Key("pattern"), r.Key("size"), step))
		}
	}
	if len(steps) > 0 {
		p("Copy rows whose time per byte jumps from 512KiB to 1MiB blocks: %s. That is Go's memmove switching to non-temporal stores at %s (runtime/memmove_amd64.s), not the I/O path: the copy bypasses the cache and Consume reads it back from memory.\n\n",
			strings.Join(steps, "; "), schema.FormatBytes(memmoveThreshold))
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

func writeOpenRead(p printer, rs *results) {
	rows := rs.Select("OpenRead", nil)
	if len(rows) == 0 {
		return
	}
	var ordered []string
	for _, be := range plot.ReadBackends {
		if slices.Contains(schema.Values(rows, "backend"), be) {
			ordered = append(ordered, be)
		}
	}
	t := (&Table{}).Right("file size").Right(ordered...).Right("mmap ÷ pread")
	for _, size := range schema.Values(rows, "size") {
		at := func(be string) *schema.Row { return rs.row("OpenRead", schema.Keys{"backend": be, "size": size}) }
		cells := []string{size}
		for _, be := range ordered {
			cells = append(cells, metric(at(be), schema.NsPerOp, schema.FormatNanos))
		}
		ratio := "–"
		tm, ok1 := at("mmap").Median(schema.NsPerOp)
		tp, ok2 := at("pread").Median(schema.NsPerOp)
		if ok1 && ok2 {
			ratio = fmt.Sprintf("%.2f", tm/tp)
		}
		t.Row(append(cells, ratio)...)
	}
	p("## One-shot reads: the crossover\n\nMedian time to open a warm file, read every byte once and close it (BenchmarkOpenRead).\n\n%s", t)
	if c := crossover(rs); c != "" {
		p("\nBreak-even: from **%s** up mmap is not slower than pread (level or faster by the paired test and the %.0f%% tie), and it is faster at the largest size.\n\n", c, 100*Tie)
	} else {
		p("\nNo break-even: mmap is not faster than pread (beyond the %.0f%% tie, by the paired test) at the largest size.\n\n", 100*Tie)
	}
}

func writeWrites(p printer, rs *results) {
	if !rs.Has("Write") {
		return
	}
	t := (&Table{}).Left("backend", "access", "block", "cache").Right("write", "write + sync/64")
	for _, be := range plot.ReadBackends {
		for _, r := range rs.Select("Write", schema.Keys{"backend": be}) {
			k, _ := r.Case()
			k.Sync = 64
			t.Row(be, r.Key("access"), r.Key("bs"), r.Key("cache"), cell(r), cell(rs.kase("WriteSync", k)))
		}
	}
	p("## Writes\n\nMedian time per write (BenchmarkWrite) and with a sync (msync or fdatasync) every 64 writes (BenchmarkWriteSync, per write).\n\n%s\n", t)
}

func writeFaults(p printer, rs *results) {
	rows := rs.Select("Fault", nil)
	if len(rows) == 0 {
		return
	}
	t := (&Table{}).Left("access", "populate").Right("file size", "faults/op", "faults per 4KiB page", "time per page")
	for _, r := range rows {
		f, _ := r.Median(schema.MinorFaults)
		fp, _ := r.Median(schema.MinfltPerPage)
		np, _ := r.Median(schema.NsecPerPage)
		t.Row(r.Key("access"), r.Key("populate"), r.Key("size"), trim(f), fmt.Sprintf("%.4f", fp), schema.FormatNanos(np))
	}
	p("## Page faults\n\nMap a warm file, touch every page once, unmap (BenchmarkFault): medians.\n\n%s\n", t)
}

func trim(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func writeIPC(p printer, rs *results) {
	rows := rs.Select("IPC", nil)
	t := (&Table{}).Left("backend", "wait").Right("runs", "batch", "K")
	for _, pc := range schema.IPCPercentiles {
		t.Right(pc.Label)
	}
	t.Right("clock", "× floor", "CPU per message", "page faults per message")
	for _, wb := range append([]string{""}, schema.Values(rows, "writeback")...) {
		for _, wait := range schema.Values(rows, "wait") {
			floor, hasFloor := ipcFigure(ipcRow(rs, "floor", wait, ""), schema.NsPerOp)
			for _, be := range plot.IPCBackends {
				r := ipcRow(rs, be, wait, wb)
				if r == nil {
					continue
				}
				label := wait
				if wb != "" {
					label += ", fdatasync every " + wb
				}
				cells := []string{be, label, fmt.Sprint(len(r.Iters))}
				batched := len(r.Samples(schema.IPCBatchRT)) > 0
				if v, ok := r.Median(schema.NsPerOp); ok && batched {
					k, _ := r.Median(schema.IPCBatchRT)
					cells = append(cells, "**"+schema.FormatNanos(v)+"**", fmt.Sprintf("%.0f", k))
				} else {
					cells = append(cells, "–", "–") // a file from before batches: its ns/op is the p50
				}
				for _, pc := range schema.IPCPercentiles {
					cells = append(cells, metric(r, pc.Unit, schema.FormatNanos))
				}
				cells = append(cells, metric(r, schema.IPCClock, schema.FormatNanos))
				if v, ok := r.Median(schema.NsPerOp); ok && batched && hasFloor && floor > 0 {
					cells = append(cells, fmt.Sprintf("%.2f", v/floor))
				} else {
					cells = append(cells, "–")
				}
				cpu, _ := r.Median(schema.IPCCPUPerMsg)
				flt, _ := r.Median(schema.IPCMinFlt)
				t.Row(append(cells, schema.FormatNanos(cpu), fmt.Sprintf("%.4f", flt))...)
			}
		}
	}
	p("## IPC: one-way latency between two processes\n\n")
	p("Medians over the runs of BenchmarkIPC (ping-pong through a shared record; floor: two threads of one process through the same harness; floor-bare: the tightest two-thread spin loop Go can write, batches only). "+
		"**batch** is the one-way latency: K round trips timed with two clock reads in all, ÷ 2K, median over batches, K chosen so that the clock is under 1%% of a batch. "+
		"p50 … max are per round trip, each timed alone and halved, **raw**: nothing is subtracted, so each carries one clock read (the clock column: back-to-back reads in the same run, the median of 101 means of 100), half of it one way. "+
		"× floor is the batch figure ÷ the floor row's with the same wait%s.\n\n%s\n", clocksourceNote(rs), t)
}

// clocksourceNote names the clock source the IPC timings read, when the
// results say.
func clocksourceNote(rs *results) string {
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
