package oom

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/internal/memcg"
	"github.com/mmapbench/mmapbench/schema"
)

// childEnv makes a process a reading child; its value is the childSpec in
// JSON. RunChildIfRequested checks it, so any binary that calls it first
// thing (mmapbench's main, this package's TestMain) can be re-executed as
// a child.
const childEnv = "MMAPBENCH_OOM_CHILD"

// A childSpec is everything a child needs to do one run.
type childSpec struct {
	Path          string
	Setup         Setup
	Pattern       string
	BS            int64
	Readers       int
	Rows          int
	Interval      time.Duration
	Cgroup        string // directory of the cgroup the child must be in
	CgroupVersion int
	UsageFile     string
	Device        device
	HaveDevice    bool
}

// RunChildIfRequested makes this process the reading child when the parent
// (Measure) started it with childEnv set: it runs the child and exits,
// and otherwise returns at once. It is not an init function, so importing the
// package has no side effect: main and the TestMain of every test package
// that runs oom measurements call it first, before flags are parsed.
func RunChildIfRequested() {
	spec, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	os.Unsetenv(childEnv)
	if err := childMain(spec, os.Stdin); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// childMain waits for "go" (sent once the parent has moved it into the
// cgroup), checks that it is inside the limit, then reads until it has
// printed spec.Rows rows, one JSON Row per line, and a last "done" line.
func childMain(text string, stdin io.Reader) error {
	var spec childSpec
	if err := json.Unmarshal([]byte(text), &spec); err != nil {
		return fmt.Errorf("oom child: bad %s: %w", childEnv, err)
	}
	in := bufio.NewReader(stdin)
	if line, err := in.ReadString('\n'); err != nil || line != "go\n" {
		return fmt.Errorf("oom child: waiting for go: got %q, %v", line, err)
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil || !memcg.ContainsPath(own, spec.Cgroup, spec.CgroupVersion) {
		return fmt.Errorf("oom child: not inside the memory cgroup %s (my /proc/self/cgroup: %q): refusing to run without the limit", spec.Cgroup, strings.TrimSpace(string(own)))
	}
	s, err := impl.Open(spec.Setup.Backend, spec.Path, impl.Options{ReadOnly: true, Direct: spec.Setup.Direct})
	if err != nil {
		return fmt.Errorf("oom child: %w", err)
	}
	defer s.Close()
	if spec.Setup.Advice != "" {
		a, err := impl.ParseAdvice(spec.Setup.Advice)
		if err != nil {
			return fmt.Errorf("oom child: %w", err)
		}
		adv, ok := s.(impl.Advisor)
		if !ok {
			return fmt.Errorf("oom child: backend %s takes no advice", spec.Setup.Backend)
		}
		if err := adv.Advise(a); err != nil {
			return fmt.Errorf("oom child: %w", err)
		}
	}
	r, err := newReaders(s, spec)
	if err != nil {
		return fmt.Errorf("oom child: %w", err)
	}
	r.start()
	err = r.sample(spec, json.NewEncoder(os.Stdout))
	sum, rerr := r.stop()
	if err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("oom child: %w", err)
	}
	fmt.Printf("done %d\n", sum&1) // prints the checksum's low bit so the reads cannot be dropped
	return nil
}

// readers are the goroutines reading the store: each steps one of the
// harness's workers (bench.Worker, the matrix's read loop: its block order,
// its copy or view, its Consume), with its own op counter on its own cache
// line for the sampler to read while it runs.
type readers struct {
	workers []*bench.Worker
	stopc   atomic.Bool
	wg      sync.WaitGroup
	counts  []paddedCount
	errs    []error
}

type paddedCount struct {
	ops atomic.Int64
	_   [56]byte
}

// benchCase is the run's reads as a case of the harness: a mapping is read
// in place, a descriptor (pread, O_DIRECT) with a copy.
func (spec childSpec) benchCase(s impl.Store) (schema.Case, impl.Viewer, error) {
	pattern, err := schema.ParsePattern(spec.Pattern)
	if err != nil {
		return schema.Case{}, nil, err
	}
	c := schema.Case{Backend: spec.Setup.Backend, Access: schema.Copy, Pattern: pattern, BS: spec.BS,
		Cache: schema.Warm, Size: s.Size(), Threads: spec.Readers}
	var view impl.Viewer
	if v, ok := s.(impl.Viewer); ok && spec.Setup.Backend != "pread" {
		view, c.Access = v, schema.View
	}
	return c, view, nil
}

func newReaders(s impl.Store, spec childSpec) (*readers, error) {
	c, view, err := spec.benchCase(s)
	if err != nil {
		return nil, err
	}
	r := &readers{counts: make([]paddedCount, spec.Readers), errs: make([]error, spec.Readers)}
	for t := range spec.Readers {
		w := bench.NewWorker(s, view, c, bench.OpRead, t)
		w.CatchFaults() // under the limit a fault can fail: report it, do not crash
		r.workers = append(r.workers, w)
	}
	return r, nil
}

func (r *readers) start() {
	for i, w := range r.workers {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for !r.stopc.Load() {
				if err := w.Step(); err != nil {
					r.errs[i] = err
					return
				}
				r.counts[i].ops.Add(1)
			}
		}()
	}
}

