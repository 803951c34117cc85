package regress

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchmath"
)

// The simulation behind the choice of interval (doc.go): gates of as many
// pairs as the A/A files have (200, -base's default), at alpha 0.01 and a
// 2% threshold, the noise of the pairs drawn from a real A/A run of the
// gated mmap row on the project's VM (testdata/aa-mmap-base.txt and
// aa-mmap-head.txt, five -base runs' files cut to that row), or from a
// normal distribution of the same spread.

// aaRuns returns the A/A runs' values, run by run and pair by pair, as
// logarithms.
func aaRuns(t *testing.T) (base, head [][]float64) {
	t.Helper()
	old, err := ReadFile("testdata/aa-mmap-base.txt")
	if err != nil {
		t.Fatal(err)
	}
	new, err := ReadFile("testdata/aa-mmap-head.txt")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Compare(old, new, Options{Threshold: 0.02, Alpha: 0.01, Filter: ".unit:sec/op"})
	if err != nil || !rep.Paired || len(rep.Rows) != 1 {
		t.Fatalf("the A/A files: %v, %+v", err, rep)
	}
	byPair := map[string]float64{}
	for _, r := range new.Results {
		byPair[pairOf(r)] = math.Log(r.Values[0].Value)
	}
	runOf := map[string]int{}
	for _, r := range old.Results {
		h, ok := byPair[pairOf(r)]
		if !ok {
			continue
		}
		run, _, _ := cutLast(pairOf(r), "/")
		i, seen := runOf[run]
		if !seen {
			i = len(base)
			runOf[run] = i
			base, head = append(base, nil), append(head, nil)
		}
		base[i], head[i] = append(base[i], math.Log(r.Values[0].Value)), append(head[i], h)
	}
	return base, head
}

// A method decides a gate from its pairs' log values: did it fail?
type method struct {
	name string
	fail func(base, head []float64) bool
}

var simMethods = []method{
	{"sign-test interval", func(base, head []float64) bool {
		xs, ys := exps(base), exps(head)
		return pairedVerdict(-1, pairedRatio(xs, ys, 0.99), 0.02) == Regressed
	}},
	{"sign, benchstat rule", func(base, head []float64) bool {
		// The same interval with the U test's rule: any change shown
		// (the interval excludes 1) and the median ratio beyond 2%.
		pr := pairedRatio(exps(base), exps(head), 0.99)
		return pr.Lo > 1 && pr.Median > 1.02
	}},
	{"sign, threshold 1%", func(base, head []float64) bool {
		return pairedVerdict(-1, pairedRatio(exps(base), exps(head), 0.99), 0.01) == Regressed
	}},
	{"sign, threshold 0", func(base, head []float64) bool {
		return pairedVerdict(-1, pairedRatio(exps(base), exps(head), 0.99), 0) == Regressed
	}},
	{"paired t interval", func(base, head []float64) bool {
		d := make([]float64, len(base))
		for i := range d {
			d[i] = head[i] - base[i]
		}
		mean, sd := stats.Mean(d), stats.StdDev(d)
		q := stats.InvCDF(stats.TDist{V: float64(len(d) - 1)})(0.995)
		return mean-q*sd/math.Sqrt(float64(len(d))) > math.Log(1.02)
	}},
	{"unpaired U test", func(base, head []float64) bool {
		thr := &benchmath.Thresholds{CompareAlpha: 0.01}
		s1, s2 := benchmath.NewSample(exps(base), thr), benchmath.NewSample(exps(head), thr)
		c := benchmath.AssumeNothing.Compare(s1, s2)
		m1, m2 := benchmath.AssumeNothing.Summary(s1, 0.95).Center, benchmath.AssumeNothing.Summary(s2, 0.95).Center
		return c.P < 0.01 && m2/m1-1 > 0.02
	}},
}

