package report

import (
	"fmt"
	"strings"
	"testing"
)

// claim2Results writes benchmark lines for rows (name → ns/op samples, one
// line per sample) under the machine's config lines and loads them.
func claim2Results(t *testing.T, rows map[string][]float64) *results {
	t.Helper()
	var b strings.Builder
	b.WriteString("llc-size: 32MiB\nread-ahead: 8192KiB\n")
	for name, samples := range rows {
		for _, v := range samples {
			fmt.Fprintf(&b, "Benchmark%s-2 \t 1000 \t %g ns/op\n", name, v)
		}
	}
	return loadText(t, b.String())
}

func readName(backend, access, pattern, bs, cache, size string) string {
	return fmt.Sprintf("Read/backend=%s/access=%s/pattern=%s/bs=%s/cache=%s/size=%s/advice=none/threads=1", backend, access, pattern, bs, cache, size)
}

func scaled(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

var noisy = []float64{1000, 1100, 950, 1050, 980}

// TestClaimOverheadRegimes: a cold case on a file that read-around covers
// (16MiB, two 8MiB windows) never decides, however large mmap's win there;
// a loss in a deciding regime is listed as a loss; overlapping samples are
// level, and so is a large ratio on too few samples for the U test.
func TestClaimOverheadRegimes(t *testing.T) {
	rows := map[string][]float64{
		// Covered: mmap ×0.1, must not count.
		readName("mmap", "view", "rand", "4KiB", "cold", "16MiB"):  scaled(noisy, 0.1),
		readName("pread", "copy", "rand", "4KiB", "cold", "16MiB"): noisy,
		// Cold beyond read-around (32 windows): mmap ×4.6, a loss.
		readName("mmap", "view", "rand", "4KiB", "cold", "256MiB"):  scaled(noisy, 4.6),
		readName("pread", "copy", "rand", "4KiB", "cold", "256MiB"): noisy,
		// Warm in the LLC, overlapping samples: level.
		readName("mmap", "view", "seq", "4KiB", "warm", "16MiB"):  {1020, 960, 1090, 1000, 1040},
		readName("pread", "copy", "seq", "4KiB", "warm", "16MiB"): noisy,
		// Warm beyond the LLC, ×0.4 on only three samples: the U test cannot
		// reach p < 0.05 with three a side, so level.
		readName("mmap", "view", "seq", "1MiB", "warm", "256MiB"):  scaled(noisy[:3], 0.4),
		readName("pread", "copy", "seq", "1MiB", "warm", "256MiB"): noisy[:3],
	}
	c := claimOverhead(claim2Results(t, rows))
	ev := strings.Join(c.Evidence, "\n")
	if c.Verdict != DoesNotHold {
		t.Errorf("verdict %q, want %q: the only win is on a file read-around covers\n%s", c.Verdict, DoesNotHold, ev)
	}
	line := func(prefix string) string {
		for _, e := range c.Evidence {
			if strings.HasPrefix(e, prefix) {
				return e
			}
		}
		t.Fatalf("no evidence line %q in\n%s", prefix, ev)
		return ""
	}
	if l := line("losses: "); !strings.Contains(l, "cold, 32 read-ahead windows (256MiB): rand 4KiB") || !strings.Contains(l, "×4.60") {
		t.Errorf("the cold 256MiB loss is not listed: %s", l)
	}
	if l := line("level: "); !strings.Contains(l, "warm, file within the LLC (16MiB of 32MiB): seq 4KiB") || !strings.Contains(l, "warm, file 8× the LLC (256MiB): seq 1MiB") {
		t.Errorf("the overlapping and the three-sample cases are not level: %s", l)
	}
	if l := line("wins: "); l != "wins: none" {
		t.Errorf("%s; want none", l)
	}
	if l := line("not used"); !strings.Contains(l, coveredNote) || !strings.Contains(l, "16MiB") {
		t.Errorf("the covered case is not marked: %s", l)
	}
}

// TestClaimOverheadHoldsOnly: a win in one regime and a loss in another give
// "holds only when" naming both, with the regime in words.
func TestClaimOverheadHoldsOnly(t *testing.T) {
	rows := map[string][]float64{
		readName("mmap", "view", "rand", "4KiB", "warm", "256MiB"):  scaled(noisy, 0.4),
		readName("pread", "copy", "rand", "4KiB", "warm", "256MiB"): noisy,
		readName("mmap", "view", "rand", "4KiB", "cold", "256MiB"):  scaled(noisy, 4.6),
		readName("pread", "copy", "rand", "4KiB", "cold", "256MiB"): noisy,
	}
	c := claimOverhead(claim2Results(t, rows))
	if !strings.HasPrefix(c.Verdict, HoldsOnly+" warm, file 8× the LLC (256MiB): rand 4KiB reads ×0.40") ||
		!strings.Contains(c.Verdict, "mmap loses: cold, 32 read-ahead windows (256MiB): rand 4KiB reads ×4.60") {
		t.Errorf("verdict %q", c.Verdict)
	}
}

func TestMachineRegimes(t *testing.T) {
	m := machine{llc: 32 << 20, readAhead: 8 << 20}
	for _, tc := range []struct {
		cache string
		size  int64
		want  regime
	}{
		{"warm", 16 << 20, warmInLLC}, {"warm", 32 << 20, warmInLLC}, {"warm", 64 << 20, warmNearLLC},
		{"warm", 128 << 20, warmBeyondLLC}, {"cold", 16 << 20, coldCovered}, {"cold", 255 << 20, coldCovered},
		{"cold", 256 << 20, coldBeyondWindow},
	} {
		if got := m.regimeOf(tc.cache, tc.size); got != tc.want {
			t.Errorf("regimeOf(%s, %d) = %d, want %d", tc.cache, tc.size, got, tc.want)
		}
	}
	if r := (machine{}).regimeOf("warm", 1<<20); r.usable() {
		t.Errorf("without llc-size a warm row is usable")
	}
	if r := (machine{llc: 32 << 20, readAhead: -1}).regimeOf("cold", 1<<20); r != coldBeyondWindow {
		t.Errorf("no read-ahead (no block device): %d, want coldBeyondWindow", r)
	}
}

// TestMemmoveStepNamed: where a copy row's time per byte jumps from 512KiB
// to 1MiB blocks, the reads section names Go's memmove threshold; where it
// does not, it says nothing.
func TestMemmoveStepNamed(t *testing.T) {
	for _, tc := range []struct {
		at1MiB float64 // ns per 1MiB read; 512KiB reads take 40000 ns
		want   bool
	}{{117000, true}, {80000, false}} {
		rs := claim2Results(t, map[string][]float64{
			readName("mmap", "copy", "seq", "512KiB", "warm", "16MiB"): {40000, 40000, 40000},
			readName("mmap", "copy", "seq", "1MiB", "warm", "16MiB"):   {tc.at1MiB, tc.at1MiB, tc.at1MiB},
		})
		var b strings.Builder
		writeMemmoveStep(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }, rs)
		if got := strings.Contains(b.String(), "non-temporal stores at 1MiB"); got != tc.want {
			t.Errorf("1MiB read in %.0f ns: memmove note %v, want %v\n%s", tc.at1MiB, got, tc.want, b.String())
		}
	}
}

