package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
)

// Tie is the margin within which two medians count as level: a backend is
// faster or slower than another only when the ratio of their medians is
// beyond 1±Tie. The quick profile's samples vary by 5–15% on the reference
// VM (README, Noise), so a smaller margin would call noise a difference.
const Tie = 0.10

// Verdicts.
const (
	Holds       = "holds"
	HoldsOnly   = "holds only when" // followed by the condition
	DoesNotHold = "does not hold"
	NotMeasured = "not measured"
)

// A Claim is one claim of the seed article with its evidence and verdict.
type Claim struct {
	Text     string
	Evidence []string // measured facts, one per bullet
	Verdict  string   // Holds, DoesNotHold, NotMeasured, or HoldsOnly + " " + condition
	Rule     string   // how Verdict follows from the numbers
}

// Rules, printed in the report: each claim function below implements its rule.
const (
	rule1 = "Copies per byte through read(2) = median `rchar-B/op` ÷ block size of `pread copy`, sequential reads, warm and cold; " +
		"mmap `view` copies nothing through the kernel when its `rchar-B/op` and `read-syscalls/op` are 0. " +
		"**Holds** if read(2) copies ≥ 1.5 times per byte and the view none; **holds only when** the bytes are used in place if read(2) copies once (0.5–1.5) and the view none; " +
		"**does not hold** if the view makes read calls."
	rule2 = "Ratio of medians mmap `view` ÷ `pread copy` for every BenchmarkRead case (cache × pattern × block size; 1 thread, no advice), " +
		"mmap ÷ pread for BenchmarkOpenRead (per file size) and mmap `view` ÷ `pread copy` for BenchmarkWrite. mmap wins a case when the ratio is below 1/(1+Tie), loses above 1+Tie. " +
		"**Holds** if mmap wins every case, **does not hold** if it wins none, otherwise **holds only when** followed by the cases it wins."
	rule3 = "From `mmapbench ipc -mode durable`: the changer stores through the mapping and dies of SIGKILL without close, munmap or msync. " +
		"**Does not hold** if both the monitor and a process started afterwards read the stored value (the write reached the file without a close); **holds** if neither does; otherwise **holds only when** the reader is the one that saw it."
	rule4 = "BenchmarkIPC with backend=mmap: every sample is a round trip between two processes that each map the file by path. " +
		"**Holds** if the rows exist with a positive p50 (and, when the durability run is there, its monitor read the value); **does not hold** otherwise. " +
		"The counter runs (`-mode count`) are reported beside it: a plain load-and-store counter loses updates, atomic and flock do not."
	rule5 = "Per wait strategy, ratio r = mmap's median p50 ÷ the median of the p50s of the other shared memories (posixshm, memfd, sysv). mmap is slower when r > 1+Tie. " +
		"**Holds** if mmap is slower with every wait, **does not hold** if with none, otherwise **holds only when** followed by the waits where it is. " +
		"The system-call backends (pread, osfile polling the record) show what system calls in the loop would cost."
)

// Claims evaluates the seed article's claims on rs (file benchmarks and IPC
// results), with the durability and counter evidence when not nil.
func Claims(rs *plot.Results, d *Durable, counts []Count) []Claim {
	return []Claim{
		claimCopies(rs),
		claimOverhead(rs),
		claimClose(d),
		claimShare(rs, d, counts),
		claimSyscalls(rs),
	}
}

func median(rs *plot.Results, bench string, keys map[string]string, unit string) (float64, bool) {
	r := rs.Row(bench, keys)
	if r == nil {
		return 0, false
	}
	return r.Median(unit)
}

// readKeys are the keys of one BenchmarkRead row of the report's file size.
func readKeys(rs *plot.Results, backend, access, pattern, cache, bs string) map[string]string {
	return map[string]string{"backend": backend, "access": access, "pattern": pattern, "bs": bs, "cache": cache,
		"size": plot.ReadSize(rs), "advice": "none", "threads": "1"}
}

