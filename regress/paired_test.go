package regress

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// A crafting describes a crafted -base run: n pairs of one row, the mmap
// 4KiB read, 214ns an op, each pair slowed or sped by a drift both of its
// invocations share (log-normal, sd drift), each invocation with its own
// noise (sd noise), and the new side scaled by 1+shift.
type crafting struct {
	n                   int
	drift, noise, shift float64
	run                 string // the run's name in the pair lines
	seed                uint64
}

// sets writes the two files in Go benchmark format, with pair lines, and
// reads them back.
func (c crafting) sets(t *testing.T) (old, new *Set) {
	t.Helper()
	rng := rand.New(rand.NewPCG(c.seed, 15))
	var files [2]bytes.Buffer
	for i := range files {
		fmt.Fprintf(&files[i], "goos: linux\ngoarch: amd64\npkg: github.com/mmapbench/mmapbench/bench\n")
	}
	for k := range c.n {
		common := math.Exp(c.drift * rng.NormFloat64())
		for side := range files {
			ns := 214 * common * math.Exp(c.noise*rng.NormFloat64())
			if side == 1 {
				ns *= 1 + c.shift
			}
			if c.run != "" {
				fmt.Fprintf(&files[side], "pair: %s/%d\n", c.run, k)
			}
			fmt.Fprintf(&files[side], "BenchmarkRead/backend=mmap/bs=4KiB-2\t100000\t%.2f ns/op\t%.2f MB/s\n", ns, 4096/ns*1e3)
		}
	}
	var err error
	if old, err = Read(&files[0], "base.txt"); err != nil {
		t.Fatal(err)
	}
	if new, err = Read(&files[1], "head.txt"); err != nil {
		t.Fatal(err)
	}
	return old, new
}

// gate is the options the crafted pairs are judged with: -base's alpha
// and a 2% threshold.
var gate = Options{Threshold: 0.02, Alpha: 0.01}

func verdicts(rep *Report) string {
	var vs []string
	for _, r := range rep.Rows {
		vs = append(vs, r.Unit+" "+map[Verdict]string{Unchanged: "unchanged"}[r.Verdict]+r.Verdict.String())
	}
	return strings.Join(vs, ", ")
}

