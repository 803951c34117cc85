package report

import (
	"fmt"
	"strings"

	"github.com/mmapbench/mmapbench/schema"
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
// results), with the durability and counter evidence when not nil. The
// error is a lookup the results' keys do not answer.
func Claims(rs *schema.Results, d *Durable, counts []Count) ([]Claim, error) {
	r := newResults(rs)
	cs := claims(r, d, counts)
	return cs, r.err
}

func claims(rs *results, d *Durable, counts []Count) []Claim {
	return []Claim{
		claimCopies(rs),
		claimOverhead(rs),
		claimClose(d),
		claimShare(rs, d, counts),
		claimSyscalls(rs),
	}
}

// results are the results a report reads, with the first lookup that the
// results' keys did not answer (a row with a key the report does not give,
// or rows at several GOMAXPROCS): the report is refused with it rather
// than printed with empty cells.
type results struct {
	*schema.Results
	err error
}

func newResults(rs *schema.Results) *results { return &results{Results: rs} }

// row looks up the row of bench with exactly keys (schema.Results.Lookup);
// nil when it was not run or the lookup failed (kept in err).
func (rs *results) row(bench string, keys schema.Keys) *schema.Row {
	r, err := rs.Lookup(bench, keys)
	rs.keep(err)
	return r
}

// kase looks up the row of case benchmark bench for case c.
func (rs *results) kase(bench string, c schema.Case) *schema.Row {
	r, err := rs.Case(bench, c)
	rs.keep(err)
	return r
}

func (rs *results) keep(err error) {
	if err != nil && rs.err == nil {
		rs.err = fmt.Errorf("report: %w", err)
	}
}

// readCase is the BenchmarkRead case of a file of size, one thread, no
// advice. Sizes come from the results' case names, which Load parsed.
func readCase(size, bs, backend string, access schema.Access, pattern schema.Pattern, cache schema.Cache) schema.Case {
	n, _ := schema.ParseSize(size)
	b, _ := schema.ParseSize(bs)
	return schema.Case{Backend: backend, Access: access, Pattern: pattern, BS: b, Cache: cache, Size: n, Advice: schema.AdviceNone, Threads: 1}
}

// mustPattern and mustCache parse the values of a case's keys in the
// results, which Load parsed already (as a schema.Case).
func mustPattern(v string) schema.Pattern {
	p, _ := schema.ParsePattern(v)
	return p
}

func mustCache(v string) schema.Cache {
	c, _ := schema.ParseCache(v)
	return c
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