func claimCopies(rs *plot.Results) Claim {
	c := Claim{Text: "read/write copies the data twice; mmap does not copy it", Rule: rule1, Verdict: NotMeasured}
	rows := rs.Rows("Read", map[string]string{"backend": "pread", "access": "copy", "pattern": "seq", "size": plot.ReadSize(rs), "threads": "1", "advice": "none"})
	maxCopies, viewCopies, viewCalls, n := 0.0, 0.0, 0.0, 0
	var speed []string
	for _, cache := range []string{"warm", "cold"} {
		for _, bs := range plot.Values(rows, "bs") {
			size, _ := plot.ParseSize(bs)
			rchar, ok1 := median(rs, "Read", readKeys(rs, "pread", "copy", "seq", cache, bs), "rchar-B/op")
			vchar, ok2 := median(rs, "Read", readKeys(rs, "mmap", "view", "seq", cache, bs), "rchar-B/op")
			vcall, ok3 := median(rs, "Read", readKeys(rs, "mmap", "view", "seq", cache, bs), "read-syscalls/op")
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			n++
			maxCopies = math.Max(maxCopies, rchar/float64(size))
			viewCopies = math.Max(viewCopies, vchar/float64(size))
			viewCalls = math.Max(viewCalls, vcall)
			if cache == "warm" {
				tp, _ := median(rs, "Read", readKeys(rs, "pread", "copy", "seq", cache, bs), "ns/op")
				tv, _ := median(rs, "Read", readKeys(rs, "mmap", "view", "seq", cache, bs), "ns/op")
				tc, okc := median(rs, "Read", readKeys(rs, "mmap", "copy", "seq", cache, bs), "ns/op")
				s := fmt.Sprintf("warm %s: pread %s, mmap view %s (%s)", bs, plot.FormatNanos(tp), plot.FormatNanos(tv), times(tp, tv))
				if okc {
					s += fmt.Sprintf(", mmap copy %s (%s)", plot.FormatNanos(tc), times(tp, tc))
				}
				speed = append(speed, s)
			}
		}
	}
	if n == 0 {
		c.Evidence = []string{"no BenchmarkRead pread/mmap sequential rows with rchar-B/op and read-syscalls/op"}
		return c
	}
	c.Evidence = append(c.Evidence,
		fmt.Sprintf("read(2) copies %.2f× per byte read (pread `rchar-B/op` ÷ block size, at most, warm and cold): page cache to buffer", maxCopies),
		fmt.Sprintf("mmap view: %.2f bytes per byte and %.2f read calls per op through the kernel", viewCopies, viewCalls))
	c.Evidence = append(c.Evidence, speed...)
	switch {
	case viewCalls > 0.01 || viewCopies > 0.01:
		c.Verdict = DoesNotHold
	case maxCopies >= 1.5:
		c.Verdict = Holds
	case maxCopies >= 0.5:
		c.Verdict = HoldsOnly + " the bytes are used in place (view): read(2) copies once, not twice, and copying out of the mapping is a copy too"
	default:
		c.Verdict = DoesNotHold
	}
	return c
}

// times describes b relative to a: "3.1× faster", "1.35× slower", "level".
func times(a, b float64) string {
	switch r := a / b; {
	case r > 1+Tie:
		return fmt.Sprintf("%.2f× faster", r)
	case r < 1/(1+Tie):
		return fmt.Sprintf("%.2f× slower", 1/r)
	}
	return "level"
}

type outcome int

const (
	lose outcome = iota - 1
	level
	win
)

func compare(mmap, pread float64) outcome {
	switch r := mmap / pread; {
	case r < 1/(1+Tie):
		return win
	case r > 1+Tie:
		return lose
	}
	return level
}

