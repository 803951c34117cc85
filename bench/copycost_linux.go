package bench

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/mmapbench/mmapbench/impl"
	"golang.org/x/sys/unix"
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

// The measured operations of a BenchmarkCopyCost round, and the empty
// window that measures the clock's own cost.
const (
	ccBuffered = iota // pread of the warm file: the kernel copies the page cache into buf
	ccDirect          // O_DIRECT pread of the same file: the device DMAs into buf
	ccSplice          // splice of the warm file into a pipe and on to /dev/null: no copy
	ccMemmove         // Go's copy into buf from an anonymous buffer as large as the file
	ccClock           // two clock reads with nothing between them
	ccOps
)

// RunCopyCost is one sample of BenchmarkCopyCost: bs-byte blocks of the
// run's shared file of size bytes, and of src (hugeAnon's) for the memmove.
func (h *Harness) RunCopyCost(b B, bs, size int64, src []byte) {
	path := h.SharedFile(b, size)
	buffered, err := impl.Open("pread", path, impl.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer buffered.Close()
	direct, err := impl.Open("pread", path, impl.Options{ReadOnly: true, Direct: true})
	if errors.Is(err, unix.EINVAL) {
		b.Skipf("O_DIRECT is not supported on %s: %v", h.Dir, err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	makeWarm(b, buffered)
	sp := newSplicer(b, path, bs)

	buf := impl.AlignedBuffer(int(bs))
	prefault(buf)
	blocks := size / bs
	// One untimed pass of the reads the loop makes: a page's first read
	// after the file was written moves it to the active LRU list, work that
	// later reads do not repeat (measured here: 208 against 78–95 ns/KiB
	// for a first sample right after the file's creation).
	for k := range blocks {
		if _, err := buffered.ReadAt(buf, k*bs); err != nil {
			b.Fatal(err)
		}
	}
	var cpu [ccOps]time.Duration
	var m meter
	// The thread clock reads this thread's runtime: the goroutine must not
	// move to another thread between the two reads of a window.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rounds := int64(0)
	m.resume(b)
	n := 0 // b.N, which B does not have
	for b.Loop() {
		n++
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
			case ccSplice:
				err = sp.splice((rounds + 3*blocks/4) % blocks * bs)
			}
			cpu[o] += threadCPU(b) - t0
			if err != nil {
				b.Fatal(err)
			}
		}
		rounds++
	}
	m.pause(b)
	h.checkCopyCostRegime(b, buffered, m.total, rounds*bs)

	// The clock's own cost is in every window; take it out so that the
	// memmove yardstick is the copy alone (it cancels in the differences).
	kib := float64(rounds*bs) / 1024
	per := func(o int) float64 {
		return max(0, float64(cpu[o]-cpu[ccClock])) / kib
	}
	bufd, dir, spl, mov := per(ccBuffered), per(ccDirect), per(ccSplice), per(ccMemmove)
	m.total.Report(b, n)
	b.ReportMetric(bufd, UnitBufferedCPUPerKiB)
	b.ReportMetric(dir, UnitDirectCPUPerKiB)
	b.ReportMetric(spl, UnitSpliceCPUPerKiB)
	b.ReportMetric(mov, UnitMemmoveCPUPerKiB)
	if mov > 0 {
		b.ReportMetric((bufd-dir)/mov, UnitCopiesVsDirect)
		b.ReportMetric((bufd-spl)/mov, UnitCopiesVsSplice)
	}
}

// A splicer moves a block of a file through a pipe to /dev/null: the page
// cache's read path without the copy to user memory. splice(2) from a file
// into a pipe takes references to the page-cache folios; /dev/null's
// splice_write drops them unread.
type splicer struct {
	file, null int
	pipe       [2]int // read end, write end
	bs         int64
}

// newSplicer opens path and /dev/null and makes a pipe that holds a block
// of bs bytes; the benchmark closes them when it ends. One untimed splice
// checks that the file system splices at all.
func newSplicer(b TB, path string, bs int64) *splicer {
	sp := &splicer{bs: bs}
	var err error
	if sp.file, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(sp.file) })
	if sp.null, err = unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(sp.null) })
	if err := unix.Pipe2(sp.pipe[:], unix.O_CLOEXEC); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(sp.pipe[0]); unix.Close(sp.pipe[1]) })
	// A whole block in the pipe, so that one splice each way moves it.
	if _, err := unix.FcntlInt(uintptr(sp.pipe[1]), unix.F_SETPIPE_SZ, int(bs)); err != nil {
		b.Fatalf("F_SETPIPE_SZ %d: %v (/proc/sys/fs/pipe-max-size too small?)", bs, err)
	}
	if err := sp.splice(0); err != nil {
		b.Fatal(err)
	}
	return sp
}

