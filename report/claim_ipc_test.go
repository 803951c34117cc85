package report

import (
	"fmt"
	"strings"
	"testing"
)

// ipcSamples are one row's samples per round: batch one-way (ns/op) and
// per-round-trip p99.9.
type ipcSamples struct {
	name       string // "backend=mmap/wait=spin/writeback=1ms"
	batch, p99 []float64
}

// ipcResults writes crafted BenchmarkIPC results, round by round as
// mmapbench ipc -count writes them, and loads them.
func ipcResults(t *testing.T, rows ...ipcSamples) *results {
	t.Helper()
	var b strings.Builder
	for i := range rows[0].batch {
		for _, r := range rows {
			fmt.Fprintf(&b, "BenchmarkIPC/%s 100000 %g ns/op %g p50-nsec %g p99.9-nsec 60 rt/batch 25 clock-nsec 0.0001 minflt/msg\n",
				r.name, r.batch[i], r.batch[i]+15, r.p99[i])
		}
	}
	return loadText(t, b.String())
}

// Steady state: every shared memory at about 30 ns and 150 ns, overlapping.
var steadyIPC = []ipcSamples{
	{"backend=mmap/wait=spin", []float64{30.1, 29.8, 31.0, 30.4, 29.9}, []float64{150, 160, 140, 155, 145}},
	{"backend=posixshm/wait=spin", []float64{30.3, 30.0, 30.8, 29.7, 30.2}, []float64{148, 158, 152, 141, 162}},
	{"backend=memfd/wait=spin", []float64{29.9, 30.6, 30.1, 30.5, 29.6}, []float64{151, 139, 157, 149, 153}},
	{"backend=sysv/wait=spin", []float64{30.2, 29.5, 30.7, 30.0, 31.1}, []float64{146, 154, 150, 161, 143}},
}

func TestClaim5TailUnderWriteback(t *testing.T) {
	rows := append(append([]ipcSamples(nil), steadyIPC...),
		ipcSamples{"backend=mmap/wait=spin/writeback=1ms", []float64{40.4, 39.8, 41.0, 40.1, 40.6}, []float64{12800, 11000, 13500, 12100, 9900}},
		ipcSamples{"backend=posixshm/wait=spin/writeback=1ms", []float64{40.7, 40.2, 39.9, 41.2, 40.0}, []float64{160, 150, 170, 155, 165}},
		ipcSamples{"backend=memfd/wait=spin/writeback=1ms", []float64{40.1, 41.1, 40.5, 39.7, 40.9}, []float64{150, 175, 158, 149, 162}},
	)
	c := claimSyscalls(ipcResults(t, rows...))
	if !strings.HasPrefix(c.Verdict, HoldsOnly) {
		t.Fatalf("verdict %q; want %q …\nevidence: %q", c.Verdict, HoldsOnly, c.Evidence)
	}
	// Both figures of the writeback condition: mmap's medians at p50 (the
	// batch figure) and at p99.9, against the references' medians.
	for _, want := range []string{
		"its file is written back (wait=spin, fdatasync every 1ms)",
		"mmap is level at p50 (batch 40.4ns against 40.5ns",
		"but slower at p99.9 (12.1µs against 162ns",
	} {
		if !strings.Contains(c.Verdict, want) {
			t.Errorf("verdict %q lacks %q", c.Verdict, want)
		}
	}
	if want := HoldsOnly + " its file is written back (wait=spin, fdatasync every 1ms): mmap is level at p50 but slower at p99.9"; c.Short != want {
		t.Errorf("Short = %q; want %q", c.Short, want)
	}
	if strings.Contains(c.Verdict, "no writeback") {
		t.Errorf("verdict %q names the steady state, where mmap is level", c.Verdict)
	}
	if !strings.Contains(strings.Join(c.Evidence, "\n"), "wait=spin, no writeback: p50 batch: mmap 30.1ns") {
		t.Errorf("evidence lacks the steady-state case:\n%s", strings.Join(c.Evidence, "\n"))
	}
}