// TestCrossoverBreakEven: the break-even is the smallest size from which
// mmap does not lose, given that it wins at the largest; a level size at
// the boundary is inside it, a loss above it moves it up.
func TestCrossoverBreakEven(t *testing.T) {
	name := func(backend, size string) string { return "OpenRead/backend=" + backend + "/size=" + size }
	for _, tc := range []struct {
		ratios []float64 // mmap ÷ pread at 256KiB, 1MiB, 4MiB
		want   string
	}{
		{[]float64{1.25, 0.97, 0.6}, "1MiB"},
		{[]float64{1.25, 0.6, 0.6}, "1MiB"},
		{[]float64{0.97, 0.97, 0.6}, "256KiB"},
		{[]float64{0.6, 1.3, 0.6}, "4MiB"},
		{[]float64{0.6, 0.6, 0.97}, ""},
	} {
		rows := map[string][]float64{}
		for i, size := range []string{"256KiB", "1MiB", "4MiB"} {
			rows[name("pread", size)] = noisy
			rows[name("mmap", size)] = scaled(noisy, tc.ratios[i])
		}
		if got := crossover(claim2Results(t, rows)); got != tc.want {
			t.Errorf("ratios %v: break-even %q, want %q", tc.ratios, got, tc.want)
		}
	}
}
