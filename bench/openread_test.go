package bench

import (
	"fmt"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
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

// BenchmarkOpenRead times the whole one-shot life of a file read: open, map,
// consume every byte, unmap, close (mmap, mmapgo, reading the mapping in
// place through impl.View) against open, read every byte into a reused
// buffer, close (pread, osfile, in chunks of up to openReadChunk). Every
// iteration is a fresh Open of the same warm file, so the mapped rows pay
// the mmap call, the page-table fill (minflt/op: one fault per fault-around
// window, 64KiB by default), munmap and its TLB flush; the descriptor rows
// pay the copy. The size where the mapped rows become faster is the size
// from which mapping a file to read it once pays off.
//
// Every store is opened read-only (O_RDONLY; PROT_READ for the mappings).
// The allocations reported are impl.Open's (its Store value and label, and
// os.File for mmapgo and osfile); the loop itself allocates nothing.
//
// The quick profile runs mmap and pread, the pair the crossover is about;
// the full profile adds mmapgo and osfile.
func BenchmarkOpenRead(b *testing.B) {
	backends, sizes := []string{"mmap", "pread"}, openReadQuickSizes
	if *profileFlag == "full" {
		backends, sizes = []string{"mmap", "mmapgo", "pread", "osfile"}, openReadSizes
	}
	for _, backend := range backends {
		for _, size := range sizes {
			b.Run(fmt.Sprintf("backend=%s/size=%s", backend, schema.FormatSize(size)), func(sub *testing.B) {
				openReadLoop(sub, backend, harness.SharedFile(sub, size), size)
			})
		}
	}
}

// openReadLoop times one-shot reads of the file at path with backend.
func openReadLoop(b *testing.B, backend, path string, size int64) {
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
	for b.Loop() {
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
	after.Sub(before).Report(b, b.N)
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
func oneShotWarm(b *testing.B, path string, size int64) uint64 {
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
func oneShotResident(b *testing.B, path string) {
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