func TestClaim5OverlappingIsLevel(t *testing.T) {
	rows := append([]ipcSamples(nil), steadyIPC...)
	// mmap's median is 29% above the others', but its samples straddle
	// theirs: the U test cannot tell the sets apart, so the case is level.
	rows[0] = ipcSamples{"backend=mmap/wait=spin", []float64{20, 60, 25, 55, 40}, []float64{150, 160, 140, 155, 145}}
	c := claimSyscalls(ipcResults(t, rows...))
	if c.Verdict != DoesNotHold+" without writeback; with writeback: not measured" {
		t.Errorf("verdict %q; want level everywhere (does not hold), the writeback half not measured", c.Verdict)
	}
	ev := strings.Join(c.Evidence, "\n")
	for _, want := range []string{"×1.32", "with writeback: not measured"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
}

func TestClaim5SlowerEverywhere(t *testing.T) {
	rows := append([]ipcSamples(nil), steadyIPC...)
	rows[0] = ipcSamples{"backend=mmap/wait=spin", []float64{60.1, 59.8, 61.0, 60.4, 59.9}, []float64{950, 960, 940, 955, 945}}
	rows = append(rows,
		ipcSamples{"backend=mmap/wait=spin/writeback=1ms", []float64{80.4, 79.8, 81.0, 80.1, 80.6}, []float64{12800, 11000, 13500, 12100, 9900}},
		ipcSamples{"backend=memfd/wait=spin/writeback=1ms", []float64{40.1, 41.1, 40.5, 39.7, 40.9}, []float64{150, 175, 158, 149, 162}})
	if c := claimSyscalls(ipcResults(t, rows...)); c.Verdict != Holds {
		t.Errorf("verdict %q; want %q: mmap is slower in every case\n%q", c.Verdict, Holds, c.Evidence)
	}
	// Without any other shared memory there is nothing to compare.
	if c := claimSyscalls(ipcResults(t, rows[0])); c.Verdict != NotMeasured {
		t.Errorf("mmap alone: verdict %q; want %q", c.Verdict, NotMeasured)
	}
}

func TestClaim4BatchFigure(t *testing.T) {
	rows := append([]ipcSamples(nil), steadyIPC...)
	rows = append(rows, ipcSamples{"backend=floor/wait=spin", []float64{30, 30, 30, 30, 30}, []float64{1, 1, 1, 1, 1}})
	c := claimShare(ipcResults(t, rows...), nil, nil)
	ev := strings.Join(c.Evidence, "\n")
	if c.Verdict != Holds || !strings.Contains(ev, "one-way 30.1ns batch-timed (median over batches of 60 round trips); per round trip p50 45.1ns raw, with a 25ns clock read inside") || !strings.Contains(ev, "floor 30ns, mmap ×1.00") {
		t.Errorf("claim 4: %q\n%s", c.Verdict, ev)
	}
}

// TestWriteIPCTable: the batch figure is the headline, the percentiles stay,
// and the writeback rows get their own lines.
func TestWriteIPCTable(t *testing.T) {
	rows := append(append([]ipcSamples(nil), steadyIPC...),
		ipcSamples{"backend=floor/wait=spin", []float64{30, 30, 30, 30, 30}, []float64{1, 1, 1, 1, 1}},
		ipcSamples{"backend=mmap/wait=spin/writeback=1ms", []float64{40.4, 39.8, 41.0, 40.1, 40.6}, []float64{12800, 11000, 13500, 12100, 9900}})
	var b strings.Builder
	writeIPC(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }, ipcResults(t, rows...))
	out := b.String()
	for _, want := range []string{
		"| mmap | spin | 5 | **30.1ns** | 60 | 45.1ns | – | – | 150ns | – | 25ns | 1.00 |",
		"| mmap | spin, fdatasync every 1ms | 5 | **40.4ns** | 60 |",
		"**raw**",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("IPC table lacks %q:\n%s", want, out)
		}
	}
}
