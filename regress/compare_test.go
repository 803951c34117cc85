package regress

import (
	"errors"
	"flag"
	"math"
	"slices"
	"strings"
	"testing"
)

// compareFiles reads testdata/<old> and testdata/<new> and compares them
// with the default options and the given filter.
func compareFiles(t *testing.T, old, new, filter string) (*Report, error) {
	t.Helper()
	var sets [2]*Set
	for i, name := range []string{old, new} {
		s, err := ReadFile("testdata/" + name)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", name, err)
		}
		sets[i] = s
	}
	opt := DefaultOptions
	opt.Filter = filter
	return Compare(sets[0], sets[1], opt)
}

// rowsOf returns "name unit verdict" for every row with a verdict.
func rowsOf(rep *Report) []string {
	var rows []string
	for _, r := range rep.Rows {
		if r.Verdict != Unchanged {
			rows = append(rows, r.Name+" "+r.Unit+" "+r.Verdict.String())
		}
	}
	return rows
}

func TestCompareVerdicts(t *testing.T) {
	for _, tc := range []struct {
		old, new, filter string
		regressed        int
		rows             []string // rows with a verdict other than Unchanged
	}{
		{"base.txt", "base.txt", "", 0, []string{
			// Identical samples: nothing moved, and widgets/op is still reported.
			"Read/backend=mmap/bs=4KiB-2 widgets/op no direction: not gated",
			"Read/backend=pread/bs=4KiB-2 widgets/op no direction: not gated",
		}},
		{"base.txt", "base-again.txt", ".unit:(sec/op OR B/s)", 0, nil},
		{"base.txt", "drop20.txt", ".unit:(sec/op OR B/s)", 2, []string{
			"Read/backend=mmap/bs=4KiB-2 sec/op regressed",
			"Read/backend=mmap/bs=4KiB-2 B/s regressed",
		}},
		// Latency worse fails; throughput higher is an improvement.
		{"base.txt", "direction.txt", "-.unit:widgets/op", 1, []string{
			"Read/backend=mmap/bs=4KiB-2 sec/op improved",
			"Read/backend=mmap/bs=4KiB-2 B/s improved",
			"Read/backend=mmap/bs=4KiB-2 lat-nsec/op regressed",
		}},
		{"base.txt", "faster.txt", "-.unit:widgets/op", 0, []string{
			"Read/backend=mmap/bs=4KiB-2 sec/op improved",
			"Read/backend=mmap/bs=4KiB-2 B/s improved",
		}},
		{"base.txt", "widgets.txt", ".unit:widgets/op", 0, []string{
			"Read/backend=mmap/bs=4KiB-2 widgets/op no direction: not gated",
			"Read/backend=pread/bs=4KiB-2 widgets/op no direction: not gated",
		}},
		// The filter picks benchmarks too: only pread, which did not move.
		{"base.txt", "drop20.txt", "/backend:pread -.unit:widgets/op", 0, nil},
	} {
		t.Run(tc.old+"/"+tc.new, func(t *testing.T) {
			rep, err := compareFiles(t, tc.old, tc.new, tc.filter)
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			got := rowsOf(rep)
			if strings.Join(got, "\n") != strings.Join(tc.rows, "\n") {
				t.Errorf("rows with a verdict:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.rows, "\n"))
			}
			if n := len(rep.Regressions()); n != tc.regressed {
				t.Errorf("%d regressions, want %d", n, tc.regressed)
			}
			v := rep.Verdict()
			if want := map[bool]string{true: "regress: FAIL", false: "regress: ok"}[tc.regressed > 0]; !strings.HasPrefix(v, want) {
				t.Errorf("Verdict() = %q, want prefix %q", v, want)
			}
		})
	}
}

func TestCompareDrop20Numbers(t *testing.T) {
	rep, err := compareFiles(t, "base.txt", "drop20.txt", ".unit:B/s /backend:mmap")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rep.Rows))
	}
	r := rep.Rows[0]
	// Ten samples apart from ten: the U test's smallest p, 2/C(20,10).
	if math.Abs(r.Delta-(-0.2)) > 0.001 || r.Better != 1 || math.Abs(r.Cmp.P-2/184756.0) > 1e-9 {
		t.Errorf("B/s row: delta %v, better %d, p %v; want -0.2, +1, %v", r.Delta, r.Better, r.Cmp.P, 2/184756.0)
	}
}