func claimOverhead(rs *plot.Results) Claim {
	c := Claim{Text: "mmap has less overhead than read/write", Rule: rule2, Verdict: NotMeasured}
	var wins, others []string
	cases, nwin := 0, 0
	size := plot.ReadSize(rs)
	rows := rs.Rows("Read", map[string]string{"size": size, "threads": "1", "advice": "none"})
	for _, cache := range plot.Values(rows, "cache") {
		for _, pattern := range plot.Values(rows, "pattern") {
			var w, o []string
			for _, bs := range plot.Values(rows, "bs") {
				tm, ok1 := median(rs, "Read", readKeys(rs, "mmap", "view", pattern, cache, bs), "ns/op")
				tp, ok2 := median(rs, "Read", readKeys(rs, "pread", "copy", pattern, cache, bs), "ns/op")
				if !ok1 || !ok2 {
					continue
				}
				cases++
				cell := fmt.Sprintf("%s ×%.2f", bs, tm/tp)
				if compare(tm, tp) == win {
					nwin++
					w = append(w, cell)
				} else {
					o = append(o, cell)
				}
			}
			if len(w) > 0 {
				wins = append(wins, fmt.Sprintf("%s %s reads (%s)", cache, pattern, strings.Join(w, ", ")))
			}
			if len(o) > 0 {
				others = append(others, fmt.Sprintf("%s %s reads (%s)", cache, pattern, strings.Join(o, ", ")))
			}
		}
	}
	if cases > 0 {
		c.Evidence = append(c.Evidence, fmt.Sprintf("BenchmarkRead, %s file, mmap view ÷ pread time: wins %s; no win %s", size,
			orNone(wins), orNone(others)))
	}
	// One-shot reads: the crossover.
	var ow, oo []string
	for _, s := range plot.Values(rs.Rows("OpenRead", nil), "size") {
		tm, ok1 := median(rs, "OpenRead", map[string]string{"backend": "mmap", "size": s}, "ns/op")
		tp, ok2 := median(rs, "OpenRead", map[string]string{"backend": "pread", "size": s}, "ns/op")
		if !ok1 || !ok2 {
			continue
		}
		cases++
		if compare(tm, tp) == win {
			nwin++
			ow = append(ow, s)
		} else {
			oo = append(oo, s)
		}
	}
	if len(ow)+len(oo) > 0 {
		cross := Crossover(rs)
		e := fmt.Sprintf("BenchmarkOpenRead (open, read all, close), mmap ÷ pread: wins at %s; no win at %s", orNone(ow), orNone(oo))
		if cross != "" {
			e += fmt.Sprintf("; crossover: mmap wins from %s up", cross)
		}
		c.Evidence = append(c.Evidence, e)
		if len(ow) > 0 {
			if cross != "" {
				wins = append(wins, "one-shot reads of files of "+cross+" and more")
			} else {
				wins = append(wins, "one-shot reads of "+strings.Join(ow, ", "))
			}
		}
	}
	// Writes.
	wrows := rs.Rows("Write", map[string]string{"backend": "pread", "access": "copy"})
	for _, r := range wrows {
		k := maps(r.Keys)
		k["backend"], k["access"] = "mmap", "view"
		tm, ok1 := median(rs, "Write", k, "ns/op")
		tp, ok2 := r.Median("ns/op")
		if !ok1 || !ok2 {
			continue
		}
		cases++
		e := fmt.Sprintf("BenchmarkWrite %s %s: mmap view %s, pwrite %s (×%.2f)", r.Key("bs"), r.Key("cache"), plot.FormatNanos(tm), plot.FormatNanos(tp), tm/tp)
		c.Evidence = append(c.Evidence, e)
		if compare(tm, tp) == win {
			nwin++
			wins = append(wins, fmt.Sprintf("%s writes to a %s mapping", r.Key("bs"), r.Key("cache")))
		}
	}
	switch {
	case cases == 0:
		c.Evidence = []string{"no BenchmarkRead, OpenRead or Write rows with both mmap and pread"}
	case len(wins) == 0:
		c.Verdict = DoesNotHold
	case nwin == cases:
		c.Verdict = Holds
	default:
		c.Verdict = HoldsOnly + ": " + strings.Join(wins, "; ")
	}
	return c
}

// Crossover returns the smallest file size from which mmap's one-shot read
// is faster than pread's (beyond Tie) at that size and every larger one, or
// "" when there is none.
func Crossover(rs *plot.Results) string {
	sizes := plot.Values(rs.Rows("OpenRead", nil), "size")
	cross := ""
	for i := len(sizes) - 1; i >= 0; i-- {
		tm, ok1 := median(rs, "OpenRead", map[string]string{"backend": "mmap", "size": sizes[i]}, "ns/op")
		tp, ok2 := median(rs, "OpenRead", map[string]string{"backend": "pread", "size": sizes[i]}, "ns/op")
		if !ok1 || !ok2 || compare(tm, tp) != win {
			break
		}
		cross = sizes[i]
	}
	return cross
}

func claimClose(d *Durable) Claim {
	c := Claim{Text: "writes reach the file when it is closed", Rule: rule3, Verdict: NotMeasured}
	if d == nil {
		c.Evidence = []string{"no output of `mmapbench ipc -mode durable` (make report runs it)"}
		return c
	}
	c.Evidence = []string{
		fmt.Sprintf("%s: changer stored %d, then SIGKILL (no close, munmap or msync)", d.Backend, d.Stored),
		"monitor (mapped throughout) read it: " + okWord(d.MonitorOK),
		"a process started after the kill read it: " + okWord(d.FreshOK),
	}
	if d.DirectChecked {
		c.Evidence = append(c.Evidence, fmt.Sprintf("on the device (O_DIRECT read) after an fdatasync of %s: %s", d.SyncTime, okWord(d.DirectOK)))
	}
	switch {
	case d.MonitorOK && d.FreshOK:
		c.Verdict = DoesNotHold
	case !d.MonitorOK && !d.FreshOK:
		c.Verdict = Holds
	case d.MonitorOK:
		c.Verdict = HoldsOnly + " the reader started after the writer died (the monitor saw it at once)"
	default:
		c.Verdict = HoldsOnly + " the reader had the file mapped throughout (a later process saw it)"
	}
	return c
}

