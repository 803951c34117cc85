//go:build linux

package bench

import (
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// recordingStore is a store whose reads and range hints are recorded, to
// check what a Worker asks for and in which order.
type recordingStore struct {
	impl.Store
	reads, hints []int64 // offsets
	hintLens     []int64
	hintAdvice   []impl.Advice
}

func (r *recordingStore) ReadAt(p []byte, off int64) (int, error) {
	r.reads = append(r.reads, off)
	return r.Store.ReadAt(p, off)
}

func (r *recordingStore) AdviseRange(a impl.Advice, off, n int64) error {
	r.hints, r.hintLens, r.hintAdvice = append(r.hints, off), append(r.hintLens, n), append(r.hintAdvice, a)
	return nil
}

func nullStore(t *testing.T, size int64) impl.Store {
	t.Helper()
	s, err := mustBackend(t, "null").Open("", impl.Options{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestWorkerPrefetchBatches: with prefetch=batchN a worker gives exactly
// one hint per block, N per batch, each for exactly the block it then
// reads, before reading any of the batch; a batch ends at the pass's end;
// populateN gives MADV_POPULATE_READ's advice instead.
func TestWorkerPrefetchBatches(t *testing.T) {
	const bs, blocks = 4096, 40 // 40 = 2×16 + 8: the last batch of a pass is short
	for _, p := range []schema.Prefetch{schema.Batch(16), schema.Populate(4)} {
		for _, pattern := range []schema.Pattern{schema.Seq, schema.Rand, schema.Hot, schema.Zipf(0.99)} {
			rec := &recordingStore{Store: nullStore(t, bs*blocks)}
			c := schema.Case{Backend: "null", Pattern: pattern, BS: bs, Size: bs * blocks, Threads: 1, Prefetch: p}
			w := NewWorker(rec, nil, c, OpRead, 0)
			const ops = 2 * blocks
			hintsBefore := make([]int, 0, ops) // hints given when each read was made
			for range ops {
				if err := w.Step(); err != nil {
					t.Fatal(err)
				}
				hintsBefore = append(hintsBefore, len(rec.hints))
			}
			name := c.Name()
			if len(rec.hints) != ops || w.hints != ops {
				t.Fatalf("%s: %d hints (counted %d) for %d reads, want one per read", name, len(rec.hints), w.hints, ops)
			}
			want := impl.AdviceWillNeed
			if p.Populates() {
				want = impl.AdvicePopulate
			}
			n := p.BatchLen()
			for i, off := range rec.reads {
				if rec.hints[i] != off || rec.hintLens[i] != bs || rec.hintAdvice[i] != want {
					t.Fatalf("%s: read %d at %d, hint %d was %v at %d for %d bytes", name, i, off, i, rec.hintAdvice[i], rec.hints[i], rec.hintLens[i])
				}
				// The batch of read i starts at its pass's step
				// floor((i mod blocks)/n)·n; all its hints precede it.
				step := i % blocks
				batchEnd := i - step%n + min(n, blocks-(step-step%n))
				if hintsBefore[i] != batchEnd {
					t.Fatalf("%s: %d hints given before read %d, want the whole batch's, %d", name, hintsBefore[i], i, batchEnd)
				}
			}
		}
	}
}

// TestWorkerPrefetchRefusesUnaligned: a block that does not start on a
// page is an error naming the offset, not a rounded hint.
func TestWorkerPrefetchRefusesUnaligned(t *testing.T) {
	rec := &recordingStore{Store: nullStore(t, 1<<20)}
	c := schema.Case{Backend: "null", Pattern: schema.Seq, BS: 512, Size: 1 << 20, Threads: 1, Prefetch: schema.Batch(16)}
	w := NewWorker(rec, nil, c, OpRead, 0)
	var err error
	for range 16 {
		if err = w.Step(); err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "not page-aligned") {
		t.Fatalf("prefetch with 512B blocks: %v, want an error saying not page-aligned", err)
	}
	// A store without range hints is an error too.
	w = NewWorker(nullStore(t, 1<<20), nil, schema.Case{Backend: "null", BS: 4096, Size: 1 << 20, Threads: 1, Prefetch: schema.Batch(4)}, OpRead, 0)
	if err := w.Step(); err == nil || !strings.Contains(err.Error(), "RangeAdvisor") {
		t.Fatalf("prefetch on a store without range hints: %v, want an error naming impl.RangeAdvisor", err)
	}
}

// TestWorkerDrawsHotBlocks: a hot worker reads 90% of the time from the
// blocks of the lowest tenth of ranks, scattered by the Order (not the
// file's first tenth), and its draws do not allocate, nor do a prefetching
// worker's steps.
func TestWorkerDrawsHotBlocks(t *testing.T) {
	const bs, blocks = 4096, 1000
	rec := &recordingStore{Store: nullStore(t, bs*blocks)}
	c := schema.Case{Backend: "null", Pattern: schema.Hot, BS: bs, Size: bs * blocks, Threads: 1}
	w := NewWorker(rec, nil, c, OpRead, 0)
	hot := map[int64]bool{}
	order := DefaultOrder(blocks)
	for r := range uint64(blocks / 10) {
		hot[int64(order.Block(r))*bs] = true
	}
	const ops = 100000
	rec.reads = make([]int64, 0, ops)
	for range ops {
		if err := w.Step(); err != nil {
			t.Fatal(err)
		}
	}
	inHot, inFirstTenth := 0, 0
	for _, off := range rec.reads {
		if hot[off] {
			inHot++
		}
		if off < bs*blocks/10 {
			inFirstTenth++
		}
	}
	if f := float64(inHot) / ops; f < 0.89 || f > 0.91 {
		t.Errorf("%.3f of the reads in the hot blocks, want 0.90 ± 0.01", f)
	}
	if f := float64(inFirstTenth) / ops; f > 0.3 {
		t.Errorf("%.3f of the reads in the file's first tenth: the hot blocks are not scattered", f)
	}

	plain := nullStore(t, bs*blocks)
	for _, c := range []schema.Case{
		{Backend: "null", Pattern: schema.Zipf(0.99), BS: bs, Size: bs * blocks, Threads: 1},
		{Backend: "null", Pattern: schema.Rand, BS: bs, Size: bs * blocks, Threads: 1, Prefetch: schema.Batch(16)},
	} {
		var s impl.Store = plain
		if c.Prefetch != schema.NoPrefetch {
			s = &recordingStore{Store: plain, reads: make([]int64, 0, 1<<16), hints: make([]int64, 0, 1<<16), hintLens: make([]int64, 0, 1<<16), hintAdvice: make([]impl.Advice, 0, 1<<16)}
		}
		w := NewWorker(s, nil, c, OpRead, 0)
		if a := testing.AllocsPerRun(1000, func() {
			if err := w.Step(); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: %v allocs per Step, want 0", c.Name(), a)
		}
	}
}
