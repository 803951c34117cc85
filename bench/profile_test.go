//go:build linux

package bench

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// TestBadSizesExitBeforeBenchmarks runs this test binary as make bench
// does, with values -sizes and -profile cannot take: each must exit 2 with
// a message naming the value, before any benchmark prints a result, and
// leave nothing in the bench directory.
func TestBadSizesExitBeforeBenchmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary")
	}
	for _, tc := range []struct{ flag, value, want string }{
		// The map profile's largest block is 64KiB; the quick one's 1MiB.
		{"-profile=map -sizes", "96KiB", "not a multiple of 64KiB, the map profile's"},
		{"-sizes", "100B", "not a multiple of 1MiB"},
		{"-sizes", "1536KiB", "not a multiple of 1MiB"},
		{"-sizes", "0", "not a positive size"},
		{"-sizes", "foo", `"foo"`},
		{"-sizes", "16MiB,10XB", `"10XB"`},
		{"-profile", "nosuch", `"nosuch": want quick, full, map or lucene`},
	} {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"-test.run", "^$", "-test.bench", "^BenchmarkRead$", "-test.benchtime", "1x", "-benchdir", dir}
			flags := strings.Fields(tc.flag)
			args = append(append(args, flags...), tc.value)
			cmd := exec.Command(os.Args[0], args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit = %v, want status 2\nstderr: %s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr = %q, want it to name the value (%q)", stderr.String(), tc.want)
			}
			if strings.Contains(stdout.String(), "Benchmark") {
				t.Errorf("a benchmark ran before the refusal:\n%s", stdout.String())
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("left in the bench directory: %v", left)
			}
		})
	}
}

