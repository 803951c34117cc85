package report

import (
	"fmt"
	"strings"

	"github.com/mmapbench/mmapbench/schema"
)

const (
	rule4 = "BenchmarkIPC with backend=mmap: every sample is a round trip between two processes that each map the file by path; the figure is the batch one-way latency (ns/op: K round trips timed with two clock reads in all, ÷ 2K, median over batches). " +
		"**Holds** if the rows exist with a positive figure (and, when the durability run is there, its monitor read the value); **does not hold** otherwise. " +
		"The counter runs (`-mode count`) are reported beside it: a plain load-and-store counter loses updates, atomic and flock do not."
	rule5 = "mmap against the other shared memories (posixshm, memfd, sysv; per round of -count the median of those present, so that the i-th samples of the interleaved rounds pair up), " +
		"per wait strategy, at p50 (the batch one-way latency, ns/op, a median over batches; `p50-nsec` in files without batches) and at p99.9 (per round trip, `p99.9-nsec`), " +
		"without writeback (the IPC run) and with it (`mmapbench ipc -writeback`, a third party calling fdatasync on the shared object; sysv has none and is left out). " +
		"mmap is **slower** in a case when " + testWords + " and the ratio of medians is above 1+Tie, otherwise level (or faster). " +
		"**Holds** if mmap is slower in every case, **does not hold** if in none, otherwise **holds only when** followed by the cases where it is, each with its figures and the p50 of the same condition beside a tail loss. " +
		"The system-call backends (pread, osfile polling the record) show what system calls in the loop would cost."
)

// ipcShared are the "other shared memory" backends claim 5 compares mmap with.
var ipcShared = []string{"posixshm", "memfd", "sysv"}

// ipcStat is one statistic claim 5 judges at.
type ipcStat struct {
	name string // "p50", "p99.9"
	unit schema.Unit
	desc string // what the figure is, for the evidence
}

// ipcMiddle returns the p50 statistic of a row: the batch one-way latency
// when the row has batches (rt/batch), else the per-round-trip p50 of a
// file written before there were batches, whose ns/op was that p50.
func ipcMiddle(r *schema.Row) ipcStat {
	if r != nil && len(r.Samples(schema.IPCBatchRT)) > 0 {
		return ipcStat{"p50", schema.NsPerOp, "batch"}
	}
	return ipcStat{"p50", schema.IPCP50, "per round trip"}
}

var ipcTail = ipcStat{"p99.9", schema.IPCP999, "per round trip"}

// ipcRow returns the IPC row of backend with wait and, if not "", the
// writeback interval: exactly these keys.
func ipcRow(rs *results, backend, wait, writeback string) *schema.Row {
	k := schema.Keys{"backend": backend, "wait": wait}
	if writeback != "" {
		k["writeback"] = writeback
	}
	return rs.row("IPC", k)
}

// ipcFigure is a row's median of unit, and whether it has one.
func ipcFigure(r *schema.Row, unit schema.Unit) (float64, bool) {
	if r == nil {
		return 0, false
	}
	return r.Median(unit)
}

