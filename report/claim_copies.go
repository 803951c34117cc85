package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/mmapbench/mmapbench/plot"
	"golang.org/x/perf/benchmath"
)

// The units of BenchmarkCopyCost (bench/units.go): the reading thread's CPU
// time per KiB moved into one aligned buffer.
const (
	unitBufferedCPU = "buffered-cpu-nsec/KiB"
	unitDirectCPU   = "direct-cpu-nsec/KiB"
	unitMemmoveCPU  = "memmove-cpu-nsec/KiB"
)

// A sample's inferred copy count falls in one of three bins: below half a
// copy the difference is not a copy at all (the read paths' other costs
// decide it), from half to one and a half it is one copy, above that two
// or more. The boundaries are halfway between the counts the claim and its
// alternative predict (1 and 2), so neither is favoured.
const (
	minCopies  = 0.5
	twoCopies  = 1.5
	notHereMsg = "not measurable here"
)

const rule1 = "CPU copies per byte that read(2) returns = (CPU per KiB of a buffered pread of a warm file − CPU per KiB of an O_DIRECT pread of the same file into the same aligned buffer) ÷ CPU per KiB of Go's memmove into that buffer from memory (an anonymous buffer as large as the file, on huge pages as the kernel's direct map is) " +
	"(BenchmarkCopyCost: the reading thread's CLOCK_THREAD_CPUTIME_ID, user and system; the three interleaved op by op, so each sample's three figures share the machine's state). " +
	"O_DIRECT's device DMAs into the buffer, so the difference is the buffered read's CPU copy, plus whatever else the two read paths do differently. " +
	"Copies are computed per sample. **Not measurable here** when buffered is not dearer than O_DIRECT (benchmath's U test p < Alpha and the ratio of medians beyond 1+Tie), " +
	"when the samples fall on both sides of 0.5 or 1.5 copies, or when all are below 0.5 (the copy is hidden by the paths' other costs). " +
	"Otherwise **holds** if every sample shows at least 1.5 copies, and **holds only when** the device's DMA is counted as a copy if every sample shows 0.5–1.5 (the CPU copies once); " +
	"**does not hold** if mmap `view` makes read calls (BenchmarkRead `read-syscalls/op` > 0.01). " +
	"`rchar-B/op` decides nothing: it counts the bytes read(2) returns, one per byte by definition."

// copyCost is the inference from one BenchmarkCopyCost row.
type copyCost struct {
	words                     string // the regime: "warm, file 8× the LLC (256MiB), 512KiB blocks"
	buffered, direct, memmove float64
	cmp                       Comparison // buffered against O_DIRECT
	copies, lo, hi            float64    // median and per-sample range of (buffered − direct) ÷ memmove
	boundLo, boundHi          float64    // per-sample range of buffered ÷ memmove: its copies at most
	n                         int
	bins                      int    // copies bin of every sample (0, 1 or 2); −1 when they differ
	why                       string // why not measurable, "" when it is
}

