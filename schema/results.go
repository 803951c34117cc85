package schema

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Results holds the samples of one or more results files, grouped by
// benchmark name.
type Results struct {
	Files  []string // the files read, in order
	Config []Config // file configuration lines, in order of first appearance; the first file wins
	// Units are the files' Unit lines (directions and assumptions).
	Units benchfmt.UnitMetadataMap
	// Series holds the time series of mmapbench oom (its -csv files).
	Series []Interval
	rows   []*Row
	byName map[string]*Row
	seen   map[string]bool // config keys already in Config
}

// A Config is one configuration line of a results file ("kernel: 6.18").
type Config struct {
	Key, Value string
	File       string // the file it came from
}

// Keys are the /key=value parts of a benchmark name.
type Keys map[string]string

// ProcsKey is the key under which a row keeps its name's GOMAXPROCS
// suffix ("2" for BenchmarkX-2); rows run at GOMAXPROCS=1 have none.
const ProcsKey = "gomaxprocs"

// A Row is one benchmark: every sample of one name.
type Row struct {
	Name    string // full name without "Benchmark": "Read/backend=mmap/…/threads=1-2"
	Bench   string // the base name: "Read"
	Keys    Keys   // the /key=value parts of the name, and ProcsKey
	Iters   []int  // iterations of each sample
	samples map[Unit][]float64
	kase    *Case // the case of a case benchmark's row
}

// Key returns the value of the name key k ("backend"), or "".
// The accessors of a nil *Row (a lookup that found no row) return nothing.
func (r *Row) Key(k string) string {
	if r == nil {
		return ""
	}
	return r.Keys[k]
}

// Units returns the units the row has samples of, sorted.
func (r *Row) Units() []Unit {
	if r == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(r.samples))
}

// Samples returns the samples of unit as the file wrote it: "ns/op",
// "MB/s", not benchstat's "sec/op" and "B/s".
func (r *Row) Samples(u Unit) []float64 {
	if r == nil {
		return nil
	}
	return r.samples[u]
}

// Median returns the median of the samples of u, and whether there are
// any. It is benchstat's center (benchmath.AssumeNothing).
func (r *Row) Median(u Unit) (float64, bool) {
	xs := r.Samples(u)
	if len(xs) == 0 {
		return 0, false
	}
	return Center(xs), true
}

// Center is benchstat's center of xs (benchmath.AssumeNothing: the
// median); 0 for no samples.
func Center(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := benchmath.NewSample(slices.Clone(xs), &benchmath.DefaultThresholds)
	return benchmath.AssumeNothing.Summary(s, 0.95).Center
}

// Load reads results files in Go benchmark format, and the time series of
// mmapbench oom from files named *.csv. The error policy is one for every
// file: a file that cannot be opened is an *fs.PathError naming it, and a
// malformed line is an error naming the file and the line. A results file
// is written whole or not at all (make bench moves it into place when the
// run succeeded), so a bad line is a damaged file or a harness bug, and a
// report built around it would be wrong without saying so.
func Load(paths ...string) (*Results, error) {
	rs := newResults()
	for _, path := range paths {
		if err := rs.loadFile(path); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// Read reads results in Go benchmark format from r; name names them in
// errors and in Files.
func Read(r io.Reader, name string) (*Results, error) {
	rs := newResults()
	if err := rs.read(r, name); err != nil {
		return nil, err
	}
	return rs, nil
}

func newResults() *Results {
	return &Results{byName: map[string]*Row{}, seen: map[string]bool{}, Units: benchfmt.UnitMetadataMap{}}
}

func (rs *Results) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if strings.HasSuffix(path, ".csv") {
		rows, err := ReadSeries(f, path)
		if err != nil {
			return err
		}
		rs.Series = append(rs.Series, rows...)
		rs.Files = append(rs.Files, path)
		return nil
	}
	return rs.read(f, path)
}

func (rs *Results) read(r io.Reader, name string) error {
	br := benchfmt.NewReader(r, name)
	first := true
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return rec // "file:line: message"
		case *benchfmt.Result:
			if first {
				for _, c := range rec.Config {
					if c.File && !rs.seen[c.Key] {
						rs.seen[c.Key] = true
						rs.Config = append(rs.Config, Config{Key: c.Key, Value: string(c.Value), File: name})
					}
				}
				first = false
			}
			if err := rs.add(rec); err != nil {
				file, line := rec.Pos()
				return fmt.Errorf("%s:%d: %w", file, line, err)
			}
		}
	}
	if err := br.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	maps.Copy(rs.Units, br.Units())
	rs.Files = append(rs.Files, name)
	return nil
}

