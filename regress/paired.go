package regress

import (
	"fmt"
	"math"
	"slices"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// PairKey is the configuration key that [Run] writes before each
// invocation's output: "pair: <run>/<k>", where run names the -base run
// and k counts its ABBA pairs. The k-th pair holds one base and one head
// invocation run one after the other, so the two share the machine's
// drift. [Compare] pairs a row's samples by this value, and leaves the key
// out of the configuration the two files must share. benchstat would
// split its tables by it: pass it -ignore pair.
const PairKey = "pair"

// pairOf returns a result's pair value, "" when it has none.
func pairOf(res *benchfmt.Result) string {
	return string(res.GetConfig(PairKey))
}

// pairing decides whether two sets are compared paired: both come from
// one -base run, every result carries a pair value, and within each set a
// row has one sample per pair. It returns "" when they are paired, or why
// not.
func pairing(old, new *Set, opt Options) string {
	if opt.Unpaired {
		return "unpaired as asked"
	}
	runs := [2]map[string]bool{{}, {}}
	for side, set := range []*Set{old, new} {
		seen := map[string]bool{}
		for _, res := range set.Results {
			p := pairOf(res)
			if p == "" {
				return fmt.Sprintf("%s has results without %q lines", set.Name, PairKey)
			}
			key := p + "\x00" + string(res.Name)
			if seen[key] {
				return fmt.Sprintf("%s has two results of %s in pair %s", set.Name, res.Name, p)
			}
			seen[key] = true
			run, _, _ := cutLast(p, "/")
			runs[side][run] = true
		}
	}
	for run := range runs[0] {
		if runs[1][run] {
			return ""
		}
	}
	return "the files' pair lines come from different runs"
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// pairedCell is one row's samples, by pair value, in file order.
type pairedCell struct {
	order    []string // pair values in the old set's order
	old, new map[string]float64
}

// pairs returns the row's (old, new) values of the pairs both sides have,
// in the old set's order, and how many samples had no partner.
func (c *pairedCell) pairs() (xs, ys []float64, alone int) {
	for _, p := range c.order {
		if y, ok := c.new[p]; ok {
			xs, ys = append(xs, c.old[p]), append(ys, y)
		}
	}
	return xs, ys, len(c.old) + len(c.new) - 2*len(xs)
}

// collectPaired is Compare's grouping for paired sets: per row and unit,
// the value of each pair.
func collectPaired(sets [2]*Set, filter *benchproc.Filter, rowBy *benchproc.Projection) (order []cellKey, cells map[cellKey]*pairedCell, names [2]map[benchproc.Key]bool, err error) {
	cells = map[cellKey]*pairedCell{}
	names = [2]map[benchproc.Key]bool{{}, {}}
	for side, set := range sets {
		for _, res := range set.Results {
			res = res.Clone() // Apply trims res.Values to the matching units
			if ok, err := filter.Apply(res); err != nil {
				return nil, nil, names, err
			} else if !ok {
				continue
			}
			key := rowBy.Project(res)
			names[side][key] = true
			p := pairOf(res)
			for _, v := range res.Values {
				c := cellKey{key, v.Unit}
				pc := cells[c]
				if pc == nil {
					pc = &pairedCell{old: map[string]float64{}, new: map[string]float64{}}
					cells[c] = pc
					order = append(order, c)
				}
				if side == 0 {
					pc.order = append(pc.order, p)
					pc.old[p] = v.Value
				} else {
					pc.new[p] = v.Value
				}
			}
		}
	}
	return order, cells, names, nil
}

// MinPairs returns how many pairs a row needs at alpha: one more than the
// fewest with which the sign-test interval at 1 − alpha is finite at all.
// With n pairs the widest interval, from the smallest ratio to the
// largest, has confidence 1 − 2·0.5ⁿ: 0.969 at n=6, 0.992 at n=8, so 7
// pairs at alpha 0.05 and 9 at 0.01.
func MinPairs(alpha float64) int {
	for n := 1; ; n++ {
		ci := stats.QuantileCI(n, 0.5, 1-alpha)
		if ci.LoOrder >= 1 && ci.HiOrder <= n {
			return n + 1
		}
	}
}

// A PairedRatio is a row's paired comparison: the median of the ratios
// new ÷ old of its pairs and the distribution-free confidence interval of
// that median from the order statistics of the ratios (the interval of the
// sign test), at the confidence asked for or just above.
type PairedRatio struct {
	Pairs      int
	Alone      int // samples with no partner on the other side, not used
	Median     float64
	Lo, Hi     float64
	Confidence float64 // the interval's actual confidence, >= 1 - alpha
}

// pairedRatio computes the ratios' median and interval. The ratios are
// taken as logarithms, so that the median of an even count is a
// geometric mean of the middle two; the order statistics are the same.
// A pair of zeros (no allocations either side) is a ratio of 1.
func pairedRatio(xs, ys []float64, confidence float64) PairedRatio {
	logs := make([]float64, len(xs))
	for i := range xs {
		switch {
		case xs[i] == ys[i]:
			logs[i] = 0
		default:
			logs[i] = math.Log(ys[i] / xs[i]) // ±Inf when one side is 0
		}
	}
	slices.Sort(logs)
	ci := stats.QuantileCI(len(logs), 0.5, confidence)
	med, lo, hi := ci.SampleCI(stats.Sample{Xs: logs, Sorted: true})
	if math.IsNaN(med) { // the middle two are -Inf and +Inf
		med = 0
	}
	return PairedRatio{Pairs: len(logs), Median: math.Exp(med), Lo: math.Exp(lo), Hi: math.Exp(hi), Confidence: ci.Confidence}
}

// pairedVerdict decides a row from its interval: regressed when the whole
// interval lies beyond the threshold in the worse direction, improved when
// it lies wholly beyond it in the better one.
func pairedVerdict(better int, pr PairedRatio, threshold float64) Verdict {
	up, down := pr.Lo > 1+threshold, pr.Hi < 1-threshold
	switch {
	case better == 0:
		return NotGated
	case better < 0 && up, better > 0 && down:
		return Regressed
	case better < 0 && down, better > 0 && up:
		return Improved
	}
	return Unchanged
}
