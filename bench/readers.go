//go:build linux

package bench

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// readersSink keeps the checksums of the timed passes alive; the tests
// check it against the file.
var readersSink uint64

// tlbNoted makes the note that TLB shootdowns are not counted here appear once.
var tlbNoted sync.Once

// RunReaders times passes of c.Threads readers sharing one store (a
// BenchmarkReaders case, c.Shared): one op is one pass, in which the
// readers together read every block once, each its own share. A cold case
// is evicted before every pass, timer stopped.
func (h *Harness) RunReaders(b B, c schema.Case) {
	s, view := h.Open(b, c) // warm, or evicted below
	reserveThreads(b, c.Threads)
	pool := newReaderPool(s, view, c)
	defer pool.close()
	if err := pool.pass(); err != nil { // untimed: the readers' first steps
		b.Fatal(err)
	}
	pool.resetSums()
	cold := c.Cache == schema.Cold
	if cold {
		h.MakeCold(b, s)
	}
	pool.prime()
	tlb := tlbMeter{ok: true}
	tlb.resume(b)
	var m meter
	b.SetBytes(c.Size)
	b.ReportAllocs()
	m.resume(b)
	n := 0 // b.N, which B does not have
	for b.Loop() {
		if cold && n > 0 {
			b.StopTimer()
			m.pause(b)
			tlb.pause(b)
			h.MakeCold(b, s)
			pool.prime()
			tlb.resume(b)
			m.resume(b)
			b.StartTimer()
		}
		n++
		if err := pool.pass(); err != nil {
			b.Fatal(err)
		}
	}
	m.pause(b)
	tlb.pause(b)
	m.total.Report(b, n)
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(c.Size)*float64(n)/sec/float64(c.Threads), UnitBytesPerSecPerReader)
	}
	if tlb.ok {
		b.ReportMetric(float64(tlb.total)/float64(n), UnitTLBShootdownsPerPass)
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
func reserveThreads(tb TB, n int) {
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
		tb.Fatal(err)
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

func (t *tlbMeter) read(tb TB) uint64 {
	if !t.ok {
		return 0
	}
	n, err := TLBShootdowns()
	if errors.Is(err, ErrNoTLBCounter) {
		t.ok = false
		tlbNoted.Do(func() { tb.Log("tlb-shootdowns/pass not reported:", err) })
		return 0
	}
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func (t *tlbMeter) resume(tb TB) { t.start = t.read(tb) }

func (t *tlbMeter) pause(tb TB) {
	if n := t.read(tb); t.ok {
		t.total += n - t.start
	}
}

// readerPool is c.Threads reader goroutines, each with its own worker (its
// own buffer and share of the blocks), that read one store together. They
// live for a whole sub-benchmark: pass wakes them with a channel send, so
// that a timed pass starts no goroutine and allocates nothing.
type readerPool struct {
	workers []*Worker
	shares  []uint64 // blocks per pass of each worker
	start   []chan struct{}
	errs    []error
	done    sync.WaitGroup
}

func newReaderPool(s impl.Store, view impl.Viewer, c schema.Case) *readerPool {
	p := &readerPool{errs: make([]error, c.Threads)}
	blocks := uint64(c.Size / c.BS)
	for t := range c.Threads {
		w := NewWorker(s, view, c, OpRead, t)
		next := uint64(t+1) * blocks / uint64(c.Threads) // the next worker's first
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
			if err := w.Step(); err != nil {
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
