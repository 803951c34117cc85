package bench

import (
	"flag"
	"fmt"
	"io"
	"math/bits"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// The matrix's knobs. Defaults give the quick profile that make bench runs.
var (
	profileFlag = flag.String("profile", envOr("MMAPBENCH_PROFILE", "quick"), "benchmark `profile`: quick (a covering subset, minutes) or full (the whole matrix)")
	sizesFlag   = flag.String("sizes", os.Getenv("MMAPBENCH_SIZES"), "comma-separated file `sizes` overriding the profile's, e.g. 16MiB,1GiB; "+
		"each must be a multiple of the profile's largest block size (quick: 1MiB, full: 8MiB), so that every block size divides the file; "+
		"a block count that is not a power of two is fine (pattern=rand permutes any count). Default: derived from the machine (see the sizes line on stderr)")
	dropCaches = flag.Bool("dropcaches", false, "for cache=cold, also write 1 to /proc/sys/vm/drop_caches before each pass (needs root)")
	rotate     = flag.Int("rotate", 0, "rotate the order of the backends within each group of compared cases by `n` places (make bench passes each invocation's number, so that no backend always runs first)")
	progress   = flag.Bool("progress", false, "print each case's name and position on stderr as it starts (stdout keeps only results)")
)

// runCases runs each case as a sub-benchmark, telling stderr where the run
// is when -progress is set.
func runCases(b *testing.B, cases []rwCase, o op) {
	for i, c := range cases {
		if *progress {
			fmt.Fprintf(os.Stderr, "bench: %s [%d/%d] %s\n", b.Name(), i+1, len(cases), c.name())
		}
		b.Run(c.name(), func(b *testing.B) { runCase(b, c, o) })
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// rwCase is one row of the read/write matrix. Its name lists every key, in
// a fixed order, as key=value, so benchstat can pivot on any of them.
type rwCase struct {
	backend impl.Backend
	access  string // "copy": ReadAt/WriteAt with a buffer; "view": in place through impl.Viewer
	pattern string // "seq", or "rand": every block once per pass, in a fixed pseudo-random order
	bs      int64
	cache   string // "warm" or "cold"
	size    int64
	advice  string // "none" or an impl.Advice name
	threads int    // goroutines doing the operations
	sync    int    // WriteSync: a Sync every sync writes; 0 otherwise

	// noConsume skips Consume after a read, for BenchmarkNoConsume only:
	// fio never looks at the bytes it reads, and the cross-check compares
	// like with like. It is not a key of the matrix, whose reads all consume.
	noConsume bool
}

func (c rwCase) name() string {
	name := fmt.Sprintf("backend=%s/access=%s/pattern=%s/bs=%s/cache=%s/size=%s/advice=%s/threads=%d",
		c.backend.Name, c.access, c.pattern, schema.FormatSize(c.bs), c.cache, schema.FormatSize(c.size), c.advice, c.threads)
	if c.sync > 0 {
		name += fmt.Sprintf("/sync=%d", c.sync)
	}
	return name
}

// profile is one set of axes; cases expands it.
type profile struct {
	sizes, blocks    []int64
	patterns, caches []string
	advice           []string
	threads          []int
	adviceBlocks     []int64 // advice other than none only at these block sizes
	adviceCold       bool    // advice other than none only for cold random reads
	threadsBlocks    []int64 // threads other than 1 only at these block sizes
	syncEvery        []int
	writeBlocks      []int64
	writeCaches      []string
	writePatterns    []string
	writeSizes       []int64 // sizes of the write cases; all sizes when nil
	// largeColdSeq, when set, restricts cold sequential reads of the sizes
	// in it to these block sizes: the quick profile's large file is there
	// for the regimes the small one cannot show (warm beyond the LLC, cold
	// beyond read-around), at the least cost.
	largeColdSeq map[int64][]int64
	// why says, for stderr, where each default size came from.
	why []string
}

// currentProfile returns the run's profile. runMain has refused bad
// -profile and -sizes values before any benchmark ran, so an error here
// comes from a test that set the flags itself.
func currentProfile(tb testing.TB) profile {
	p, err := loadProfile(*profileFlag, *sizesFlag, benchDir)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Quick-profile sizes come from the machine: the small file is half the
// last-level cache (warm reads of it are cache hits), the large one at least
// largeLLCFactor LLCs (warm reads come from memory) and largeReadAheadWindows
// read-ahead windows (a cold random read's read-around brings in a small
// part of it). Fallbacks where sysfs says nothing are today's typical
// values, printed as such.
const (
	largeLLCFactor        = 8
	largeReadAheadWindows = 32
	fallbackLLC           = 32 << 20
	fallbackReadAhead     = 128 << 10 // the kernel's default read_ahead_kb
	minLargeFile          = 64 << 20
)

// loadProfile expands the named profile for the machine, with sizes (a
// comma-separated list, "" for the profile's own) replacing its file sizes.
// dir is the bench directory, whose device's read-ahead sizes the large file.
func loadProfile(name, sizes, dir string) (profile, error) {
	var p profile
	switch name {
	case "quick":
		small, large, why := quickSizes(dir)
		p = profile{
			sizes: []int64{small, large}, blocks: []int64{4 << 10, 1 << 20},
			patterns: []string{"seq", "rand"}, caches: []string{"warm", "cold"},
			// MADV_RANDOM and FADV_RANDOM beside default advice where they
			// matter: cold random 4KiB reads, where a mapping's default
			// read-around reads a whole window per fault.
			advice: []string{"none", "rand"}, adviceBlocks: []int64{4 << 10}, adviceCold: true,
			threads:   []int{1},
			syncEvery: []int{64}, writeBlocks: []int64{4 << 10},
			writeCaches: []string{"warm"}, writePatterns: []string{"seq"},
			writeSizes: []int64{small}, largeColdSeq: map[int64][]int64{large: {1 << 20}}, why: why,
		}
	case "full":
		p = profile{
			sizes:    []int64{16 << 20, 1 << 30, 4 << 30},
			blocks:   []int64{64, 512, 4 << 10, 64 << 10, 512 << 10, 1 << 20, 2 << 20, 8 << 20},
			patterns: []string{"seq", "rand"}, caches: []string{"warm", "cold"},
			advice:       []string{"none", "seq", "rand", "willneed", "populate", "hugepage"},
			threads:      dedup([]int{1, 2, runtime.GOMAXPROCS(0)}),
			adviceBlocks: []int64{4 << 10, 1 << 20}, threadsBlocks: []int64{4 << 10, 1 << 20},
			syncEvery: []int{1, 64}, writeBlocks: []int64{4 << 10, 1 << 20},
			writeCaches: []string{"warm", "cold"}, writePatterns: []string{"seq", "rand"},
		}
	default:
		return p, fmt.Errorf("bench: -profile %q: want quick or full", name)
	}
	if sizes != "" {
		p.sizes, p.writeSizes, p.largeColdSeq, p.why = nil, nil, nil, nil
		largest := slices.Max(append(slices.Clone(p.blocks), p.writeBlocks...))
		for _, s := range strings.Split(sizes, ",") {
			n, err := schema.ParseSize(s)
			switch {
			case err != nil:
				return p, fmt.Errorf("bench: -sizes %q: %v", sizes, err)
			case n <= 0:
				return p, fmt.Errorf("bench: -sizes %q: %q is not a positive size", sizes, s)
			case n < largest || n%largest != 0:
				return p, fmt.Errorf("bench: -sizes %q: %s is not a multiple of %s, the %s profile's largest block size: every block size must divide the file", sizes, s, schema.FormatSize(largest), name)
			}
			p.sizes = append(p.sizes, n)
		}
	}
	return p, nil
}

// quickSizes derives the quick profile's two file sizes from the machine:
// powers of two, the small one half the LLC (at least 4MiB), the large one
// at least largeLLCFactor × LLC, largeReadAheadWindows × read-ahead and
// minLargeFile. why says where they came from.
func quickSizes(dir string) (small, large int64, why []string) {
	llc, err := LLCSize()
	if err != nil {
		why = append(why, fmt.Sprintf("LLC size unknown (%v): assuming %s", err, schema.FormatSize(fallbackLLC)))
		llc = fallbackLLC
	}
	ra, err := ReadAheadBytes(dir)
	switch {
	case err != nil:
		why = append(why, fmt.Sprintf("read-ahead unknown (%v): assuming %s", err, schema.FormatSize(fallbackReadAhead)))
		ra = fallbackReadAhead
	case ra <= 0:
		ra = 0 // no block device: no read-around to outgrow
	}
	small = max(4<<20, floorPow2(llc/2))
	large = max(ceilPow2(largeLLCFactor*llc), ceilPow2(largeReadAheadWindows*ra), minLargeFile)
	why = append(why,
		fmt.Sprintf("%s: half the %s last-level cache (warm reads are cache hits)", schema.FormatSize(small), schema.FormatSize(llc)),
		fmt.Sprintf("%s: %d× the LLC (warm reads come from memory) and %d read-ahead windows of %s (cold random reads are not prefetched by read-around)",
			schema.FormatSize(large), large/llc, large/max(ra, 1), schema.FormatSize(ra)))
	return small, large, why
}

func floorPow2(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return 1 << (bits.Len64(uint64(n)) - 1)
}

func ceilPow2(n int64) int64 {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len64(uint64(n-1))
}

func dedup(xs []int) []int {
	slices.Sort(xs)
	return slices.Compact(xs)
}

// readCases expands the profile for reads: every backend and access mode,
// with advice and concurrency varied one at a time against the baseline
// (advice=none, threads=1), not multiplied together.
func (p profile) readCases() []rwCase {
	var cs []rwCase
	for _, be := range impl.Backends() {
		for _, access := range []string{"copy", "view"} {
			for _, pattern := range p.patterns {
				for _, bs := range p.blocks {
					for _, cache := range p.caches {
						for _, size := range p.sizes {
							if bs > size || !caseApplies(be, access, cache) ||
								(cache == "cold" && pattern == "seq" && p.largeColdSeq[size] != nil && !slices.Contains(p.largeColdSeq[size], bs)) {
								continue
							}
							base := rwCase{backend: be, access: access, pattern: pattern, bs: bs, cache: cache, size: size, advice: "none", threads: 1}
							cs = append(cs, base)
							for _, a := range p.advice[min(1, len(p.advice)):] {
								if slices.Contains(p.adviceBlocks, bs) && adviceApplies(be, a) && (!p.adviceCold || cache == "cold" && pattern == "rand") {
									c := base
									c.advice = a
									cs = append(cs, c)
								}
							}
							for _, t := range p.threads {
								if t > 1 && cache == "warm" && slices.Contains(p.threadsBlocks, bs) {
									c := base
									c.threads = t
									cs = append(cs, c)
								}
							}
						}
					}
				}
			}
		}
	}
	return groupCases(cs)
}

// groupCases orders the cases so that the rows a comparison sets side by
// side run next to each other: every warm case before any cold one (the
// files are shared by all cases: a cold case evicts them, and a warm case
// after it would have to read up to 4GiB back from the disk first), then
// by file size, pattern, block size, advice, threads and sync, with the
// backends and access modes of one such group adjacent, in an order
// rotated by -rotate places. On this VM the machine drifts by 10–20%
// within minutes; rows measured seconds apart share the drift, and make
// bench rotates the order between its invocations so that no backend is
// always first after a cold eviction or a file's creation.
func groupCases(cs []rwCase) []rwCase {
	key := func(c rwCase) string {
		return fmt.Sprintf("%d/%020d/%s/%020d/%s/%04d/%04d", map[string]int{"warm": 0, "cold": 1}[c.cache], c.size, c.pattern, c.bs, c.advice, c.threads, c.sync)
	}
	slices.SortStableFunc(cs, func(a, b rwCase) int { return strings.Compare(key(a), key(b)) })
	for start := 0; start < len(cs); {
		end := start + 1
		for end < len(cs) && key(cs[end]) == key(cs[start]) {
			end++
		}
		g := cs[start:end]
		if r := *rotate % len(g); r > 0 {
			slices.Reverse(g[:r])
			slices.Reverse(g[r:])
			slices.Reverse(g)
		}
		start = end
	}
	return cs
}

// writeCases expands the profile for writes, with and without Sync.
func (p profile) writeCases(withSync bool) []rwCase {
	var cs []rwCase
	sizes := p.writeSizes
	if sizes == nil {
		sizes = p.sizes
	}
	syncs := []int{0}
	if withSync {
		syncs = p.syncEvery
	}
	for _, be := range impl.Backends() {
		for _, access := range []string{"copy", "view"} {
			for _, pattern := range p.writePatterns {
				for _, bs := range p.writeBlocks {
					for _, cache := range p.writeCaches {
						for _, size := range sizes {
							for _, n := range syncs {
								if bs <= size && caseApplies(be, access, cache) {
									cs = append(cs, rwCase{backend: be, access: access, pattern: pattern, bs: bs, cache: cache, size: size, advice: "none", threads: 1, sync: n})
								}
							}
						}
					}
				}
			}
		}
	}
	return groupCases(cs)
}

// caseApplies leaves out the cases a backend cannot run: a view without
// a Viewer, a cold cache without a page cache.
func caseApplies(be impl.Backend, access, cache string) bool {
	return (access != "view" || be.Has(impl.CapView)) && (cache != "cold" || be.Has(impl.CapPersistent))
}

// adviceApplies: populate and hugepage are hints for mappings.
func adviceApplies(be impl.Backend, a string) bool {
	if !be.Has(impl.CapPersistent) {
		return false // null has no kernel to advise
	}
	return be.Has(impl.CapMapped) || (a != "populate" && a != "hugepage")
}

// sharedFiles holds one filled file per size for the whole run: every
// backend reads the same bytes, and no case pays for making them.
var sharedFiles struct {
	sync.Mutex
	paths map[int64]string
}

// sharedFile returns the path of the run's filled file of size bytes.
// Write benchmarks use it too: they write the pattern it already holds.
func sharedFile(tb testing.TB, size int64) string {
	sharedFiles.Lock()
	defer sharedFiles.Unlock()
	if p, ok := sharedFiles.paths[size]; ok {
		return p
	}
	if sharedFiles.paths == nil {
		sharedFiles.paths = map[int64]string{}
	}
	fmt.Fprintf(os.Stderr, "bench: preparing a %s file in %s\n", schema.FormatSize(size), benchDir)
	p := fillNew(tb, fmt.Sprintf("%s/shared-%s", benchDir, schema.FormatSize(size)), size)
	sharedFiles.paths[size] = p
	return p
}

// sharedMems holds the run's in-memory stores (the null backend) by size,
// filled once: making and filling a 4GiB buffer for every case would cost
// more than the case. They live until the process ends.
var sharedMems struct {
	sync.Mutex
	stores map[memKey]impl.Store
}

type memKey struct {
	backend string
	size    int64
}

// sharedMemStore returns the run's filled store of size bytes for be, a
// backend without a file.
func sharedMemStore(tb testing.TB, be impl.Backend, size int64) impl.Store {
	sharedMems.Lock()
	defer sharedMems.Unlock()
	key := memKey{be.Name, size}
	if s, ok := sharedMems.stores[key]; ok {
		return s
	}
	s, err := be.Open("", impl.Options{Size: size}) // no file to take a size from
	if err != nil {
		tb.Fatal(err)
	}
	p, err := impl.View(s, 0, int(size))
	if err != nil {
		tb.Fatal(err)
	}
	fillPattern(p)
	if sharedMems.stores == nil {
		sharedMems.stores = map[memKey]impl.Store{}
	}
	sharedMems.stores[key] = s
	return s
}

// fillNew makes a filled file at path that outlives the benchmark that
// asked for it; TestMain removes benchDir at the end.
func fillNew(tb testing.TB, path string, size int64) string {
	s, err := impl.Open("pread", path, impl.Options{Create: true, Size: size})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	fill(tb, s)
	// Read it back once: the first read of pages just written costs about
	// 2.7× the later ones here (their first access after the write moves
	// them on the LRU lists), and warm cases skip reading a file mincore
	// shows resident, so whichever case came first would pay it timed.
	if _, err := io.Copy(io.Discard, io.NewSectionReader(s, 0, size)); err != nil {
		tb.Fatal(err)
	}
	return path
}
