package report

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// mapRows are the samples of crafted map rows: one case, its ns/op
// samples in µs, and the p99 (µs) every sample reports.
type mapSample struct {
	backend  string
	advice   schema.Advice
	cache    schema.Cache
	pattern  schema.Pattern
	prefetch schema.Prefetch
	threads  int
	us       []float64
	p99us    float64
	intake   float64 // max-intake-frac of every sample; 0: not reported
	resident float64 // resident-frac of every sample; 0: not reported
}

func mapResults(t *testing.T, rows []mapSample) *results {
	t.Helper()
	var b strings.Builder
	b.WriteString("llc-size: 32MiB\nread-ahead: 8192KiB\n")
	for _, r := range rows {
		access := schema.Copy
		if r.backend == "mmap" {
			access = schema.View
		}
		th := r.threads
		if th == 0 {
			th = 1
		}
		c := schema.Case{Backend: r.backend, Access: access, Pattern: r.pattern, BS: 4096, Cache: r.cache,
			Size: 256 << 20, Advice: r.advice, Threads: th, Prefetch: r.prefetch}
		for _, us := range r.us {
			if math.IsNaN(us) { // go test's line for a case skipped in this invocation
				fmt.Fprintf(&b, "BenchmarkRead/%s-2 \t 0 \t NaN ns/op\n", c.Name())
				continue
			}
			fmt.Fprintf(&b, "BenchmarkRead/%s-2 \t 1000 \t %g ns/op", c.Name(), us*1000)
			if r.p99us > 0 { // warm rows are not timed per op
				fmt.Fprintf(&b, " \t %g p99-nsec", r.p99us*1000)
			}
			if r.intake > 0 {
				fmt.Fprintf(&b, " \t %g max-intake-frac", r.intake)
			}
			if r.resident > 0 {
				fmt.Fprintf(&b, " \t %g resident-frac", r.resident)
			}
			b.WriteString("\n")
		}
	}
	rs, err := schema.Read(strings.NewReader(b.String()), "map.txt")
	if err != nil {
		t.Fatal(err)
	}
	return newResults(rs)
}

var (
	fast  = []float64{40, 41, 39, 40, 42}
	slow  = []float64{80, 82, 79, 81, 80}
	even1 = []float64{50, 52, 49, 51, 50}
	even2 = []float64{51, 49, 50, 52, 50}
)

// The crafted grid, at 4KiB and 1 goroutine:
//   - part:50 rand: mmap's fastest setup is advice=rand (40µs; advice=none
//     100µs), pread's is advice=none (80µs; rand 90µs): ×0.5, significant;
//   - cold rand: level (per-sample ratios around 1);
//   - part:90 rand: pread only: no mmap row;
//   - part:50 rand + batch16: mmap only: no pread row.
func craftedMap() []mapSample {
	r, p50, p90 := schema.Rand, schema.Partial(50), schema.Partial(90)
	return []mapSample{
		{backend: "mmap", advice: schema.AdviceNone, cache: p50, pattern: r, us: []float64{100, 101, 99, 100, 102}, p99us: 900},
		{backend: "mmap", advice: schema.AdviceRand, cache: p50, pattern: r, us: fast, p99us: 300},
		{backend: "pread", advice: schema.AdviceNone, cache: p50, pattern: r, us: slow, p99us: 200},
		{backend: "pread", advice: schema.AdviceRand, cache: p50, pattern: r, us: []float64{90, 91, 89, 90, 92}, p99us: 250},
		{backend: "mmap", advice: schema.AdviceRand, cache: schema.Cold, pattern: r, us: even1, p99us: 120},
		{backend: "pread", advice: schema.AdviceNone, cache: schema.Cold, pattern: r, us: even2, p99us: 110},
		{backend: "pread", advice: schema.AdviceNone, cache: p90, pattern: r, us: slow, p99us: 150},
		{backend: "mmap", advice: schema.AdviceNone, cache: p50, pattern: r, prefetch: schema.Batch(16), us: fast, p99us: 70},
	}
}

