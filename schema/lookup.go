package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// CaseBenchmarks are the benchmarks whose rows are a [Case]: their names
// are exactly "<bench>/" + Case.Name() (and a GOMAXPROCS suffix). Load
// parses every such row with ParseName, so a results file whose case names
// have a key this schema does not know is an error naming the line, not a
// table of empty cells.
var CaseBenchmarks = []string{"Read", "Write", "WriteSync", "Readers"}

// caseOf parses the case of a row of a case benchmark from its keys.
func caseOf(bench string, keys Keys) (Case, error) {
	k := maps.Clone(keys)
	delete(k, ProcsKey)
	// ParseName wants the keys in Name's order; build the name from them.
	var parts []string
	for _, key := range []string{"backend", "access", "pattern", "bs", "cache", "size", "advice", "threads", "readers", "sync", "prefetch"} {
		if v, ok := k[key]; ok {
			parts = append(parts, key+"="+v)
			delete(k, key)
		}
	}
	if len(k) > 0 {
		return Case{}, fmt.Errorf("Benchmark%s has the key(s) %s, which a case (schema.Case) does not have", bench, strings.Join(slices.Sorted(maps.Keys(k)), ", "))
	}
	return ParseName(strings.Join(parts, "/"))
}

// Case returns the row of case benchmark bench ("Read") named exactly
// bench/c.Name(), at any GOMAXPROCS; (nil, nil) when the case was not run,
// a *LookupError when it ran at several GOMAXPROCS.
func (rs *Results) Case(bench string, c Case) (*Row, error) {
	if !slices.Contains(CaseBenchmarks, bench) {
		return nil, fmt.Errorf("schema: Benchmark%s is not a case benchmark (%s): look its rows up by keys", bench, strings.Join(CaseBenchmarks, ", "))
	}
	want := bench + "/" + c.Name()
	var found []*Row
	for _, r := range rs.rows {
		if r.Bench == bench && r.nameWithoutProcs() == want {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	return nil, &LookupError{Bench: bench, Keys: Keys(c.Keys()), Names: names(found)}
}

// Case returns the row's case, when it is a row of a case benchmark.
func (r *Row) Case() (Case, bool) {
	if r.kase == nil {
		return Case{}, false
	}
	return *r.kase, true
}

func (r *Row) nameWithoutProcs() string {
	if p, ok := r.Keys[ProcsKey]; ok {
		return strings.TrimSuffix(r.Name, "-"+p)
	}
	return r.Name
}
