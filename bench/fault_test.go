package bench

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"unsafe"

	"github.com/mmapbench/mmapbench/schema"
	"golang.org/x/sys/unix"
)

// faultSizes are the mapping sizes of BenchmarkFault: one fault-around
// window, and two sizes where the per-page cost dominates mmap and munmap.
var faultSizes = []int64{64 << 10, 1 << 20, 16 << 20}

// BenchmarkFault measures the first touch of a fresh mapping over a file
// whose pages are all in the page cache (checked with mincore): per
// iteration, mmap the whole file (raw mmap(2), MAP_SHARED, on a descriptor
// opened once), optionally populate it, touch one byte of every page, munmap.
// nsec/page is the iteration's time divided by the number of pages and
// minflt/page the faults per page.
//
//   - access=read loads one byte per page of a PROT_READ mapping. A read fault
//     maps the neighbouring resident pages too (fault-around), so expect
//     minflt/page near 1/16 with the default 64KiB window.
//   - access=write stores one byte per page of a PROT_READ|PROT_WRITE mapping
//     of an O_RDWR descriptor. Write faults on a shared mapping get no
//     fault-around and call the filesystem's page_mkwrite, so expect 1 fault
//     per page. The pages stay dirty in the page cache; the file is private
//     to the sub-benchmark and removed at its end.
//   - populate=none takes the faults; populate=madvise calls
//     madvise(MADV_POPULATE_READ or _WRITE, by access) right after mmap, which
//     fills the page tables without faults (Linux 5.14+); populate=mappopulate
//     maps with MAP_POPULATE. For a shared writable mapping MAP_POPULATE
//     pre-faults for read only, so write pages still take a write-protect
//     fault each: compare its minflt/page with populate=madvise.
func BenchmarkFault(b *testing.B) {
	for _, access := range []string{"read", "write"} {
		for _, size := range faultSizes {
			for _, populate := range []string{"none", "madvise", "mappopulate"} {
				name := fmt.Sprintf("backend=mmap/access=%s/size=%s/populate=%s", access, schema.FormatSize(size), populate)
				b.Run(name, func(b *testing.B) {
					faultLoop(b, access, size, populate)
				})
			}
		}
	}
}

// faultSink keeps the loads of access=read alive.
var faultSink byte

func faultLoop(b *testing.B, access string, size int64, populate string) {
	ps := os.Getpagesize()
	pages := int((size + int64(ps) - 1) / int64(ps))
	write := access == "write"

	path := createFilled(b, "fault", size)
	oneShotWarm(b, path, size)

	oflag, prot, madv := unix.O_RDONLY, unix.PROT_READ, unix.MADV_POPULATE_READ
	if write {
		oflag, prot, madv = unix.O_RDWR, unix.PROT_READ|unix.PROT_WRITE, unix.MADV_POPULATE_WRITE
	}
	flags := unix.MAP_SHARED
	switch populate {
	case "none":
		madv = -1
	case "madvise":
	case "mappopulate":
		madv = -1
		flags |= unix.MAP_POPULATE
	default:
		b.Fatalf("unknown populate=%s", populate)
	}
	fd, err := unix.Open(path, oflag|unix.O_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)

	// One untimed round, which also finds out whether the kernel has
	// MADV_POPULATE_* (5.14+) before anything is measured.
	var sum byte
	if err := faultOnce(fd, size, ps, prot, flags, madv, write, &sum); err != nil {
		if madv >= 0 && errors.Is(err, unix.EINVAL) {
			b.Skipf("madvise(MADV_POPULATE_*) refused (needs Linux 5.14+): %v", err)
		}
		b.Fatal(err)
	}

	var before, after Counters
	b.SetBytes(size)
	b.ReportAllocs()
	if err := ReadCounters(&before); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := faultOnce(fd, size, ps, prot, flags, madv, write, &sum); err != nil {
			b.Fatal(err)
		}
	}
	if err := ReadCounters(&after); err != nil {
		b.Fatal(err)
	}
	d := after.Sub(before)
	d.Report(b, b.N)
	touched := float64(b.N) * float64(pages)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/touched, UnitNsecPerPage)
	b.ReportMetric(float64(d.MinorFaults)/touched, UnitMinfltPerPage)
	faultSink += sum
	oneShotResident(b, path)
}

// faultOnce maps size bytes of fd, populates them with madvise(madv) unless
// madv < 0, touches the first byte of every page (a store if write, else a
// load added to *sum), and unmaps. It uses the pointer forms of mmap and
// munmap, which, unlike unix.Mmap, keep no table of live mappings and so
// allocate nothing.
func faultOnce(fd int, size int64, ps, prot, flags, madv int, write bool, sum *byte) error {
	addr, err := unix.MmapPtr(fd, 0, nil, uintptr(size), prot, flags)
	if err != nil {
		return fmt.Errorf("mmap: %w", err)
	}
	p := unsafe.Slice((*byte)(addr), size)
	if madv >= 0 {
		if err := unix.Madvise(p, madv); err != nil {
			unix.MunmapPtr(addr, uintptr(size))
			return fmt.Errorf("madvise: %w", err)
		}
	}
	if write {
		for i := 0; i < len(p); i += ps {
			p[i] = 1
		}
	} else {
		s := *sum
		for i := 0; i < len(p); i += ps {
			s += p[i]
		}
		*sum = s
	}
	if err := unix.MunmapPtr(addr, uintptr(size)); err != nil {
		return fmt.Errorf("munmap: %w", err)
	}
	return nil
}
