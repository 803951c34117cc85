package report

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
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
	P      float64 // the U test's two-sided p-value
	N      int     // samples per side (the smaller)
}

// decide compares candidate against reference samples of a lower-is-better
// unit. The candidate wins when the U test says the sets differ (p < Alpha)
// and the ratio of medians is below 1/(1+Tie); it loses when they differ and
// the ratio is above 1+Tie; otherwise the case is level. A tie band alone
// decides nothing: with few or overlapping samples a 30% ratio is level.
func decide(candidate, reference []float64) Comparison {
	c := Comparison{Outcome: level, Ratio: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), P: 1, N: min(len(candidate), len(reference))}
	if c.N == 0 {
		return c
	}
	thr := benchmath.Thresholds{CompareAlpha: Alpha}
	a := benchmath.NewSample(slices.Clone(candidate), &thr)
	b := benchmath.NewSample(slices.Clone(reference), &thr)
	ma := benchmath.AssumeNothing.Summary(a, 0.95).Center
	mb := benchmath.AssumeNothing.Summary(b, 0.95).Center
	c.Ratio = ma / mb
	c.Lo, c.Hi = c.Ratio, c.Ratio
	if len(candidate) == len(reference) {
		c.Lo, c.Hi = math.Inf(1), math.Inf(-1)
		for i := range candidate {
			r := candidate[i] / reference[i]
			c.Lo, c.Hi = math.Min(c.Lo, r), math.Max(c.Hi, r)
		}
	}
	c.P = benchmath.AssumeNothing.Compare(a, b).P
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

// String is the ratio with its spread and the test: "×0.42 (0.39–0.47, p=0.008)".
func (c Comparison) String() string {
	if c.N == 0 {
		return "no samples"
	}
	if c.Lo == c.Hi {
		return fmt.Sprintf("×%.2f (p=%.3f)", c.Ratio, c.P)
	}
	return fmt.Sprintf("×%.2f (%.2f–%.2f, p=%.3f)", c.Ratio, c.Lo, c.Hi, c.P)
}
