package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// The axes of a file benchmark's case. Each is a small enum whose String
// is the value in a benchmark name (key=value) and whose Parse function
// takes it back, refusing anything else with the accepted values named, so
// that a writer and a reader of results cannot disagree on a spelling.

// Access is how an operation reaches the bytes.
type Access uint8

const (
	Copy   Access = iota // ReadAt/WriteAt with a buffer: the bytes are copied
	View                 // in place, through the store's mapping (impl.Viewer)
	Direct               // ReadAt into an aligned buffer on a descriptor opened O_DIRECT: the device DMAs into it, no page cache
)

var accessNames = []string{"copy", "view", "direct"}

func (a Access) String() string { return enumString("access", accessNames, int(a)) }

// ParseAccess parses "copy", "view" or "direct".
func ParseAccess(s string) (Access, error) {
	i, err := parseEnum("access", accessNames, s)
	return Access(i), err
}

// Pattern is the order in which a case visits the blocks: seq and rand
// visit every block once per pass; hot and zipf draw blocks with
// replacement from a skewed distribution (a pass is then as many draws as
// there are blocks). A Pattern is a comparable value; the zero value is Seq.
type Pattern struct {
	kind  patternKind
	theta float64 // zipf's exponent
}

type patternKind uint8

const (
	seqKind  patternKind = iota // block 0, 1, 2, ...
	randKind                    // every block once per pass, in the project's random order (bench.Order)
	hotKind                     // fio's zoned:90/10: 90% of draws go to 10% of the blocks
	zipfKind                    // the block of rank r is drawn with probability ∝ 1/r^θ
)

var (
	Seq  = Pattern{kind: seqKind}
	Rand = Pattern{kind: randKind}
	// Hot is fio's zoned:90/10: 90% of the draws fall on 10% of the
	// blocks, uniformly within each zone. The hot blocks are scattered
	// over the file by the project's permutation, not one range.
	Hot = Pattern{kind: hotKind}
)

// DefaultTheta is zipf's exponent when a name says only "zipf": YCSB's.
const DefaultTheta = 0.99

// Zipf returns the Zipf pattern with exponent theta: the block of rank r
// (1-based, ranks scattered over the file by the project's permutation) is
// drawn with probability proportional to 1/r^theta. ParsePattern accepts
// 0 < theta ≤ 4 except 1.
func Zipf(theta float64) Pattern { return Pattern{kind: zipfKind, theta: theta} }

// IsZipf reports whether p is a Zipf pattern, and its exponent.
func (p Pattern) IsZipf() (theta float64, ok bool) { return p.theta, p.kind == zipfKind }

// Passes reports whether the pattern visits every block once per pass
// (seq, rand) rather than drawing blocks with replacement (hot, zipf).
func (p Pattern) Passes() bool { return p.kind == seqKind || p.kind == randKind }

var patternNames = []string{"seq", "rand", "hot", "zipf"}

func (p Pattern) String() string {
	s := enumString("pattern", patternNames, int(p.kind))
	if p.kind == zipfKind {
		s += ":" + strconv.FormatFloat(p.theta, 'g', -1, 64)
	}
	return s
}

// ParsePattern parses "seq", "rand", "hot", or "zipf:θ" (plain "zipf" is
// zipf:0.99).
func ParsePattern(s string) (Pattern, error) {
	if rest, ok := strings.CutPrefix(s, "zipf"); ok && (rest == "" || rest[0] == ':') {
		if rest == "" {
			return Zipf(DefaultTheta), nil
		}
		theta, err := strconv.ParseFloat(rest[1:], 64)
		if err != nil || !(theta > 0 && theta <= 4) || theta == 1 {
			return Pattern{}, fmt.Errorf("pattern %q: want zipf:θ with 0 < θ ≤ 4 and θ ≠ 1, such as zipf:0.99", s)
		}
		return Zipf(theta), nil
	}
	i, err := parseEnum("pattern", patternNames[:zipfKind], s)
	if err != nil {
		return Pattern{}, fmt.Errorf("%w, or zipf:θ", err)
	}
	return Pattern{kind: patternKind(i)}, nil
}

