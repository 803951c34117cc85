package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/mmapbench/mmapbench/schema"
)

// CliffDrop is how far a run's steady throughput must fall below its
// start to count as a cliff: twice Tie, so run-to-run noise cannot make one.
const CliffDrop = 2 * Tie

// A Cliff compares one oom run's throughput before and after its cache
// filled.
type Cliff struct {
	Device         string // the block device the file was on; "" in results written before it was recorded
	Setup, Pattern string
	Start, Steady  *schema.Row
	Ratio          float64 // steady ÷ start throughput; 0 when unknown
	FilledAfter    float64 // seconds until the cgroup's usage reached 90% of the limit (the end of that row); -1: never; 0: unknown
}

// row returns a phase's row, for the keys both phases share.
func (c Cliff) row() *schema.Row {
	if c.Start != nil {
		return c.Start
	}
	return c.Steady
}

// Verdict says whether the run fell off a cliff by the CliffDrop rule.
func (c Cliff) Verdict() string {
	switch {
	case c.Ratio == 0:
		return "–"
	case c.Ratio < 1-CliffDrop:
		return fmt.Sprintf("**cliff** (−%.0f%%)", 100*(1-c.Ratio))
	case c.Ratio > 1+CliffDrop:
		return fmt.Sprintf("rises (+%.0f%%)", 100*(c.Ratio-1))
	}
	return "none"
}

