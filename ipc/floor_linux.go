package ipc

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// runFloor is the calibration row: the same changer and monitor code, on the
// same record layout, but in two goroutines locked to threads pinned to the
// same two CPUs as the children, and on Go memory. What a backend adds to
// it is the cost of being two processes and of its kind of memory.
func runFloor(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Config: cfg}
	cpus, err := pickCPUs()
	if err != nil {
		return res, err
	}
	res.CPUs = cpus
	words := make([]uint64, RecordSize/8) // 8-byte aligned, unlike a []byte
	mem := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), RecordSize)
	copy(mem, header())
	r, err := newMappedRegion(FloorName, mem, -1, func() error { return nil })
	if err != nil {
		return res, err
	}
	p := newPlan(cfg.Warmup, cfg.Samples)
	res.ClockNsec = p.clock
	// Each side gets its own waiter: a waiter is used by one goroutine.
	waiter := func() (*waiter, error) {
		return newWaiter(&Region{label: r.label, mem: r.mem, fd: -1}, cfg.Wait, cfg.Poll, cfg.Spins)
	}
	var m measurement
	t0 := time.Now()
	u, err := twoThreads(ctx, cfg, cpus,
		func() (int, error) {
			w, err := waiter()
			if err != nil {
				return 0, err
			}
			w.delay = cfg.delay
			return monitor(w)
		},
		func() (n int, err error) {
			w, err := waiter()
			if err != nil {
				return 0, err
			}
			m, err = changer(w, p)
			return m.Rounds, err
		},
		func() { r.store32(offSeq, seqStop) })
	res.Elapsed = time.Since(t0)
	runtime.KeepAlive(words)
	if err != nil {
		return res, err
	}
	res.fill(m, u.usage)
	return res, nil
}

// bareLine is the bare loop's word, alone on a 64-byte cache line: the
// struct is 128 bytes, which the allocator aligns to 128.
type bareLine struct {
	_    [64]byte
	word atomic.Uint32
	_    [60]byte
}

// runBare is the floor without the harness: the same two pinned threads,
// but one atomic word and two bare loops, with no waiter, no region and no
// per-round-trip timing. It is batch-timed as the other rows are (the same
// calibration and batch size rule), and has no per-round-trip distribution.
func runBare(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Config: cfg}
	cpus, err := pickCPUs()
	if err != nil {
		return res, err
	}
	res.CPUs = cpus
	line := new(bareLine)
	clock := ClockCost()
	res.ClockNsec = clock
	batches := NewRecorder(cfg.Samples)
	var k int
	t0 := time.Now()
	u, err := twoThreads(ctx, cfg, cpus,
		func() (int, error) { return bareMonitor(&line.word), nil },
		func() (n int, err error) {
			k, n = bareChanger(&line.word, cfg.Warmup, cfg.Samples, clock, batches)
			return n, nil
		},
		func() { line.word.Store(seqStop) })
	res.Elapsed = time.Since(t0)
	if err != nil {
		return res, err
	}
	res.fill(measurement{Batch: batches.BatchSummary(k), Rounds: u.rounds}, u.usage)
	return res, nil
}

// bareChanger stores seq+1 and spins until it reads seq+2: warmup round
// trips, the pilot batches that size the batch (as the changer's), then
// enough batches of k round trips for samples round trips, each timed.
func bareChanger(word *atomic.Uint32, warmup, samples int, clock float64, batches *Recorder) (k, rounds int) {
	var seq uint32
	for range warmup {
		word.Store(seq + 1)
		for word.Load() != seq+2 {
		}
		seq += 2
	}
	epoch := time.Now()
	var cal [calibrationBatches]time.Duration
	for i := range cal {
		t0 := time.Since(epoch)
		for range calibrationK {
			word.Store(seq + 1)
			for word.Load() != seq+2 {
			}
			seq += 2
		}
		cal[i] = time.Since(epoch) - t0
	}
	slices.Sort(cal[:])
	k = batchSize(clock, median(cal[:]))
	nb := (samples + k - 1) / k
	for range nb {
		t0 := time.Since(epoch)
		for range k {
			word.Store(seq + 1)
			for word.Load() != seq+2 {
			}
			seq += 2
		}
		batches.Add(time.Since(epoch) - t0)
	}
	word.Store(seqStop)
	return k, warmup + calibrationRounds + nb*k
}

// bareMonitor answers every new value v with v+1 until it reads seqStop.
func bareMonitor(word *atomic.Uint32) (rounds int) {
	var seq uint32
	for {
		v := word.Load()
		if v == seq {
			continue
		}
		if v == seqStop {
			return rounds
		}
		seq = v + 1
		word.Store(seq)
		rounds++
	}
}

// sideUsage is what the two threads of a floor row did: the round trips
// both agree on, and their getrusage counters added.
type sideUsage struct {
	usage
	rounds int
}

// twoThreads runs mon and chg in two goroutines locked to threads pinned
// to cpus[0] and cpus[1] and waits for both, at most cfg.Timeout. On
// interruption or time-out it calls stop, which must make both return:
// goroutines cannot be killed.
func twoThreads(ctx context.Context, cfg Config, cpus []int, mon, chg func() (int, error), stop func()) (sideUsage, error) {
	type side struct {
		u   usage
		n   int
		err error
	}
	run := func(cpu int, f func() (int, error), out chan<- side) {
		undo, err := pinThread(cpu)
		if err != nil {
			out <- side{err: err}
			return
		}
		defer undo()
		before := readUsage(unix.RUSAGE_THREAD)
		n, err := f()
		out <- side{readUsage(unix.RUSAGE_THREAD).sub(before), n, err}
	}
	monc, chgc := make(chan side, 1), make(chan side, 1)
	go run(cpus[0], mon, monc)
	go run(cpus[1], chg, chgc)
	var ms, cs side
	timeout := time.NewTimer(cfg.Timeout)
	defer timeout.Stop()
	for got := 0; got < 2; got++ {
		select {
		case ms = <-monc:
		case cs = <-chgc:
		case <-ctx.Done():
			stop()
			return sideUsage{}, fmt.Errorf("ipc: %s: interrupted: %w", cfg.Backend, ctx.Err())
		case <-timeout.C:
			stop()
			return sideUsage{}, fmt.Errorf("ipc: %s: no result within %v", cfg.Backend, cfg.Timeout)
		}
	}
	if err := errors.Join(ms.err, cs.err); err != nil {
		return sideUsage{}, err
	}
	if ms.n != cs.n {
		return sideUsage{}, fmt.Errorf("ipc: %s: the monitor answered %d round trips, the changer made %d", cfg.Backend, ms.n, cs.n)
	}
	return sideUsage{ms.u.add(cs.u), cs.n}, nil
}