// Cache is the page-cache state the timed loop starts from and is kept
// in: warm (every page resident and, for a mapping, mapped), cold (almost
// nothing resident), partial, a percentage of the blocks resident (the
// hottest ones under a skewed pattern, what an LRU holds; a random subset
// under a uniform one), each verified with mincore before measuring; or
// memory pressure, mem:N, the file N times a memory cgroup's limit, where
// the kernel chooses what stays and the loop measures its steady state. A
// Cache is a comparable value; the zero value is Warm.
type Cache struct {
	kind    cacheKind
	percent uint8 // partial: the share of blocks resident; pressure: file ÷ limit
}

type cacheKind uint8

const (
	warmKind cacheKind = iota
	coldKind
	partKind
	memKind
)

// maxPressure bounds mem:N's N: beyond it the limit of a test-sized file
// is smaller than the process's own memory.
const maxPressure = 64

var (
	Warm = Cache{kind: warmKind}
	Cold = Cache{kind: coldKind}
)

// Partial returns the cache state with percent of the blocks resident,
// named part:<percent>; ParseCache accepts 1 to 99.
func Partial(percent int) Cache { return Cache{kind: partKind, percent: uint8(percent)} }

// Pressure returns the memory-pressure state with the file n times the
// memory limit, named mem:<n>; ParseCache accepts 1 to 64.
func Pressure(n int) Cache { return Cache{kind: memKind, percent: uint8(n)} }

// Resident is the share of the file the state keeps resident: 1 for
// warm, 0 for cold; under pressure, the most the limit can hold, 1/N.
func (c Cache) Resident() float64 {
	switch c.kind {
	case warmKind:
		return 1
	case partKind:
		return float64(c.percent) / 100
	case memKind:
		return 1 / float64(c.percent)
	}
	return 0
}

// IsPartial reports whether c is a partial state.
func (c Cache) IsPartial() bool { return c.kind == partKind }

// IsPressure reports whether c is a memory-pressure state, and its file ÷
// limit.
func (c Cache) IsPressure() (fileOverLimit int, ok bool) { return int(c.percent), c.kind == memKind }

// Order ranks the states from the most resident to the least, as a
// table's columns run: warm, partial by falling residency, pressure by
// rising file ÷ limit, cold. Rows that share the file run in this order,
// so that a case never starts from a state the one before could not leave.
func (c Cache) Order() int {
	switch c.kind {
	case warmKind:
		return 0
	case partKind:
		return 100 - int(c.percent)
	case memKind:
		return 100 + int(c.percent)
	}
	return 100 + maxPressure + 1
}

var cacheNames = []string{"warm", "cold", "part", "mem"}

func (c Cache) String() string {
	s := enumString("cache", cacheNames, int(c.kind))
	if c.kind == partKind || c.kind == memKind {
		s += ":" + strconv.Itoa(int(c.percent))
	}
	return s
}

// ParseCache parses "warm", "cold", "part:N" (N percent resident, 1–99)
// or "mem:N" (the file N times the memory limit, 1–64).
func ParseCache(s string) (Cache, error) {
	if rest, ok := strings.CutPrefix(s, "part:"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > 99 || strconv.Itoa(n) != rest {
			return Cache{}, fmt.Errorf("cache %q: want part:N with N the percent resident, 1 to 99", s)
		}
		return Partial(n), nil
	}
	if rest, ok := strings.CutPrefix(s, "mem:"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > maxPressure || strconv.Itoa(n) != rest {
			return Cache{}, fmt.Errorf("cache %q: want mem:N with N the file's size ÷ the memory limit, 1 to %d", s, maxPressure)
		}
		return Pressure(n), nil
	}
	i, err := parseEnum("cache", cacheNames[:partKind], s)
	if err != nil {
		return Cache{}, fmt.Errorf("%w, part:N or mem:N", err)
	}
	return Cache{kind: cacheKind(i)}, nil
}

