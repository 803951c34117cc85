package regress

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// Options are a comparison's thresholds. The zero value is not useful:
// start from [DefaultOptions].
type Options struct {
	// Threshold is the smallest relative change of a center, in the
	// worse direction, that counts as a regression: 0.05 is 5%.
	Threshold float64

	// Alpha is the significance level. Paired, a change counts only when
	// the confidence interval at 1 - Alpha of the median ratio lies
	// wholly beyond the threshold; unpaired, only when the Mann-Whitney U
	// test's p-value is below it.
	Alpha float64

	// Unpaired compares the sets as independent samples with the U test
	// even when they are paired (both from one -base run).
	Unpaired bool

	// Filter selects results and units in benchproc syntax, as
	// benchstat's -filter does; "" means every result.
	Filter string

	// Ignore lists configuration keys whose values may differ between
	// the two sets.
	Ignore []string
}

// DefaultOptions are the defaults for comparing two files: 5% at alpha
// 0.05. mmapbench regress -base has its own, calibrated ones.
var DefaultOptions = Options{Threshold: 0.05, Alpha: 0.05}

// The kinds of bad input. Compare wraps them with the details (which
// keys, which benchmark, how many samples), so errors.Is finds them.
var (
	ErrConfigDiffers  = errors.New("configurations differ")
	ErrNoCommon       = errors.New("no benchmark in common")
	ErrTooFewSamples  = errors.New("too few samples")
	ErrUnitsDisagree  = errors.New("unit directions disagree")
	ErrNothingMatches = errors.New("no result matches the filter")
)

// A Verdict is what the gate concludes about one row.
type Verdict int

const (
	Unchanged Verdict = iota // no change shown beyond the threshold
	Regressed                // worse by more than the threshold: paired, the whole interval; unpaired, the median at p < alpha
	Improved                 // better by more than the threshold, as Regressed
	NotGated                 // the unit has no known direction
)

func (v Verdict) String() string {
	switch v {
	case Regressed:
		return "regressed"
	case Improved:
		return "improved"
	case NotGated:
		return "no direction: not gated"
	}
	return ""
}

// A Row is one benchmark and unit present in both sets.
type Row struct {
	Name     string // the benchmark's full name, without "Benchmark"
	Unit     string // tidied: sec/op, B/s, ...
	Better   int    // -1 lower is better, +1 higher, 0 unknown
	Old, New benchmath.Summary
	Cmp      benchmath.Comparison // the U test; unpaired rows only
	Paired   *PairedRatio         // the paired ratio; paired rows only
	// Delta is the change the verdict is about: paired, the median ratio
	// minus 1; unpaired, New.Center/Old.Center - 1 (±Inf when
	// Old.Center is 0).
	Delta   float64
	Verdict Verdict
}

// A Report is the outcome of [Compare].
type Report struct {
	Old, New string   // the sets' names
	Options  Options  // as used, with the filter filled in
	Config   []string // the configuration both sets share, as "key: value"
	Paired   bool     // rows were decided on paired ratios
	Unpaired string   // when not paired, why: no pair lines, different runs, asked
	Rows     []Row    // in the order of the first set, then by unit
	OnlyOld  []string // benchmarks in the old set only
	OnlyNew  []string // benchmarks in the new set only
}

// Regressions returns the rows that regressed.
func (r *Report) Regressions() []Row { return r.with(Regressed) }

// Improvements returns the rows that improved.
func (r *Report) Improvements() []Row { return r.with(Improved) }

// NotGated returns the rows whose unit has no known direction.
func (r *Report) NotGated() []Row { return r.with(NotGated) }

func (r *Report) with(v Verdict) []Row {
	var rows []Row
	for _, row := range r.Rows {
		if row.Verdict == v {
			rows = append(rows, row)
		}
	}
	return rows
}

// MinSamples returns how many samples each side needs at alpha: one more
// than the fewest with which the U test can reach p < alpha at all. With n
// samples a side the smallest two-sided p is 2/C(2n, n): 0.1 at n=3,
// 0.029 at n=4, 0.0079 at n=5. At n=4 a single sample out of place makes
// p < 0.05 impossible; at n=5 two may be (p = 0.032), so the default
// alpha of 0.05 needs 5.
func MinSamples(alpha float64) int {
	for n := 1; ; n++ {
		if minP(n) < alpha {
			return n + 1
		}
	}
}

