package schema

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

func TestUnitsWellFormed(t *testing.T) {
	seen := map[Unit]bool{}
	for _, u := range Units() {
		if u.Unit == "" || strings.IndexFunc(string(u.Unit), unicode.IsSpace) >= 0 {
			t.Errorf("unit %q: empty or contains white space (ReportMetric panics)", u.Unit)
		}
		if seen[u.Unit] {
			t.Errorf("unit %q listed twice", u.Unit)
		}
		seen[u.Unit] = true
		if u.Better != LowerIsBetter && u.Better != HigherIsBetter {
			t.Errorf("unit %q: Better = %v; want lower or higher", u.Unit, u.Better)
		}
		if u.Meaning == "" {
			t.Errorf("unit %q: no meaning", u.Unit)
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
			tv, tu := benchunit.Tidy(v, string(u.Unit))
			if tu != string(u.Unit) || tv != v {
				t.Errorf("benchunit.Tidy(%v, %q) = %v, %q; want it unchanged", v, u.Unit, tv, tu)
			}
		}
		if got := unitsAsRead(t, string(u.Unit)); got != string(u.Unit)+","+string(u.Unit) {
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

// The Unit lines read back, through benchfmt and through Read, as the
// registry's directions.
func TestWriteUnitLinesReadBack(t *testing.T) {
	var sb strings.Builder
	all := make([]Unit, 0, len(registry))
	for _, u := range Units() {
		all = append(all, u.Unit)
	}
	if err := WriteUnitLines(&sb, all...); err != nil {
		t.Fatalf("WriteUnitLines: %v", err)
	}
	if n := strings.Count(sb.String(), "\n"); n != len(all) {
		t.Errorf("WriteUnitLines wrote %d lines for %d units:\n%s", n, len(all), sb.String())
	}
	sb.WriteString("BenchmarkX 10 1 minflt/op\n")
	rs, err := Read(strings.NewReader(sb.String()), "units")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range Units() {
		if got := rs.Units.GetBetter(string(u.Unit)); got != int(u.Better) {
			t.Errorf("after WriteUnitLines, GetBetter(%q) = %d; want %d", u.Unit, got, u.Better)
		}
	}
}

func TestWriteUnitsRefusesUnknownUnit(t *testing.T) {
	var sb strings.Builder
	if err := WriteUnitLines(&sb, MinorFaults, "bogus/op"); err == nil || !strings.Contains(err.Error(), `"bogus/op"`) {
		t.Errorf("WriteUnitLines with an unregistered unit: err = %v, want one naming it", err)
	}
}

func TestUnitsReturnsCopy(t *testing.T) {
	u := Units()
	u[0].Unit = "changed"
	if Units()[0].Unit == "changed" {
		t.Fatalf("Units() returned the registry, not a copy")
	}
}