// withPressure adds a mem:2 column: pread is 3× faster there (mmap/rand
// 150µs, pread/none 50µs), with resident-frac 0.47 and 0.51. Its rows come
// first in the file, so that sorting the columns by Resident (0.5, as
// part:50's) would put mem:2 before part:50.
func withPressure(rows []mapSample) []mapSample {
	mem2 := schema.Pressure(2)
	return append([]mapSample{
		{backend: "mmap", advice: schema.AdviceRand, cache: mem2, pattern: schema.Rand, us: []float64{150, 152, 149, 151, 150}, p99us: 900, resident: 0.47},
		{backend: "pread", advice: schema.AdviceNone, cache: mem2, pattern: schema.Rand, us: even1, p99us: 400, resident: 0.51},
	}, rows...)
}

// A mem:N column sits between the partial states and cold (Order, not
// Resident: mem:2's 0.5 equals part:50's), with the same cell rule, a
// regime description from its rows, and only mem:8 named as not measured.
func TestMapPressureColumn(t *testing.T) {
	rows := withPressure(craftedMap())
	m := mapOf(mapResults(t, rows))
	if got := fmt.Sprint(m.caches); got != "[part:90 part:50 mem:2 cold]" {
		t.Errorf("columns %s, want [part:90 part:50 mem:2 cold]", got)
	}
	cell := m.cell(mapPoint{4096, 1, schema.Pressure(2), mapRow{schema.Rand, schema.NoPrefetch}})
	if cell.cmp.Outcome != lose || math.Abs(cell.cmp.Ratio-3) > 0.05 || !strings.Contains(cell.text(false), "p99 900µs vs 400µs") {
		t.Errorf("mem:2 rand: %v ×%.2f %q; want pread faster, ×3.00, both p99s", cell.cmp.Outcome, cell.cmp.Ratio, cell.text(false))
	}
	words := m.regimeWords(machine{llc: 32 << 20, readAhead: 8 << 20}, schema.Pressure(2))
	if want := "mem:2, the file 2× a memory cgroup's limit (256MiB file, 128MiB limit), steady state; median resident-frac 0.49 (rows 0.47–0.51, 2 rows)"; words != want {
		t.Errorf("mem:2 regime:\n%s\nwant\n%s", words, want)
	}
	var b strings.Builder
	writeMap(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, Input{Map: mapResults(t, rows).Results})
	out := b.String()
	if !strings.Contains(out, "| pattern × prefetch | part:90 | part:50 | mem:2 | cold |") {
		t.Errorf("no table with the mem:2 column before cold in\n%s", out)
	}
	if strings.Contains(out, "mem:2 (the file 2× a memory cgroup's limit): no rows") || !strings.Contains(out, "mem:8 (the file 8× a memory cgroup's limit): no rows in this file") {
		t.Errorf("want mem:8 named as not measured and mem:2 not:\n%s", out)
	}
	if strings.Contains(out, "later session") {
		t.Errorf("the map still promises a later session:\n%s", out)
	}
	if p := regimeLine(t, whichToUse(t, rows), "mem:2"); !strings.Contains(p, "pread is faster in 1.") || !strings.Contains(p, "pread/none is 3.00× faster than mmap/rand") {
		t.Errorf("Which to use, mem:2: %q; want pread/none 3.00× faster", p)
	}
	maps := Heatmaps(mapResults(t, rows).Results)
	if got := strings.Join(maps[0].Columns, ","); got != "part:90,part:50,mem:2,mem:8,cold" {
		t.Errorf("figure columns %s", got)
	}
	if got := maps[0].Panels[0].Cells[0][2].Label(); got != "×3.00" {
		t.Errorf("figure mem:2 rand cell %q, want ×3.00", got)
	}
	if got := maps[0].Panels[0].Cells[0][3].Label(); got != "not measured" {
		t.Errorf("figure mem:8 rand cell %q, want not measured", got)
	}
}

