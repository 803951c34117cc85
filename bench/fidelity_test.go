package bench

import (
	"fmt"
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

// bareLoop is runCase's single-threaded warm sequential read with nothing
// but the read and the Consume: the floor runCase is compared against.
func bareLoop(b *testing.B, c rwCase) {
	s, view := openCase(b, c)
	buf := impl.AlignedBuffer(int(c.bs))
	prefault(buf)
	b.SetBytes(c.bs)
	b.ReportAllocs()
	mask := c.size - 1 // sizes are powers of two
	var off int64
	var sum uint64
	if view != nil {
		for b.Loop() {
			p, err := view.View(off, int(c.bs))
			if err != nil {
				b.Fatal(err)
			}
			sum += Consume(p)
			off = (off + c.bs) & mask
		}
	} else {
		for b.Loop() {
			if _, err := s.ReadAt(buf, off); err != nil {
				b.Fatal(err)
			}
			sum += Consume(buf)
			off = (off + c.bs) & mask
		}
	}
	consumeSink = sum
}

// consumeSink keeps BenchmarkConsumeHot's checksums alive.
var consumeSink uint64

// BenchmarkConsumeHot times Consume alone over a reused, page-aligned buffer
// of bs bytes, which stays in cache from one call to the next: what
// access=copy rows pay on top of the copy itself (their buffer was just
// written by the kernel or by memmove). fio reads into a buffer and never
// looks at the bytes, so the cross-check subtracts this figure to estimate
// how far the harness is from fio with the consume step set aside.
func BenchmarkConsumeHot(b *testing.B) {
	for _, bs := range []int{4 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("bs=%s", FormatSize(int64(bs))), func(b *testing.B) {
			buf := impl.AlignedBuffer(bs)
			fillPattern(buf, 0)
			b.SetBytes(int64(bs))
			b.ReportAllocs()
			var sum uint64
			for b.Loop() {
				sum += Consume(buf)
			}
			consumeSink = sum
		})
	}
}
