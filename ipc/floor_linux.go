package ipc

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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
	res.ClockNsec = clockCost()

	type side struct {
		u   usage
		n   int
		err error
	}
	run := func(cpu int, f func(w *waiter) (int, error), out chan<- side) {
		undo, err := pinThread(cpu)
		if err != nil {
			out <- side{err: err}
			return
		}
		defer undo()
		// Each side gets its own waiter: a waiter is used by one goroutine.
		w, err := newWaiter(&Region{label: r.label, mem: r.mem, fd: -1}, cfg.Wait, cfg.Poll, cfg.Spins)
		if err != nil {
			out <- side{err: err}
			return
		}
		before := readUsage(unix.RUSAGE_THREAD)
		n, err := f(w)
		out <- side{readUsage(unix.RUSAGE_THREAD).sub(before), n, err}
	}
	rec := NewRecorder(cfg.Samples)
	monc, chgc := make(chan side, 1), make(chan side, 1)
	t0 := time.Now()
	go run(cpus[0], monitor, monc)
	go run(cpus[1], func(w *waiter) (int, error) {
		return cfg.Warmup + cfg.Samples, changer(w, rec, cfg.Warmup, cfg.Samples)
	}, chgc)

	var mon, chg side
	timeout := time.NewTimer(cfg.Timeout)
	defer timeout.Stop()
	for got := 0; got < 2; got++ {
		select {
		case mon = <-monc:
		case chg = <-chgc:
		case <-ctx.Done():
			// The goroutines cannot be killed; stop the monitor so that
			// neither spins on after the driver returns.
			r.store32(offSeq, seqStop)
			return res, fmt.Errorf("ipc: floor: interrupted: %w", ctx.Err())
		case <-timeout.C:
			r.store32(offSeq, seqStop)
			return res, fmt.Errorf("ipc: floor: no result within %v", cfg.Timeout)
		}
	}
	res.Elapsed = time.Since(t0)
	if err := errors.Join(mon.err, chg.err); err != nil {
		return res, err
	}
	if mon.n != chg.n {
		return res, fmt.Errorf("ipc: floor: the monitor answered %d round trips, the changer made %d", mon.n, chg.n)
	}
	res.fill(rec.Summary(), chg.n, mon.u.add(chg.u))
	runtime.KeepAlive(words)
	return res, nil
}

// clockCost returns the cost of one clock read as the ping-pong makes it
// (time.Since of a monotonic time), in nanoseconds: two of them are inside
// every recorded round trip.
func clockCost() float64 {
	const n = 1 << 20
	epoch := time.Now()
	var sink time.Duration
	t0 := time.Now()
	for range n {
		sink += time.Since(epoch)
	}
	d := time.Since(t0)
	_ = sink
	return float64(d) / n
}
