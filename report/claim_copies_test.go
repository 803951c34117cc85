package report

import (
	"fmt"
	"strings"
	"testing"
)

// copyCostName is the row BenchmarkCopyCost writes on the reference VM.
const copyCostName = "CopyCost/bs=512KiB/size=256MiB/cache=warm/yardstick=thp"

// copyRow is one CopyCost row's samples, ns per KiB, one line per sample.
// A nil splice leaves its unit out, as rows written before it had it.
type copyRow struct {
	name                      string
	buffered, direct, memmove []float64
	splice                    []float64
}

// copyResults writes BenchmarkCopyCost lines for rows, and extra benchmark
// lines as they are, under the machine's config lines, and loads them.
func copyResults(t *testing.T, rows []copyRow, extra ...string) *results {
	t.Helper()
	var b strings.Builder
	b.WriteString("llc-size: 32MiB\nread-ahead: 8192KiB\n")
	for _, r := range rows {
		for i := range r.buffered {
			fmt.Fprintf(&b, "Benchmark%s-2 \t 200 \t 500000 ns/op \t %g buffered-cpu-nsec/KiB \t %g direct-cpu-nsec/KiB \t %g memmove-cpu-nsec/KiB",
				r.name, r.buffered[i], r.direct[i], r.memmove[i])
			if r.splice != nil {
				fmt.Fprintf(&b, " \t %g splice-cpu-nsec/KiB", r.splice[i])
			}
			b.WriteString("\n")
		}
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	return loadText(t, b.String())
}

// withCopies returns buffered samples that are direct plus k memmoves, the
// samples' own noise kept.
func withCopies(direct, memmove []float64, k float64) []float64 {
	out := make([]float64, len(direct))
	for i := range direct {
		out[i] = direct[i] + k*memmove[i]
	}
	return out
}

var (
	ccDirect  = []float64{30, 33, 29, 31, 32}
	ccMemmove = []float64{60, 64, 58, 62, 66}
	ccSplice  = []float64{28, 31, 27.5, 29, 30.5}
	// As on the reference VM: O_DIRECT's device notification and sleep
	// cost more than the copy it saves; splice shows one copy.
	vmBuffered = []float64{72, 75, 71, 73, 73}
	vmDirect   = []float64{108, 130, 115, 117, 119}
	vmSplice   = []float64{18.4, 19.7, 18.7, 18.7, 22.1}
	vmMemmove  = []float64{52, 58, 52, 55, 58}
	// The view's facts as BenchmarkRead writes them: no read calls.
	viewRows = []string{
		"BenchmarkRead/backend=pread/access=copy/pattern=seq/bs=1MiB/cache=warm/size=16MiB/advice=none/threads=1-2 100 80000 ns/op 1048576 rchar-B/op 1 read-syscalls/op",
		"BenchmarkRead/backend=mmap/access=view/pattern=seq/bs=1MiB/cache=warm/size=16MiB/advice=none/threads=1-2 100 40000 ns/op 0 rchar-B/op 0 read-syscalls/op",
	}
)

func TestClaimCopiesVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rows   []copyRow
		extra  []string
		prefix string // the verdict starts with it
		has    string // and contains it
	}{
		{
			name:   "one copy: the DMA is not a CPU copy",
			rows:   []copyRow{{copyCostName, withCopies(ccDirect, ccMemmove, 1), ccDirect, ccMemmove, nil}},
			extra:  viewRows,
			prefix: HoldsOnly, has: "once, not twice: 1.00 CPU copies per byte by (buffered − O_DIRECT) ÷ memmove",
		},
		{
			name:   "two copies",
			rows:   []copyRow{{copyCostName, withCopies(ccDirect, ccMemmove, 2), ccDirect, ccMemmove, nil}},
			extra:  viewRows,
			prefix: Holds + ":", has: "2.00 CPU copies per byte",
		},
		{
			name:   "three copies are at least two",
			rows:   []copyRow{{copyCostName, withCopies(ccDirect, ccMemmove, 3), ccDirect, ccMemmove, nil}},
			prefix: Holds + ":", has: "3.00 CPU copies per byte",
		},
		{
			// Buffered 5% above O_DIRECT, inside the tie: 0.05 copies
			// could be anything.
			name:   "difference inside the spread",
			rows:   []copyRow{{copyCostName, []float64{31.5, 34.7, 30.4, 32.6, 33.6}, ccDirect, ccMemmove, nil}},
			prefix: NotMeasured + ": " + notHereMsg, has: "do not differ beyond the noise",
		},
		{
			name:   "O_DIRECT dearer than the buffered read, no splice figures",
			rows:   []copyRow{{copyCostName, vmBuffered, vmDirect, vmMemmove, nil}},
			extra:  viewRows,
			prefix: NotMeasured + ": " + notHereMsg, has: "as much CPU per byte as the buffered read or more",
		},
		{
			name:   "O_DIRECT dearer, splice shows one copy",
			rows:   []copyRow{{copyCostName, vmBuffered, vmDirect, vmMemmove, vmSplice}},
			extra:  viewRows,
			prefix: HoldsOnly, has: "0.99 CPU copies per byte by (buffered − splice) ÷ memmove, 0.88–1.03 over 5 samples; O_DIRECT tells nothing here (it costs as much CPU as the buffered read or more)",
		},
		{
			name:   "both references show one copy",
			rows:   []copyRow{{copyCostName, withCopies(ccDirect, ccMemmove, 1), ccDirect, ccMemmove, ccSplice}},
			prefix: HoldsOnly, has: "by (buffered − O_DIRECT) ÷ memmove",
		},
		{
			name:   "both references show two copies",
			rows:   []copyRow{{copyCostName, withCopies(ccDirect, ccMemmove, 2), ccDirect, ccMemmove, ccSplice}},
			prefix: Holds + ":", has: "by (buffered − splice) ÷ memmove",
		},
		{
			// O_DIRECT says one copy, splice (a memmove cheaper) two.
			name:   "the references disagree",
			rows:   []copyRow{{copyCostName, withCopies(ccSplice, ccMemmove, 2), withCopies(ccSplice, ccMemmove, 1), ccMemmove, ccSplice}},
			prefix: NotMeasured + ": " + notHereMsg, has: "disagree on the number of copies (splice shows 2.00)",
		},
		{
			name:   "neither reference tells",
			rows:   []copyRow{{copyCostName, vmBuffered, vmDirect, vmMemmove, []float64{71, 74.5, 70, 72.8, 71.5}}},
			prefix: NotMeasured + ": " + notHereMsg, has: "do not differ beyond the noise",
		},
		{
			// Four samples at one copy, one at two: the samples disagree.
			name:   "samples on both sides of 1.5 copies",
			rows:   []copyRow{{copyCostName, []float64{90, 97, 87, 93, 164}, ccDirect, ccMemmove, nil}},
			prefix: NotMeasured + ": " + notHereMsg, has: "fall on both sides",
		},
		{
			name:   "under half a copy",
			rows:   []copyRow{{copyCostName, withCopies(ccDirect, ccMemmove, 0.3), ccDirect, ccMemmove, nil}},
			prefix: NotMeasured + ": " + notHereMsg, has: "under half a memmove",
		},
		{
			// Too few samples for the U test: a clear two copies is
			// still not measured.
			name:   "three samples",
			rows:   []copyRow{{copyCostName, withCopies(ccDirect[:3], ccMemmove[:3], 2), ccDirect[:3], ccMemmove[:3], nil}},
			prefix: NotMeasured + ": " + notHereMsg, has: "p=0.100",
		},
		{
			name: "two block sizes that disagree",
			rows: []copyRow{
				{copyCostName, withCopies(ccDirect, ccMemmove, 1), ccDirect, ccMemmove, nil},
				{"CopyCost/bs=256KiB/size=256MiB/cache=warm/yardstick=thp", withCopies(ccDirect, ccMemmove, 2), ccDirect, ccMemmove, nil},
			},
			prefix: NotMeasured + ": " + notHereMsg, has: "block sizes disagree",
		},
		{
			name:  "the view makes read calls",
			rows:  []copyRow{{copyCostName, withCopies(ccDirect, ccMemmove, 2), ccDirect, ccMemmove, nil}},
			extra: []string{viewRows[0], strings.Replace(viewRows[1], "0 read-syscalls/op", "1 read-syscalls/op", 1)},
			// The copies would say holds; the view's read calls decide.
			prefix: DoesNotHold, has: "1.00 read calls per op",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := claimCopies(copyResults(t, tc.rows, tc.extra...))
			if !strings.HasPrefix(c.Verdict, tc.prefix) || !strings.Contains(c.Verdict, tc.has) {
				t.Errorf("verdict %q; want it to start with %q and contain %q\nevidence: %q", c.Verdict, tc.prefix, tc.has, c.Evidence)
			}
			if strings.Contains(tc.prefix, notHereMsg) && !strings.Contains(tc.has, "disagree") && !strings.Contains(c.Verdict, "memmoves, at most that many copies") {
				t.Errorf("not-measurable verdict %q does not give the upper bound", c.Verdict)
			}
			if c.Class() == c.Verdict {
				t.Errorf("verdict %q has no class (Holds, HoldsOnly, DoesNotHold or NotMeasured)", c.Verdict)
			}
			if c.Short == "" || strings.ContainsAny(c.Short, "0123456789") {
				t.Errorf("Short = %q; want the verdict without figures", c.Short)
			}
		})
	}
}