func (r *readers) ops() int64 {
	var n int64
	for i := range r.counts {
		n += r.counts[i].ops.Load()
	}
	return n
}

func (r *readers) stop() (uint64, error) {
	r.stopc.Store(true)
	r.wg.Wait()
	var sum uint64
	for i, err := range r.errs {
		if err != nil {
			return 0, err
		}
		sum += r.workers[i].Sum()
	}
	return sum, nil
}

// snapshot is the set of counters a row is the difference of: the
// harness's process counters (bench.Counters), the device's reads and the
// machine's TLB shootdowns (-1: not available).
type snapshot struct {
	at          time.Time
	ops         int64
	proc        bench.Counters
	device, tlb int64
}

func take(r *readers, spec childSpec) (snapshot, error) {
	s := snapshot{at: time.Now(), ops: r.ops(), device: -1, tlb: -1}
	if err := bench.ReadCounters(&s.proc); err != nil {
		return s, err
	}
	if spec.HaveDevice {
		s.device = spec.Device.bytesRead()
	}
	if n, err := bench.TLBShootdowns(); err == nil {
		s.tlb = int64(n)
	}
	return s, nil
}

// sample prints one row per interval, spec.Rows of them. Rates divide by
// the time that really passed, so a late tick does not inflate a row.
func (r *readers) sample(spec childSpec, enc *json.Encoder) error {
	t := time.NewTicker(spec.Interval)
	defer t.Stop()
	devName := spec.Device.Name()
	prev, err := take(r, spec)
	if err != nil {
		return err
	}
	for i := 1; i <= spec.Rows; i++ {
		<-t.C
		cur, err := take(r, spec)
		if err != nil {
			return err
		}
		usage, err := readInt(spec.UsageFile)
		if err != nil {
			return err
		}
		ops := cur.ops - prev.ops
		d := cur.proc.Sub(prev.proc)
		row := Row{Config: spec.Setup.Name, Pattern: spec.Pattern, Device: devName, Second: i, Elapsed: cur.at.Sub(prev.at).Seconds(),
			Ops: ops, Bytes: ops * spec.BS, MajorFaults: d.MajorFaults, MinorFaults: d.MinorFaults,
			UserCPU: d.UserCPU.Nanoseconds(), SysCPU: d.SysCPU.Nanoseconds(),
			DeviceRead: diff(cur.device, prev.device), TLB: diff(cur.tlb, prev.tlb), Usage: usage}
		if err := enc.Encode(row); err != nil {
			return err
		}
		prev = cur
	}
	return nil
}

func diff(cur, prev int64) int64 {
	if cur < 0 || prev < 0 {
		return -1
	}
	return cur - prev
}

func readInt(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var v int64
	if _, err := fmt.Sscan(string(data), &v); err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", path, data)
	}
	return v, nil
}
