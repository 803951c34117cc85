//go:build linux

package bench

import (
	"testing"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// Benchmarks for the fidelity cross-check (scripts/fio-crosscheck.sh). They
// are not part of the matrix: they measure the harness itself, so that the
// figures of BenchmarkRead can be read against fio's.

// BenchmarkHarnessOverhead measures what the matrix's timed loop adds per
// operation, with the null backend at the smallest block size (64B), where
// the operation itself is cheapest. loop=matrix is runCase (Harness.Run), the code
// BenchmarkRead times (b.Loop, pass bookkeeping, block index, the switch in
// Worker.Step); loop=bare does the same ReadAt or View call and the same
// Consume in the tightest loop that can do them. The difference between the
// two rows is the harness overhead (target: at most 5 ns/op). Keys are the
// matrix's, plus loop last.
func BenchmarkHarnessOverhead(b *testing.B) {
	for _, access := range []schema.Access{schema.Copy, schema.View} {
		c := schema.Case{Backend: "null", Access: access, Pattern: schema.Seq, BS: 64, Cache: schema.Warm, Size: 16 << 20, Threads: 1}
		b.Run(c.Name()+"/loop=matrix", func(b *testing.B) { runCase(b, c, OpRead) })
		b.Run(c.Name()+"/loop=bare", func(b *testing.B) { bareLoop(b, c) })
	}
}

// BenchmarkNoConsume runs matrix rows with the Consume step left out: the
// harness's I/O path alone, as fio's psync and mmap engines measure theirs
// (they never look at the bytes they read). The cross-check compares these
// with fio; the matrix rows, which do consume, are shown beside them.
func BenchmarkNoConsume(b *testing.B) {
	axes := schema.Axes{Backends: []string{"pread", "mmap"}, Accesses: []schema.Access{schema.Copy},
		Patterns: []schema.Pattern{schema.Seq}, Blocks: []int64{4 << 10, 1 << 20}, Caches: []schema.Cache{schema.Warm},
		Sizes: currentProfile(b).sizes}
	for _, c := range axes.Product(nil) {
		b.Run(c.Name()+"/consume=none", func(b *testing.B) { harness.Run(b, c, OpRead, Options{NoConsume: true}) })
	}
}

// bareLoop is runCase's single-threaded warm sequential read with nothing
// but the read and the Consume: the floor runCase is compared against.
func bareLoop(b *testing.B, c schema.Case) {
	s, view := harness.Open(b, c)
	buf := impl.AlignedBuffer(int(c.BS))
	prefault(buf)
	b.SetBytes(c.BS)
	b.ReportAllocs()
	var off int64
	var sum uint64
	if view != nil {
		for b.Loop() {
			p, err := view.View(off, int(c.BS))
			if err != nil {
				b.Fatal(err)
			}
			sum += Consume(p)
			if off += c.BS; off == c.Size { // sizes are multiples of bs
				off = 0
			}
		}
	} else {
		for b.Loop() {
			if _, err := s.ReadAt(buf, off); err != nil {
				b.Fatal(err)
			}
			sum += Consume(buf)
			if off += c.BS; off == c.Size { // sizes are multiples of bs
				off = 0
			}
		}
	}
	bareSink = sum
}

// bareSink keeps bareLoop's checksums alive.
var bareSink uint64

// BenchmarkTimingCost runs cold random 4KiB reads, the rows where every op
// is timed into a latency histogram, with the timing on and off: the
// difference is its cost (issue 14's target: under 5% of the op). Keys are
// the matrix's, plus timing last.
func BenchmarkTimingCost(b *testing.B) {
	axes := schema.Axes{Backends: []string{"pread", "mmap"}, Accesses: []schema.Access{schema.Copy, schema.View},
		Patterns: []schema.Pattern{schema.Rand}, Blocks: []int64{4 << 10}, Caches: []schema.Cache{schema.Cold},
		Sizes: currentProfile(b).sizes[:1], Advice: []schema.Advice{schema.AdviceRand}}
	for _, c := range axes.Product(func(c schema.Case) bool { return (c.Backend == "mmap") == (c.Access == schema.View) }) {
		for _, off := range []bool{false, true} {
			name := c.Name() + "/timing=on"
			if off {
				name = c.Name() + "/timing=off"
			}
			b.Run(name, func(b *testing.B) { harness.Run(b, c, OpRead, Options{NoLatency: off}) })
		}
	}
}