// Advice is the hint a case gives the kernel. None is the kernel's
// default; the others are impl.Advice values by the same name (bench maps
// them). WillNeed and Populate are one-shot: given at the start of every
// pass, inside the timer; the rest are given once, before it.
type Advice uint8

const (
	AdviceNone Advice = iota
	AdviceSeq
	AdviceRand
	AdviceWillNeed
	AdvicePopulate
	AdviceHugePage
)

var adviceNames = []string{"none", "seq", "rand", "willneed", "populate", "hugepage"}

func (a Advice) String() string { return enumString("advice", adviceNames, int(a)) }

// OneShot reports whether the advice is given at the start of every pass
// (a prefetch of the whole store) rather than once before the timer.
func (a Advice) OneShot() bool { return a == AdviceWillNeed || a == AdvicePopulate }

// ParseAdvice parses an advice name: none, seq, rand, willneed, populate
// or hugepage.
func ParseAdvice(s string) (Advice, error) {
	i, err := parseEnum("advice", adviceNames, s)
	return Advice(i), err
}

// Prefetch is how a case tells the kernel about its next reads before it
// makes them: none, or batches of N blocks (Lucene's 16 reads per op):
// batchN gives willneed on each of the next N blocks' ranges
// (madvise(MADV_WILLNEED) on a mapping, posix_fadvise(POSIX_FADV_WILLNEED)
// on a descriptor), one call per block, then reads them; populateN gives
// madvise(MADV_POPULATE_READ) on each (mappings only), which waits. A
// Prefetch is a comparable value; the zero value is none.
type Prefetch struct {
	kind prefetchKind
	n    uint16
}

type prefetchKind uint8

const (
	prefetchNone prefetchKind = iota
	prefetchBatch
	prefetchPopulate
)

// NoPrefetch is the zero Prefetch.
var NoPrefetch = Prefetch{}

// DefaultBatch is the batch of the prefetch a profile uses unless it says.
const DefaultBatch = 16

// maxBatch bounds N: a batch is prefetched ahead of its reads, and more
// blocks than this would be a whole-file hint.
const maxBatch = 4096

// Batch returns prefetch=batchN; Populate returns prefetch=populateN.
func Batch(n int) Prefetch    { return Prefetch{kind: prefetchBatch, n: uint16(n)} }
func Populate(n int) Prefetch { return Prefetch{kind: prefetchPopulate, n: uint16(n)} }

// BatchLen is N, 0 for none.
func (p Prefetch) BatchLen() int { return int(p.n) }

// Populates reports whether the batch's hint is MADV_POPULATE_READ.
func (p Prefetch) Populates() bool { return p.kind == prefetchPopulate }

func (p Prefetch) String() string {
	switch p.kind {
	case prefetchNone:
		return "none"
	case prefetchBatch:
		return "batch" + strconv.Itoa(int(p.n))
	case prefetchPopulate:
		return "populate" + strconv.Itoa(int(p.n))
	}
	return fmt.Sprintf("prefetch(%d)", p.kind)
}

// ParsePrefetch parses "none", "batchN" or "populateN" (1 ≤ N ≤ 4096).
func ParsePrefetch(s string) (Prefetch, error) {
	if s == "none" {
		return NoPrefetch, nil
	}
	for _, k := range []struct {
		prefix string
		kind   prefetchKind
	}{{"batch", prefetchBatch}, {"populate", prefetchPopulate}} {
		if rest, ok := strings.CutPrefix(s, k.prefix); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 1 || n > maxBatch || strconv.Itoa(n) != rest {
				break
			}
			return Prefetch{kind: k.kind, n: uint16(n)}, nil
		}
	}
	return Prefetch{}, fmt.Errorf("prefetch %q: want none, batchN or populateN with 1 ≤ N ≤ %d, such as batch16", s, maxBatch)
}

func enumString(axis string, names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("%s(%d)", axis, i)
}

