package report

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// A luceneSample is a crafted row of -profile lucene: its strategy, state,
// goroutines, ns/op samples in µs, and the per-op metrics every sample
// reports (0: not reported).
type luceneSample struct {
	strategy luceneStrategy
	cache    schema.Cache
	threads  int
	us       []float64
	p50us    float64
	p99us    float64
	devKiB   float64
	resident float64
}

func luceneRun(t *testing.T, device, dev string, rows []luceneSample) LuceneRun {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "llc-size: 32MiB\nread-ahead: 8192KiB\nbench-dir-fs: ext4\nbench-dir-device: %s\n", dev)
	for _, r := range rows {
		c := schema.Case{Backend: r.strategy.backend, Access: r.strategy.access, Pattern: schema.Rand, BS: luceneReadSize, Cache: r.cache,
			Size: 256 << 20, Advice: r.strategy.advice, Threads: r.threads, Prefetch: r.strategy.prefetch}
		for _, us := range r.us {
			fmt.Fprintf(&b, "BenchmarkRead/%s-2 \t 1000 \t %g ns/op", c.Name(), us*1000)
			for _, m := range []struct {
				v    float64
				unit schema.Unit
			}{{r.p50us * 1000, schema.IPCP50}, {r.p99us * 1000, schema.IPCP99}, {r.devKiB * 1024, schema.DeviceBytes}, {r.resident, schema.ResidentFrac}} {
				if m.v > 0 {
					fmt.Fprintf(&b, " \t %g %s", m.v, m.unit)
				}
			}
			b.WriteString("\n")
		}
	}
	rs, err := schema.Read(strings.NewReader(b.String()), "lucene-"+device+".txt")
	if err != nil {
		t.Fatal(err)
	}
	return LuceneRun{Device: device, File: "results/x-lucene-" + device + ".txt", Results: rs}
}

// around returns five samples near µs (±1%), so that decide's paired test
// separates two strategies more than the tie apart and not two within it.
func around(us float64) []float64 {
	return []float64{us, us * 1.01, us * 0.99, us * 1.005, us * 0.995}
}

// craftedLucene: warm at 1 and 16 goroutines, mem:2 at 16.
//   - warm, 1 goroutine: mmap NORMAL 1µs ≈ mmap RANDOM 1.02µs (level) <
//     batched mmap 1.5µs < pread 2µs < pread + batch 2.5µs < O_DIRECT
//     200µs; pread + batch not run at 16 goroutines;
//   - mem:2, 16 goroutines: mmap RANDOM + batch 20µs < pread 40µs <
//     mmap RANDOM 80µs (mmap NORMAL reads 64KiB of device per read).
func craftedLucene() []luceneSample {
	w, m2 := schema.Warm, schema.Pressure(2)
	return []luceneSample{
		{strategy: mmapNormal, cache: w, threads: 1, us: around(1)},
		{strategy: mmapRandom, cache: w, threads: 1, us: []float64{1.03, 1.01, 1.02, 1.0, 1.04}},
		{strategy: mmapNormalBatch, cache: w, threads: 1, us: around(1.5)},
		{strategy: mmapRandomBatch, cache: w, threads: 1, us: around(1.5)},
		{strategy: preadPlain, cache: w, threads: 1, us: around(2)},
		{strategy: preadBatch, cache: w, threads: 1, us: around(2.5)},
		{strategy: oDirect, cache: w, threads: 1, us: around(200), devKiB: 16},
		{strategy: mmapNormal, cache: w, threads: 16, us: around(0.5)},
		{strategy: preadPlain, cache: w, threads: 16, us: around(1)},
		{strategy: mmapRandomBatch, cache: m2, threads: 16, us: around(20), p50us: 15, p99us: 90, devKiB: 16, resident: 0.5},
		{strategy: preadPlain, cache: m2, threads: 16, us: around(40), p50us: 35, p99us: 120, devKiB: 16, resident: 0.49},
		{strategy: mmapRandom, cache: m2, threads: 16, us: around(80), p50us: 70, p99us: 300, devKiB: 16, resident: 0.48},
		{strategy: mmapNormal, cache: m2, threads: 16, us: around(160), p50us: 150, p99us: 900, devKiB: 64, resident: 0.47},
		{strategy: oDirect, cache: m2, threads: 1, us: around(210), p50us: 180, p99us: 400, devKiB: 16},
		{strategy: oDirect, cache: m2, threads: 16, us: around(60), p50us: 700, p99us: 2000, devKiB: 16},
	}
}

func TestLuceneOpsPerMs(t *testing.T) {
	// One op of Lucene's is 16 reads: at 1µs per read, 16µs per op, 62.5 ops/ms.
	if got := luceneOpsPerMs(1000); math.Abs(got-62.5) > 1e-9 {
		t.Errorf("luceneOpsPerMs(1µs) = %v, want 62.5", got)
	}
	// Their O_DIRECT T01 on EBS, 0.15 ops/ms, is 417µs per read.
	if got := luceneOpsPerMs(1e6 / (16 * 0.15)); math.Abs(got-0.15) > 1e-9 {
		t.Errorf("round trip of 0.15 ops/ms = %v", got)
	}
}