// Warm rows at 16 goroutines and warm rows with a batched prefetch fill
// their cells by the same rule (their rows report no p99: none is shown).
func TestMapWarmConcurrentAndPrefetchRows(t *testing.T) {
	rows := craftedMap()
	for _, th := range []int{1, 16} {
		for _, pf := range []schema.Prefetch{schema.NoPrefetch, schema.Batch(16)} {
			rows = append(rows,
				mapSample{backend: "mmap", advice: schema.AdviceNone, cache: schema.Warm, pattern: schema.Rand, prefetch: pf, threads: th, us: []float64{0.4, 0.41, 0.39, 0.4, 0.42}},
				mapSample{backend: "pread", advice: schema.AdviceNone, cache: schema.Warm, pattern: schema.Rand, prefetch: pf, threads: th, us: []float64{0.8, 0.82, 0.79, 0.81, 0.8}})
		}
	}
	m := mapOf(mapResults(t, rows))
	if got := fmt.Sprint(m.caches); got != "[warm part:90 part:50 cold]" {
		t.Errorf("columns %s", got)
	}
	for _, th := range []int{1, 16} {
		for _, r := range []mapRow{{schema.Rand, schema.NoPrefetch}, {schema.Rand, schema.Batch(16)}} {
			c := m.cell(mapPoint{4096, th, schema.Warm, r})
			if c.missing() != "" || c.cmp.Outcome != win || math.Abs(c.cmp.Ratio-0.5) > 0.01 || strings.Contains(c.text(false), "p99") {
				t.Errorf("warm %s, %d goroutines: %q; want mmap faster ×0.50 and no p99", r, th, c.text(false))
			}
		}
	}
}

func TestMapCells(t *testing.T) {
	m := mapOf(mapResults(t, craftedMap()))
	if m == nil {
		t.Fatal("mapOf = nil for results with partial rows")
	}
	if got := fmt.Sprint(m.caches); got != "[part:90 part:50 cold]" {
		t.Errorf("columns %s, want the most resident first: [part:90 part:50 cold]", got)
	}
	rand, batch := mapRow{schema.Rand, schema.NoPrefetch}, mapRow{schema.Rand, schema.Batch(16)}
	at := func(c schema.Cache, r mapRow) mapCell { return m.cell(mapPoint{4096, 1, c, r}) }

	sig := at(schema.Partial(50), rand)
	if sig.cmp.Outcome != win || math.Abs(sig.cmp.Ratio-0.5) > 0.01 {
		t.Errorf("part:50 rand: %v, ratio %.3f; want mmap faster, ×0.50", sig.cmp.Outcome, sig.cmp.Ratio)
	}
	if got := sig.text(false); !strings.HasPrefix(got, "×0.50") || !strings.Contains(got, "mmap/rand vs pread/none") || !strings.Contains(got, "p99 300µs vs 200µs") {
		t.Errorf("part:50 rand cell %q: want ×0.50, mmap's fastest setup advice=rand against pread/none, and both p99s", got)
	}
	if lv := at(schema.Cold, rand); lv.cmp.Outcome != level || !strings.HasPrefix(lv.text(false), "level") || !lv.plotCell().Level {
		t.Errorf("cold rand: %v %q; want level", lv.cmp.Outcome, lv.text(false))
	}
	if got := at(schema.Partial(90), rand).text(false); !strings.HasPrefix(got, "no mmap row") || !strings.Contains(got, "pread/none") {
		t.Errorf("part:90 rand cell %q: want no mmap row, naming the pread setup that ran", got)
	}
	if got := at(schema.Partial(50), batch).plotCell().Missing; got != "no pread row" {
		t.Errorf("part:50 rand+batch16: missing %q, want no pread row", got)
	}
	if got := at(schema.Cold, batch).missing(); got != "no mmap or pread row" {
		t.Errorf("cold rand+batch16: %q, want no mmap or pread row", got)
	}
}

// Without a partial row there is no map: the report (and its golden file)
// is unchanged.
func TestNoMapWithoutPartialRows(t *testing.T) {
	var rows []mapSample
	for _, s := range craftedMap() {
		if !s.cache.IsPartial() {
			rows = append(rows, s)
		}
	}
	rs := mapResults(t, rows)
	if m := mapOf(rs); m != nil {
		t.Errorf("mapOf = %+v for results without partial rows", m)
	}
	var b strings.Builder
	writeMap(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, Input{Map: rs.Results})
	if b.Len() != 0 {
		t.Errorf("writeMap wrote %q", b.String())
	}
	if h := Heatmaps(rs.Results); h != nil {
		t.Errorf("Heatmaps = %v", h)
	}
}

