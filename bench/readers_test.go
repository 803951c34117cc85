package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// BenchmarkReaders runs K reader goroutines on ONE store: one mapping (mmap,
// reading it in place) or one descriptor (pread, copying into a buffer per
// reader), shared by all of them, as a server's worker goroutines would share
// a file. One op is one pass: the K readers together read every 4KiB block of
// the file exactly once, each reader its own share (a contiguous run of the
// fixed pseudo-random permutation of the blocks that BenchmarkRead's
// pattern=rand uses; the readers are BenchmarkRead's workers), consuming
// every byte with Consume. So MB/s is the readers' aggregate throughput,
// B/s/reader the same divided by K (each reader's share over the pass's wall
// time), and the counters are per pass.
//
// cache=warm: every page resident (mincore) and, for the mapping, its page
// tables filled, so a pass takes no fault. cache=cold: the file is evicted
// and checked with mincore (makeCold) before every pass, with the timer
// stopped; within a pass no block is read twice, so every block comes from
// the disk unless read-ahead or read-around brought it in earlier in the
// same pass. advice=rand (madvise or fadvise) turns both off, so that each
// cold 4KiB read is one 4KiB read from the disk for both backends, and they
// differ only in how they wait: a goroutine in a page fault keeps its P (at
// most GOMAXPROCS faults in flight), one in pread hands it on.
//
// Sizes differ by cache state. A cold pass costs a disk round trip per
// block, so the quick profile's cold file is small (2MiB, 512 blocks); a
// warm pass of so small a file lasts about 0.1ms, where waking the readers
// on an idle vCPU would weigh, so the warm file is the matrix's 16MiB. The
// full profile adds a warm 1GiB and a cold 64MiB file, advice=none
// (read-ahead, and read-around for the mapping) and 16 readers. -sizes
// replaces both lists (powers of two).
//
// tlb-shootdowns/pass is the machine-wide TLB shootdown count over the timed
// passes (/proc/interrupts, read with the timer stopped, so the eviction's
// own flushes are left out); other processes on the machine add to it.
func BenchmarkReaders(b *testing.B) {
	cases := readersCases(b)
	for i, c := range cases {
		if *progress {
			fmt.Fprintf(os.Stderr, "bench: %s [%d/%d] %s\n", b.Name(), i+1, len(cases), readersName(c))
		}
		b.Run(readersName(c), func(b *testing.B) { readersRun(b, c) })
	}
}

// readersCases lists BenchmarkReaders's cases, warm before cold (a cold
// case evicts the shared file). Each is an rwCase whose threads field is
// the number of readers: 1, 4 and 8 (full: 1, 2, 4, 8, 16), up to four per CPU of the 2-vCPU
// development machine, where concurrency beyond the CPUs' can only come
// from I/O in flight.
func readersCases(tb testing.TB) []rwCase {
	p := currentProfile(tb)
	sizes := map[string][]int64{"warm": {16 << 20}, "cold": {2 << 20}}
	advice, counts := []string{"rand"}, []int{1, 4, 8} // quick: 2 readers left out to keep make bench within 3 minutes
	if *profileFlag == "full" {
		sizes = map[string][]int64{"warm": {16 << 20, 1 << 30}, "cold": {2 << 20, 64 << 20}}
		advice, counts = []string{"rand", "none"}, []int{1, 2, 4, 8, 16}
	}
	if *sizesFlag != "" {
		sizes = map[string][]int64{"warm": p.sizes, "cold": p.sizes}
	}
	const bs = 4 << 10
	var cs []rwCase
	for _, cache := range []string{"warm", "cold"} {
		for _, size := range sizes[cache] {
			if size < bs || size%bs != 0 {
				tb.Fatalf("BenchmarkReaders: size %s: want a multiple of %s", schema.FormatSize(size), schema.FormatSize(bs))
			}
			for _, a := range advice {
				for _, ba := range []struct{ backend, access string }{{"mmap", "view"}, {"pread", "copy"}} {
					be, err := impl.Lookup(ba.backend)
					if err != nil {
						tb.Fatal(err)
					}
					for _, k := range counts {
						cs = append(cs, rwCase{backend: be, access: ba.access, pattern: "rand", bs: bs,
							cache: cache, size: size, advice: a, threads: k})
					}
				}
			}
		}
	}
	return cs
}