func TestLuceneOrdering(t *testing.T) {
	g := luceneGridOf(luceneRun(t, "disk", "vda", craftedLucene()))
	if g == nil {
		t.Fatal("no grid from the crafted rows")
	}
	var names []string
	for _, e := range g.ranked(luceneKey{schema.Warm, 1}) {
		names = append(names, e.strategy.name)
	}
	want := "mmap NORMAL,mmap RANDOM,mmap NORMAL + batched WILLNEED,mmap RANDOM + batched WILLNEED,pread,pread + batched WILLNEED,O_DIRECT pread"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("warm, 1 goroutine, fastest first:\n%s\nwant\n%s", got, want)
	}
	k := luceneKey{schema.Warm, 1}
	pread := g.entries[k][preadPlain.name]
	if got := throughputWords(g.entries[k][mmapNormal.name], pread); !strings.HasPrefix(got, "2.00× (") {
		t.Errorf("mmap NORMAL ÷ pread throughput %q, want 2.00×", got)
	}
	if c := versus(g.entries[k][mmapNormal.name], g.entries[k][mmapRandom.name]); c.Outcome != level {
		t.Errorf("mmap NORMAL against RANDOM (1µs, 1.02µs): %v, want level", c)
	}

	var b strings.Builder
	writeLucene(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, Input{Lucene: []LuceneRun{luceneRun(t, "disk", "vda", craftedLucene())}})
	out := b.String()
	for _, want := range []string{
		"| 1 | 1 | mmap NORMAL | 62.5 | 1µs | 2.00× (",                      // the unit conversion in the table
		"| 1 | 7 | O_DIRECT pread | 0.31 | 200µs |",                         // 1e6/(16×200µs) = 0.3125
		"| 16 | – | pread + batched WILLNEED | not run |",                   // a missing strategy is named
		"| 16 | 1 | mmap RANDOM + batched WILLNEED | 3.12 | 20µs | 2.00× (", // mem:2
		"median resident-frac 0.48",                                         // from the pressure rows
		"disk (ext4 on vda)",
		"180µs (O_DIRECT pread, p50, 1 goroutine, mem:2",        // the device's latency
		"**disk, mem:1:** no rows in results/x-lucene-disk.txt", // a regime with no rows
		"no published figures found in a source we could cite",
		"quoted from Lucene's authors, not measured here",
		"mmap NORMAL 64KiB",
		"With 16 goroutines its O_DIRECT reads take 60µs each in total throughput against 210µs with one: the device serves about 3.5 reads at once.",
		// what the limit held, from the rows, beside their case's file ÷ memory (quoted)
		"so the file was 2.06× what stayed resident, and pread at 16 goroutines read 100% of the bytes it returned from the device; their case was a 64GiB file",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("section lacks %q:\n%s", want, out)
		}
	}
}

// Against a published ordering, pairs in the same order agree, pairs in
// the opposite order are named as reversed, and pairs level here are
// named too.
func TestLuceneAgreement(t *testing.T) {
	g := luceneGridOf(luceneRun(t, "disk", "vda", craftedLucene()))
	set := publishedSet{regime: schema.Warm, platform: "test", threads: 1, figures: []publishedFigure{
		{strategy: mmapNormal, opsPerMs: 40}, // ours 1µs
		{strategy: preadPlain, opsPerMs: 30}, // ours 2µs: same order
		{strategy: mmapRandom, opsPerMs: 20}, // ours 1.02µs: reversed against pread, level against mmap NORMAL
	}}
	th, vs, missing := comparePublished(g, set)
	if th != 1 || len(vs) != 3 || len(missing) != 0 {
		t.Fatalf("threads %d, %d pairs, missing %v; want 1, 3, none", th, len(vs), missing)
	}
	words := agreementWords(g, set)
	for _, want := range []string{"of 3 pairs, 1 in the same order", "1 reversed (pread ahead of mmap RANDOM there (1.50×), behind it here", "1 level here but apart there (mmap NORMAL and mmap RANDOM (2.00× there))"} {
		if !strings.Contains(words, want) {
			t.Errorf("agreement %q lacks %q", words, want)
		}
	}
	// Their T08 is compared with our 16 goroutines; T04 with our 1 or 16:
	// 4 is as far from both on a log scale as… no: 1→4 is 2, 4→16 is 2: the larger.
	if got := nearestThreads([]int{1, 4, 16}, 8); got != 16 {
		t.Errorf("nearestThreads(8) = %d, want 16", got)
	}
	if got := nearestThreads([]int{1, 16}, 4); got != 16 {
		t.Errorf("nearestThreads(4) among 1, 16 = %d, want 16 (the larger on a tie)", got)
	}
	if got := nearestThreads([]int{1, 4, 16}, 1); got != 1 {
		t.Errorf("nearestThreads(1) = %d, want 1", got)
	}
	// A strategy they published and we did not run is named.
	set.figures = append(set.figures, publishedFigure{strategy: preadBatch, opsPerMs: 10})
	set.threads = 16
	if words := agreementWords(g, set); !strings.Contains(words, "Not run here: mmap RANDOM, pread + batched WILLNEED.") {
		t.Errorf("agreement at 16 goroutines %q: want the strategies not run named", words)
	}
}

