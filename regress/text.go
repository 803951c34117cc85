package regress

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"
)

// WriteText prints the report as benchstat does, one table per unit with
// each center ± its 95% confidence interval; then, paired, the median
// ratio new/old of the pairs with its interval and the number of pairs,
// or, unpaired, the change with its p-value; the rows' verdicts; and a
// one-line verdict for the whole.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "old: %s\nnew: %s\n", r.Old, r.New)
	if !r.Paired {
		fmt.Fprintf(&b, "unpaired: %s\n", r.Unpaired)
	}
	for _, c := range r.Config {
		fmt.Fprintln(&b, c)
	}
	var units []string
	for _, row := range r.Rows {
		if !slices.Contains(units, row.Unit) {
			units = append(units, row.Unit)
		}
	}
	for _, unit := range units {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		if r.Paired {
			fmt.Fprintf(tw, "%s\told\tnew\tnew/old\t%s interval\tpairs\t\n", unitHeading(unit, r.Rows), r.confidence())
		} else {
			fmt.Fprintf(tw, "%s\told\tnew\tvs old\t\n", unitHeading(unit, r.Rows))
		}
		for _, row := range r.Rows {
			if row.Unit != unit {
				continue
			}
			sc := benchunit.CommonScale([]float64{row.Old.Center, row.New.Center}, benchunit.ClassOf(unit))
			fmt.Fprintf(tw, "%s\t%s ± %s\t%s ± %s\t", row.Name,
				sc.Format(row.Old.Center), row.Old.PctRangeString(),
				sc.Format(row.New.Center), row.New.PctRangeString())
			if p := row.Paired; p != nil {
				fmt.Fprintf(tw, "%s\t%s – %s\t%d\t%s\n", formatRatio(p.Median), formatRatio(p.Lo), formatRatio(p.Hi), p.Pairs, markOf(row.Verdict))
			} else {
				fmt.Fprintf(tw, "%s (%s)\t%s\n", r.formatDelta(row), row.Cmp, markOf(row.Verdict))
			}
		}
		tw.Flush()
	}
	if len(r.OnlyOld) > 0 {
		fmt.Fprintf(&b, "\nonly in old, not compared: %s\n", strings.Join(r.OnlyOld, ", "))
	}
	if len(r.OnlyNew) > 0 {
		fmt.Fprintf(&b, "\nonly in new, not compared: %s\n", strings.Join(r.OnlyNew, ", "))
	}
	fmt.Fprintf(&b, "\n%s\n", r.Verdict())
	// The last column is often empty: drop the padding tabwriter left.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// Verdict is the report in one line, starting with "regress: FAIL" or
// "regress: ok", then "paired" or "unpaired" and the rule.
func (r *Report) Verdict() string {
	o := r.Options
	kind := "unpaired: %s by more than " + formatPct(o.Threshold) + fmt.Sprintf(" at p < %v", o.Alpha)
	if r.Paired {
		lo, hi := r.pairCounts()
		pairs := fmt.Sprintf("%d", lo)
		if hi != lo {
			pairs = fmt.Sprintf("%d to %d", lo, hi)
		}
		kind = "paired: %s by more than " + formatPct(o.Threshold) + ": the whole " + r.confidence() + " interval of the median new/old of " + pairs + " pairs"
	}
	var notes []string
	if n := len(r.Improvements()); n > 0 {
		notes = append(notes, fmt.Sprintf("%d improved", n))
	}
	if ng := r.NotGated(); len(ng) > 0 {
		var units []string
		for _, row := range ng {
			if !slices.Contains(units, row.Unit) {
				units = append(units, row.Unit)
			}
		}
		notes = append(notes, fmt.Sprintf("%d not gated, no direction known for %s", len(ng), strings.Join(units, ", ")))
	}
	tail := ""
	if len(notes) > 0 {
		tail = "; " + strings.Join(notes, "; ")
	}
	reg := r.Regressions()
	if len(reg) == 0 {
		return "regress: ok: " + strings.Replace(kind, "%s", "no row regressed", 1) + fmt.Sprintf(" (%d rows%s)", len(r.Rows), tail)
	}
	worst := reg[0]
	for _, row := range reg[1:] {
		if math.Abs(row.Delta) > math.Abs(worst.Delta) {
			worst = row
		}
	}
	how := fmt.Sprintf("%+.1f%%", 100*worst.Delta)
	if p := worst.Paired; p != nil {
		how += fmt.Sprintf(" [%+.1f%%, %+.1f%%]", 100*(p.Lo-1), 100*(p.Hi-1))
	}
	return "regress: FAIL: " + strings.Replace(kind, "%s", fmt.Sprintf("%d of %d rows regressed", len(reg), len(r.Rows)), 1) +
		fmt.Sprintf("; worst %s %s %s%s", worst.Name, worst.Unit, how, tail)
}

// confidence is the paired intervals' nominal level, as "99%".
func (r *Report) confidence() string {
	return strconv.FormatFloat(100*(1-r.Options.Alpha), 'f', -1, 64) + "%"
}

// pairCounts returns the fewest and most pairs of a paired row.
func (r *Report) pairCounts() (lo, hi int) {
	for i, row := range r.Rows {
		if row.Paired == nil {
			continue
		}
		if n := row.Paired.Pairs; i == 0 || n < lo {
			lo = n
		}
		hi = max(hi, row.Paired.Pairs)
	}
	return lo, hi
}

// formatRatio prints a ratio with three decimals, ∞ when unbounded.
func formatRatio(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "∞"
	case math.IsInf(x, -1):
		return "-∞"
	}
	return fmt.Sprintf("%.3f", x)
}

// formatDelta is benchmath's Comparison.FormatDelta with the gate's
// boundary: "~" unless p < alpha.
func (r *Report) formatDelta(row Row) string {
	switch {
	case row.Cmp.P >= r.Options.Alpha:
		return "~"
	case row.Delta == 0:
		return "0.00%"
	}
	return fmt.Sprintf("%+.2f%%", 100*row.Delta)
}

func unitHeading(unit string, rows []Row) string {
	for _, row := range rows {
		if row.Unit == unit {
			switch row.Better {
			case -1:
				return unit + " (lower is better)"
			case 1:
				return unit + " (higher is better)"
			}
			return unit + " (direction unknown)"
		}
	}
	return unit
}

func markOf(v Verdict) string {
	switch v {
	case Regressed:
		return "REGRESSED"
	case Improved:
		return "improved"
	case NotGated:
		return "not gated"
	}
	return ""
}

func formatPct(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", 100*f), "0"), ".") + "%"
}
