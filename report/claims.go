package report

import (
	"strings"

	"github.com/mmapbench/mmapbench/plot"
)

// Tie is the margin within which two medians count as level: a backend is
// faster or slower than another only when the ratio of their medians is
// beyond 1±Tie. The quick profile's samples vary by 5–15% on the reference
// VM (README, Noise), so a smaller margin would call noise a difference.
const Tie = 0.10

// Verdicts.
const (
	Holds       = "holds"
	HoldsOnly   = "holds only when" // followed by the condition
	DoesNotHold = "does not hold"
	NotMeasured = "not measured"
)

// A Claim is one claim of the seed article with its evidence and verdict.
type Claim struct {
	Text     string
	Evidence []string // measured facts, one per bullet
	Verdict  string   // Holds, DoesNotHold, NotMeasured, or HoldsOnly + " " + condition
	Rule     string   // how Verdict follows from the numbers
	// Short is the verdict without its figures: what two runs must share to
	// agree (make verdicts). "" means the verdict's class (Class).
	Short string
}

// Class returns the verdict's class: Holds, HoldsOnly, DoesNotHold or
// NotMeasured.
func (c Claim) Class() string {
	for _, v := range []string{HoldsOnly, Holds, DoesNotHold, NotMeasured} {
		if strings.HasPrefix(c.Verdict, v) {
			return v
		}
	}
	return c.Verdict
}

// Key is what must agree between runs: Short, or the class.
func (c Claim) Key() string {
	if c.Short != "" {
		return c.Short
	}
	return c.Class()
}

// Claims evaluates the seed article's claims on rs (file benchmarks and IPC
// results), with the durability and counter evidence when not nil.
func Claims(rs *plot.Results, d *Durable, counts []Count) []Claim {
	return []Claim{
		claimCopies(rs),
		claimOverhead(rs),
		claimClose(d),
		claimShare(rs, d, counts),
		claimSyscalls(rs),
	}
}

func median(rs *plot.Results, bench string, keys map[string]string, unit string) (float64, bool) {
	r := rs.Row(bench, keys)
	if r == nil {
		return 0, false
	}
	return r.Median(unit)
}

// readKeys are the keys of one BenchmarkRead row of the report's file size.
func readKeys(rs *plot.Results, backend, access, pattern, cache, bs string) map[string]string {
	return readKeysAt(plot.ReadSize(rs), backend, access, pattern, cache, bs)
}

// readKeysAt are the keys of one BenchmarkRead row (1 thread, no advice) of
// a file of size.
func readKeysAt(size, backend, access, pattern, cache, bs string) map[string]string {
	return map[string]string{"backend": backend, "access": access, "pattern": pattern, "bs": bs, "cache": cache,
		"size": size, "advice": "none", "threads": "1"}
}

type outcome int

const (
	lose outcome = iota - 1
	level
	win
)

func okWord(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