func parseEnum(axis string, names []string, s string) (int, error) {
	for i, n := range names {
		if s == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s %q: want one of %s", axis, s, strings.Join(names, ", "))
}

// Case is one row of the file benchmarks (BenchmarkRead, BenchmarkWrite,
// BenchmarkWriteSync and BenchmarkReaders). Its name lists every key, in
// a fixed order, as key=value, so that benchstat can pivot on any of them
// and [ParseName] can read it back.
type Case struct {
	Backend string // an impl backend name
	Access  Access
	Pattern Pattern
	BS      int64 // bytes per operation
	Cache   Cache
	Size    int64 // the file's size
	Advice  Advice
	Threads int // goroutines doing the operations
	// Shared marks a BenchmarkReaders case: Threads readers share each
	// pass (every block read once by one of them), named readers=N
	// rather than threads=N, where each goroutine has its own share of
	// b.N operations.
	Shared bool
	Sync   int // WriteSync: a Sync after every Sync writes; 0: none
	// Prefetch is the batched hint before the reads; named only when it
	// is not none, so that the names of the rows without it stay as they
	// were.
	Prefetch Prefetch
}

// Name is the case's sub-benchmark name, such as
// backend=mmap/access=copy/pattern=seq/bs=4KiB/cache=warm/size=16MiB/advice=none/threads=1,
// with /sync=N after it when Sync > 0.
func (c Case) Name() string {
	var b strings.Builder
	b.Grow(96)
	for i, k := range c.keys() {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(k.name)
		b.WriteByte('=')
		b.WriteString(k.value)
	}
	return b.String()
}

type keyValue struct{ name, value string }

func (c Case) keys() []keyValue {
	kv := []keyValue{
		{"backend", c.Backend}, {"access", c.Access.String()}, {"pattern", c.Pattern.String()},
		{"bs", FormatSize(c.BS)}, {"cache", c.Cache.String()}, {"size", FormatSize(c.Size)},
		{"advice", c.Advice.String()},
	}
	if c.Shared {
		kv = append(kv, keyValue{"readers", strconv.Itoa(c.Threads)})
	} else {
		kv = append(kv, keyValue{"threads", strconv.Itoa(c.Threads)})
	}
	if c.Sync > 0 {
		kv = append(kv, keyValue{"sync", strconv.Itoa(c.Sync)})
	}
	if c.Prefetch != NoPrefetch {
		kv = append(kv, keyValue{"prefetch", c.Prefetch.String()})
	}
	return kv
}

// Keys returns the case's keys as a map, the form a results file's row
// has once its name is split on "/" and "=".
func (c Case) Keys() map[string]string {
	m := map[string]string{}
	for _, k := range c.keys() {
		m[k.name] = k.value
	}
	return m
}

// ParseName parses a name that Name made, with or without the benchmark's
// own name before it ("BenchmarkRead/backend=..."). Every key must be
// there, in Name's order, with a value its axis accepts; an unknown or
// missing key is an error that names it.
func ParseName(name string) (Case, error) {
	var c Case
	parts := strings.Split(name, "/")
	if len(parts) > 0 && !strings.Contains(parts[0], "=") {
		parts = parts[1:] // the benchmark's name
	}
	want := []string{"backend", "access", "pattern", "bs", "cache", "size", "advice", "threads|readers", "sync", "prefetch"}
	optional := func(k string) bool { return k == "sync" || k == "prefetch" }
	j := 0
	for _, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return c, fmt.Errorf("case %q: %q is not key=value", name, part)
		}
		for j < len(want) && !keyIs(want[j], k) {
			if !optional(want[j]) {
				return c, fmt.Errorf("case %q: key %q where %s was expected (keys, in order: %s)", name, k, want[j], strings.Join(want, ", "))
			}
			j++
		}
		if j == len(want) {
			return c, fmt.Errorf("case %q: key %q is not a case key (keys, in order: %s)", name, k, strings.Join(want, ", "))
		}
		j++
		var err error
		switch k {
		case "backend":
			if v == "" {
				err = fmt.Errorf("backend: empty")
			}
			c.Backend = v
		case "access":
			c.Access, err = ParseAccess(v)
		case "pattern":
			c.Pattern, err = ParsePattern(v)
		case "bs":
			c.BS, err = parsePositiveSize(v)
		case "cache":
			c.Cache, err = ParseCache(v)
		case "size":
			c.Size, err = parsePositiveSize(v)
		case "advice":
			c.Advice, err = ParseAdvice(v)
		case "threads", "readers":
			c.Threads, err = parseCount(k, v, 1)
			c.Shared = k == "readers"
		case "sync":
			c.Sync, err = parseCount(k, v, 1)
		case "prefetch":
			c.Prefetch, err = ParsePrefetch(v)
			if err == nil && c.Prefetch == NoPrefetch {
				err = fmt.Errorf("prefetch=none is never named: leave the key out")
			}
		}
		if err != nil {
			return c, fmt.Errorf("case %q: %w", name, err)
		}
	}
	for ; j < len(want); j++ {
		if !optional(want[j]) {
			return c, fmt.Errorf("case %q: key %s missing", name, want[j])
		}
	}
	return c, nil
}