func (rs *Results) add(res *benchfmt.Result) error {
	base, parts := res.Name.Parts()
	var name strings.Builder
	name.Write(base)
	keys := Keys{}
	for _, p := range parts {
		if n, ok := strings.CutPrefix(string(p), "-"); ok {
			// The GOMAXPROCS suffix (go test leaves it out at 1): rows
			// run with -cpu 1,2 stay apart.
			keys[ProcsKey] = n
			name.Write(p)
			continue
		}
		name.Write(p)
		k, v, ok := strings.Cut(string(p[1:]), "=")
		if !ok {
			return fmt.Errorf("Benchmark%s: name part %q is not key=value", res.Name, p[1:])
		}
		if _, dup := keys[k]; dup {
			return fmt.Errorf("Benchmark%s: key %q twice", res.Name, k)
		}
		keys[k] = v
	}
	row := rs.byName[name.String()]
	if row == nil {
		row = &Row{Name: name.String(), Bench: string(base), Keys: keys, samples: map[Unit][]float64{}}
		if slices.Contains(CaseBenchmarks, row.Bench) {
			c, err := caseOf(row.Bench, keys)
			if err != nil {
				return fmt.Errorf("Benchmark%s: %w", res.Name, err)
			}
			row.kase = &c
		}
		rs.byName[row.Name] = row
		rs.rows = append(rs.rows, row)
	}
	row.Iters = append(row.Iters, res.Iters)
	for _, v := range res.Values {
		unit, val := v.Unit, v.Value
		if v.OrigUnit != "" { // benchfmt tidied it (ns/op to sec/op): keep the file's unit
			unit, val = v.OrigUnit, v.OrigValue
		}
		row.samples[Unit(unit)] = append(row.samples[Unit(unit)], val)
	}
	return nil
}

// Rows returns every row, in the order of the files.
func (rs *Results) Rows() []*Row { return slices.Clone(rs.rows) }

