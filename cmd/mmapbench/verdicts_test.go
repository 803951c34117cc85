package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	mdreport "github.com/mmapbench/mmapbench/report"
)

func writeVerdicts(t *testing.T, dir, name string, v mdreport.Verdicts) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := mdreport.WriteVerdicts(f, v); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVerdictsAgreement: runs whose verdicts share their keys agree (exit
// 0) even when their figures differ; a flipped verdict or crossover is a
// disagreement (exit 1) named in the table; bad input exits 2.
func TestVerdictsAgreement(t *testing.T) {
	dir := t.TempDir()
	claim := func(verdict, class, key string) mdreport.VerdictClaim {
		return mdreport.VerdictClaim{Text: "mmap has less overhead", Verdict: verdict, Class: class, Key: key}
	}
	a := writeVerdicts(t, dir, "a.json", mdreport.Verdicts{Claims: []mdreport.VerdictClaim{claim("holds only when x (×0.41)", mdreport.HoldsOnly, "k")}, Crossover: "4MiB"})
	b := writeVerdicts(t, dir, "b.json", mdreport.Verdicts{Claims: []mdreport.VerdictClaim{claim("holds only when x (×0.44)", mdreport.HoldsOnly, "k")}, Crossover: "4MiB"})
	c := writeVerdicts(t, dir, "c.json", mdreport.Verdicts{Claims: []mdreport.VerdictClaim{claim("does not hold", mdreport.DoesNotHold, mdreport.DoesNotHold)}, Crossover: "1MiB"})

	if code, out, errs := runCapture("verdicts", a, b); code != exitOK || !strings.Contains(out, "| 2 of 2 |") {
		t.Errorf("two agreeing runs: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ := runCapture("verdicts", a, b, c)
	if code != exitFail || !strings.Contains(out, "| 2 of 3 |") || !strings.Contains(out, "runs [3]: does not hold") {
		t.Errorf("a flipped run: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\"Claims\": 3}"), 0o644)
	for _, args := range [][]string{{"verdicts", a}, {"verdicts", a, filepath.Join(dir, "missing.json")}, {"verdicts", a, bad}} {
		if code, _, errs := runCapture(args...); code != exitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
}