func keyIs(want, k string) bool {
	for _, w := range strings.Split(want, "|") {
		if w == k {
			return true
		}
	}
	return false
}

func parsePositiveSize(v string) (int64, error) {
	n, err := ParseSize(v)
	if err == nil && n <= 0 {
		err = fmt.Errorf("size %q: want a positive size", v)
	}
	return n, err
}

func parseCount(key, v string, least int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < least || strconv.Itoa(n) != v {
		return 0, fmt.Errorf("%s %q: want an integer of at least %d", key, v, least)
	}
	return n, nil
}

// Axes lists the values of each axis a profile varies; [Axes.Product]
// expands them into cases. A case's Threads and Sync come from Threads and
// Syncs (nil means 1 and 0).
type Axes struct {
	Backends   []string
	Accesses   []Access
	Patterns   []Pattern
	Blocks     []int64
	Caches     []Cache
	Sizes      []int64
	Advice     []Advice
	Threads    []int
	Syncs      []int
	Prefetches []Prefetch
}

// Product returns every combination of the axes, in the order of the
// fields (the last varying fastest), for which keep returns true (nil
// keeps all). An empty axis gives no cases, except Advice, Threads, Syncs
// and Prefetches, whose defaults are none, 1, 0 and none.
func (a Axes) Product(keep func(Case) bool) []Case {
	advice, threads, syncs, prefetches := a.Advice, a.Threads, a.Syncs, a.Prefetches
	if len(advice) == 0 {
		advice = []Advice{AdviceNone}
	}
	if len(threads) == 0 {
		threads = []int{1}
	}
	if len(syncs) == 0 {
		syncs = []int{0}
	}
	if len(prefetches) == 0 {
		prefetches = []Prefetch{NoPrefetch}
	}
	dims := []int{len(a.Backends), len(a.Accesses), len(a.Patterns), len(a.Blocks), len(a.Caches), len(a.Sizes), len(advice), len(threads), len(syncs), len(prefetches)}
	for _, d := range dims {
		if d == 0 {
			return nil
		}
	}
	var cs []Case
	// An odometer over the axes: idx[k] is the value of axis k.
	idx := make([]int, len(dims))
	for {
		c := Case{Backend: a.Backends[idx[0]], Access: a.Accesses[idx[1]], Pattern: a.Patterns[idx[2]],
			BS: a.Blocks[idx[3]], Cache: a.Caches[idx[4]], Size: a.Sizes[idx[5]], Advice: advice[idx[6]],
			Threads: threads[idx[7]], Sync: syncs[idx[8]], Prefetch: prefetches[idx[9]]}
		if keep == nil || keep(c) {
			cs = append(cs, c)
		}
		k := len(idx) - 1
		for ; k >= 0; k-- {
			if idx[k]++; idx[k] < dims[k] {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			return cs
		}
	}
}