// TestQuickSizesFromMachine: the quick profile's files are sized from the
// machine, the small one inside the LLC and the large one beyond both the
// LLC and read-around, and -sizes accepts what the order can index.
func TestQuickSizesFromMachine(t *testing.T) {
	p, err := loadProfile("quick", "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	llc, err := LLCSize()
	if err != nil {
		llc = fallbackLLC
	}
	small, large := p.sizes[0], p.sizes[1]
	if small > llc {
		t.Errorf("small file %s exceeds the %s LLC", schema.FormatSize(small), schema.FormatSize(llc))
	}
	if large < largeLLCFactor*llc {
		t.Errorf("large file %s is under %d× the %s LLC", schema.FormatSize(large), largeLLCFactor, schema.FormatSize(llc))
	}
	if ra, err := ReadAheadBytes(t.TempDir()); err == nil && large < largeReadAheadWindows*ra {
		t.Errorf("large file %s is under %d read-ahead windows of %s", schema.FormatSize(large), largeReadAheadWindows, schema.FormatSize(ra))
	}
	if len(p.why) < 2 {
		t.Errorf("why = %q, want a line per size", p.why)
	}
	p, err = loadProfile("quick", "24MiB,1GiB", "")
	if err != nil || len(p.sizes) != 2 || p.sizes[0] != 24<<20 {
		t.Errorf("-sizes 24MiB,1GiB: %v, %v", p.sizes, err)
	}
	if _, err := loadProfile("full", "4MiB", ""); err == nil || !strings.Contains(err.Error(), "8MiB") {
		t.Errorf("full profile, -sizes 4MiB (under its 8MiB blocks): err = %v, want a refusal naming 8MiB", err)
	}
}

func TestPow2(t *testing.T) {
	for _, tc := range []struct{ n, floor, ceil int64 }{{1, 1, 1}, {3, 2, 4}, {4, 4, 4}, {5, 4, 8}, {32 << 20, 32 << 20, 32 << 20}, {33 << 20, 32 << 20, 64 << 20}} {
		if f, c := floorPow2(tc.n), ceilPow2(tc.n); f != tc.floor || c != tc.ceil {
			t.Errorf("floorPow2, ceilPow2(%d) = %d, %d; want %d, %d", tc.n, f, c, tc.floor, tc.ceil)
		}
	}
}

// mapCell is one cell of the decision map: everything but the setup
// (backend, access, advice) that is compared within it.
type mapCell struct {
	cache    schema.Cache
	pattern  schema.Pattern
	prefetch schema.Prefetch
	threads  int
	bs       int64
}

func cellOf(c schema.Case) mapCell {
	return mapCell{c.Cache, c.Pattern, c.Prefetch, c.Threads, c.BS}
}

// TestMapProfile: the map profile is the decision map's grid on the quick
// profile's large file: every cell (regime, pattern, prefetch, goroutines,
// block size) has an mmap and a pread setup that can run, nothing outside
// the grid is there, the names read back, and compared rows are adjacent.
// It constructs cases only.
func TestMapProfile(t *testing.T) {
	dir := t.TempDir()
	p, err := loadProfile("map", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	_, large, _ := quickSizes(dir)
	if len(p.sizes) != 1 || p.sizes[0] != large {
		t.Errorf("sizes = %v, want the quick profile's large file, %s", p.sizes, schema.FormatSize(large))
	}
	if len(p.why) == 0 || !strings.Contains(p.why[len(p.why)-1], schema.FormatSize(large)) {
		t.Errorf("why = %q, want the large file's line", p.why)
	}
	cases := p.readCases()
	seen := map[string]bool{}
	// Per cell, the setups that can hold the regime by construction.
	mmapIn, preadIn := map[mapCell]bool{}, map[mapCell]bool{}
	for _, c := range cases {
		name := c.Name()
		if seen[name] {
			t.Errorf("duplicate case %s", name)
		}
		seen[name] = true
		if back, err := schema.ParseName(name); err != nil || back != c {
			t.Errorf("ParseName(%s) = %+v, %v; want the case back", name, back, err)
		}
		switch {
		case c.Backend == "mmap" && c.Access == schema.View:
			// With default advice at a partial state, Run may skip the
			// row (one fault's read-around moving the residency by more
			// than 2 points): that setup does not count for the cell.
			if c.Advice != schema.AdviceNone || !c.Cache.IsPartial() {
				mmapIn[cellOf(c)] = true
			}
		case c.Backend == "pread" && c.Access == schema.Copy:
			preadIn[cellOf(c)] = true
		default:
			t.Errorf("%s: want mmap access=view or pread access=copy", name)
		}
		if c.Advice != schema.AdviceNone && c.Advice != schema.AdviceRand {
			t.Errorf("%s: want advice none or rand", name)
		}
		restored := c.Cache.IsPartial() || c.Cache == schema.Cold || p.readAroundOverflows(c)
		if c.Threads != 1 && c.Backend == "mmap" && c.Advice == schema.AdviceNone && restored {
			t.Errorf("%s: RunParallel's first stretch would carry 16 read-arounds", name)
		}
	}
	zipf := schema.Zipf(schema.DefaultTheta)
	want := 0
	for _, cache := range []schema.Cache{schema.Warm, schema.Partial(90), schema.Partial(50), schema.Pressure(2), schema.Pressure(8), schema.Cold} {
		prefetches, threads := []schema.Prefetch{schema.NoPrefetch, schema.Batch(16)}, []int{1, 16}
		for _, pat := range []schema.Pattern{schema.Rand, zipf} {
			for _, pf := range prefetches {
				for _, th := range threads {
					for _, bs := range []int64{4 << 10, 64 << 10} {
						cell := mapCell{cache, pat, pf, th, bs}
						want++
						if !mmapIn[cell] || !preadIn[cell] {
							t.Errorf("cell %+v: mmap %v, pread %v; want both", cell, mmapIn[cell], preadIn[cell])
						}
					}
				}
			}
		}
	}
	if len(preadIn) != want {
		t.Errorf("%d cells, want %d", len(preadIn), want)
	}

	// Compared rows are adjacent: the cases of one cell and advice form
	// one run, warm cells first, cold last; -rotate turns each run round.
	type group struct {
		cell   mapCell
		advice schema.Advice
	}
	checkRuns := func(cs []schema.Case) []group {
		var order []group
		done := map[group]bool{}
		for i, c := range cs {
			g := group{cellOf(c), c.Advice}
			if i > 0 && g == (group{cellOf(cs[i-1]), cs[i-1].Advice}) {
				continue
			}
			if done[g] {
				t.Errorf("%s: its group's rows are not adjacent", c.Name())
			}
			done[g] = true
			order = append(order, g)
		}
		return order
	}
	groups := checkRuns(cases)
	for i := 1; i < len(cases); i++ {
		if cases[i].Cache.Order() < cases[i-1].Cache.Order() {
			t.Errorf("%s after %s: want warm, partial, pressure, cold", cases[i].Name(), cases[i-1].Name())
		}
	}
	p.rotate = 1
	rotated := p.readCases()
	if !slices.Equal(checkRuns(rotated), groups) {
		t.Errorf("-rotate 1 changed the order of the groups")
	}
	if len(rotated) != len(cases) || rotated[0] != cases[1] || rotated[1] != cases[0] {
		t.Errorf("-rotate 1: first rows %s, %s; want the first group's two turned round", rotated[0].Name(), rotated[1].Name())
	}
}

// TestMapProfileSizes: -sizes replaces the map profile's file as the
// others', refusing sizes its 64KiB blocks do not divide.
func TestMapProfileSizes(t *testing.T) {
	p, err := loadProfile("map", "128KiB,16MiB", "")
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[int64]int{}
	for _, c := range p.readCases() {
		sizes[c.Size]++
	}
	if len(sizes) != 2 || sizes[128<<10] == 0 || sizes[128<<10] != sizes[16<<20] {
		t.Errorf("-sizes 128KiB,16MiB: cases per size %v, want the same grid at each", sizes)
	}
	for _, bad := range []string{"96KiB", "32KiB", "0"} {
		if _, err := loadProfile("map", bad, ""); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("-sizes %s: err = %v, want a refusal naming it", bad, err)
		}
	}
}

// TestMapProfileRuns: make bench-map's invocation with -profile map and a
// -sizes value gets past runMain's checks and runs the named row at that
// size (one warm pread row of a 128KiB file, so that the test stays fast).
func TestMapProfileRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary")
	}
	dir := t.TempDir()
	row := "backend=pread/access=copy/pattern=rand/bs=4KiB/cache=warm/size=128KiB/advice=none/threads=1"
	cmd := exec.Command(os.Args[0], "-test.run", "^$", "-test.bench", "^BenchmarkRead$/^"+row+"$", "-test.benchtime", "1x",
		"-benchdir", dir, "-profile", "map", "-sizes", "128KiB")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("-profile map -sizes 128KiB: %v\nstderr: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "BenchmarkRead/"+row+"-") {
		t.Errorf("stdout has no %s row:\n%s", row, stdout.String())
	}
}

