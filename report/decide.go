package report

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchmath"

	"github.com/mmapbench/mmapbench/schema"
)

// Alpha is the significance level of the report's decisions: the gate's own
// test (benchmath's Mann-Whitney U, as benchstat runs it) must give p < Alpha
// before a difference of medians counts.
const Alpha = 0.05

// A Comparison is the decision on one case: a candidate's samples (mmap)
// against a reference's (pread), for a unit where lower is better.
type Comparison struct {
	Outcome outcome
	Ratio   float64 // median(candidate) ÷ median(reference)
	// Lo and Hi are the smallest and largest per-sample ratio when the two
	// sample sets pair up (the same length: make bench's samples come from
	// interleaved invocations, the i-th of each from the same one); else
	// they equal Ratio.
	Lo, Hi float64
	P      float64 // the test's two-sided p-value
	Test   string  // "paired t" or "U"
	N      int     // samples per side (the smaller)
}

// testWords says in a rule's words what decide tests.
const testWords = "the test (a paired t-test on the log ratios of the i-th samples when the sets pair up, as make bench's interleaved invocations make them; else benchmath's U test) gives p < Alpha"

// minPaired is the fewest pairs decided by the paired test; fewer are
// decided by the U test, which cannot reach p < 0.05 below 4 a side.
const minPaired = 5

// decide compares candidate against reference samples of a lower-is-better
// unit. The candidate wins when the test says they differ (p < Alpha) and
// the ratio of medians is below 1/(1+Tie); it loses when they differ and
// the ratio is above 1+Tie; otherwise the case is level. A tie band alone
// decides nothing: with few or overlapping samples a 30% ratio is level.
//
// The test: when the samples pair up (the same number, at least
// minPaired: make bench's i-th samples of every row come from its i-th
// invocation), a two-sided t-test that the mean log ratio of the pairs is
// 0; otherwise benchmath's Mann-Whitney U test, as benchstat runs it. The
// pairs carry what the U test throws away: this VM drifts by 10–20%
// between invocations, and whole invocations move together. In three
// make verdicts runs on the development VM (2026-12-01), BenchmarkWriteSync
// mmap ÷ pread had every per-invocation ratio between 1.15 and 1.58 in one
// run, yet the U test on the unpaired sets gave p = 0.056 (level) there and
// p = 0.008 (a loss) in the other two: the verdict flipped on the drift,
// not on the case.
func decide(candidate, reference []float64) Comparison {
	c := Comparison{Outcome: level, Ratio: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), P: 1, N: min(len(candidate), len(reference))}
	if c.N == 0 {
		return c
	}
	thr := benchmath.Thresholds{CompareAlpha: Alpha}
	a := benchmath.NewSample(slices.Clone(candidate), &thr)
	b := benchmath.NewSample(slices.Clone(reference), &thr)
	c.Ratio = center(candidate) / center(reference)
	c.Lo, c.Hi = c.Ratio, c.Ratio
	if len(candidate) == len(reference) {
		c.Lo, c.Hi = math.Inf(1), math.Inf(-1)
		for i := range candidate {
			r := candidate[i] / reference[i]
			c.Lo, c.Hi = math.Min(c.Lo, r), math.Max(c.Hi, r)
		}
	}
	if len(candidate) == len(reference) && c.N >= minPaired {
		c.Test, c.P = "paired t", pairedP(candidate, reference)
	} else {
		c.Test, c.P = "U", benchmath.AssumeNothing.Compare(a, b).P
	}
	if c.P < Alpha {
		switch {
		case c.Ratio < 1/(1+Tie):
			c.Outcome = win
		case c.Ratio > 1+Tie:
			c.Outcome = lose
		}
	}
	return c
}

// pairedP is the two-sided p-value of a one-sample t-test that the log
// ratios candidate[i]/reference[i] have mean 0. Pairs that are all the same
// ratio have no variance: p is 0 unless that ratio is 1.
func pairedP(candidate, reference []float64) float64 {
	logs := make([]float64, len(candidate))
	for i := range candidate {
		logs[i] = math.Log(candidate[i] / reference[i])
	}
	res, err := stats.OneSampleTTest(stats.Sample{Xs: logs}, 0, stats.LocationDiffers)
	switch {
	case errors.Is(err, stats.ErrZeroVariance):
		if logs[0] == 0 {
			return 1
		}
		return 0
	case err != nil:
		return 1
	}
	return res.P
}

// center is benchstat's center of xs, as Row.Median computes it.
var center = schema.Center

// words says what the comparison decided, for evidence: "3.10× faster",
// "1.35× slower" or "level".
func (c Comparison) words() string {
	switch c.Outcome {
	case win:
		return fmt.Sprintf("%.2f× faster", 1/c.Ratio)
	case lose:
		return fmt.Sprintf("%.2f× slower", c.Ratio)
	}
	return "level"
}

// String is the ratio with its spread and the test: "×0.42 (0.39–0.47, p=0.008)".
func (c Comparison) String() string {
	if c.N == 0 {
		return "no samples"
	}
	if c.Lo == c.Hi {
		return fmt.Sprintf("×%.2f (%s p=%.3f)", c.Ratio, c.Test, c.P)
	}
	return fmt.Sprintf("×%.2f (%.2f–%.2f, %s p=%.3f)", c.Ratio, c.Lo, c.Hi, c.Test, c.P)
}