// Select returns the rows of benchmark bench ("Read") whose name keys have
// the values in where, in the order of the files. A value "" selects the
// rows that lack the key (ProcsKey "": rows run at GOMAXPROCS=1). Select
// is a filter: rows with keys where does not name are kept.
func (rs *Results) Select(bench string, where Keys) []*Row {
	var out []*Row
next:
	for _, r := range rs.rows {
		if r.Bench != bench {
			continue
		}
		for k, v := range where {
			if r.Keys[k] != v {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

// A LookupError says why Lookup or Case found no single row although the
// results have rows with the values asked for: they carry keys the lookup
// did not give (a harness that added an axis), or several rows match (run
// at more than one GOMAXPROCS).
type LookupError struct {
	Bench string
	Keys  Keys
	Extra []string // keys the matching rows have and the lookup lacks
	Names []string // the rows that match (several: ambiguous)
}

func (e *LookupError) Error() string {
	if len(e.Extra) > 0 {
		return fmt.Sprintf("Benchmark%s with %s: the results' rows also have the key(s) %s (e.g. %s), which the lookup does not give",
			e.Bench, formatKeys(e.Keys), strings.Join(e.Extra, ", "), e.Names[0])
	}
	return fmt.Sprintf("Benchmark%s with %s: %d rows match (%s): give %s", e.Bench, formatKeys(e.Keys), len(e.Names), strings.Join(e.Names, ", "), ProcsKey)
}

func formatKeys(k Keys) string {
	var parts []string
	for _, key := range slices.Sorted(maps.Keys(k)) {
		parts = append(parts, key+"="+k[key])
	}
	if len(parts) == 0 {
		return "no keys"
	}
	return strings.Join(parts, "/")
}

// Lookup returns the row of benchmark bench whose name has exactly the
// keys in keys ("" for a key the row must lack); ProcsKey may be left out,
// when one GOMAXPROCS matches. No row with these values is (nil, nil): the
// case was not run. When rows with these values exist but every one has a
// key keys lacks, or several match, the error is a *LookupError naming
// them, so that a harness that adds a key to the names turns a consumer's
// table into an error rather than into cells that silently say "–".
func (rs *Results) Lookup(bench string, keys Keys) (*Row, error) {
	var exact, wider []*Row
	for _, r := range rs.Select(bench, keys) {
		if extra := extraKeys(r, keys); len(extra) == 0 {
			exact = append(exact, r)
		} else {
			wider = append(wider, r)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(exact) > 1:
		return nil, &LookupError{Bench: bench, Keys: keys, Names: names(exact)}
	case len(wider) > 0:
		var extra []string
		for _, r := range wider {
			for _, k := range extraKeys(r, keys) {
				if !slices.Contains(extra, k) {
					extra = append(extra, k)
				}
			}
		}
		slices.Sort(extra)
		return nil, &LookupError{Bench: bench, Keys: keys, Extra: extra, Names: names(wider)}
	}
	return nil, nil
}

// extraKeys returns the keys of r that keys does not give, ProcsKey aside.
func extraKeys(r *Row, keys Keys) []string {
	var extra []string
	for k := range r.Keys {
		if _, ok := keys[k]; !ok && k != ProcsKey {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	return extra
}

func names(rows []*Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = "Benchmark" + r.Name
	}
	return out
}

// Has reports whether there is any result of benchmark bench.
func (rs *Results) Has(bench string) bool {
	return slices.ContainsFunc(rs.rows, func(r *Row) bool { return r.Bench == bench })
}

// ConfigValue returns the value of configuration key k, or "".
func (rs *Results) ConfigValue(k string) string {
	for _, c := range rs.Config {
		if c.Key == k {
			return c.Value
		}
	}
	return ""
}

// Values returns the distinct values of name key k among rows, sorted by
// their numeric value when they are all sizes ("4KiB" < "1MiB"), else in
// order of appearance (the order the harness ran them in).
func Values(rows []*Row, k string) []string {
	var vs []string
	for _, r := range rows {
		if v, ok := r.Keys[k]; ok && !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	if len(vs) > 0 && allSizes(vs) {
		slices.SortFunc(vs, func(a, b string) int {
			x, _ := ParseSize(a)
			y, _ := ParseSize(b)
			return cmp.Compare(x, y)
		})
	}
	return vs
}

// allSizes reports whether every value is a size with its unit ("4KiB",
// "64B"): a bare number ("8" readers) keeps its order of appearance.
func allSizes(vs []string) bool {
	for _, v := range vs {
		if _, err := ParseSize(v); err != nil || !strings.HasSuffix(v, "B") {
			return false
		}
	}
	return true
}

// ReadSize is the file size of the read figures and tables: the one with
// the most block sizes among warm sequential single-thread reads with no
// advice; the smallest on a tie; "" when there are none.
func (rs *Results) ReadSize(cache Cache) string {
	where := Keys{"pattern": "seq", "cache": cache.String(), "threads": "1", "advice": "none"}
	best, bestN := "", 0
	for _, size := range Values(rs.Select("Read", where), "size") {
		w := maps.Clone(where)
		w["size"] = size
		if n := len(Values(rs.Select("Read", w), "bs")); n > bestN {
			best, bestN = size, n
		}
	}
	return best
}

// ErrNoData reports that results lack the benchmarks a figure or a table
// needs.
var ErrNoData = errors.New("no data")
