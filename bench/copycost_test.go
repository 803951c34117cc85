package bench

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/impl"
)

// copyCostBlock is BenchmarkCopyCost's block size. It stays below 1MiB,
// where Go's memmove switches to non-temporal stores (runtime/memmove_amd64.s,
// CMPQ BX, $0x100000 before gobble_big_data_fwd): above it the yardstick
// would bypass the cache while the kernel's copy_to_user (rep movsb) does
// not, and the ratio would measure that switch. 512KiB is the largest power
// of two below it, so the per-call costs (system call entry, an O_DIRECT
// read's device notification and sleep) are the smallest share of the
// per-byte figures, and the destination buffer still fits a 1MiB L2.
const copyCostBlock = 512 << 10

// The three measured operations of a BenchmarkCopyCost round, and the empty
// window that measures the clock's own cost.
const (
	ccBuffered = iota // pread of the warm file: the page cache is copied into buf
	ccDirect          // O_DIRECT pread of the same file: the device DMAs into buf
	ccMemmove         // copy into buf from a mapping of the same warm file
	ccClock           // two clock reads with nothing between them
	ccOps
)

// BenchmarkCopyCost measures how many times the CPU copies each byte that a
// buffered read(2) returns, from CPU time rather than from byte counts
// (rchar counts the bytes read returns, so it is one per byte by definition).
// Each round does, into one page-aligned buffer, a buffered pread of a
// warm file, an O_DIRECT pread of the same file, and a memmove of the same
// size from a mapping of that file: the same source pages, in the same
// cache state. The order rotates every round and the three are timed one
// op at a time, so slow and fast stretches of the machine fall on all of
// them alike.
//
// CPU time is the calling thread's CLOCK_THREAD_CPUTIME_ID, with the
// goroutine locked to its thread: user and system time together, exact to
// the nanosecond (the scheduler's runtime of the thread), where getrusage's
// user/system split is sampled at the tick (HZ 250) and would be noise at
// 10–100 µs per op. Time the thread sleeps waiting for the device is not
// CPU time; interrupt handlers that complete the I/O on another CPU or
// while the thread sleeps are not counted either.
//
// The file is the quick profile's large one (8× the LLC): a block's source
// comes from memory for both the kernel's copy and the memmove, and the
// buffered and the memmove walks are half a file apart, so neither finds
// the other's source in the cache. Before every op the buffer is cleared
// (untimed), so each copy writes a destination that is in the cache,
// whatever the op before it did (a DMA invalidates it).
//
// The report infers CPU copies per byte as (buffered − direct) ÷ memmove:
// the buffered read's copy is what O_DIRECT does not do on the CPU. Each
// sample reports that ratio too (cpu-copies); the per-call costs that
// differ between the two read paths stay in the difference.
func BenchmarkCopyCost(b *testing.B) {
	_, size, _ := quickSizes(benchDir)
	b.Run(fmt.Sprintf("bs=%s/size=%s/cache=warm", FormatSize(copyCostBlock), FormatSize(size)), func(b *testing.B) {
		runCopyCost(b, copyCostBlock, size)
	})
}