func claimShare(rs *plot.Results, d *Durable, counts []Count) Claim {
	c := Claim{Text: "unrelated processes can share a MAP_SHARED mapping", Rule: rule4, Verdict: NotMeasured}
	found := false
	for _, wait := range []string{"spin", "futex"} {
		p50, ok := median(rs, "IPC", map[string]string{"backend": "mmap", "wait": wait}, "p50-nsec")
		if !ok || p50 <= 0 {
			continue
		}
		found = true
		r := rs.Row("IPC", map[string]string{"backend": "mmap", "wait": wait})
		e := fmt.Sprintf("wait=%s: %d×%d round trips between two processes, one-way p50 %s", wait, len(r.Iters), r.Iters[0], plot.FormatNanos(p50))
		if f, ok := median(rs, "IPC", map[string]string{"backend": "floor", "wait": wait}, "p50-nsec"); ok && f > 0 {
			e += fmt.Sprintf(" (two threads of one process: %s, ×%.2f)", plot.FormatNanos(f), p50/f)
		}
		c.Evidence = append(c.Evidence, e)
	}
	if d != nil {
		c.Evidence = append(c.Evidence, "durability run: the monitor read the value another process stored: "+okWord(d.MonitorOK))
	}
	for _, ct := range counts {
		c.Evidence = append(c.Evidence, fmt.Sprintf("counter=%s (%s), %d processes × %d increments: lost %d (%.2f%%)", ct.Counter, ct.Backend, ct.Changers, ct.Increments, ct.Lost, ct.LostPercent))
	}
	switch {
	case !found:
		c.Evidence = append(c.Evidence, "no BenchmarkIPC rows with backend=mmap")
	case d != nil && !d.MonitorOK:
		c.Verdict = DoesNotHold
	default:
		c.Verdict = Holds
	}
	return c
}

func claimSyscalls(rs *plot.Results) Claim {
	c := Claim{Text: "mmap is slower than other shared memory because it makes system calls", Rule: rule5, Verdict: NotMeasured}
	var slower, waits []string
	for _, wait := range []string{"spin", "futex"} {
		m, ok := median(rs, "IPC", map[string]string{"backend": "mmap", "wait": wait}, "p50-nsec")
		if !ok {
			continue
		}
		var others []float64
		var names []string
		for _, be := range []string{"posixshm", "memfd", "sysv"} {
			if v, ok := median(rs, "IPC", map[string]string{"backend": be, "wait": wait}, "p50-nsec"); ok {
				others = append(others, v)
				names = append(names, fmt.Sprintf("%s %s", be, plot.FormatNanos(v)))
			}
		}
		if len(others) == 0 {
			continue
		}
		slices.Sort(others)
		mid := others[len(others)/2]
		if len(others)%2 == 0 {
			mid = (others[len(others)/2-1] + others[len(others)/2]) / 2
		}
		waits = append(waits, wait)
		e := fmt.Sprintf("wait=%s p50: mmap %s; %s; r = %.2f", wait, plot.FormatNanos(m), strings.Join(names, ", "), m/mid)
		if m/mid > 1+Tie {
			slower = append(slower, "wait="+wait)
		}
		if wait == "spin" {
			if f, ok := median(rs, "IPC", map[string]string{"backend": "mmap", "wait": wait}, "minflt/msg"); ok {
				e += fmt.Sprintf("; mmap page faults per message %.4f", f)
			}
		}
		c.Evidence = append(c.Evidence, e)
	}
	for _, be := range []string{"pread", "osfile"} {
		v, ok1 := median(rs, "IPC", map[string]string{"backend": be, "wait": "spin"}, "p50-nsec")
		m, ok2 := median(rs, "IPC", map[string]string{"backend": "mmap", "wait": "spin"}, "p50-nsec")
		if ok1 && ok2 && m > 0 {
			c.Evidence = append(c.Evidence, fmt.Sprintf("%s (a system call per poll), wait=spin p50 %s: ×%.1f mmap's", be, plot.FormatNanos(v), v/m))
		}
	}
	switch {
	case len(waits) == 0:
		c.Evidence = append(c.Evidence, "no BenchmarkIPC rows for mmap and another shared memory")
	case len(slower) == 0:
		c.Verdict = DoesNotHold
	case len(slower) == len(waits):
		c.Verdict = Holds
	default:
		c.Verdict = HoldsOnly + " " + strings.Join(slower, ", ")
	}
	return c
}

func okWord(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, "; ")
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