// readersName is the matrix's name with readers= for threads=.
func readersName(c rwCase) string {
	return fmt.Sprintf("backend=%s/access=%s/pattern=%s/bs=%s/cache=%s/size=%s/advice=%s/readers=%d",
		c.backend.Name, c.access, c.pattern, schema.FormatSize(c.bs), c.cache, schema.FormatSize(c.size), c.advice, c.threads)
}

// readersSink keeps the checksums of the timed passes alive; the tests
// check it against the file.
var readersSink uint64

// tlbNoted makes the note that TLB shootdowns are not counted here appear once.
var tlbNoted sync.Once

// readersRun times passes of c.threads readers over one store.
func readersRun(b *testing.B, c rwCase) {
	s, view := openCase(b, c) // warm, or evicted below
	reserveThreads(b, c.threads)
	pool := newReaderPool(s, view, c)
	defer pool.close()
	if err := pool.pass(); err != nil { // untimed: the readers' first steps
		b.Fatal(err)
	}
	pool.resetSums()
	cold := c.cache == "cold"
	if cold {
		makeCold(b, s)
	}
	pool.prime()
	tlb := tlbMeter{ok: true}
	tlb.resume(b)
	var m meter
	b.SetBytes(c.size)
	b.ReportAllocs()
	m.resume(b)
	first := true
	for b.Loop() {
		if cold && !first {
			b.StopTimer()
			m.pause(b)
			tlb.pause(b)
			makeCold(b, s)
			pool.prime()
			tlb.resume(b)
			m.resume(b)
			b.StartTimer()
		}
		first = false
		if err := pool.pass(); err != nil {
			b.Fatal(err)
		}
	}
	m.pause(b)
	tlb.pause(b)
	m.total.Report(b, b.N)
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(c.size)*float64(b.N)/sec/float64(c.threads), UnitBytesPerSecPerReader)
	}
	if tlb.ok {
		b.ReportMetric(float64(tlb.total)/float64(b.N), UnitTLBShootdownsPerPass)
	}
	readersSink += pool.sum()
}

// threadsReserved is the number of goroutines blocked in system calls at
// once that the runtime has threads for, by reserveThreads.
var threadsReserved int

