package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
)

const (
	rule4 = "BenchmarkIPC with backend=mmap: every sample is a round trip between two processes that each map the file by path. " +
		"**Holds** if the rows exist with a positive p50 (and, when the durability run is there, its monitor read the value); **does not hold** otherwise. " +
		"The counter runs (`-mode count`) are reported beside it: a plain load-and-store counter loses updates, atomic and flock do not."
	rule5 = "Per wait strategy, ratio r = mmap's median p50 ÷ the median of the p50s of the other shared memories (posixshm, memfd, sysv). mmap is slower when r > 1+Tie. " +
		"**Holds** if mmap is slower with every wait, **does not hold** if with none, otherwise **holds only when** followed by the waits where it is. " +
		"The system-call backends (pread, osfile polling the record) show what system calls in the loop would cost."
)

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
