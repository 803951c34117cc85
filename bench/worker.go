package bench

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// Op is what a worker does to each block.
type Op int

const (
	OpRead Op = iota
	OpWrite
)

// A Worker does one goroutine's operations on a store: block after block
// of a pass over its c.Size/c.BS blocks, in sequence or in the project's
// one random order, starting from its own share of the pass, or, for the
// skewed patterns (hot, zipf), blocks drawn with replacement: a rank from
// its Draw, mapped to a block by the same Order, so that the hot blocks
// are scattered over the file (a pass is then as many draws as there are
// blocks). With prefetch, each batch of the next N blocks gets one range
// hint per block before the batch is read. It is the one read (and write)
// loop of the project: the matrix, BenchmarkReaders and the oom child all
// step workers.
type Worker struct {
	s      impl.Store
	view   impl.Viewer // nil for access=copy
	buf    []byte
	write  bool
	bs     int64
	blocks uint64 // blocks per pass: size/bs
	rand   bool
	order  Order // pattern=rand's order of the blocks, and the blocks of a draw's ranks
	drawn  bool  // hot, zipf: blocks come from draw
	draw   Draw
	first  uint64 // this worker's starting step
	i      uint64 // operations done in this pass
	sum    uint64 // checksum of what was read; keeps the reads alive
	sync   int    // a Sync after every sync writes; 0: none
	writes int    // writes since the last Sync
	// consume: reads look at every byte (Consume). Off only for the
	// fio cross-check, since fio never looks at what it reads.
	consume bool
	// catch: a fault while reading the mapping (SIGBUS: an I/O error, a
	// truncated file) is returned as impl.ErrFault, not a crash. It costs
	// a closure call per op, so only programs that expect such faults
	// (the oom child, under memory pressure) turn it on.
	catch bool

	// Prefetch: batch holds the blocks of the batch being read, next
	// the index of the next of them; adviser takes one range hint per
	// block when a batch starts.
	batch    []uint64
	next     int
	advice   impl.Advice // willneed or populate
	adviser  impl.RangeAdvisor
	hints    uint64 // range hints given, for the tests
	pageMask int64
}

var pageSize = os.Getpagesize()

// drawSeed seeds the draws of the skewed patterns; worker t of a case
// draws with drawSeed + t, so that its goroutines do not read in step.
const drawSeed = 0x6d6d61706265 // "mmapbe"

// CatchFaults makes a fault while reading the mapping an error of Step
// (impl.ErrFault) rather than a crash of the process.
func (w *Worker) CatchFaults() { w.catch = true }

// NewWorker returns worker t of c.Threads over s: view is s's Viewer for
// access=view and nil for access=copy. A copy's buffer is aligned (O_DIRECT
// needs it), filled with the pattern and touched before any timing. It
// panics on a pattern that schema.ParsePattern refuses (a zipf θ out of
// range): cases come from there or from code.
func NewWorker(s impl.Store, view impl.Viewer, c schema.Case, o Op, t int) *Worker {
	w := &Worker{s: s, view: view, write: o == OpWrite, bs: c.BS, blocks: uint64(c.Size / c.BS),
		rand: c.Pattern == schema.Rand, sync: c.Sync, consume: true}
	w.first = uint64(t) * w.blocks / uint64(max(c.Threads, 1))
	w.order = DefaultOrder(w.blocks)
	if !c.Pattern.Passes() {
		d, err := NewDraw(c.Pattern, w.blocks, drawSeed+uint64(t))
		if err != nil {
			panic(err)
		}
		w.drawn, w.draw = true, d
	}
	if n := c.Prefetch.BatchLen(); n > 0 {
		w.batch = make([]uint64, 0, n)
		w.advice = impl.AdviceWillNeed
		if c.Prefetch.Populates() {
			w.advice = impl.AdvicePopulate
		}
		w.adviser, _ = s.(impl.RangeAdvisor) // nil: Step says so
		w.pageMask = int64(pageSize - 1)
	}
	if w.view == nil || w.write {
		// A write copies from buf; a copy read copies into it.
		w.buf = impl.AlignedBuffer(int(c.BS))
		fillPattern(w.buf)
		prefault(w.buf)
	}
	return w
}