// A device whose file is missing is named with the command that makes it;
// the other device's tables are still written; without in.Lucene there is
// no section at all.
func TestLuceneMissingDeviceFile(t *testing.T) {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	writeLucene(p, Input{Lucene: []LuceneRun{
		luceneRun(t, "disk", "vda", craftedLucene()),
		{Device: "zram", File: "results/x-lucene-zram.txt"},
	}})
	out := b.String()
	if !strings.Contains(out, "**zram:** no results/x-lucene-zram.txt: this device's half is not measured (`make bench-lucene` writes it).") {
		t.Errorf("no line naming the missing zram file:\n%s", out)
	}
	if !strings.Contains(out, "### disk (ext4 on vda)") {
		t.Errorf("the disk's tables are missing:\n%s", out)
	}
	if strings.Contains(out, "Between the devices") {
		t.Errorf("a cross-device sentence with one device:\n%s", out)
	}
	b.Reset()
	writeLucene(p, Input{Lucene: []LuceneRun{{Device: "disk", File: "d.txt"}, {Device: "zram", File: "z.txt"}}})
	if out := b.String(); !strings.Contains(out, "**disk:** no d.txt") || !strings.Contains(out, "**zram:** no z.txt") || !strings.Contains(out, "none of ours to set beside them") {
		t.Errorf("with neither file:\n%s", out)
	}
	b.Reset()
	writeLucene(p, Input{})
	if b.Len() != 0 {
		t.Errorf("without in.Lucene: %q", b.String())
	}
}

// Both devices: the cross-device sentence names each one's latency and
// fastest strategy.
func TestLuceneBetweenDevices(t *testing.T) {
	zram := craftedLucene()
	for i := range zram {
		if zram[i].cache == schema.Pressure(2) {
			zram[i].us = around(10)
			zram[i].p50us = 8
			if zram[i].strategy == oDirect && zram[i].threads == 16 {
				zram[i].us = around(5)
			}
			if zram[i].strategy == preadPlain {
				zram[i].us = around(5)
			}
		}
	}
	var b strings.Builder
	writeLucene(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, Input{Lucene: []LuceneRun{
		luceneRun(t, "disk", "vda", craftedLucene()), luceneRun(t, "zram", "zram0", zram)}})
	out := b.String()
	want := "**Between the devices, mem:2.** Latency per read bypassing the cache: disk 180µs, zram 8µs. O_DIRECT reads served at once: disk 3.5, zram 2. Fastest at 16 goroutines: disk mmap RANDOM + batched WILLNEED (3.12 ops/ms); zram pread (12.5 ops/ms)."
	if !strings.Contains(out, want) {
		t.Errorf("section lacks\n%s\nin\n%s", want, out)
	}
}

// TestLucenePressedInstead: when our mem:1 held (almost) the whole file,
// their pressure figures are also set beside our mem:2, where the limit
// evicts, with the reason; when mem:1 pressed, they are not.
func TestLucenePressedInstead(t *testing.T) {
	m1 := schema.Pressure(1)
	rows := append(craftedLucene(),
		luceneSample{strategy: mmapRandomBatch, cache: m1, threads: 16, us: around(80), devKiB: 0.1, resident: 1},
		luceneSample{strategy: preadPlain, cache: m1, threads: 16, us: around(2), devKiB: 0.1, resident: 1},
		luceneSample{strategy: mmapRandom, cache: m1, threads: 16, us: around(1), devKiB: 0.1, resident: 1},
	)
	g := luceneGridOf(luceneRun(t, "disk", "vda", rows))
	sets := publishedSets(m1)
	if len(sets) == 0 {
		t.Fatal("no published pressure figures")
	}
	got := strings.Join(pressedInstead(g, m1, sets), " ")
	// The crafted mem:2 rows order RANDOM + batch < pread < RANDOM, theirs.
	for _, want := range []string{"Our mem:1 held 100% of the file", "beside our mem:2", "of 3 pairs, 3 in the same order"} {
		if !strings.Contains(got, want) {
			t.Errorf("pressedInstead = %q, want %q in it", got, want)
		}
	}
	for i := range rows {
		if rows[i].cache == m1 {
			rows[i].resident = 0.9
		}
	}
	if got := pressedInstead(luceneGridOf(luceneRun(t, "disk", "vda", rows)), m1, sets); got != nil {
		t.Errorf("mem:1 at 90%% resident pressed; pressedInstead = %q, want nothing", got)
	}
}