// minP is the smallest two-sided p-value of the U test with n samples a
// side: both samples entirely apart, 2 of the C(2n, n) orders.
func minP(n int) float64 {
	c := 1.0 // C(2n, n), built as the product of (n+i)/i
	for i := 1; i <= n; i++ {
		c = c * float64(n+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// Compare compares the new set against the old one. It returns an error,
// wrapping one of the Err values, when the sets cannot be compared.
func Compare(old, new *Set, opt Options) (*Report, error) {
	if opt.Filter == "" {
		opt.Filter = "*"
	}
	filter, err := benchproc.NewFilter(opt.Filter)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", opt.Filter, err)
	}
	if opt.Threshold < 0 || opt.Alpha <= 0 || opt.Alpha >= 1 {
		return nil, fmt.Errorf("threshold %v, alpha %v: want threshold >= 0 and 0 < alpha < 1", opt.Threshold, opt.Alpha)
	}
	rep := &Report{Old: old.Name, New: new.Name, Options: opt}
	if rep.Config, err = commonConfig(old, new, opt.Ignore); err != nil {
		return nil, err
	}
	units, err := mergeUnits(old.Units, new.Units)
	if err != nil {
		return nil, err
	}

	var parser benchproc.ProjectionParser
	rowBy, err := parser.Parse(".fullname", filter)
	if err != nil {
		return nil, err // cannot happen: a fixed projection
	}
	rep.Unpaired = pairing(old, new, opt)
	rep.Paired = rep.Unpaired == ""
	var order []cellKey
	var names [2]map[benchproc.Key]bool
	var paired map[cellKey]*pairedCell
	samples := [2]map[cellKey][]float64{{}, {}}
	if rep.Paired {
		order, paired, names, err = collectPaired([2]*Set{old, new}, filter, rowBy)
	} else {
		order, names, err = collect([2]*Set{old, new}, filter, rowBy, samples)
	}
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", opt.Filter, err)
	}
	for key := range names[0] {
		if !names[1][key] {
			rep.OnlyOld = append(rep.OnlyOld, key.StringValues())
		}
	}
	for key := range names[1] {
		if !names[0][key] {
			rep.OnlyNew = append(rep.OnlyNew, key.StringValues())
		}
	}
	slices.Sort(rep.OnlyOld)
	slices.Sort(rep.OnlyNew)
	if len(names[0]) == 0 || len(names[1]) == 0 {
		return nil, fmt.Errorf("%w %q: %d benchmarks of %s match, %d of %s", ErrNothingMatches, opt.Filter, len(names[0]), old.Name, len(names[1]), new.Name)
	}

	need := MinSamples(opt.Alpha)
	if rep.Paired {
		need = MinPairs(opt.Alpha)
	}
	var short []string
	thr := benchmath.Thresholds{CompareAlpha: opt.Alpha}
	for _, c := range order {
		var xs, ys []float64
		var pr *PairedRatio
		if rep.Paired {
			if len(paired[c].order) == 0 || len(paired[c].new) == 0 {
				continue // on one side only
			}
			var alone int
			xs, ys, alone = paired[c].pairs()
			if len(xs) >= need {
				r := pairedRatio(xs, ys, 1-opt.Alpha)
				r.Alone = alone
				pr = &r
			}
		} else {
			xs, ys = samples[0][c], samples[1][c]
			if len(ys) == 0 {
				continue // only in the old set: listed in OnlyOld, or a unit the new set lost
			}
		}
		name := c.key.StringValues()
		if len(xs) < need || len(ys) < need {
			if rep.Paired {
				short = append(short, fmt.Sprintf("%s %s: %d pairs", name, c.unit, len(xs)))
			} else {
				short = append(short, fmt.Sprintf("%s %s: %d old and %d new samples", name, c.unit, len(xs), len(ys)))
			}
			continue
		}
		row := compareRow(name, c.unit, xs, ys, units, &thr, opt)
		if pr != nil {
			row.Cmp = benchmath.Comparison{}
			row.Paired = pr
			row.Delta = pr.Median - 1
			row.Verdict = pairedVerdict(row.Better, *pr, opt.Threshold)
		}
		rep.Rows = append(rep.Rows, row)
	}
	if len(short) > 0 {
		const show = 5
		msg := strings.Join(short[:min(show, len(short))], "; ")
		if len(short) > show {
			msg += fmt.Sprintf("; and %d more", len(short)-show)
		}
		if rep.Paired {
			return nil, fmt.Errorf("%w: need %d pairs a row at alpha %v (the interval of the median ratio is unbounded with fewer): %s", ErrTooFewSamples, need, opt.Alpha, msg)
		}
		return nil, fmt.Errorf("%w: need %d per side at alpha %v (the U test cannot reach p < alpha with fewer): %s", ErrTooFewSamples, need, opt.Alpha, msg)
	}
	if len(rep.Rows) == 0 {
		return nil, fmt.Errorf("%w: %s has %s, %s has %s", ErrNoCommon, old.Name, someNames(rep.OnlyOld), new.Name, someNames(rep.OnlyNew))
	}
	return rep, nil
}

// A cellKey is one row: a benchmark and a unit.
type cellKey struct {
	key  benchproc.Key
	unit string
}

// collect is Compare's grouping for unpaired sets: each row's samples,
// rows in the order of the old set.
func collect(sets [2]*Set, filter *benchproc.Filter, rowBy *benchproc.Projection, samples [2]map[cellKey][]float64) (order []cellKey, names [2]map[benchproc.Key]bool, err error) {
	names = [2]map[benchproc.Key]bool{{}, {}}
	for side, set := range sets {
		for _, res := range set.Results {
			res = res.Clone() // Apply trims res.Values to the matching units
			if ok, err := filter.Apply(res); err != nil {
				return nil, names, err
			} else if !ok {
				continue
			}
			key := rowBy.Project(res)
			names[side][key] = true
			for _, v := range res.Values {
				c := cellKey{key, v.Unit}
				if _, seen := samples[0][c]; !seen && side == 0 {
					order = append(order, c)
				}
				samples[side][c] = append(samples[side][c], v.Value)
			}
		}
	}
	return order, names, nil
}

// compareRow summarizes and tests one row the way benchstat does: the
// unit's assumption (assume=exact or the default, nothing) picks the
// center (median) and the test (Mann-Whitney U).
func compareRow(name, unit string, xs, ys []float64, units benchfmt.UnitMetadataMap, thr *benchmath.Thresholds, opt Options) Row {
	a := units.GetAssumption(unit)
	s1, s2 := benchmath.NewSample(xs, thr), benchmath.NewSample(ys, thr)
	r := Row{Name: name, Unit: unit, Better: units.GetBetter(unit), Old: a.Summary(s1, 0.95), New: a.Summary(s2, 0.95), Cmp: a.Compare(s1, s2)}
	r.Cmp.Alpha = opt.Alpha // AssumeExact leaves it 0
	switch {
	case r.Old.Center == r.New.Center:
		r.Delta = 0
	case r.Old.Center == 0:
		r.Delta = math.Inf(int(math.Copysign(1, r.New.Center)))
	default:
		r.Delta = r.New.Center/r.Old.Center - 1
	}
	switch {
	case r.Better == 0:
		r.Verdict = NotGated
	case r.Cmp.P >= opt.Alpha || math.Abs(r.Delta) <= opt.Threshold:
		r.Verdict = Unchanged
	case r.Delta*float64(r.Better) < 0:
		r.Verdict = Regressed
	default:
		r.Verdict = Improved
	}
	return r
}

// commonConfig checks that both sets have the same file configuration,
// apart from the ignored keys, and returns it as "key: value" lines. A key
// that only one set has is a line the other's harness did not yet write
// (llc-size and bench-dir-fs came with later commits), not a sign of
// another machine: it is kept, marked with the side that has it, and does
// not stop the comparison. A key both have with different values does.
func commonConfig(old, new *Set, ignore []string) ([]string, error) {
	keys := map[string]bool{}
	for k := range old.Config {
		keys[k] = true
	}
	for k := range new.Config {
		keys[k] = true
	}
	var common, differ []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if k == PairKey || slices.Contains(ignore, k) {
			continue
		}
		a, b := slices.Sorted(slices.Values(old.Config[k])), slices.Sorted(slices.Values(new.Config[k]))
		switch {
		case len(a) == 0:
			common = append(common, k+": "+strings.Join(b, " | ")+" (new only)")
		case len(b) == 0:
			common = append(common, k+": "+strings.Join(a, " | ")+" (old only)")
		case slices.Equal(a, b) && len(a) == 1:
			common = append(common, k+": "+a[0])
		case slices.Equal(a, b):
			common = append(common, k+": "+strings.Join(a, " | "))
		default:
			differ = append(differ, fmt.Sprintf("%s (old %s, new %s)", k, configValues(a), configValues(b)))
		}
	}
	if len(differ) > 0 {
		return nil, fmt.Errorf("%w: %s; compare results of one machine and setup, or pass the keys to -ignore", ErrConfigDiffers, strings.Join(differ, ", "))
	}
	return common, nil
}

func configValues(vs []string) string {
	if len(vs) == 0 {
		return "unset"
	}
	return strconv.Quote(strings.Join(vs, " | "))
}

// mergeUnits combines the sets' unit metadata; the two may not disagree.
func mergeUnits(old, new benchfmt.UnitMetadataMap) (benchfmt.UnitMetadataMap, error) {
	m := benchfmt.UnitMetadataMap{}
	for k, v := range old {
		m[k] = v
	}
	for k, v := range new {
		if o, ok := m[k]; ok && o.Value != v.Value {
			return nil, fmt.Errorf("%w: unit %s has %s=%s in the old set and %s=%s in the new", ErrUnitsDisagree, k.Unit, k.Key, o.Value, k.Key, v.Value)
		}
		m[k] = v
	}
	return m, nil
}

func someNames(names []string) string {
	switch len(names) {
	case 0:
		return "none of its own"
	case 1:
		return names[0]
	}
	return fmt.Sprintf("%s and %d more", names[0], len(names)-1)
}