// PassStart reports whether the next Step begins a pass (the first
// included).
func (w *Worker) PassStart() bool { return w.i == 0 || w.i == w.blocks }

// Sum is the checksum of everything read so far.
func (w *Worker) Sum() uint64 { return w.sum }

// block returns the block of the pass's i-th operation: the worker's share
// of the pass starts at step first, and for rand the step is mapped through
// the project's one random order (DefaultOrder): every block once per pass,
// not a stride, with no table to allocate or to pollute the cache.
func (w *Worker) block() uint64 { return w.blockAt(w.i) }

// blockAt is the block of the pass's step i (i < blocks); for a drawn
// pattern it is the next draw's, whatever i.
func (w *Worker) blockAt(i uint64) uint64 {
	if w.drawn {
		return w.order.Block(w.draw.Next())
	}
	k := w.first + i
	if k >= w.blocks {
		k -= w.blocks
	}
	if w.rand {
		k = w.order.Block(k)
	}
	return k
}

// startBatch chooses the next batch: up to N blocks from step i on, never
// beyond the pass's end (the loop may evict there), and gives one range
// hint per block. A block that does not start on a page boundary is an
// error: a mapping's hint cannot take it, and rounding it would hint pages
// the batch does not read.
func (w *Worker) startBatch() error {
	if w.adviser == nil {
		return errors.New("bench: prefetch needs a store with range hints (impl.RangeAdvisor)")
	}
	n := min(uint64(cap(w.batch)), w.blocks-w.i)
	w.batch, w.next = w.batch[:0], 0
	for j := range n {
		w.batch = append(w.batch, w.blockAt(w.i+j))
	}
	for _, k := range w.batch {
		off := int64(k) * w.bs
		if off&w.pageMask != 0 {
			return fmt.Errorf("bench: prefetch of block %d at offset %d: not page-aligned (bs=%d): want a block size that is a multiple of the page size", k, off, w.bs)
		}
		w.hints++
		if err := w.adviser.AdviseRange(w.advice, off, w.bs); err != nil {
			return err
		}
	}
	return nil
}

// Step does one operation, read or write one block, starting the next pass
// when one is over.
func (w *Worker) Step() error {
	if w.i == w.blocks {
		w.i = 0
	}
	var k uint64
	if w.batch == nil {
		k = w.block()
	} else {
		if w.next == len(w.batch) {
			if err := w.startBatch(); err != nil {
				return err
			}
		}
		k = w.batch[w.next]
		w.next++
	}
	off := int64(k) * w.bs
	w.i++
	switch {
	case w.write && w.view != nil:
		p, err := w.view.View(off, int(w.bs))
		if err != nil {
			return err
		}
		copy(p, w.buf)
	case w.write:
		if _, err := w.s.WriteAt(w.buf, off); err != nil {
			return err
		}
	case w.view != nil:
		p, err := w.view.View(off, int(w.bs))
		if err != nil {
			return err
		}
		if w.consume {
			if w.catch {
				return w.consumeCatching(p)
			}
			w.sum += Consume(p)
		}
		return nil
	default:
		if _, err := w.s.ReadAt(w.buf, off); err != nil && err != io.EOF {
			return err
		}
		if w.consume {
			w.sum += Consume(w.buf)
		}
		return nil
	}
	if w.sync > 0 {
		if w.writes++; w.writes == w.sync {
			w.writes = 0
			return w.s.Sync()
		}
	}
	return nil
}

// consumeCatching is Consume with a fault turned into impl.ErrFault; out of
// Step, whose common case it would otherwise slow (its closure).
//
//go:noinline
func (w *Worker) consumeCatching(p []byte) error {
	return impl.CatchFault(func() { w.sum += Consume(p) })
}
