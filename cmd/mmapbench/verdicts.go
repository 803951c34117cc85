package main

import (
	"fmt"
	"io"
	"os"

	mdreport "github.com/mmapbench/mmapbench/report"
)

// runVerdicts sets the verdicts of several runs (the JSON files of
// mmapbench report -verdicts) side by side and says, per claim and for the
// crossover, in how many runs they agree. It exits 1 when any disagree.
func runVerdicts(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verdicts", "FILE.json...", stderr)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() < 2 {
		fprintf(stderr, "mmapbench verdicts: want the verdict files of at least 2 runs (mmapbench report -verdicts FILE), got %d\n", fs.NArg())
		return exitUsage
	}
	var runs []mdreport.Verdicts
	for _, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			fprintf(stderr, "mmapbench verdicts: %v\n", unwrapPath(err))
			return exitUsage
		}
		v, err := mdreport.ReadVerdicts(f)
		f.Close()
		if err != nil {
			fprintf(stderr, "mmapbench verdicts: %s: %v\n", path, err)
			return exitUsage
		}
		if len(runs) > 0 && len(v.Claims) != len(runs[0].Claims) {
			fprintf(stderr, "mmapbench verdicts: %s has %d claims, %s has %d\n", path, len(v.Claims), fs.Arg(0), len(runs[0].Claims))
			return exitUsage
		}
		runs = append(runs, v)
	}

	// The table: one row per claim, one column per run, the verdict's class.
	t := (&mdreport.Table{}).Left("claim")
	for i := range runs {
		t.Left(fmt.Sprintf("run %d", i+1))
	}
	t.Left("agree")
	allAgree := true
	row := func(name string, key func(mdreport.Verdicts) (cell, key string)) {
		cells := []string{name}
		counts := map[string]int{}
		for _, r := range runs {
			c, k := key(r)
			counts[k]++
			cells = append(cells, c)
		}
		most := 0
		for _, n := range counts {
			most = max(most, n)
		}
		if most < len(runs) {
			allAgree = false
		}
		t.Row(append(cells, fmt.Sprintf("%d of %d", most, len(runs)))...)
	}
	for i := range runs[0].Claims {
		row(fmt.Sprintf("%d. %s", i+1, runs[0].Claims[i].Text), func(v mdreport.Verdicts) (string, string) {
			return v.Claims[i].Class, v.Claims[i].Key
		})
	}
	row("one-shot break-even", func(v mdreport.Verdicts) (string, string) {
		if v.Crossover == "" {
			return "none", ""
		}
		return v.Crossover, v.Crossover
	})
	fprintf(stdout, "%s", t)

	// What each distinct verdict said, with the runs that said it.
	fprintf(stdout, "\n")
	for i := range runs[0].Claims {
		groups, order := map[string][]int{}, []string{}
		for r, v := range runs {
			k := v.Claims[i].Key
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r+1)
		}
		fprintf(stdout, "claim %d: %d distinct verdict(s)\n", i+1, len(order))
		for _, k := range order {
			first := groups[k][0] - 1
			fprintf(stdout, "  runs %v: %s\n", groups[k], runs[first].Claims[i].Verdict)
		}
	}
	if !allAgree {
		fprintf(stderr, "mmapbench verdicts: the runs disagree\n")
		return exitFail
	}
	return exitOK
}
