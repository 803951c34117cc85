//go:build linux

package bench

import (
	"github.com/mmapbench/mmapbench/impl"
)

// openReadSizes are the file sizes of BenchmarkOpenRead: from one page, where
// the fixed costs of each path dominate, to 64MiB, where the per-byte costs
// do. The quick profile keeps every other step of 4 up to 16MiB, around the
// break-even (1MiB here), so that make bench stays within 3 minutes with two
// samples of each per invocation.
var openReadSizes = []int64{4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20}

var openReadQuickSizes = []int64{4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20}

// openReadChunk is the largest read the descriptor backends make: a file of
// at most this size is read with one call, a larger one in chunks of it, into
// a buffer allocated once per sub-benchmark.
const openReadChunk = 1 << 20

// oneShotSink keeps the checksums of the one-shot benchmarks alive past their loops.
var oneShotSink uint64

// RunOpenRead times one-shot reads of the file at path with backend: per
// op, open, read every byte (in place for a mapping, into a reused buffer
// otherwise), Consume them, close. The file must be warm; it is checked
// before and after the loop.
func RunOpenRead(b B, backend, path string, size int64) {
	be, err := impl.Lookup(backend)
	if err != nil {
		b.Fatal(err)
	}
	mapped := be.Has(impl.CapMapped)
	var buf []byte
	if !mapped {
		buf = impl.AlignedBuffer(int(min(size, openReadChunk)))
		prefault(buf)
	}
	want := oneShotWarm(b, path, size)

	var before, after Counters
	b.SetBytes(size)
	b.ReportAllocs()
	if err := ReadCounters(&before); err != nil {
		b.Fatal(err)
	}
	var sum uint64
	n := 0 // b.N, which B does not have
	for b.Loop() {
		n++
		var got uint64
		var err error
		if mapped {
			got, err = openViewConsume(backend, path, size)
		} else {
			got, err = openCopyConsume(backend, path, buf)
		}
		if err != nil {
			b.Fatal(err)
		}
		if got != want {
			b.Fatalf("%s read checksum %#x of %s, want %#x", backend, got, path, want)
		}
		sum += got
	}
	if err := ReadCounters(&after); err != nil {
		b.Fatal(err)
	}
	after.Sub(before).Report(b, n)
	oneShotSink += sum
	// Still warm after the loop: nothing evicted the file while it was timed.
	oneShotResident(b, path)
}

// openViewConsume is one mapped one-shot read: Open (open, fstat, mmap), a
// view of the whole mapping, Consume over it in place, Close (munmap, close).
func openViewConsume(backend, path string, size int64) (uint64, error) {
	s, err := impl.Open(backend, path, impl.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	p, err := impl.View(s, 0, int(size))
	if err != nil {
		s.Close()
		return 0, err
	}
	sum := Consume(p)
	return sum, s.Close()
}

// openCopyConsume is one descriptor one-shot read: Open (open, fstat), ReadAt
// into buf chunk by chunk with Consume over each chunk, Close. The chunks'
// checksums add up to the whole file's Consume, because every chunk is a
// multiple of 64 bytes long or the whole file.
func openCopyConsume(backend, path string, buf []byte) (uint64, error) {
	s, err := impl.Open(backend, path, impl.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	size := s.Size()
	var sum uint64
	for off := int64(0); off < size; off += int64(len(buf)) {
		p := buf[:min(int64(len(buf)), size-off)]
		if _, err := s.ReadAt(p, off); err != nil {
			s.Close()
			return 0, err
		}
		sum += Consume(p)
	}
	return sum, s.Close()
}

// oneShotWarm reads the file at path once, untimed, so that all of it is in
// the page cache, checks with mincore that it is, and returns Consume's
// checksum of its bytes, which every correct one-shot read reproduces.
func oneShotWarm(b TB, path string, size int64) uint64 {
	b.Helper()
	want, err := openCopyConsume("pread", path, make([]byte, min(size, openReadChunk)))
	if err != nil {
		b.Fatal(err)
	}
	oneShotResident(b, path)
	return want
}

// oneShotResident fails b unless every page of the file at path is in the page
// cache, as mincore reports it: cache=warm is checked, not assumed.
func oneShotResident(b TB, path string) {
	b.Helper()
	s, err := impl.Open("pread", path, impl.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	pages, total, err := s.(impl.Evicter).Resident()
	if err != nil {
		b.Fatal(err)
	}
	if pages != total {
		b.Fatalf("cache=warm: only %d of %d pages of %s are resident", pages, total, path)
	}
}