func claimShare(rs *results, d *Durable, counts []Count) Claim {
	c := Claim{Text: "unrelated processes can share a MAP_SHARED mapping", Rule: rule4, Verdict: NotMeasured}
	found := false
	for _, wait := range []string{"spin", "futex"} {
		r := ipcRow(rs, "mmap", wait, "")
		st := ipcMiddle(r)
		v, ok := ipcFigure(r, st.unit)
		if !ok || v <= 0 {
			continue
		}
		found = true
		e := fmt.Sprintf("wait=%s: %d×%d round trips between two processes, one-way %s", wait, len(r.Iters), r.Iters[0], schema.FormatNanos(v))
		if st.unit == schema.NsPerOp {
			k, _ := r.Median(schema.IPCBatchRT)
			e += fmt.Sprintf(" batch-timed (median over batches of %.0f round trips)", k)
			if p50, ok := r.Median(schema.IPCP50); ok {
				clock, _ := r.Median(schema.IPCClock)
				e += fmt.Sprintf("; per round trip p50 %s raw, with a %s clock read inside", schema.FormatNanos(p50), schema.FormatNanos(clock))
			}
		} else {
			e += " (p50 per round trip, raw: this file has no batch figure)"
		}
		var floors []string
		for _, fl := range []string{"floor", "floor-bare"} {
			if f, ok := ipcFigure(ipcRow(rs, fl, wait, ""), st.unit); ok && f > 0 {
				floors = append(floors, fmt.Sprintf("%s %s, mmap ×%.2f", fl, schema.FormatNanos(f), v/f))
			}
		}
		if len(floors) > 0 {
			e += " (two threads of one process: " + strings.Join(floors, "; ") + ")"
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

// ipcCase is one decided case of claim 5.
type ipcCase struct {
	cond   string // "wait=spin, no writeback", "wait=spin, fdatasync every 1ms"
	stat   ipcStat
	mmap   float64 // mmap's median
	others string  // the references' medians: "posixshm 30.9ns, memfd 31.2ns"
	ref    float64 // the median of the reference samples
	cmp    Comparison
}

func (c ipcCase) figures() string {
	return fmt.Sprintf("%s %s: mmap %s against %s (%s) %s", c.stat.name, c.stat.desc, schema.FormatNanos(c.mmap), schema.FormatNanos(c.ref), c.others, c.cmp)
}

// short is the case's figures for the verdict: "12.8µs against 160ns, ×80.0 (p=0.008)".
func (c ipcCase) short() string {
	return fmt.Sprintf("%s against %s, %s", schema.FormatNanos(c.mmap), schema.FormatNanos(c.ref), c.cmp)
}

// slowerWhere describes the cases of one condition where mmap is slower,
// with figures and without (for make verdicts, which compares runs), or ""
// if it is slower in none. A loss at the tail beside a p50 that is not a
// loss is said as exactly that, with both figures.
func slowerWhere(cases []ipcCase, writeback string) (where, short string) {
	var lost []ipcCase
	for _, k := range cases {
		if k.cmp.Outcome == lose {
			lost = append(lost, k)
		}
	}
	if len(lost) == 0 {
		return "", ""
	}
	cond := cases[0].cond
	if writeback != "" {
		cond = "its file is written back (" + cond + ")"
	}
	mid := cases[0]
	if len(lost) == 1 && lost[0].stat.name == ipcTail.name && mid.stat.name != ipcTail.name {
		how := "level"
		if mid.cmp.Outcome == win {
			how = "faster"
		}
		return fmt.Sprintf("%s: mmap is %s at p50 (%s %s) but slower at p99.9 (%s)", cond, how, mid.stat.desc, mid.short(), lost[0].short()),
			fmt.Sprintf("%s: mmap is %s at p50 but slower at p99.9", cond, how)
	}
	var parts, names []string
	for _, k := range lost {
		parts = append(parts, k.stat.name+" "+k.short())
		names = append(names, k.stat.name)
	}
	return cond + ": mmap is slower at " + strings.Join(parts, " and at "), cond + ": mmap is slower at " + strings.Join(names, " and at ")
}

// referenceSamples returns the samples claim 5 compares mmap's with: per
// round the median of the other shared memories' samples when every row
// has one sample per round (the rounds of -count are interleaved, so the
// i-th samples are from the same round), else all their samples pooled.
func referenceSamples(rows []*schema.Row, unit schema.Unit) []float64 {
	var sets [][]float64
	for _, r := range rows {
		if xs := r.Samples(unit); len(xs) > 0 {
			sets = append(sets, xs)
		}
	}
	if len(sets) == 0 {
		return nil
	}
	paired := true
	for _, s := range sets {
		paired = paired && len(s) == len(sets[0])
	}
	if !paired {
		var all []float64
		for _, s := range sets {
			all = append(all, s...)
		}
		return all
	}
	out := make([]float64, len(sets[0]))
	for i := range out {
		col := make([]float64, len(sets))
		for j, s := range sets {
			col[j] = s[i]
		}
		out[i] = center(col)
	}
	return out
}

// ipcCases decides mmap against the other shared memories with wait and
// writeback ("" for none), at p50 and p99.9; none when the rows are missing.
func ipcCases(rs *results, wait, writeback string) []ipcCase {
	m := ipcRow(rs, "mmap", wait, writeback)
	if m == nil {
		return nil
	}
	var refs []*schema.Row
	for _, be := range ipcShared {
		if r := ipcRow(rs, be, wait, writeback); r != nil {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	cond := "wait=" + wait + ", no writeback"
	if writeback != "" {
		cond = "wait=" + wait + ", fdatasync every " + writeback
	}
	var out []ipcCase
	for _, st := range []ipcStat{ipcMiddle(m), ipcTail} {
		cand, ref := m.Samples(st.unit), referenceSamples(refs, st.unit)
		if len(cand) == 0 || len(ref) == 0 {
			continue
		}
		var names []string
		for _, r := range refs {
			if v, ok := r.Median(st.unit); ok {
				names = append(names, fmt.Sprintf("%s %s", r.Key("backend"), schema.FormatNanos(v)))
			}
		}
		cmp := decide(cand, ref)
		mv, _ := m.Median(st.unit)
		out = append(out, ipcCase{cond: cond, stat: st, mmap: mv, others: strings.Join(names, ", "), ref: center(ref), cmp: cmp})
	}
	return out
}

// writebackIntervals returns the writeback intervals of mmap's rows with wait.
func writebackIntervals(rs *results, wait string) []string {
	return schema.Values(rs.Select("IPC", schema.Keys{"backend": "mmap", "wait": wait}), "writeback")
}

func claimSyscalls(rs *results) Claim {
	c := Claim{Text: "mmap is slower than other shared memory because it makes system calls", Rule: rule5, Verdict: NotMeasured}
	var all, slower []ipcCase
	var conditions, shorts []string // where mmap is slower, one per condition
	wbMeasured := false
	for _, half := range []string{"steady", "writeback"} {
		for _, wait := range []string{"spin", "futex"} {
			wbs := []string{""}
			if half == "writeback" {
				wbs = writebackIntervals(rs, wait)
			}
			for _, wb := range wbs {
				cases := ipcCases(rs, wait, wb)
				if len(cases) == 0 {
					continue
				}
				wbMeasured = wbMeasured || wb != ""
				var figs []string
				for _, k := range cases {
					figs = append(figs, k.figures())
				}
				e := cases[0].cond + ": " + strings.Join(figs, "; ")
				if f, ok := ipcFigure(ipcRow(rs, "mmap", wait, wb), schema.IPCMinFlt); ok && wb != "" {
					e += fmt.Sprintf("; mmap page faults per message %.2g", f)
					for _, be := range ipcShared {
						if g, ok := ipcFigure(ipcRow(rs, be, wait, wb), schema.IPCMinFlt); ok {
							e += fmt.Sprintf(", %s %.2g", be, g)
						}
					}
				}
				c.Evidence = append(c.Evidence, e)
				all = append(all, cases...)
				for _, k := range cases {
					if k.cmp.Outcome == lose {
						slower = append(slower, k)
					}
				}
				if w, sh := slowerWhere(cases, wb); w != "" {
					conditions, shorts = append(conditions, w), append(shorts, sh)
				}
			}
		}
	}
	for _, be := range []string{"pread", "osfile"} {
		r, m := ipcRow(rs, be, "spin", ""), ipcRow(rs, "mmap", "spin", "")
		st := ipcMiddle(m)
		v, ok1 := ipcFigure(r, st.unit)
		mv, ok2 := ipcFigure(m, st.unit)
		if ok1 && ok2 && mv > 0 {
			c.Evidence = append(c.Evidence, fmt.Sprintf("%s (a system call per poll), wait=spin p50 %s: %s, ×%.1f mmap's", be, st.desc, schema.FormatNanos(v), v/mv))
		}
	}
	if !wbMeasured {
		c.Evidence = append(c.Evidence, "with writeback: not measured (no `mmapbench ipc -writeback` rows; make bench writes <stem>-ipc-writeback.txt)")
	}
	switch {
	case len(all) == 0:
		c.Evidence = append(c.Evidence, "no BenchmarkIPC rows for mmap and another shared memory")
	case len(slower) == 0:
		c.Verdict = DoesNotHold
		if !wbMeasured {
			c.Verdict += " without writeback; with writeback: not measured"
		}
		c.Short = c.Verdict
	case len(slower) == len(all):
		c.Verdict = Holds
	default:
		c.Verdict = HoldsOnly + " " + strings.Join(conditions, "; ")
		c.Short = HoldsOnly + " " + strings.Join(shorts, "; ")
		if !wbMeasured {
			c.Verdict += "; with writeback: not measured"
			c.Short += "; with writeback: not measured"
		}
	}
	return c
}