// copyCostOf infers copies from row, or reports false when the row lacks
// one of the three units or their sample counts differ (they come from the
// same benchmark lines, so a mismatch is a damaged file).
func copyCostOf(m machine, row *plot.Row) (copyCost, bool) {
	b, d, mv := row.Samples(unitBufferedCPU), row.Samples(unitDirectCPU), row.Samples(unitMemmoveCPU)
	if len(b) == 0 || len(b) != len(d) || len(b) != len(mv) {
		return copyCost{}, false
	}
	size, _ := plot.ParseSize(row.Key("size"))
	cc := copyCost{words: m.words(row.Key("cache"), size), n: len(b), bins: -2}
	if bs := row.Key("bs"); bs != "" {
		cc.words += ", " + bs + " blocks"
	}
	switch row.Key("yardstick") {
	case "thp":
		cc.words += ", memmove from huge pages"
	case "4k":
		cc.words += ", memmove from 4KiB pages"
	}
	cc.buffered, cc.direct, cc.memmove = center(b), center(d), center(mv)
	cc.cmp = decide(b, d)
	copies := make([]float64, len(b))
	cc.boundLo, cc.boundHi = math.Inf(1), math.Inf(-1)
	for i := range b {
		copies[i] = (b[i] - d[i]) / mv[i]
		bin := copyBin(copies[i])
		if cc.bins == -2 {
			cc.bins = bin
		} else if cc.bins != bin {
			cc.bins = -1
		}
		cc.boundLo, cc.boundHi = math.Min(cc.boundLo, b[i]/mv[i]), math.Max(cc.boundHi, b[i]/mv[i])
	}
	cc.copies = center(copies)
	cc.lo, cc.hi = slices.Min(copies), slices.Max(copies)
	switch {
	case cc.cmp.Outcome != lose && cc.buffered <= cc.direct:
		cc.why = fmt.Sprintf("O_DIRECT costs the reading thread as much CPU per byte as the buffered read or more (buffered ÷ O_DIRECT %s): its own per-call and per-page work (device notification, sleep, page pinning) is as large as the copy it saves, so the difference cannot isolate the copy", cc.cmp)
	case cc.cmp.Outcome != lose:
		cc.why = fmt.Sprintf("buffered and O_DIRECT CPU per byte do not differ beyond the noise (buffered ÷ O_DIRECT %s)", cc.cmp)
	case cc.bins < 0:
		cc.why = fmt.Sprintf("the samples' copies (%s) fall on both sides of %.1f or %.1f copies", span(cc.lo, cc.hi), minCopies, twoCopies)
	case cc.bins == 0:
		cc.why = fmt.Sprintf("the difference is under half a memmove in every sample (%s copies): the read paths' other costs hide the copy", span(cc.lo, cc.hi))
	}
	return cc, true
}

// copyBin is the number of copies a sample shows: 0 (under half a copy),
// 1, or 2 (two or more).
func copyBin(c float64) int {
	switch {
	case c < minCopies:
		return 0
	case c < twoCopies:
		return 1
	}
	return 2
}

// span writes a range of two figures, with "to" where a dash would read as
// a minus sign.
func span(lo, hi float64) string {
	if lo < 0 || hi < 0 {
		return fmt.Sprintf("%.2f to %.2f", lo, hi)
	}
	return fmt.Sprintf("%.2f–%.2f", lo, hi)
}

// center is benchstat's center of xs, as Row.Median computes it.
func center(xs []float64) float64 {
	s := benchmath.NewSample(slices.Clone(xs), &benchmath.DefaultThresholds)
	return benchmath.AssumeNothing.Summary(s, 0.95).Center
}

func (cc copyCost) evidence() []string {
	return []string{
		fmt.Sprintf("BenchmarkCopyCost, %s: CPU per KiB (thread clock, user+system; medians of %d interleaved samples): buffered pread %.1f ns, O_DIRECT pread %.1f ns, Go memmove %.1f ns",
			cc.words, cc.n, cc.buffered, cc.direct, cc.memmove),
		fmt.Sprintf("CPU copies per byte = (buffered − O_DIRECT) ÷ memmove = %.2f (per sample %s); buffered ÷ O_DIRECT %s", cc.copies, span(cc.lo, cc.hi), cc.cmp),
		fmt.Sprintf("the buffered read's whole CPU per byte is %.2f–%.2f memmoves per sample: an upper bound on its copies if the kernel's copy costs what memmove does", cc.boundLo, cc.boundHi),
		"uncertainty: the difference also holds what the two read paths do besides the copy (page-cache lookups; O_DIRECT's page pinning, bio set-up, device notification and sleep), " +
			"and the yardstick is Go's memmove (an AVX loop), not the kernel's copy_to_user (rep movsb where the CPU has it)",
	}
}