// runCopyCost is one sample of BenchmarkCopyCost: bs-byte blocks of the
// run's shared file of size bytes. An op is one round of the three.
func runCopyCost(b *testing.B, bs, size int64) {
	if name, ok := ramFS(benchDir); ok {
		b.Skipf("O_DIRECT does not apply: the bench directory %s is on %s, whose pages are always in memory (pass -benchdir on a disk)", benchDir, name)
	}
	path := sharedFile(b, size)
	buffered, err := impl.Open("pread", path, impl.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer buffered.Close()
	direct, err := impl.Open("pread", path, impl.Options{ReadOnly: true, Direct: true})
	if errors.Is(err, unix.EINVAL) {
		b.Skipf("O_DIRECT is not supported on %s: %v", benchDir, err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	mapped, err := impl.Open("mmap", path, impl.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer mapped.Close()
	src, err := impl.View(mapped, 0, int(size))
	if err != nil {
		b.Fatal(err)
	}
	makeWarm(b, buffered)
	makeWarm(b, mapped) // populates the mapping's page tables: no faults in the memmove
	if *progress {
		fmt.Fprintf(os.Stderr, "bench: %s: %s blocks of a warm %s file\n", b.Name(), FormatSize(bs), FormatSize(size))
	}

	buf := impl.AlignedBuffer(int(bs))
	prefault(buf)
	blocks := size / bs
	var cpu [ccOps]time.Duration
	var m meter
	// The thread clock reads this thread's runtime: the goroutine must not
	// move to another thread between the two reads of a window.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rounds := int64(0)
	m.resume(b)
	for b.Loop() {
		for j := range int64(ccOps) {
			o := (rounds + j) % ccOps
			clear(buf) // untimed: the destination is in the cache before every op
			t0 := threadCPU(b)
			switch o {
			case ccBuffered:
				off := rounds % blocks * bs
				_, err = buffered.ReadAt(buf, off)
			case ccDirect:
				off := (rounds + blocks/4) % blocks * bs
				_, err = direct.ReadAt(buf, off)
			case ccMemmove:
				off := (rounds + blocks/2) % blocks * bs
				copy(buf, src[off:off+bs])
			}
			cpu[o] += threadCPU(b) - t0
			if err != nil {
				b.Fatal(err)
			}
		}
		rounds++
	}
	m.pause(b)
	checkCopyCostRegime(b, buffered, m.total, rounds*bs)

	// The clock's own cost is in every window; take it out so that the
	// memmove yardstick is the copy alone (it cancels in buffered − direct).
	kib := float64(rounds*bs) / 1024
	per := func(o int) float64 {
		return max(0, float64(cpu[o]-cpu[ccClock])) / kib
	}
	bufd, dir, mov := per(ccBuffered), per(ccDirect), per(ccMemmove)
	m.total.Report(b, b.N)
	b.ReportMetric(bufd, UnitBufferedCPUPerKiB)
	b.ReportMetric(dir, UnitDirectCPUPerKiB)
	b.ReportMetric(mov, UnitMemmoveCPUPerKiB)
	if mov > 0 {
		b.ReportMetric((bufd-dir)/mov, UnitCPUCopies)
	}
}

// checkCopyCostRegime fails the sample when its label is not what it did:
// the O_DIRECT reads must have come from the device (one block per round)
// and the buffered reads and the memmove from the page cache (nothing
// more). A bench directory whose O_DIRECT is served from memory (tmpfs
// accepts O_DIRECT since Linux 6.6) skips instead.
func checkCopyCostRegime(b *testing.B, buffered impl.Store, d Counters, want int64) {
	switch {
	case d.DevRead < want*9/10:
		b.Skipf("O_DIRECT reads did not reach a device: %d bytes read from it for %d bytes read with O_DIRECT (%s serves them from memory)", d.DevRead, want, benchDir)
	case d.DevRead > want*3/2:
		b.Fatalf("the device read %d bytes for %d bytes of O_DIRECT reads: the buffered reads or the memmove missed the page cache (is memory short?)", d.DevRead, want)
	}
	ev := buffered.(impl.Evicter)
	pages, total, err := ev.Resident()
	if err != nil {
		b.Fatal(err)
	}
	if pages != total {
		b.Fatalf("only %d of %d pages of %v resident after the sample: its buffered reads were not all warm", pages, total, buffered)
	}
}

// threadCPU returns the calling thread's CPU time, user and system, from
// CLOCK_THREAD_CPUTIME_ID.
func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatalf("clock_gettime(CLOCK_THREAD_CPUTIME_ID): %v", err)
	}
	return time.Duration(ts.Nano())
}

// ramFS reports whether dir is on tmpfs or ramfs, which keep every page in
// memory: O_DIRECT there, where it is accepted at all, copies from memory.
func ramFS(dir string) (string, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "", false
	}
	switch uint32(st.Type) {
	case unix.TMPFS_MAGIC:
		return "tmpfs", true
	case unix.RAMFS_MAGIC:
		return "ramfs", true
	}
	return "", false
}
