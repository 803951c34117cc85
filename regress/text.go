package regress

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"
)

// WriteText prints the report as benchstat does, one table per unit with
// each center ± its 95% confidence interval, and the change with its
// p-value; then the rows' verdicts and a one-line verdict for the whole.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "old: %s\nnew: %s\n", r.Old, r.New)
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
		fmt.Fprintf(tw, "%s\told\tnew\tvs old\t\n", unitHeading(unit, r.Rows))
		for _, row := range r.Rows {
			if row.Unit != unit {
				continue
			}
			sc := benchunit.CommonScale([]float64{row.Old.Center, row.New.Center}, benchunit.ClassOf(unit))
			fmt.Fprintf(tw, "%s\t%s ± %s\t%s ± %s\t%s (%s)\t%s\n", row.Name,
				sc.Format(row.Old.Center), row.Old.PctRangeString(),
				sc.Format(row.New.Center), row.New.PctRangeString(),
				r.formatDelta(row), row.Cmp, markOf(row.Verdict))
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
// "regress: ok".
func (r *Report) Verdict() string {
	o := r.Options
	rule := fmt.Sprintf("by more than %s at p < %v", formatPct(o.Threshold), o.Alpha)
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
		return fmt.Sprintf("regress: ok: no row regressed %s (%d rows%s)", rule, len(r.Rows), tail)
	}
	worst := reg[0]
	for _, row := range reg[1:] {
		if math.Abs(row.Delta) > math.Abs(worst.Delta) {
			worst = row
		}
	}
	return fmt.Sprintf("regress: FAIL: %d of %d rows regressed %s; worst %s %s %+.1f%%%s",
		len(reg), len(r.Rows), rule, worst.Name, worst.Unit, 100*worst.Delta, tail)
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
