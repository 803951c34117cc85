package bench

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

func TestUnitsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, u := range Units() {
		if u.Unit == "" || strings.IndexFunc(u.Unit, unicode.IsSpace) >= 0 {
			t.Errorf("unit %q: empty or contains white space (ReportMetric panics)", u.Unit)
		}
		if seen[u.Unit] {
			t.Errorf("unit %q listed twice", u.Unit)
		}
		seen[u.Unit] = true
		if u.Better != "lower" && u.Better != "higher" {
			t.Errorf("unit %q: Better = %q; want lower or higher", u.Unit, u.Better)
		}
		if u.Desc == "" {
			t.Errorf("unit %q: no description", u.Unit)
		}
	}
}

// TestUnitsNotTidied proves that benchstat keeps each unit's name for zero
// and non-zero values alike. The benchfmt reader stores the tidied unit
// only when benchunit.Tidy changes the value, so a unit that Tidy rewrites
// ends up under two names when some samples are zero.
func TestUnitsNotTidied(t *testing.T) {
	for _, u := range Units() {
		for _, v := range []float64{0, 1.5, 1e-7, 12345} {
			tv, tu := benchunit.Tidy(v, u.Unit)
			if tu != u.Unit || tv != v {
				t.Errorf("benchunit.Tidy(%v, %q) = %v, %q; want it unchanged", v, u.Unit, tv, tu)
			}
		}
		if got := unitsAsRead(t, u.Unit); got != u.Unit+","+u.Unit {
			t.Errorf("benchfmt read zero and non-zero %q as units %s; want the same unit for both", u.Unit, got)
		}
	}

	// The check above must be able to fail: an "ns" token is rewritten,
	// and only for the non-zero sample.
	if got := unitsAsRead(t, "sys-ns/op"); got != "sys-ns/op,sys-sec/op" {
		t.Fatalf("benchfmt read zero and non-zero sys-ns/op as %s; the split this test guards against no longer happens", got)
	}
}

// unitsAsRead parses a zero and a non-zero sample of unit with benchfmt and
// returns the two units it reports, comma-separated.
func unitsAsRead(t *testing.T, unit string) string {
	t.Helper()
	in := fmt.Sprintf("BenchmarkX 10 0 %s\nBenchmarkX 10 2.5 %s\n", unit, unit)
	r := benchfmt.NewReader(strings.NewReader(in), "test")
	var got []string
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			t.Fatalf("benchfmt.Reader.Result() = %v; want *benchfmt.Result", r.Result())
		}
		got = append(got, res.Values[0].Unit)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("benchfmt.Reader.Err() = %v", err)
	}
	return strings.Join(got, ",")
}

func TestWriteUnitLines(t *testing.T) {
	var sb strings.Builder
	if err := WriteUnitLines(&sb); err != nil {
		t.Fatalf("WriteUnitLines: %v", err)
	}
	// Follow the unit lines with a result, as in real output.
	sb.WriteString("BenchmarkX 10 1 minflt/op\n")
	r := benchfmt.NewReader(strings.NewReader(sb.String()), "units")
	for r.Scan() {
		if err, ok := r.Result().(*benchfmt.SyntaxError); ok {
			t.Fatalf("benchfmt.Reader on WriteUnitLines output: %v\n%s", err, sb.String())
		}
	}
	if err := r.Err(); err != nil {
		t.Fatalf("benchfmt.Reader.Err() = %v", err)
	}
	meta := r.Units()
	for _, u := range Units() {
		want := map[string]int{"lower": -1, "higher": 1}[u.Better]
		if got := meta.GetBetter(u.Unit); got != want {
			t.Errorf("after WriteUnitLines, GetBetter(%q) = %d; want %d", u.Unit, got, want)
		}
	}
	if len(meta) != len(Units()) {
		t.Errorf("WriteUnitLines produced %d metadata entries; want %d\n%s", len(meta), len(Units()), sb.String())
	}
}

func TestUnitsReturnsCopy(t *testing.T) {
	u := Units()
	u[0].Unit = "changed"
	if Units()[0].Unit == "changed" {
		t.Fatalf("Units() returned the package table, not a copy")
	}
}