// Cliffs returns every oom run of the results: by device, then by pattern,
// setups in the order the runs were made. A phase is the first row with
// the run's device, setup and pattern (one run per file).
func Cliffs(rs *schema.Results) []Cliff {
	var cs []Cliff
	rows := rs.Select("OOM", nil)
	for _, dev := range devices(rows) {
		for _, pattern := range schema.Values(rows, "pattern") {
			for _, setup := range schema.Values(rows, "config") {
				where := schema.Keys{"device": dev, "config": setup, "pattern": pattern, "phase": "start"}
				start := first(rs.Select("OOM", where))
				where["phase"] = "steady"
				steady := first(rs.Select("OOM", where))
				if start == nil && steady == nil {
					continue
				}
				c := Cliff{Device: dev, Setup: setup, Pattern: pattern, Start: start, Steady: steady}
				if start != nil && steady != nil {
					t0, ok0 := start.Median(schema.NsPerOp)
					t1, ok1 := steady.Median(schema.NsPerOp)
					if ok0 && ok1 && t1 > 0 {
						c.Ratio = t0 / t1 // throughput ratio: time per op inverted
					}
				}
				c.FilledAfter = filledAfter(rs, c)
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// devices returns the devices of oom rows; [""] for rows that do not name
// one (written before the device was recorded).
func devices(rows []*schema.Row) []string {
	ds := schema.Values(rows, "device")
	if len(ds) == 0 && len(rows) > 0 {
		ds = []string{""}
	}
	return ds
}

func first(rows []*schema.Row) *schema.Row {
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

// filledAfter finds in the time series the second the cache filled.
func filledAfter(rs *schema.Results, c Cliff) float64 {
	r := c.Start
	if r == nil {
		return 0
	}
	limit, err := schema.ParseSize(r.Key("limit"))
	if err != nil {
		return 0
	}
	var rows []schema.Interval
	for _, row := range rs.Series {
		if row.Config == c.Setup && row.Pattern == c.Pattern && row.Device == c.Device {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return 0
	}
	i := schema.FilledAt(rows, limit)
	if i < 0 {
		return -1
	}
	var t float64 // the end of the row in which it filled
	for _, row := range rows[:i+1] {
		t += row.Elapsed
	}
	return t
}

func writeOOM(p printer, rs *results, in Input) {
	cs := Cliffs(rs.Results)
	if len(cs) == 0 {
		return
	}
	p("## When mmap hurts: a working set larger than memory\n\n")
	p("`mmapbench oom` (`make oom`, as root; `make oom-zram` on a RAM-backed block device): a file several times larger than a memory limit, read by goroutines in a child process held to that limit, page cache included, by a memory cgroup made for each run; every run starts with the file evicted. "+
		"*start* is the time until the cgroup's usage first reached %.0f%% of the limit, *steady* the time after it (the interval in which it filled is left out). "+
		"A **cliff** is a steady throughput more than %.0f%% below the start's. Times per operation are wall time; device bytes per operation are read amplification (4096 is none for 4KiB reads).\n\n",
		100*schema.FillFraction, 100*CliffDrop)
	for _, dev := range devices(rs.Select("OOM", nil)) {
		onDev := cliffsWhere(cs, func(c Cliff) bool { return c.Device == dev })
		k := onDev[0].row()
		where := "On the bench directory's device"
		if dev != "" {
			where = "On **" + dev + "**"
		}
		p("### %s: a %s file, %s reader(s), limit %s\n\n", where, k.Key("size"), k.Key("readers"), k.Key("limit"))
		for _, pattern := range []string{"rand", "seq"} {
			sel := cliffsWhere(onDev, func(c Cliff) bool { return c.Pattern == pattern })
			if len(sel) == 0 {
				continue
			}
			p("**%s, %s blocks**\n\n", strings.ToUpper(patternName(pattern)[:1])+patternName(pattern)[1:], sel[0].row().Key("bs"))
			t := (&Table{}).Left("setup").Right("cache full after", "start", "steady", "steady ÷ start", "major faults/op", "device bytes/op", "system CPU/op").Left("cliff?")
			for _, c := range sel {
				filled := "–"
				switch {
				case c.FilledAfter > 0:
					filled = fmt.Sprintf("%.1f s", c.FilledAfter)
				case c.FilledAfter < 0:
					filled = "never"
				}
				ratio := "–"
				if c.Ratio > 0 {
					ratio = fmt.Sprintf("%.2f", c.Ratio)
				}
				t.Row(c.Setup, filled, cellMB(c.Start), cellMB(c.Steady), ratio,
					metric(c.Steady, schema.MajorFaults, trim), metric(c.Steady, schema.OOMDeviceRead, trim),
					metric(c.Steady, schema.SysCPU, schema.FormatNanos), c.Verdict())
			}
			p("%s\n", t)
		}
		p("%s\n\n", cliffTarget(onDev))
	}
	figure(p, in, "oom-rand", "oom-seq")
}

// cliffsWhere returns the cliffs for which keep is true, in order.
func cliffsWhere(cs []Cliff, keep func(Cliff) bool) []Cliff {
	var out []Cliff
	for _, c := range cs {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// cliffTarget states issue 6's target against the runs: a cliff for mmap,
// none for O_DIRECT pread.
func cliffTarget(cs []Cliff) string {
	var mmapCliffs, mmapRuns []string
	direct := "not run"
	for _, c := range cs {
		name := c.Setup + " " + c.Pattern
		switch {
		case strings.HasPrefix(c.Setup, "mmap"):
			mmapRuns = append(mmapRuns, name)
			if c.Ratio > 0 && c.Ratio < 1-CliffDrop {
				mmapCliffs = append(mmapCliffs, name)
			}
		case c.Setup == "pread-direct":
			if direct == "not run" {
				direct = "none"
			}
			if c.Ratio > 0 && c.Ratio < 1-CliffDrop {
				direct = "a cliff (" + name + ")"
			}
		}
	}
	mmap := fmt.Sprintf("a cliff in %d of %d mmap runs", len(mmapCliffs), len(mmapRuns))
	if len(mmapCliffs) > 0 {
		mmap += " (" + strings.Join(mmapCliffs, ", ") + ")"
	}
	met := "**not met here**"
	if len(mmapCliffs) > 0 && direct == "none" {
		met = "**met**"
	}
	return fmt.Sprintf("Target (a cliff for mmap, none for O_DIRECT pread): %s; O_DIRECT pread: %s. %s.", mmap, direct, met)
}

// cellMB formats a median time per operation and its throughput in MB/s:
// oom's throughputs span 0.1 to 2000 MB/s, too wide for GiB/s.
func cellMB(r *schema.Row) string {
	return cellWith(r, func(mbs float64) string { return trim(mbs) + " MB/s" })
}

// metric formats the median of unit in r, or "–".
func metric(r *schema.Row, unit schema.Unit, format func(float64) string) string {
	if r == nil {
		return "–"
	}
	v, ok := r.Median(unit)
	if !ok || math.IsNaN(v) {
		return "–"
	}
	return format(v)
}

// BystanderRows is the order of BenchmarkBystander's rows in the report:
// the control, then cold mmap next to its mitigations and pread.
var BystanderRows = []struct{ Backend, Mitigation string }{
	{"none", "none"}, {"mmap", "none"}, {"mmap", "willneed"}, {"mmap", "populate"}, {"pread", "none"},
}

func writeBystander(p printer, rs *results) {
	rows := rs.Select("Bystander", nil)
	if len(rows) == 0 {
		return
	}
	t := (&Table{}).Right("GOMAXPROCS", "readers").Left("backend", "mitigation").Right("runs", "wake-up p50", "p99", "max", "samples/run", "MB/s")
	usec := func(v float64) string { return schema.FormatNanos(v * 1e3) }
	for _, procs := range []string{"", "2"} {
		for _, readers := range schema.Values(rows, "readers") {
			for _, br := range BystanderRows {
				r := rs.row("Bystander", schema.Keys{"backend": br.Backend, "mitigation": br.Mitigation, "readers": readers, schema.ProcsKey: procs})
				if r == nil {
					continue
				}
				gmp := procs
				if gmp == "" {
					gmp = "1"
				}
				t.Row(gmp, readers, br.Backend, br.Mitigation, fmt.Sprint(len(r.Iters)),
					metric(r, schema.WakeP50, usec), metric(r, schema.WakeP99, usec), metric(r, schema.WakeMax, usec),
					metric(r, schema.WakeSamples, trim), metric(r, schema.MBPerSec, trim))
			}
		}
	}
	p("## Go's scheduler under page faults\n\n")
	p("BenchmarkBystander: a goroutine sleeps 1 ms in a loop and records how late it wakes, while readers scan a cold file sequentially: through the mapping (faults), through the mapping after `MADV_WILLNEED` one chunk ahead or `MADV_POPULATE_READ` on each chunk, or with pread. " +
		"A goroutine in a page fault keeps its P; one in a system call can lose it to sysmon. Medians over the runs; with few samples per run, p99 is close to the maximum.\n\n")
	p("%s\n", t)
}

// writeReaders sets each mmap view row of BenchmarkReaders beside the
// pread copy row of the same case.
func writeReaders(p printer, rs *results) {
	rows := rs.Select("Readers", nil)
	if len(rows) == 0 {
		return
	}
	t := (&Table{}).Left("cache").Right("size", "readers", "mmap MB/s", "per reader", "pread MB/s", "per reader", "mmap ÷ pread", "mmap majflt/pass").Left("TLB shootdowns/pass (mmap, pread)")
	perReader := func(v float64) string { return trim(v / 1e6) }
	for _, cache := range schema.Values(rows, "cache") {
		for _, size := range schema.Values(rs.Select("Readers", schema.Keys{"cache": cache}), "size") {
			for _, k := range schema.Values(rs.Select("Readers", schema.Keys{"cache": cache, "size": size}), "readers") {
				for _, m := range rs.Select("Readers", schema.Keys{"backend": "mmap", "cache": cache, "size": size, "readers": k}) {
					c, _ := m.Case()
					c.Backend, c.Access = "pread", schema.Copy
					r := rs.kase("Readers", c)
					ratio := "–"
					a, ok1 := m.Median(schema.MBPerSec)
					b, ok2 := r.Median(schema.MBPerSec)
					if ok1 && ok2 && b > 0 {
						ratio = fmt.Sprintf("%.2f", a/b)
					}
					t.Row(cache, size, k,
						metric(m, schema.MBPerSec, trim), metric(m, schema.BytesPerSecPerReader, perReader), metric(r, schema.MBPerSec, trim), metric(r, schema.BytesPerSecPerReader, perReader),
						ratio, metric(m, schema.MajorFaults, trim), metric(m, schema.TLBShootdownsPerPass, trim)+", "+metric(r, schema.TLBShootdownsPerPass, trim))
				}
			}
		}
	}
	p("## Concurrency: K readers on one mapping or one descriptor\n\n")
	p("BenchmarkReaders: K goroutines share one store and together read every 4KiB block of the file once per pass, in random order (advice=rand: one device read per cold block for both backends); GOMAXPROCS as the run's. Medians: total MB/s, MB/s per reader, major faults and machine-wide TLB shootdowns per pass.\n\n")
	p("%s\n", t)
}
