package plot

import (
	"cmp"
	"errors"
	"fmt"
	"github.com/mmapbench/mmapbench/oom"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Results holds the samples of one or more results files, grouped by
// benchmark name (without the GOMAXPROCS suffix).
type Results struct {
	Files  []string // the files read, in order
	Config []Config // file configuration lines, in order of first appearance; the first file wins
	// Warnings name the lines that are not valid benchmark results
	// ("file:line: message"); like benchstat, Load skips them.
	Warnings []string
	// Series holds the time series of mmapbench oom (its -csv files).
	Series []oom.Row
	rows   []*Row
	byName map[string]*Row
}

// A Config is one configuration line of a results file ("kernel: 6.18").
type Config struct {
	Key, Value string
	File       string // the file it came from
}

// A Row is one benchmark: every sample of one name.
type Row struct {
	Name    string            // full name without "Benchmark" and the -N suffix: "Read/backend=mmap/…"
	Bench   string            // the base name: "Read"
	Keys    map[string]string // the /key=value parts of the name
	Iters   []int             // iterations of each sample
	samples map[string][]float64
}

// Key returns the value of the name key k ("backend"), or "".
func (r *Row) Key(k string) string { return r.Keys[k] }

// Samples returns the samples of unit, as the file wrote it ("ns/op", "MB/s", "minflt/op").
func (r *Row) Samples(unit string) []float64 { return r.samples[unit] }

// Median returns the median of the samples of unit, and whether there are any.
// It is benchstat's center (benchmath.AssumeNothing).
func (r *Row) Median(unit string) (float64, bool) {
	xs := r.samples[unit]
	if len(xs) == 0 {
		return 0, false
	}
	s := benchmath.NewSample(slices.Clone(xs), &benchmath.DefaultThresholds)
	return benchmath.AssumeNothing.Summary(s, 0.95).Center, true
}

// ErrNoData reports that a results file lacks the benchmarks a figure or a
// table needs.
var ErrNoData = errors.New("no data")

// Load reads results files in Go benchmark format, and time series of
// mmapbench oom from files named *.csv. A file that cannot be
// opened is an *fs.PathError naming it. A malformed line (a run cut short,
// a stray print) is skipped and named in Warnings, as benchstat does.
func Load(paths ...string) (*Results, error) {
	rs := &Results{byName: map[string]*Row{}}
	seen := map[string]bool{}
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(path, ".csv") {
			rows, err := oom.ReadCSV(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			rs.Series = append(rs.Series, rows...)
			rs.Files = append(rs.Files, path)
			continue
		}
		r := benchfmt.NewReader(f, path)
		first := true
		for r.Scan() {
			switch rec := r.Result().(type) {
			case *benchfmt.SyntaxError:
				rs.Warnings = append(rs.Warnings, rec.Error())
			case *benchfmt.Result:
				if first {
					for _, c := range rec.Config {
						if c.File && !seen[c.Key] {
							seen[c.Key] = true
							rs.Config = append(rs.Config, Config{Key: c.Key, Value: string(c.Value), File: path})
						}
					}
					first = false
				}
				rs.add(rec)
			}
		}
		f.Close()
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rs.Files = append(rs.Files, path)
	}
	return rs, nil
}

func (rs *Results) add(res *benchfmt.Result) {
	base, parts := res.Name.Parts()
	var name strings.Builder
	name.Write(base)
	keys := map[string]string{}
	for _, p := range parts {
		if n, ok := strings.CutPrefix(string(p), "-"); ok {
			// The GOMAXPROCS suffix (go test leaves it out at 1): rows
			// run with -cpu 1,2 stay apart.
			keys[ProcsKey] = n
			name.Write(p)
			continue
		}
		if !strings.HasPrefix(string(p), "/") {
			continue
		}
		name.Write(p)
		if k, v, ok := strings.Cut(string(p[1:]), "="); ok {
			keys[k] = v
		}
	}
	row := rs.byName[name.String()]
	if row == nil {
		row = &Row{Name: name.String(), Bench: string(base), Keys: keys, samples: map[string][]float64{}}
		rs.byName[row.Name] = row
		rs.rows = append(rs.rows, row)
	}
	row.Iters = append(row.Iters, res.Iters)
	for _, v := range res.Values {
		unit, val := v.Unit, v.Value
		if v.OrigUnit != "" { // benchfmt tidied it (ns/op to sec/op): keep the file's unit
			unit, val = v.OrigUnit, v.OrigValue
		}
		row.samples[unit] = append(row.samples[unit], val)
	}
}

// Rows returns the rows of benchmark bench ("Read") whose name keys have
// the values in where, in the order of the files.
func (rs *Results) Rows(bench string, where map[string]string) []*Row {
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

// Row returns the row of exactly this benchmark bench and these name keys
// (every key of the name must be given; ProcsKey may be left out), or nil.
func (rs *Results) Row(bench string, keys map[string]string) *Row {
	named := func(m map[string]string) int {
		if _, ok := m[ProcsKey]; ok {
			return len(m) - 1
		}
		return len(m)
	}
	for _, r := range rs.Rows(bench, keys) {
		if named(r.Keys) == named(keys) {
			return r
		}
	}
	return nil
}

// ProcsKey is the key under which a row keeps its name's GOMAXPROCS
// suffix ("2" for BenchmarkX-2); rows run at GOMAXPROCS=1 have none.
const ProcsKey = "gomaxprocs"

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
// their numeric value when they are sizes ("4KiB" < "1MiB"), else in order
// of appearance.
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

func allSizes(vs []string) bool {
	for _, v := range vs {
		if _, err := ParseSize(v); err != nil {
			return false
		}
	}
	return true
}

// ParseSize parses the IEC sizes of benchmark names: "64B", "4KiB", "1MiB", "4GiB".
func ParseSize(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			var n int64
			if _, err := fmt.Sscanf(num, "%d", &n); err != nil || fmt.Sprint(n) != num || n < 0 {
				return 0, fmt.Errorf("bad size %q", s)
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("bad size %q: want a number and B, KiB, MiB, GiB or TiB", s)
}
