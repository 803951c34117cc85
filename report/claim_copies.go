package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mmapbench/mmapbench/schema"
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

const rule1 = "CPU copies per byte that read(2) returns = (CPU per KiB of a buffered pread of a warm file − CPU per KiB of a reference that moves the same bytes without a CPU copy) ÷ CPU per KiB of Go's memmove into the same buffer from memory (an anonymous buffer as large as the file, on huge pages as the kernel's direct map is). " +
	"Two references: an O_DIRECT pread of the same file into the same aligned buffer (the device DMAs into it), and a splice of the same warm file into a pipe and on to /dev/null (the page cache's path, moving page references). " +
	"BenchmarkCopyCost measures all four with the reading thread's CLOCK_THREAD_CPUTIME_ID (user and system), interleaved op by op, so a sample's figures share the machine's state; copies are computed per sample. " +
	"A reference tells nothing (**not measurable here**) when the buffered read is not dearer than it (" + testWords + " and the ratio of medians is beyond 1+Tie), " +
	"when its samples fall on both sides of 0.5 or 1.5 copies, or when all are below 0.5 (the copy is hidden by the paths' other costs); the claim is not measurable here when no reference tells or two disagree. " +
	"Otherwise **holds** if the samples show at least 1.5 copies, and **holds only when** the device's DMA is counted as a copy if they show 0.5–1.5 (the CPU copies once); " +
	"**does not hold** if mmap `view` makes read calls (BenchmarkRead `read-syscalls/op` > 0.01). " +
	"`rchar-B/op` decides nothing: it counts the bytes read(2) returns, one per byte by definition."

// A copyRef is a way to move the bytes without a CPU copy, set against the
// buffered read.
type copyRef struct {
	name  string
	unit  schema.Unit
	costs string // what it does that the buffered read does not
}

var copyRefs = []copyRef{
	{"O_DIRECT", schema.DirectCPUPerKiB, "page pinning, bio set-up, device notification and sleep"},
	{"splice", schema.SpliceCPUPerKiB, "pipe buffers and a page reference taken and dropped per page"},
}

// An estimate is the copies one reference infers from one row.
type estimate struct {
	ref            copyRef
	median         float64    // the reference's CPU per KiB
	cmp            Comparison // buffered against the reference
	copies, lo, hi float64    // median and per-sample range of (buffered − reference) ÷ memmove
	bins           int        // the copies bin of every sample (0, 1 or 2); −1 when they differ
	why, short     string     // why it tells nothing, in full and in a few words; "" when it tells
}

// copyCost is the inference from one BenchmarkCopyCost row.
type copyCost struct {
	words             string // the regime: "warm, file 8× the LLC (256MiB), 512KiB blocks"
	buffered, memmove float64
	boundLo, boundHi  float64 // per-sample range of buffered ÷ memmove: its copies at most
	n                 int
	est               []estimate // in copyRefs' order, those the row has
}

// copyCostOf infers copies from row, or reports false when the row lacks
// the buffered, memmove or O_DIRECT figures or their sample counts differ
// (they come from the same benchmark lines, so a mismatch is a damaged
// file). A row without splice figures (written before the benchmark had
// them) is judged on O_DIRECT alone.
func copyCostOf(m machine, row *schema.Row) (copyCost, bool) {
	b, mv := row.Samples(schema.BufferedCPUPerKiB), row.Samples(schema.MemmoveCPUPerKiB)
	if len(b) == 0 || len(b) != len(mv) || len(row.Samples(schema.DirectCPUPerKiB)) != len(b) {
		return copyCost{}, false
	}
	size, _ := schema.ParseSize(row.Key("size"))
	cc := copyCost{words: m.words(row.Key("cache"), size), n: len(b), buffered: center(b), memmove: center(mv)}
	if bs := row.Key("bs"); bs != "" {
		cc.words += ", " + bs + " blocks"
	}
	switch row.Key("yardstick") {
	case "thp":
		cc.words += ", memmove from huge pages"
	case "4k":
		cc.words += ", memmove from 4KiB pages"
	}
	cc.boundLo, cc.boundHi = math.Inf(1), math.Inf(-1)
	for i := range b {
		cc.boundLo, cc.boundHi = math.Min(cc.boundLo, b[i]/mv[i]), math.Max(cc.boundHi, b[i]/mv[i])
	}
	for _, ref := range copyRefs {
		if r := row.Samples(ref.unit); len(r) == len(b) {
			cc.est = append(cc.est, estimateOf(ref, b, r, mv))
		}
	}
	return cc, true
}