func whichToUse(t *testing.T, rows []mapSample) string {
	var b strings.Builder
	writeMap(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, Input{Map: mapResults(t, rows).Results})
	s := b.String()
	i := strings.Index(s, "## Which to use")
	if i < 0 {
		t.Fatalf("no Which to use section in\n%s", s)
	}
	return s[i:]
}

// regimeLine returns the section's paragraph for a regime.
func regimeLine(t *testing.T, section, regime string) string {
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "**"+regime) {
			return l
		}
	}
	t.Fatalf("no paragraph for %s in\n%s", regime, section)
	return ""
}

func TestWhichToUseFollowsTheData(t *testing.T) {
	sec := whichToUse(t, craftedMap())
	// part:50 rand: the prefetch is part of the setup now: mmap/none+batch16
	// and mmap/rand both run 40µs; against pread/none 80µs.
	p50 := regimeLine(t, sec, "part:50")
	if !strings.Contains(p50, "Of 1 workload, mmap is faster in 1.") || !strings.Contains(p50, "2.00× faster than pread/none") {
		t.Errorf("part:50: %q; want mmap faster in 1 of 1, 2.00× faster than pread/none", p50)
	}
	if cold := regimeLine(t, sec, "cold"); !strings.Contains(cold, "the two are level in 1") || strings.Contains(cold, "largest margin") {
		t.Errorf("cold: %q; want level and no margin", cold)
	}
	if p90 := regimeLine(t, sec, "part:90"); !strings.Contains(p90, "one side has no row in 1") {
		t.Errorf("part:90: %q; want a side with no row", p90)
	}
	// A workload run only in another regime: neither side in this one.
	sec16 := whichToUse(t, append(craftedMap(), mapSample{backend: "pread", advice: schema.AdviceNone, cache: schema.Cold, pattern: schema.Rand, threads: 16, us: slow}))
	if p90 := regimeLine(t, sec16, "part:90"); !strings.Contains(p90, "Of 2 workloads, one side has no row in 1, neither side was run in 1.") {
		t.Errorf("part:90 with a 16-goroutine workload run only cold: %q", p90)
	}
	if want := "**mem:2 and mem:8 (the file 2× and 8× a memory cgroup's limit): no rows in this file;"; !strings.Contains(sec, want) {
		t.Errorf("section lacks the unmeasured regimes (%q):\n%s", want, sec)
	}

	// Make pread 4× faster at part:50: the sentence turns.
	rows := craftedMap()
	for i := range rows {
		if rows[i].backend == "pread" && rows[i].cache == schema.Partial(50) && rows[i].advice == schema.AdviceRand {
			rows[i].us, rows[i].p99us = []float64{10, 10.5, 9.8, 10.1, 10}, 33
		}
	}
	p50 = regimeLine(t, whichToUse(t, rows), "part:50")
	if !strings.Contains(p50, "pread is faster in 1.") || !strings.Contains(p50, "pread/rand is 4.00× faster than mmap/") || !strings.Contains(p50, "p99 33µs against") {
		t.Errorf("part:50 with pread faster: %q; want pread/rand 4.00× faster with its p99 33µs", p50)
	}
}

func TestHeatmapsGrid(t *testing.T) {
	rs := mapResults(t, craftedMap())
	maps := Heatmaps(rs.Results)
	if len(maps) != 1 || maps[0].Name != "map-4KiB" {
		t.Fatalf("Heatmaps = %+v; want one map, map-4KiB", maps)
	}
	m := maps[0]
	if got := strings.Join(m.Columns, ","); got != "part:90,part:50,mem:2,mem:8,cold" {
		t.Errorf("columns %s", got)
	}
	if got := strings.Join(m.Rows, ","); got != "rand,rand + batch16" {
		t.Errorf("rows %s", got)
	}
	if len(m.Panels) != 1 || m.Panels[0].Title != "1 goroutine" {
		t.Fatalf("panels %+v; want one, 1 goroutine", m.Panels)
	}
	labels := [][]string{}
	for _, r := range m.Panels[0].Cells {
		var l []string
		for _, c := range r {
			l = append(l, c.Label())
		}
		labels = append(labels, l)
	}
	want := "[[no mmap row ×0.50 not measured not measured level] [no row no pread row not measured not measured no row]]"
	if got := fmt.Sprint(labels); got != want {
		t.Errorf("cells\n%s\nwant\n%s", got, want)
	}
}

