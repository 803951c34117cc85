package bench

import (
	"testing"

	"github.com/mmapbench/mmapbench/impl"
)

// Benchmarks for the fidelity cross-check (scripts/fio-crosscheck.sh). They
// are not part of the matrix: they measure the harness itself, so that the
// figures of BenchmarkRead can be read against fio's.

// BenchmarkHarnessOverhead measures what the matrix's timed loop adds per
// operation, with the null backend at the smallest block size (64B), where
// the operation itself is cheapest. loop=matrix is runCase, the very code
// BenchmarkRead times (b.Loop, pass bookkeeping, block index, the switch in
// worker.step); loop=bare does the same ReadAt or View call and the same
// Consume in the tightest loop that can do them. The difference between the
// two rows is the harness overhead (target: at most 5 ns/op). Keys are the
// matrix's, plus loop last.
func BenchmarkHarnessOverhead(b *testing.B) {
	null, err := impl.Lookup("null")
	if err != nil {
		b.Fatal(err)
	}
	for _, access := range []string{"copy", "view"} {
		c := rwCase{backend: null, access: access, pattern: "seq", bs: 64, cache: "warm", size: 16 << 20, advice: "none", threads: 1}
		b.Run(c.name()+"/loop=matrix", func(b *testing.B) { runCase(b, c, opRead) })
		b.Run(c.name()+"/loop=bare", func(b *testing.B) { bareLoop(b, c) })
	}
}

// BenchmarkNoConsume runs matrix rows with the Consume step left out: the
// harness's I/O path alone, as fio's psync and mmap engines measure theirs
// (they never look at the bytes they read). The cross-check compares these
// with fio; the matrix rows, which do consume, are shown beside them.
func BenchmarkNoConsume(b *testing.B) {
	for _, name := range []string{"pread", "mmap"} {
		be, err := impl.Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, bs := range []int64{4 << 10, 1 << 20} {
			for _, size := range currentProfile(b).sizes {
				c := rwCase{backend: be, access: "copy", pattern: "seq", bs: bs, cache: "warm", size: size, advice: "none", threads: 1, noConsume: true}
				b.Run(c.name()+"/consume=none", func(b *testing.B) { runCase(b, c, opRead) })
			}
		}
	}
}

// bareLoop is runCase's single-threaded warm sequential read with nothing
// but the read and the Consume: the floor runCase is compared against.
func bareLoop(b *testing.B, c rwCase) {
	s, view := openCase(b, c)
	buf := impl.AlignedBuffer(int(c.bs))
	prefault(buf)
	b.SetBytes(c.bs)
	b.ReportAllocs()
	var off int64
	var sum uint64
	if view != nil {
		for b.Loop() {
			p, err := view.View(off, int(c.bs))
			if err != nil {
				b.Fatal(err)
			}
			sum += Consume(p)
			if off += c.bs; off == c.size { // sizes are multiples of bs
				off = 0
			}
		}
	} else {
		for b.Loop() {
			if _, err := s.ReadAt(buf, off); err != nil {
				b.Fatal(err)
			}
			sum += Consume(buf)
			if off += c.bs; off == c.size { // sizes are multiples of bs
				off = 0
			}
		}
	}
	bareSink = sum
}

// bareSink keeps bareLoop's checksums alive.
var bareSink uint64