func TestCompareBadInput(t *testing.T) {
	for _, tc := range []struct {
		old, new string
		err      error
		want     []string // in the message
	}{
		{"base.txt", "few.txt", ErrTooFewSamples, []string{"10 old and 3 new samples", "need 5 per side"}},
		{"few.txt", "base.txt", ErrTooFewSamples, []string{"3 old and 10 new samples"}},
		{"base.txt", "other.txt", ErrNoCommon, []string{"Read/backend=mmap/bs=4KiB-2", "Write/backend=mmap/bs=4KiB-2"}},
		{"base.txt", "kernel.txt", ErrConfigDiffers, []string{`kernel (old "6.1.0", new "6.18.0")`}},
	} {
		t.Run(tc.new, func(t *testing.T) {
			_, err := compareFiles(t, tc.old, tc.new, "")
			if !errors.Is(err, tc.err) {
				t.Fatalf("Compare = %v, want %v", err, tc.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestCompareIgnore(t *testing.T) {
	old, _ := ReadFile("testdata/base.txt")
	new, _ := ReadFile("testdata/kernel.txt")
	opt := DefaultOptions
	opt.Ignore = []string{"kernel"}
	if _, err := Compare(old, new, opt); err != nil {
		t.Errorf("Compare with Ignore kernel: %v", err)
	}
}

func TestReadFileBad(t *testing.T) {
	for name, want := range map[string]string{
		"bad.txt":     "bad.txt:3:",
		"missing.txt": "no such file",
	} {
		if _, err := ReadFile("testdata/" + name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadFile(%s) = %v, want an error containing %q", name, err, want)
		}
	}
	if _, err := Read(strings.NewReader("PASS\nok pkg 0.1s\n"), "empty"); err == nil || !strings.Contains(err.Error(), "no benchmark results") {
		t.Errorf("Read(no results) = %v, want a no-results error", err)
	}
}

func TestMinSamples(t *testing.T) {
	// 2/C(2n,n): n=3 0.1, n=4 0.0286, n=5 0.0079, n=6 0.0022.
	for alpha, want := range map[float64]int{0.2: 4, 0.05: 5, 0.01: 6, 0.001: 8} {
		if got := MinSamples(alpha); got != want {
			t.Errorf("MinSamples(%v) = %d, want %d", alpha, got, want)
		}
	}
}

func TestHeadTurnIsABBA(t *testing.T) {
	var b strings.Builder
	for i := range 8 {
		b.WriteString(map[bool]string{false: "A", true: "B"}[headTurn(i)])
	}
	if b.String() != "ABBAABBA" {
		t.Errorf("order %s, want ABBAABBA", b.String())
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// TestCompareNewConfigKey: a configuration key only the new results have
// (a line a later harness writes) does not stop the comparison; it is kept,
// marked with its side. A key both have with other values does (above).
func TestCompareNewConfigKey(t *testing.T) {
	rep, err := compareFiles(t, "base.txt", "newkey.txt", "")
	if err != nil {
		t.Fatalf("Compare = %v, want a comparison", err)
	}
	if !slices.Contains(rep.Config, "llc-size: 32MiB (new only)") {
		t.Errorf("config lines %q lack the new-only key", rep.Config)
	}
	if rep, err = compareFiles(t, "newkey.txt", "base.txt", ""); err != nil || !slices.Contains(rep.Config, "llc-size: 32MiB (old only)") {
		t.Errorf("the other way round: %v, %q", err, rep.Config)
	}
}
