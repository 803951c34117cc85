//go:build linux

package bench

import (
	"fmt"
	"os"
	"testing"
	"unsafe"

	"github.com/mmapbench/mmapbench/schema"
	"golang.org/x/sys/unix"
)

// BenchmarkCopyCost measures how many times the CPU copies each byte that a
// buffered read(2) returns, from CPU time rather than from byte counts
// (rchar counts the bytes read returns, so it is one per byte by definition).
// Each round does, into one page-aligned buffer, a buffered pread of a
// warm file, an O_DIRECT pread of the same file, and a memmove of the same
// size: the yardstick of one CPU copy; and it splices a block of the file
// into a pipe and from there to /dev/null, which takes the page cache's
// path (the same lookups as the buffered read) and moves page references
// instead of bytes. The order rotates every round and the ops are timed
// one at a time, so slow and fast stretches of the machine fall on all of
// them alike. An op of the benchmark is one round.
//
// Two references without a CPU copy, because each has costs of its own
// that the buffered read has not: O_DIRECT pins the buffer's pages, builds
// a bio, notifies the device and sleeps (on this VM more CPU than the
// whole buffered read); splice fills and drains a pipe, taking and
// dropping a reference per page.
//
// CPU time is the calling thread's CLOCK_THREAD_CPUTIME_ID, with the
// goroutine locked to its thread: user and system time together, exact to
// the nanosecond (the scheduler's runtime of the thread), where getrusage's
// user/system split is sampled at the tick (HZ 250) and would be noise at
// 10–100 µs per op. Time the thread sleeps waiting for the device is not
// CPU time; interrupt handlers that complete the I/O on another CPU or
// while the thread sleeps are not counted either.
//
// The file is the quick profile's large one (8× the LLC), so a block's
// source comes from memory. The memmove copies from memory too: an
// anonymous buffer of the file's size, on transparent huge pages where the
// kernel gives them (key yardstick=thp, else 4k), because the kernel's copy
// reads the page cache through its direct map, which huge pages map; a
// memmove from a mapping of the file pays a TLB miss per 4KiB page that the
// kernel's copy does not (measured here: 60–120 ns/KiB from the mapping
// against 58–69 from huge pages, in the same runs). Before every op the
// buffer is cleared (untimed), so each copy writes a destination that is
// in the cache, whatever the op before it did (a DMA invalidates it).
//
// The report infers CPU copies per byte as (buffered − reference) ÷
// memmove for each reference; each sample reports both ratios too
// (copies-vs-direct, copies-vs-splice).
func BenchmarkCopyCost(b *testing.B) {
	if name, ok := ramFS(harness.Dir); ok {
		b.Skipf("O_DIRECT does not apply: the bench directory %s is on %s, whose pages are always in memory (pass -benchdir on a disk)", harness.Dir, name)
	}
	_, size, _ := quickSizes(harness.Dir)
	src, huge := hugeAnon(b, size)
	defer unix.Munmap(src)
	yardstick := "4k"
	if huge {
		yardstick = "thp"
	}
	b.Run(fmt.Sprintf("bs=%s/size=%s/cache=warm/yardstick=%s", schema.FormatSize(copyCostBlock), schema.FormatSize(size), yardstick), func(b *testing.B) {
		if *progress {
			fmt.Fprintf(os.Stderr, "bench: %s: %s blocks of a warm %s file\n", b.Name(), schema.FormatSize(copyCostBlock), schema.FormatSize(size))
		}
		harness.RunCopyCost(b, copyCostBlock, size, src)
	})
}

// TestAnonHugeBytes: the smaps lookup finds the mapping that holds an
// address (its huge bytes within its size) and refuses an unmapped one, so
// BenchmarkCopyCost's yardstick key cannot be a silent default.
func TestAnonHugeBytes(t *testing.T) {
	const size = 8 << 20
	p, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(p)
	fillPattern(p)
	n, err := anonHugeBytes(uintptr(unsafe.Pointer(&p[size/2])))
	if err != nil || n < 0 || n > size {
		t.Errorf("anonHugeBytes(mapping) = %d, %v; want 0–%d bytes and no error", n, err, size)
	}
	if n, err := anonHugeBytes(4096); err == nil {
		t.Errorf("anonHugeBytes(unmapped page 1) = %d, nil; want an error", n)
	}
}