func estimateOf(ref copyRef, b, r, mv []float64) estimate {
	e := estimate{ref: ref, median: center(r), cmp: decide(b, r), bins: -2}
	copies := make([]float64, len(b))
	for i := range b {
		copies[i] = (b[i] - r[i]) / mv[i]
		switch bin := copyBin(copies[i]); {
		case e.bins == -2:
			e.bins = bin
		case e.bins != bin:
			e.bins = -1
		}
	}
	e.copies, e.lo, e.hi = center(copies), slices.Min(copies), slices.Max(copies)
	switch {
	case e.cmp.Outcome != lose && center(b) <= e.median:
		e.why = fmt.Sprintf("%s costs the reading thread as much CPU per byte as the buffered read or more (buffered ÷ %s %s): its own work (%s) is as large as the copy it saves", ref.name, ref.name, e.cmp, ref.costs)
		e.short = "it costs as much CPU as the buffered read or more"
	case e.cmp.Outcome != lose:
		e.why = fmt.Sprintf("buffered and %s CPU per byte do not differ beyond the noise (buffered ÷ %s %s)", ref.name, ref.name, e.cmp)
		e.short = "level with the buffered read"
	case e.bins < 0:
		e.why = fmt.Sprintf("the samples' copies against %s (%s) fall on both sides of %.1f or %.1f copies", ref.name, span(e.lo, e.hi), minCopies, twoCopies)
		e.short = "its samples straddle a boundary"
	case e.bins == 0:
		e.why = fmt.Sprintf("the difference from %s is under half a memmove in every sample (%s copies): the paths' other costs hide the copy", ref.name, span(e.lo, e.hi))
		e.short = "under half a copy"
	}
	return e
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

func (cc copyCost) evidence() []string {
	figs := fmt.Sprintf("BenchmarkCopyCost, %s: CPU per KiB (thread clock, user+system; medians of %d interleaved samples): buffered pread %.1f ns", cc.words, cc.n, cc.buffered)
	for _, e := range cc.est {
		figs += fmt.Sprintf(", %s %.1f ns", e.ref.name, e.median)
	}
	out := []string{figs + fmt.Sprintf(", Go memmove %.1f ns", cc.memmove)}
	for _, e := range cc.est {
		s := fmt.Sprintf("(buffered − %s) ÷ memmove = %.2f CPU copies per byte (per sample %s); buffered ÷ %s %s", e.ref.name, e.copies, span(e.lo, e.hi), e.ref.name, e.cmp)
		if e.why != "" {
			s += "; tells nothing: " + e.why
		}
		out = append(out, s)
	}
	var costs []string
	for _, e := range cc.est {
		costs = append(costs, e.ref.name+"'s "+e.ref.costs)
	}
	return append(out,
		fmt.Sprintf("the buffered read's whole CPU per byte is %s memmoves per sample: an upper bound on its copies if the kernel's copy costs what memmove does", span(cc.boundLo, cc.boundHi)),
		"uncertainty: a difference also holds what the paths do besides the copy (the buffered read's own system call; "+strings.Join(costs, "; ")+"), "+
			"and the yardstick is Go's memmove (an AVX loop), not the kernel's copy_to_user (rep movsb where the CPU has it)")
}

func claimCopies(rs *results) Claim {
	c := Claim{Text: "read/write copies the data twice; mmap does not copy it", Rule: rule1, Verdict: NotMeasured}
	m := machineOf(rs)

	// The facts from BenchmarkRead: rchar (which cannot count copies), the
	// view's read calls, and the warm sequential speeds.
	viewCalls, haveView := 0.0, false
	var facts, speed []string
	size := rs.ReadSize(schema.Warm)
	for _, cache := range []schema.Cache{schema.Warm, schema.Cold} {
		rows := rs.Select("Read", schema.Keys{"backend": "pread", "access": "copy", "pattern": "seq", "cache": cache.String(), "size": size, "threads": "1", "advice": "none"})
		for _, bs := range schema.Values(rows, "bs") {
			at := func(backend string, access schema.Access) *schema.Row {
				return rs.kase("Read", readCase(size, bs, backend, access, schema.Seq, cache))
			}
			pr, vr := at("pread", schema.Copy), at("mmap", schema.View)
			if v, ok := vr.Median(schema.ReadSyscalls); ok {
				viewCalls, haveView = math.Max(viewCalls, v), true
			}
			if cache != schema.Warm {
				continue
			}
			if n, err := schema.ParseSize(bs); err == nil && len(facts) == 0 {
				if rchar, ok := pr.Median(schema.ReadBytes); ok {
					facts = append(facts, fmt.Sprintf("pread `rchar-B/op` ÷ block size = %.2f at %s: rchar counts the bytes read(2) returns, so it is 1 by definition and counts no copies", rchar/float64(n), bs))
				}
			}
			vc, ok := compareRows(vr, pr, schema.NsPerOp)
			if !ok {
				continue
			}
			tp, _ := pr.Median(schema.NsPerOp)
			tv, _ := vr.Median(schema.NsPerOp)
			s := fmt.Sprintf("warm %s: pread %s, mmap view %s (%s)", bs, schema.FormatNanos(tp), schema.FormatNanos(tv), vc.words())
			cr := at("mmap", schema.Copy)
			if cc, ok := compareRows(cr, pr, schema.NsPerOp); ok {
				tc, _ := cr.Median(schema.NsPerOp)
				s += fmt.Sprintf(", mmap copy %s (%s)", schema.FormatNanos(tc), cc.words())
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
	for _, row := range rs.Select("CopyCost", nil) {
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
		c.Evidence = append([]string{"no BenchmarkCopyCost rows with " + string(schema.BufferedCPUPerKiB) + ", " + string(schema.DirectCPUPerKiB) + " and " + string(schema.MemmoveCPUPerKiB) + " (go test -bench CopyCost ./bench): copies not measured"}, c.Evidence...)
	default:
		c.Verdict, c.Short = copiesVerdict(ccs)
	}
	return c
}

// copiesVerdict is the verdict of the CopyCost rows. Within a row, the
// references that tell must agree; across rows, so must the rows.
func copiesVerdict(ccs []copyCost) (verdict, short string) {
	notHere := func(why string) (string, string) {
		return NotMeasured + ": " + notHereMsg + why, NotMeasured + ": " + notHereMsg
	}
	bins := -1
	var how []string
	for _, cc := range ccs {
		bound := fmt.Sprintf("; read(2)'s whole CPU per byte is %s memmoves, at most that many copies if the kernel's copy costs what memmove does", span(cc.boundLo, cc.boundHi))
		var told []estimate
		var whys, nots []string
		for _, e := range cc.est {
			if e.why == "" {
				told = append(told, e)
			} else {
				whys = append(whys, e.why)
				nots = append(nots, e.ref.name+" tells nothing here ("+e.short+")")
			}
		}
		if len(told) == 0 {
			return notHere(" (" + cc.words + "): " + strings.Join(whys, "; ") + bound)
		}
		for _, e := range told {
			switch {
			case bins == -1:
				bins = e.bins
			case bins != e.bins:
				return notHere(fmt.Sprintf(" (%s): the references or block sizes disagree on the number of copies (%s shows %.2f)", cc.words, e.ref.name, e.copies))
			}
			how = append(how, fmt.Sprintf("%.2f CPU copies per byte by (buffered − %s) ÷ memmove, %s over %d samples", e.copies, e.ref.name, span(e.lo, e.hi), cc.n))
		}
		how = append(how, nots...)
		how = append(how, cc.words)
	}
	if bins == 2 {
		return Holds + ": read(2) makes " + strings.Join(how, "; ") + "; mmap view reads in place", Holds
	}
	return HoldsOnly + " the device's DMA into the page cache is counted as a copy: the CPU copies each byte once, not twice: " + strings.Join(how, "; ") + "; mmap view reads in place",
		HoldsOnly + " the DMA is counted: the CPU copies once, not twice"
}