func claimCopies(rs *plot.Results) Claim {
	c := Claim{Text: "read/write copies the data twice; mmap does not copy it", Rule: rule1, Verdict: NotMeasured}
	m := machineOf(rs)

	// The facts from BenchmarkRead: rchar (which cannot count copies), the
	// view's read calls, and the warm sequential speeds.
	viewCalls, haveView := 0.0, false
	var facts, speed []string
	for _, cache := range []string{"warm", "cold"} {
		rows := rs.Rows("Read", map[string]string{"backend": "pread", "access": "copy", "pattern": "seq", "cache": cache, "size": plot.ReadSize(rs), "threads": "1", "advice": "none"})
		for _, bs := range plot.Values(rows, "bs") {
			if v, ok := median(rs, "Read", readKeys(rs, "mmap", "view", "seq", cache, bs), "read-syscalls/op"); ok {
				viewCalls, haveView = math.Max(viewCalls, v), true
			}
			if cache != "warm" {
				continue
			}
			if size, err := plot.ParseSize(bs); err == nil && len(facts) == 0 {
				if rchar, ok := median(rs, "Read", readKeys(rs, "pread", "copy", "seq", cache, bs), "rchar-B/op"); ok {
					facts = append(facts, fmt.Sprintf("pread `rchar-B/op` ÷ block size = %.2f at %s: rchar counts the bytes read(2) returns, so it is 1 by definition and counts no copies", rchar/float64(size), bs))
				}
			}
			tp, ok1 := median(rs, "Read", readKeys(rs, "pread", "copy", "seq", cache, bs), "ns/op")
			tv, ok2 := median(rs, "Read", readKeys(rs, "mmap", "view", "seq", cache, bs), "ns/op")
			if !ok1 || !ok2 {
				continue
			}
			s := fmt.Sprintf("warm %s: pread %s, mmap view %s (%s)", bs, plot.FormatNanos(tp), plot.FormatNanos(tv), times(tp, tv))
			if tc, ok := median(rs, "Read", readKeys(rs, "mmap", "copy", "seq", cache, bs), "ns/op"); ok {
				s += fmt.Sprintf(", mmap copy %s (%s)", plot.FormatNanos(tc), times(tp, tc))
			}
			speed = append(speed, s)
		}
	}
	if haveView {
		facts = append(facts, fmt.Sprintf("mmap view makes %.2f read calls per op (BenchmarkRead `read-syscalls/op`, sequential, at most): it reads the page cache in place", viewCalls))
	} else {
		facts = append(facts, "no BenchmarkRead mmap view rows with `read-syscalls/op`: whether the view makes read calls is not measured")
	}

	var ccs []copyCost
	for _, row := range rs.Rows("CopyCost", nil) {
		if cc, ok := copyCostOf(m, row); ok {
			ccs = append(ccs, cc)
			c.Evidence = append(c.Evidence, cc.evidence()...)
		}
	}
	c.Evidence = append(c.Evidence, facts...)
	c.Evidence = append(c.Evidence, speed...)

	switch {
	case haveView && viewCalls > 0.01:
		c.Verdict = DoesNotHold + fmt.Sprintf(": mmap view made %.2f read calls per op", viewCalls)
		c.Short = DoesNotHold + ": the view makes read calls"
	case len(ccs) == 0:
		c.Evidence = append([]string{"no BenchmarkCopyCost rows with " + unitBufferedCPU + ", " + unitDirectCPU + " and " + unitMemmoveCPU + " (go test -bench CopyCost ./bench): copies not measured"}, c.Evidence...)
	default:
		c.Verdict, c.Short = copiesVerdict(ccs)
	}
	return c
}

// copiesVerdict is the verdict of the CopyCost rows, which must agree: one
// that cannot tell makes the claim not measurable here.
func copiesVerdict(ccs []copyCost) (verdict, short string) {
	for _, cc := range ccs {
		if cc.why != "" {
			bound := fmt.Sprintf("; read(2)'s whole CPU per byte is %s memmoves, at most that many copies if the kernel's copy costs what memmove does", span(cc.boundLo, cc.boundHi))
			return NotMeasured + ": " + notHereMsg + " (" + cc.words + "): " + cc.why + bound, NotMeasured + ": " + notHereMsg
		}
		if cc.bins != ccs[0].bins {
			return NotMeasured + ": " + notHereMsg + ": the block sizes disagree on the number of copies", NotMeasured + ": " + notHereMsg
		}
	}
	cc := ccs[0]
	how := fmt.Sprintf("%.1f CPU copies per byte ((buffered − O_DIRECT pread) ÷ memmove CPU per KiB, %.1f–%.1f over %d samples, %s)", cc.copies, cc.lo, cc.hi, cc.n, cc.words)
	if cc.bins == 2 {
		return Holds + ": read(2) makes " + how, Holds
	}
	return HoldsOnly + " the device's DMA into the page cache is counted as a copy: the CPU copies each byte once, not twice: " + how + "; mmap view reads in place",
		HoldsOnly + " the DMA is counted: the CPU copies once, not twice"
}