// splice moves the block at off through the pipe to /dev/null, retrying
// short transfers.
func (sp *splicer) splice(off int64) error {
	for done := int64(0); done < sp.bs; {
		o := off + done
		n, err := unix.Splice(sp.file, &o, sp.pipe[1], nil, int(sp.bs-done), unix.SPLICE_F_MOVE)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return fmt.Errorf("splice from the file at offset %d: %d bytes, %v", o, n, err)
		}
		for left := n; left > 0; {
			m, err := unix.Splice(sp.pipe[0], nil, sp.null, nil, int(left), unix.SPLICE_F_MOVE)
			if err == unix.EINTR {
				continue
			}
			if err != nil || m == 0 {
				return fmt.Errorf("splice from the pipe to /dev/null: %d bytes, %v", m, err)
			}
			left -= m
		}
		done += n
	}
	return nil
}

// hugeAnon maps size bytes of anonymous memory, asks for transparent huge
// pages, fills it with the files' pattern (faulting it in), and reports
// whether at least 90% of it is on huge pages (/proc/self/smaps). The
// caller unmaps it.
func hugeAnon(b TB, size int64) ([]byte, bool) {
	p, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		b.Fatal(err)
	}
	madvErr := unix.Madvise(p, unix.MADV_HUGEPAGE) // EINVAL without THP: 4KiB pages then
	fillPattern(p)
	if madvErr != nil {
		return p, false
	}
	n, err := anonHugeBytes(uintptr(unsafe.Pointer(&p[0])))
	if err != nil {
		b.Fatal(err)
	}
	return p, n >= size*9/10
}

// anonHugeBytes returns the AnonHugePages of the mapping that holds addr,
// from /proc/self/smaps.
func anonHugeBytes(addr uintptr) (int64, error) {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			// A mapping's first line: "start-end perms offset dev inode [path]".
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if in {
				break
			}
			in = err1 == nil && err2 == nil && uint64(addr) >= start && uint64(addr) < end
			continue
		}
		if in && f[0] == "AnonHugePages:" && len(f) >= 2 {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("bench: no AnonHugePages for the mapping at %#x in /proc/self/smaps", addr)
}

// checkCopyCostRegime fails the sample when its label is not what it did:
// the O_DIRECT reads must have come from the device (one block per round)
// and the buffered reads from the page cache (nothing more). A bench
// directory whose O_DIRECT is served from memory (tmpfs accepts O_DIRECT
// since Linux 6.6) skips instead.
func (h *Harness) checkCopyCostRegime(b TB, buffered impl.Store, d Counters, want int64) {
	switch {
	case d.DevRead < want*9/10:
		b.Skipf("O_DIRECT reads did not reach a device: %d bytes read from it for %d bytes read with O_DIRECT (%s serves them from memory)", d.DevRead, want, h.Dir)
	case d.DevRead > want*3/2:
		b.Fatalf("the device read %d bytes for %d bytes of O_DIRECT reads: the buffered reads missed the page cache (is memory short?)", d.DevRead, want)
	}
	ev := buffered.(impl.Evicter)
	pages, total, err := ev.Resident()
	if err != nil {
		b.Fatal(err)
	}
	// A few pages can go while the sample runs (reclaim of another
	// process's making); the device bytes above bound what the buffered
	// reads missed. More than 1% gone means memory is short: fail.
	if float64(total-pages) > coldSlack*float64(total) {
		b.Fatalf("only %d of %d pages of %v resident after the sample: its buffered reads were not all warm (is memory short?)", pages, total, buffered)
	}
}

// threadCPU returns the calling thread's CPU time, user and system, from
// CLOCK_THREAD_CPUTIME_ID.
func threadCPU(b TB) time.Duration {
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