// reserveThreads has n goroutines block in a system call (a 20ms nanosleep)
// at once, so that the runtime starts the threads that n readers blocked in
// pread need: the scheduler hands the P of a goroutine stuck in a system
// call to another thread, and starting one allocates (about 5KiB), which a
// timed pass would report. The runtime keeps its threads for the life of
// the process, so only a larger n than before does anything.
func reserveThreads(b *testing.B, n int) {
	if n <= threadsReserved {
		return
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := unix.NsecToTimespec((20 * time.Millisecond).Nanoseconds())
			errs[i] = unix.Nanosleep(&ts, nil)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	threadsReserved = n
}

// tlbMeter sums the machine-wide TLB shootdown count over the timed
// stretches, like meter. TLBShootdowns allocates: call it with the timer
// stopped (or before the loop, or after it).
type tlbMeter struct {
	ok           bool // false: no counter on this kernel
	total, start uint64
}

func (t *tlbMeter) read(b *testing.B) uint64 {
	if !t.ok {
		return 0
	}
	n, err := TLBShootdowns()
	if errors.Is(err, ErrNoTLBCounter) {
		t.ok = false
		tlbNoted.Do(func() { b.Log("tlb-shootdowns/pass not reported:", err) })
		return 0
	}
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func (t *tlbMeter) resume(b *testing.B) { t.start = t.read(b) }

func (t *tlbMeter) pause(b *testing.B) {
	if n := t.read(b); t.ok {
		t.total += n - t.start
	}
}

// readerPool is c.threads reader goroutines, each with its own worker (its
// own buffer and share of the blocks), that read one store together. They
// live for a whole sub-benchmark: pass wakes them with a channel send, so
// that a timed pass starts no goroutine and allocates nothing.
type readerPool struct {
	workers []*worker
	shares  []uint64 // blocks per pass of each worker
	start   []chan struct{}
	errs    []error
	done    sync.WaitGroup
}

func newReaderPool(s impl.Store, view impl.Viewer, c rwCase) *readerPool {
	p := &readerPool{errs: make([]error, c.threads)}
	blocks := uint64(c.size / c.bs)
	for t := range c.threads {
		w := newWorker(s, view, c, opRead, t)
		next := uint64(t+1) * blocks / uint64(c.threads) // the next worker's first
		p.workers = append(p.workers, w)
		p.shares = append(p.shares, next-w.first)
		p.start = append(p.start, make(chan struct{}, 1))
	}
	for t := range p.workers {
		go p.read(t)
	}
	return p
}

// read is reader t's goroutine: one share per message on its start channel.
func (p *readerPool) read(t int) {
	w, share := p.workers[t], p.shares[t]
	for range p.start[t] {
		for w.i = 0; w.i < share; {
			if err := w.step(); err != nil {
				p.errs[t] = err
				break
			}
		}
		p.done.Done()
	}
}

// pass has every reader read its share once, and returns when all have.
func (p *readerPool) pass() error {
	p.done.Add(len(p.workers))
	for _, ch := range p.start {
		ch <- struct{}{}
	}
	p.done.Wait()
	return errors.Join(p.errs...)
}

// prime stocks the runtime's cache of wait-queue entries (sudogs) before a
// timed pass. Every goroutine that blocks in a channel receive or in
// WaitGroup.Wait takes one from its P's cache, else from the central cache,
// else allocates one (112 bytes), and returns it to the cache of the P it
// wakes on. A pass's K+1 entries drift from one P to the other without
// either P's cache ever overflowing into the central cache (a garbage
// collection empties that too), so without this a timed pass now and then
// shows 1 allocs/op. Here more goroutines than a P caches (128) block at
// once and wake together: both P caches fill, and the overflow stocks the
// central cache.
func (p *readerPool) prime() {
	const n = 512
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for range n {
		go func() {
			ready.Done()
			<-gate
			done.Done()
		}()
	}
	ready.Wait()
	runtime.Gosched() // let the last ones reach the receive
	close(gate)
	done.Wait()
}

// resetSums forgets what the readers have read so far.
func (p *readerPool) resetSums() {
	for _, w := range p.workers {
		w.sum = 0
	}
}

// sum is the total of the readers' checksums.
func (p *readerPool) sum() uint64 {
	var sum uint64
	for _, w := range p.workers {
		sum += w.sum
	}
	return sum
}

// close ends the readers' goroutines.
func (p *readerPool) close() {
	for _, ch := range p.start {
		close(ch)
	}
}

// TestReadersCaseNames: in both profiles, every case of BenchmarkReaders
// parses with benchfmt into the keys in order, names are unique, and warm
// cases come before cold ones (a cold case evicts the shared file).
func TestReadersCaseNames(t *testing.T) {
	keys := []string{"backend", "access", "pattern", "bs", "cache", "size", "advice", "readers"}
	for _, prof := range []string{"quick", "full"} {
		old := *profileFlag
		*profileFlag = prof
		cases := readersCases(t)
		*profileFlag = old
		seen := map[string]bool{}
		cold := false
		for _, c := range cases {
			full := "BenchmarkReaders/" + readersName(c) + "-2"
			if seen[full] {
				t.Errorf("profile %s: duplicate case %s", prof, full)
			}
			seen[full] = true
			if cold && c.cache == "warm" {
				t.Errorf("profile %s: warm case %s after a cold one", prof, full)
			}
			cold = cold || c.cache == "cold"
			_, parts := benchfmt.Name(full).Parts()
			if len(parts) != len(keys)+1 {
				t.Fatalf("Parts(%q) = %q, want %d keys and -2", full, parts, len(keys))
			}
			for i, k := range keys {
				if !strings.HasPrefix(string(parts[i]), "/"+k+"=") {
					t.Errorf("Parts(%q)[%d] = %q, want /%s=...", full, i, parts[i], k)
				}
			}
		}
		if len(cases) == 0 || !cold {
			t.Errorf("profile %s: %d cases, cold ones: %v", prof, len(cases), cold)
		}
	}
}

// TestReadersShareEveryBlock: in one pass of a readerPool, the readers'
// shares are disjoint, as even as they can be, and cover every block of
// the store, so that every byte is consumed exactly once per pass. The
// stores hold a different pattern in every block, so a pass that read one
// block twice and skipped another would have the wrong checksum.
func TestReadersShareEveryBlock(t *testing.T) {
	const bs = 4 << 10
	for _, size := range []int64{bs, 8 * bs, 1 << 20} {
		blocks := uint64(size / bs)
		path := createFilled(t, "readers", size)
		for _, ba := range []struct{ backend, access string }{{"mmap", "view"}, {"pread", "copy"}, {"null", "view"}, {"null", "copy"}} {
			be := mustBackend(t, ba.backend)
			var s impl.Store
			var err error
			if be.Has(impl.CapPersistent) {
				s, err = be.Open(path, impl.Options{})
			} else {
				s, err = be.Open("", impl.Options{Size: size})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			want := writeDistinctBlocks(t, s, bs)
			var view impl.Viewer
			if ba.access == "view" {
				view = s.(impl.Viewer)
			}
			for _, k := range []int{1, 2, 3, 4, 8, 16} {
				c := rwCase{backend: be, access: ba.access, pattern: "rand", bs: bs, cache: "warm", size: size, advice: "none", threads: k}
				name := readersName(c)
				pool := newReaderPool(s, view, c)
				seen := make([]int, blocks)
				var total uint64
				for r, w := range pool.workers {
					share := pool.shares[r]
					if lo, hi := blocks/uint64(k), (blocks+uint64(k)-1)/uint64(k); share < lo || share > hi {
						t.Errorf("%s: reader %d has %d blocks, want %d to %d", name, r, share, lo, hi)
					}
					total += share
					replay := *w
					for replay.i = 0; replay.i < share; replay.i++ {
						seen[replay.block()]++
					}
				}
				if total != blocks {
					t.Errorf("%s: shares add up to %d blocks, want %d", name, total, blocks)
				}
				for blk, n := range seen {
					if n != 1 {
						t.Errorf("%s: block %d is in %d shares, want 1", name, blk, n)
					}
				}
				for pass := 1; pass <= 2; pass++ {
					if err := pool.pass(); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if got := pool.sum(); got != uint64(pass)*want {
						t.Errorf("%s: checksum after %d passes = %#x, want %d × %#x", name, pass, got, pass, want)
					}
				}
				pool.close()
			}
		}
	}
}

// writeDistinctBlocks writes the fill pattern over s with each block's index
// in its first eight bytes, and returns the sum of Consume over the blocks.
func writeDistinctBlocks(t *testing.T, s impl.Store, bs int) uint64 {
	t.Helper()
	blk := make([]byte, bs)
	var sum uint64
	for i := int64(0); i*int64(bs) < s.Size(); i++ {
		fillPattern(blk)
		binary.LittleEndian.PutUint64(blk, uint64(i)+1)
		if _, err := s.WriteAt(blk, i*int64(bs)); err != nil {
			t.Fatal(err)
		}
		sum += Consume(blk)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestReadersPasses runs BenchmarkReaders's cases for real, small, and
// checks what their lines claim. cold: every timed pass reads the whole
// file from the disk (the process's storage read_bytes grow by the file's
// size for each extra pass; the mapping takes a major fault per block),
// which only holds if the eviction between passes worked and the readers
// did not overlap. warm: no pass reads the disk or faults. Both: the
// checksum of the timed passes is the file's checksum times the passes,
// and pread's rchar is exactly the file per pass.
func TestReadersPasses(t *testing.T) {
	const size, bs = 1 << 20, 4 << 10
	const blocks = size / bs
	data, err := os.ReadFile(sharedFile(t, size))
	if err != nil {
		t.Fatal(err)
	}
	var fileSum uint64
	for off := 0; off < size; off += bs {
		fileSum += Consume(data[off : off+bs])
	}
	for _, cache := range []string{"warm", "cold"} {
		for _, ba := range []struct{ backend, access string }{{"mmap", "view"}, {"pread", "copy"}} {
			c := rwCase{backend: mustBackend(t, ba.backend), access: ba.access, pattern: "rand", bs: bs, cache: cache, size: size, advice: "rand", threads: 4}
			t.Run(readersName(c), func(t *testing.T) {
				if cache == "cold" {
					skipUnlessEvictable(t)
				}
				var diskBytes [2]int64
				var res [2]testing.BenchmarkResult
				for i, n := range []int{1, 3} {
					before := storageReadBytes(t)
					sink := readersSink
					res[i] = readersOnce(t, c, n)
					diskBytes[i] = storageReadBytes(t) - before
					if got := readersSink - sink; got != uint64(n)*fileSum {
						t.Errorf("%d passes: checksum %#x, want %d × %#x: not every byte was consumed once per pass", n, got, n, fileSum)
					}
				}
				perPass := float64(diskBytes[1]-diskBytes[0]) / 2
				r := res[1]
				if cache == "cold" {
					if perPass < 0.9*size {
						t.Errorf("read %.0f bytes from storage per extra pass, want the file's %d: passes after the first were not cold", perPass, size)
					}
					if ba.backend == "mmap" && r.Extra[UnitMajorFaults] < 0.9*blocks {
						t.Errorf("%s = %v, want about %d (one per block)", UnitMajorFaults, r.Extra[UnitMajorFaults], blocks)
					}
				} else {
					if perPass > 0.01*size || r.Extra[UnitMajorFaults] != 0 {
						t.Errorf("warm: read %.0f bytes from storage per extra pass and %s = %v, want none", perPass, UnitMajorFaults, r.Extra[UnitMajorFaults])
					}
					if ba.backend == "mmap" && r.Extra[UnitMinorFaults] > 0.05*blocks {
						t.Errorf("warm: %s = %v, want about 0 (page tables filled)", UnitMinorFaults, r.Extra[UnitMinorFaults])
					}
				}
				if ba.backend == "pread" {
					if got := r.Extra[UnitReadBytes]; math.Abs(got-size) > 0.001*size {
						t.Errorf("%s = %v, want %d", UnitReadBytes, got, size)
					}
				}
				if got, want := r.Extra[UnitBytesPerSecPerReader], float64(r.Bytes)*float64(r.N)/r.T.Seconds()/4; math.Abs(got-want) > 1e-6*want {
					t.Errorf("%s = %v, want MB/s over the 4 readers, %v", UnitBytesPerSecPerReader, got, want)
				}
			})
		}
	}
}

// readersOnce runs readersRun for c with n timed passes.
func readersOnce(t *testing.T, c rwCase, n int) testing.BenchmarkResult {
	t.Helper()
	r := benchN(t, n, func(b *testing.B) { readersRun(b, c) })
	if r.N != n {
		t.Fatalf("benchmark %s was skipped or ran %d passes, not %d", readersName(c), r.N, n)
	}
	return r
}

// storageReadBytes is the process's read_bytes from /proc/self/io: bytes it
// caused to be read from storage, page faults included.
func storageReadBytes(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "read_bytes:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("/proc/self/io has no read_bytes:\n%s", data)
	return 0
}