// The evidence states how the copies were inferred, the regime in words, the
// upper bound and the view's read calls.
func TestClaimCopiesEvidence(t *testing.T) {
	c := claimCopies(copyResults(t, []copyRow{{copyCostName, withCopies(ccDirect, ccMemmove, 1), ccDirect, ccMemmove, nil}}, viewRows...))
	all := strings.Join(c.Evidence, "\n")
	for _, want := range []string{
		"warm, file 8× the LLC (256MiB), 512KiB blocks, memmove from huge pages",
		"buffered pread 93.0 ns, O_DIRECT 31.0 ns, Go memmove 62.0 ns",
		"(buffered − O_DIRECT) ÷ memmove = 1.00 CPU copies per byte (per sample 1.00–1.00)",
		"1.48–1.52 memmoves per sample",
		"mmap view makes 0.00 read calls per op",
		"rchar counts the bytes read(2) returns",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("evidence lacks %q:\n%s", want, all)
		}
	}
}

// rchar alone can never make the claim hold: even a pread returning twice
// the bytes it was asked for (rchar ÷ block size 2) is no copy count.
func TestClaimCopiesRcharAlone(t *testing.T) {
	rs := copyResults(t, nil,
		"BenchmarkRead/backend=pread/access=copy/pattern=seq/bs=1MiB/cache=warm/size=16MiB/advice=none/threads=1-2 100 80000 ns/op 2097152 rchar-B/op 1 read-syscalls/op",
		"BenchmarkRead/backend=pread/access=copy/pattern=seq/bs=1MiB/cache=cold/size=16MiB/advice=none/threads=1-2 100 800000 ns/op 2097152 rchar-B/op 1 read-syscalls/op",
		viewRows[1],
		strings.Replace(viewRows[1], "cache=warm", "cache=cold", 1))
	c := claimCopies(rs)
	if c.Verdict != NotMeasured {
		t.Errorf("verdict from rchar alone = %q; want %q", c.Verdict, NotMeasured)
	}
	if !strings.Contains(strings.Join(c.Evidence, "\n"), "no BenchmarkCopyCost rows") {
		t.Errorf("evidence does not say the copies were not measured: %q", c.Evidence)
	}
}

// A row that lacks one of the three units decides nothing.
func TestClaimCopiesIncompleteRow(t *testing.T) {
	rs := copyResults(t, nil, "BenchmarkCopyCost/bs=512KiB/size=256MiB/cache=warm/yardstick=thp-2 200 500000 ns/op 93 buffered-cpu-nsec/KiB 31 direct-cpu-nsec/KiB")
	if c := claimCopies(rs); c.Verdict != NotMeasured {
		t.Errorf("verdict without memmove = %q; want %q", c.Verdict, NotMeasured)
	}
}