// TestPairedCatchesWhatUnpairedMisses: a 3% slowdown under 15% drift
// shared by the two invocations of a pair, 1% noise of their own.
func TestPairedCatchesWhatUnpairedMisses(t *testing.T) {
	old, new := crafting{n: 80, drift: 0.15, noise: 0.01, shift: 0.03, run: "r1", seed: 1}.sets(t)
	rep, err := Compare(old, new, gate)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Paired || verdicts(rep) != "sec/op regressed, B/s regressed" {
		t.Errorf("paired: %v, verdicts %s; want paired, both regressed\n%s", rep.Paired, verdicts(rep), rep.Verdict())
	}
	if r := rep.Rows[0].Paired; r.Pairs != 80 || math.Abs(r.Median-1.03) > 0.005 || r.Lo <= 1.02 || r.Hi < 1.03 {
		t.Errorf("sec/op paired ratio %+v, want 80 pairs, median about 1.03, interval above 1.02 and around 1.03", r)
	}
	if v := rep.Verdict(); !strings.HasPrefix(v, "regress: FAIL: paired: 2 of 2 rows regressed by more than 2%: the whole 99% interval of the median new/old of 80 pairs; worst Read/backend=mmap/bs=4KiB-2 sec/op +3.") {
		t.Errorf("verdict %q", v)
	}

	opt := gate
	opt.Unpaired = true
	rep, err = Compare(old, new, opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Paired || len(rep.Regressions()) != 0 || !strings.HasPrefix(rep.Verdict(), "regress: ok: unpaired: no row regressed by more than 2% at p < 0.01") {
		t.Errorf("unpaired: paired %v, %d regressions, verdict %q; want unpaired, none", rep.Paired, len(rep.Regressions()), rep.Verdict())
	}
}

func TestPairedIdenticalAndAA(t *testing.T) {
	for _, c := range []crafting{
		{n: 80, run: "same", seed: 2},                            // identical pairs: every ratio exactly 1
		{n: 80, drift: 0.15, noise: 0.01, run: "aa", seed: 3},    // A/A
		{n: 80, drift: 0.15, noise: 0.05, run: "aa", seed: 4},    // A/A, noisier
		{n: 9, drift: 0.15, noise: 0.01, run: "fewest", seed: 5}, // MinPairs(0.01)
	} {
		old, new := c.sets(t)
		rep, err := Compare(old, new, gate)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if !rep.Paired || verdicts(rep) != "sec/op unchanged, B/s unchanged" || !strings.HasPrefix(rep.Verdict(), "regress: ok: paired") {
			t.Errorf("%+v: paired %v, %s, %s", c, rep.Paired, verdicts(rep), rep.Verdict())
		}
		if c.drift == 0 {
			if r := rep.Rows[0].Paired; r.Median != 1 || r.Lo != 1 || r.Hi != 1 {
				t.Errorf("identical pairs: %+v, want median and interval exactly 1", r)
			}
		}
	}
}

// TestPairedImprovementNeverFails: 10% faster beyond a 2% threshold is an
// improvement, in both directions of unit, and the gate passes.
func TestPairedImprovementNeverFails(t *testing.T) {
	old, new := crafting{n: 80, drift: 0.15, noise: 0.01, shift: -0.10, run: "fast", seed: 6}.sets(t)
	rep, err := Compare(old, new, gate)
	if err != nil {
		t.Fatal(err)
	}
	if verdicts(rep) != "sec/op improved, B/s improved" || len(rep.Regressions()) != 0 || !strings.HasPrefix(rep.Verdict(), "regress: ok: paired") || !strings.Contains(rep.Verdict(), "2 improved") {
		t.Errorf("%s; %s", verdicts(rep), rep.Verdict())
	}
}

func TestPairing(t *testing.T) {
	a1, b1 := crafting{n: 20, drift: 0.1, noise: 0.01, run: "one", seed: 7}.sets(t)
	_, b2 := crafting{n: 20, drift: 0.1, noise: 0.01, run: "two", seed: 8}.sets(t)
	plainOld, plainNew := crafting{n: 20, drift: 0.1, noise: 0.01, seed: 9}.sets(t)
	for _, tc := range []struct {
		name     string
		old, new *Set
		unpaired string // "" paired
	}{
		{"one run", a1, b1, ""},
		{"two runs", a1, b2, "the files' pair lines come from different runs"},
		{"no pair lines", plainOld, plainNew, `base.txt has results without "pair" lines`},
		{"pair lines on one side", a1, plainNew, `head.txt has results without "pair" lines`},
		{"a pair twice", a1, a1.concat(a1), `has two results of Read/backend=mmap/bs=4KiB-2 in pair one/0`},
	} {
		rep, err := Compare(tc.old, tc.new, gate)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if rep.Paired != (tc.unpaired == "") || !strings.Contains(rep.Unpaired, tc.unpaired) {
			t.Errorf("%s: paired %v, unpaired %q; want %q", tc.name, rep.Paired, rep.Unpaired, tc.unpaired)
		}
		if !rep.Paired && !strings.Contains(rep.Verdict(), ": unpaired: ") {
			t.Errorf("%s: verdict %q does not say unpaired", tc.name, rep.Verdict())
		}
	}
}

// concat is a set with the results of s and then t.
func (s *Set) concat(t *Set) *Set {
	c := *s
	c.Name = s.Name + "+" + t.Name
	c.Results = append(c.Results[:len(c.Results):len(c.Results)], t.Results...)
	return &c
}

// TestPairedPartners: samples without a partner are left out, and a row
// with too few pairs is an error that says so.
func TestPairedPartners(t *testing.T) {
	old, new := crafting{n: 12, drift: 0.1, noise: 0.01, run: "p", seed: 10}.sets(t)
	new.Results = new.Results[:10]
	rep, err := Compare(old, new, gate)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Rows[0].Paired; r.Pairs != 10 || r.Alone != 2 {
		t.Errorf("pairs %d, alone %d; want 10 and 2", r.Pairs, r.Alone)
	}
	new.Results = new.Results[:8]
	_, err = Compare(old, new, gate)
	if !errors.Is(err, ErrTooFewSamples) || !strings.Contains(err.Error(), "need 9 pairs a row at alpha 0.01") || !strings.Contains(err.Error(), "sec/op: 8 pairs") {
		t.Errorf("8 pairs: %v, want too few samples naming 9 pairs needed and 8 had", err)
	}
}

func TestMinPairs(t *testing.T) {
	// The widest interval's confidence is 1 - 2·0.5ⁿ: 0.9375 at n=5,
	// 0.969 at 6, 0.984 at 7, 0.992 at 8.
	for alpha, want := range map[float64]int{0.1: 6, 0.05: 7, 0.01: 9} {
		if got := MinPairs(alpha); got != want {
			t.Errorf("MinPairs(%v) = %d, want %d", alpha, got, want)
		}
	}
}

// TestWriteTextPairedGolden checks the paired table against
// testdata/paired.golden.
func TestWriteTextPairedGolden(t *testing.T) {
	old, new := crafting{n: 20, drift: 0.15, noise: 0.01, shift: 0.05, run: "golden", seed: 11}.sets(t)
	rep, err := Compare(old, new, gate)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, rep, "testdata/paired.golden")
}