// correlation is Pearson's r of xs and ys.
func correlation(xs, ys []float64) float64 {
	mx, my := stats.Mean(xs), stats.Mean(ys)
	var sxy, sxx, syy float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
		syy += (ys[i] - my) * (ys[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func exps(xs []float64) []float64 {
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = math.Exp(x)
	}
	return ys
}

// simulate returns, per method, how many of runs gates failed when the
// head is slower by shift. draw makes one gate's pairs.
func simulate(runs int, shift float64, seed uint64, draw func(rng *rand.Rand) (base, head []float64)) []int {
	rng := rand.New(rand.NewPCG(seed, 1))
	fails := make([]int, len(simMethods))
	for range runs {
		base, head := draw(rng)
		for i := range head {
			head[i] += math.Log1p(shift)
		}
		for m, me := range simMethods {
			if me.fail(base, head) {
				fails[m]++
			}
		}
	}
	return fails
}

// TestIntervalChoice prints the figures doc.go quotes and checks the
// properties the choice rests on: every method keeps its false alarms
// near alpha, and on this machine's measured noise the sign-test interval
// catches at least about as much as the paired t. It also records what
// the rule costs: asking the whole interval to lie beyond the threshold
// catches less than the U test's rule (any change shown, the median
// beyond it) at the same threshold, which is why the threshold is chosen
// from real runs.
func TestIntervalChoice(t *testing.T) {
	aaBase, aaHead := aaRuns(t)
	var ratios, pooled, all [2][]float64 // A/A log ratios, every invocation's log value, each side
	for r := range aaBase {
		for i := range aaBase[r] {
			ratios[0] = append(ratios[0], aaHead[r][i]-aaBase[r][i])
			pooled[0] = append(pooled[0], aaBase[r][i], aaHead[r][i])
			all[0], all[1] = append(all[0], aaBase[r][i]), append(all[1], aaHead[r][i])
		}
	}
	n := len(aaBase[0])
	sd := stats.StdDev(ratios[0])
	center := stats.Mean(pooled[0])
	t.Logf("A/A of the mmap row: %d runs of %d pairs, sd of log value %.3f, of log ratio %.3f; correlation of a pair's two %.2f",
		len(aaBase), n, stats.StdDev(pooled[0]), sd, correlation(all[0], all[1]))

	models := []struct {
		name string
		draw func(rng *rand.Rand) (base, head []float64)
	}{
		// One of the measured runs, each pair at random either way
		// round (A/A pairs are exchangeable): the machine's noise as
		// it was, run by run.
		{"measured pairs", func(rng *rand.Rand) (base, head []float64) {
			r := rng.IntN(len(aaBase))
			for k := range aaBase[r] {
				b, h := aaBase[r][k], aaHead[r][k]
				if rng.IntN(2) == 0 {
					b, h = h, b
				}
				base, head = append(base, b), append(head, h)
			}
			return base, head
		}},
		// Normal log ratios of the measured spread, with 15% drift shared
		// by a pair.
		{"normal, same spread", func(rng *rand.Rand) (base, head []float64) {
			for range n {
				common := center + 0.15*rng.NormFloat64()
				base = append(base, common+sd/math.Sqrt2*rng.NormFloat64())
				head = append(head, common+sd/math.Sqrt2*rng.NormFloat64())
			}
			return base, head
		}},
	}
	const runs = 1000
	shifts := []float64{0, 0.03, 0.05, 0.10, 0.20, 0.30, 0.50}
	var table strings.Builder
	fmt.Fprintf(&table, "%-20s %-22s", "noise", "method")
	for _, s := range shifts {
		fmt.Fprintf(&table, " %8s", fmt.Sprintf("+%g%%", 100*s))
	}
	table.WriteString("\n")
	caught := map[string][]int{}
	for mi, m := range models {
		rows := make([][]int, len(simMethods))
		for si, s := range shifts {
			fails := simulate(runs, s, uint64(100*mi+si), m.draw)
			for k := range simMethods {
				rows[k] = append(rows[k], fails[k])
			}
		}
		for k, me := range simMethods {
			fmt.Fprintf(&table, "%-20s %-22s", m.name, me.name)
			for _, f := range rows[k] {
				fmt.Fprintf(&table, " %7.1f%%", 100*float64(f)/runs)
			}
			table.WriteString("\n")
			caught[m.name+"/"+me.name] = rows[k]
		}
	}
	t.Logf("share of %d gates of %d pairs failed (alpha 0.01, threshold 2%%), by the head's slowdown:\n%s", runs, n, table.String())

	// False alarms: with 1000 gates, 1% is 10 ± 3; allow 2%.
	for name, rows := range caught {
		if rows[0] > 2*runs/100 {
			t.Errorf("%s: %d of %d A/A gates failed, want at most 2%%", name, rows[0], runs)
		}
	}
	// On the measured noise the sign interval catches at least about as
	// much as the paired t at every shift from 5% (a twentieth of the
	// runs of slack).
	sign := caught["measured pairs/sign-test interval"]
	for si := 2; si < len(shifts); si++ {
		if tt := caught["measured pairs/paired t interval"][si]; sign[si] < tt-runs/20 {
			t.Errorf("at +%g%% the sign interval caught %d, the paired t %d", 100*shifts[si], sign[si], tt)
		}
	}
	if !slices.IsSorted(sign) {
		t.Errorf("the sign interval's catches do not grow with the shift: %v", sign)
	}
}