// A row whose stretch read more of the file than its regime allows is
// marked where it is named; within the limit it is not.
func TestMapMarksRowsThatLeftTheirRegime(t *testing.T) {
	for _, tc := range []struct {
		intake float64
		marked bool
	}{{0.04, true}, {0.01, false}} {
		rows := craftedMap()
		rows[1].intake = tc.intake // part:50 mmap/rand, the cell's fastest mmap setup
		rs := mapResults(t, rows)
		cell := mapOf(rs).cell(mapPoint{4096, 1, schema.Partial(50), mapRow{schema.Rand, schema.NoPrefetch}})
		var b strings.Builder
		writeMap(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, Input{Map: rs.Results})
		text, footnote := cell.text(false), strings.Contains(b.String(), leftMark+" after a setup")
		if strings.Contains(text, "mmap/rand"+leftMark) != tc.marked || cell.plotCell().LeftRegime != tc.marked || footnote != tc.marked {
			t.Errorf("max-intake-frac %g: cell %q, figure %v, footnote %v; want marked %v", tc.intake, text, cell.plotCell().LeftRegime, footnote, tc.marked)
		}
	}
}

// A sample skipped in one invocation (0 iterations, NaN ns/op) is left
// out with its pair; a row skipped in every invocation is no row.
func TestMapLeavesOutSkippedSamples(t *testing.T) {
	nan := math.NaN()
	rows := craftedMap()
	rows[1].us = []float64{40, nan, 39, 40, 42} // part:50 mmap/rand
	rows = append(rows, mapSample{backend: "pread", advice: schema.AdviceNone, cache: schema.Partial(50), pattern: schema.Rand,
		prefetch: schema.Batch(16), us: []float64{nan, nan, nan, nan, nan}})
	m := mapOf(mapResults(t, rows))
	sig := m.cell(mapPoint{4096, 1, schema.Partial(50), mapRow{schema.Rand, schema.NoPrefetch}})
	if sig.cmp.N != 4 || sig.cmp.Outcome != win || math.IsNaN(sig.cmp.Ratio) || sig.mmap.ns != 40000 {
		t.Errorf("part:50 rand with one skipped mmap sample: N %d, %v, ratio %v, mmap median %v; want 4 pairs, mmap faster, median 40µs", sig.cmp.N, sig.cmp.Outcome, sig.cmp.Ratio, sig.mmap.ns/1000)
	}
	if got := m.cell(mapPoint{4096, 1, schema.Partial(50), mapRow{schema.Rand, schema.Batch(16)}}).missing(); got != "no pread row" {
		t.Errorf("pread skipped in every invocation: %q, want no pread row", got)
	}
}

// TestMapUnholdableCell: a parallel partial cell with batched prefetch
// whose shortest stretch (every goroutine one batch) reads more than the
// 2-point drift is explained, not only named missing; one within it is not.
func TestMapUnholdableCell(t *testing.T) {
	m := &decisionMap{size: 256 << 20}
	batch := mapRow{pattern: schema.Rand, prefetch: schema.Batch(16)}
	why := m.unholdable(mapPoint{bs: 64 << 10, threads: 16, cache: schema.Partial(50), row: batch})
	if !strings.Contains(why, "8MiB") || !strings.Contains(why, "3.1%") {
		t.Errorf("64KiB part:50 batch16 16 goroutines: %q, want 16×16×64KiB×50%% = 8MiB, 3.1%% of 256MiB", why)
	}
	for _, pt := range []mapPoint{
		{bs: 64 << 10, threads: 16, cache: schema.Partial(90), row: batch}, // 1.6MiB
		{bs: 4 << 10, threads: 16, cache: schema.Partial(50), row: batch},  // 512KiB
		{bs: 64 << 10, threads: 1, cache: schema.Partial(50), row: batch},
		{bs: 64 << 10, threads: 16, cache: schema.Cold, row: batch},
	} {
		if why := m.unholdable(pt); why != "" {
			t.Errorf("%+v: %q, want holdable", pt, why)
		}
	}
}
