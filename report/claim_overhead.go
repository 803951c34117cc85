package report

import (
	"fmt"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
)

const (
	rule2 = "Ratio of medians mmap `view` ÷ `pread copy` for every BenchmarkRead case (cache × pattern × block size; 1 thread, no advice), " +
		"mmap ÷ pread for BenchmarkOpenRead (per file size) and mmap `view` ÷ `pread copy` for BenchmarkWrite. mmap wins a case when the ratio is below 1/(1+Tie), loses above 1+Tie. " +
		"**Holds** if mmap wins every case, **does not hold** if it wins none, otherwise **holds only when** followed by the cases it wins."
)

func claimOverhead(rs *plot.Results) Claim {
	c := Claim{Text: "mmap has less overhead than read/write", Rule: rule2, Verdict: NotMeasured}
	var wins, others []string
	cases, nwin := 0, 0
	size := plot.ReadSize(rs)
	rows := rs.Rows("Read", map[string]string{"size": size, "threads": "1", "advice": "none"})
	for _, cache := range plot.Values(rows, "cache") {
		for _, pattern := range plot.Values(rows, "pattern") {
			var w, o []string
			for _, bs := range plot.Values(rows, "bs") {
				tm, ok1 := median(rs, "Read", readKeys(rs, "mmap", "view", pattern, cache, bs), "ns/op")
				tp, ok2 := median(rs, "Read", readKeys(rs, "pread", "copy", pattern, cache, bs), "ns/op")
				if !ok1 || !ok2 {
					continue
				}
				cases++
				cell := fmt.Sprintf("%s ×%.2f", bs, tm/tp)
				if compare(tm, tp) == win {
					nwin++
					w = append(w, cell)
				} else {
					o = append(o, cell)
				}
			}
			if len(w) > 0 {
				wins = append(wins, fmt.Sprintf("%s %s reads (%s)", cache, pattern, strings.Join(w, ", ")))
			}
			if len(o) > 0 {
				others = append(others, fmt.Sprintf("%s %s reads (%s)", cache, pattern, strings.Join(o, ", ")))
			}
		}
	}
	if cases > 0 {
		c.Evidence = append(c.Evidence, fmt.Sprintf("BenchmarkRead, %s file, mmap view ÷ pread time: wins %s; no win %s", size,
			orNone(wins), orNone(others)))
	}
	// One-shot reads: the crossover.
	var ow, oo []string
	for _, s := range plot.Values(rs.Rows("OpenRead", nil), "size") {
		tm, ok1 := median(rs, "OpenRead", map[string]string{"backend": "mmap", "size": s}, "ns/op")
		tp, ok2 := median(rs, "OpenRead", map[string]string{"backend": "pread", "size": s}, "ns/op")
		if !ok1 || !ok2 {
			continue
		}
		cases++
		if compare(tm, tp) == win {
			nwin++
			ow = append(ow, s)
		} else {
			oo = append(oo, s)
		}
	}
	if len(ow)+len(oo) > 0 {
		cross := Crossover(rs)
		e := fmt.Sprintf("BenchmarkOpenRead (open, read all, close), mmap ÷ pread: wins at %s; no win at %s", orNone(ow), orNone(oo))
		if cross != "" {
			e += fmt.Sprintf("; crossover: mmap wins from %s up", cross)
		}
		c.Evidence = append(c.Evidence, e)
		if len(ow) > 0 {
			if cross != "" {
				wins = append(wins, "one-shot reads of files of "+cross+" and more")
			} else {
				wins = append(wins, "one-shot reads of "+strings.Join(ow, ", "))
			}
		}
	}
	// Writes.
	wrows := rs.Rows("Write", map[string]string{"backend": "pread", "access": "copy"})
	for _, r := range wrows {
		k := maps(r.Keys)
		k["backend"], k["access"] = "mmap", "view"
		tm, ok1 := median(rs, "Write", k, "ns/op")
		tp, ok2 := r.Median("ns/op")
		if !ok1 || !ok2 {
			continue
		}
		cases++
		e := fmt.Sprintf("BenchmarkWrite %s %s: mmap view %s, pwrite %s (×%.2f)", r.Key("bs"), r.Key("cache"), plot.FormatNanos(tm), plot.FormatNanos(tp), tm/tp)
		c.Evidence = append(c.Evidence, e)
		if compare(tm, tp) == win {
			nwin++
			wins = append(wins, fmt.Sprintf("%s writes to a %s mapping", r.Key("bs"), r.Key("cache")))
		}
	}
	switch {
	case cases == 0:
		c.Evidence = []string{"no BenchmarkRead, OpenRead or Write rows with both mmap and pread"}
	case len(wins) == 0:
		c.Verdict = DoesNotHold
	case nwin == cases:
		c.Verdict = Holds
	default:
		c.Verdict = HoldsOnly + ": " + strings.Join(wins, "; ")
	}
	return c
}

// Crossover returns the smallest file size from which mmap's one-shot read
// is faster than pread's (beyond Tie) at that size and every larger one, or
// "" when there is none.
func Crossover(rs *plot.Results) string {
	sizes := plot.Values(rs.Rows("OpenRead", nil), "size")
	cross := ""
	for i := len(sizes) - 1; i >= 0; i-- {
		tm, ok1 := median(rs, "OpenRead", map[string]string{"backend": "mmap", "size": sizes[i]}, "ns/op")
		tp, ok2 := median(rs, "OpenRead", map[string]string{"backend": "pread", "size": sizes[i]}, "ns/op")
		if !ok1 || !ok2 || compare(tm, tp) != win {
			break
		}
		cross = sizes[i]
	}
	return cross
}
