package bench

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// faultSizes are the mapping sizes of BenchmarkFault: one fault-around
// window, and two sizes where the per-page cost dominates mmap and munmap.
var faultSizes = []int64{64 << 10, 1 << 20, 16 << 20}

// faultSink keeps the loads of access=read alive.
var faultSink byte

// RunFault times first touches of fresh mappings over a warm file of size
// bytes made in h's directory: per op, mmap, populate as populate says
// (none, madvise, mappopulate), touch a byte of every page (a load, or a
// store for access=write), munmap.
func (h *Harness) RunFault(b B, access string, size int64, populate string) {
	ps := os.Getpagesize()
	pages := int((size + int64(ps) - 1) / int64(ps))
	write := access == "write"

	path := h.newFile(b, "fault", size)
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
	n := 0 // b.N, which B does not have
	for b.Loop() {
		n++
		if err := faultOnce(fd, size, ps, prot, flags, madv, write, &sum); err != nil {
			b.Fatal(err)
		}
	}
	if err := ReadCounters(&after); err != nil {
		b.Fatal(err)
	}
	d := after.Sub(before)
	d.Report(b, n)
	touched := float64(n) * float64(pages)
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