// TestLuceneProfile: Lucene's strategies (mmap NORMAL and RANDOM, each
// with and without batched WILLNEED, pread with and without, O_DIRECT
// pread) in every regime (warm, file ≈ limit, file 2× limit) at 1, 4 and
// 16 goroutines, 16KiB random reads, and nothing else. Cases only.
func TestLuceneProfile(t *testing.T) {
	p, err := loadProfile("lucene", "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	type strategy struct {
		backend  string
		access   schema.Access
		advice   schema.Advice
		prefetch schema.Prefetch
	}
	batch := schema.Batch(16)
	want := map[strategy]bool{
		{"mmap", schema.View, schema.AdviceNone, schema.NoPrefetch}: true, {"mmap", schema.View, schema.AdviceNone, batch}: true,
		{"mmap", schema.View, schema.AdviceRand, schema.NoPrefetch}: true, {"mmap", schema.View, schema.AdviceRand, batch}: true,
		{"pread", schema.Copy, schema.AdviceNone, schema.NoPrefetch}: true, {"pread", schema.Copy, schema.AdviceNone, batch}: true,
		{"pread", schema.Direct, schema.AdviceNone, schema.NoPrefetch}: true,
	}
	type cell struct {
		cache   schema.Cache
		threads int
	}
	got := map[cell]int{}
	for _, c := range p.readCases() {
		if back, err := schema.ParseName(c.Name()); err != nil || back != c {
			t.Errorf("ParseName(%s) = %+v, %v", c.Name(), back, err)
		}
		if !want[strategy{c.Backend, c.Access, c.Advice, c.Prefetch}] || c.BS != 16<<10 || c.Pattern != schema.Rand {
			t.Errorf("%s: not one of Lucene's strategies on 16KiB random reads", c.Name())
		}
		got[cell{c.Cache, c.Threads}]++
	}
	for _, cache := range []schema.Cache{schema.Warm, schema.Pressure(1), schema.Pressure(2)} {
		for _, th := range []int{1, 4, 16} {
			if n := got[cell{cache, th}]; n != len(want) {
				t.Errorf("cache=%v threads=%d: %d strategies, want %d", cache, th, n, len(want))
			}
		}
	}
	if len(got) != 9 {
		t.Errorf("%d regime × goroutine cells, want 9", len(got))
	}
}

// TestQuickProfileKeepsMapSlice: make bench's quick profile keeps a slice
// of the decision map (issue 14): zipf reads warm and 50% resident at the
// large file, for mmap in place and pread.
func TestQuickProfileKeepsMapSlice(t *testing.T) {
	p, err := loadProfile("quick", "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	zipf := schema.Zipf(schema.DefaultTheta)
	want := map[string]bool{}
	for _, cache := range []schema.Cache{schema.Warm, schema.Partial(50)} {
		for _, c := range []schema.Case{
			{Backend: "mmap", Access: schema.View, Pattern: zipf, BS: 4 << 10, Cache: cache, Size: slices.Max(p.sizes), Advice: schema.AdviceRand, Threads: 1},
			{Backend: "pread", Access: schema.Copy, Pattern: zipf, BS: 4 << 10, Cache: cache, Size: slices.Max(p.sizes), Advice: schema.AdviceRand, Threads: 1},
		} {
			want[c.Name()] = true
		}
	}
	for _, c := range p.readCases() {
		delete(want, c.Name())
	}
	if len(want) > 0 {
		t.Errorf("quick profile lacks the map slice's %v", slices.Sorted(maps.Keys(want)))
	}
}
