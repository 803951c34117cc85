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
	"syscall"
	"time"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/impl"
)

// childEnv makes a process a reading child; its value is the childSpec in
// JSON. This package's init checks it, so any binary that links the package
// (mmapbench, a test binary) can be re-executed as a child.
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
	if err != nil || !containsPath(own, spec.Cgroup, spec.CgroupVersion) {
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
	r := newReaders(s, spec)
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

// readers are the goroutines reading the store, each with its own counter
// on its own cache line.
type readers struct {
	s      impl.Store
	view   impl.Viewer
	bs     int64
	blocks int64
	rand   bool
	stopc  atomic.Bool
	wg     sync.WaitGroup
	counts []paddedCount
	sums   []uint64
	errs   []error
}

type paddedCount struct {
	ops atomic.Int64
	_   [56]byte
}

func newReaders(s impl.Store, spec childSpec) *readers {
	r := &readers{s: s, bs: spec.BS, blocks: s.Size() / spec.BS, rand: spec.Pattern == "rand",
		counts: make([]paddedCount, spec.Readers), sums: make([]uint64, spec.Readers), errs: make([]error, spec.Readers)}
	if v, ok := s.(impl.Viewer); ok && spec.Setup.Backend != "pread" {
		r.view = v
	}
	return r
}

func (r *readers) start() {
	n := len(r.counts)
	for i := range n {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.errs[i] = r.read(i, int64(i)*r.blocks/int64(n))
		}()
	}
}

// read is one reader's loop over the blocks from its own starting step:
// in sequence, or for rand in the project's one random order
// (bench.DefaultOrder, the matrix's): every block once per pass, without
// replacement and without a stride.
func (r *readers) read(i int, step int64) error {
	var buf []byte
	if r.view == nil {
		buf = impl.AlignedBuffer(int(r.bs)) // O_DIRECT needs it aligned
	}
	order := bench.DefaultOrder(uint64(r.blocks))
	var sum uint64
	for !r.stopc.Load() {
		if step >= r.blocks {
			step = 0
		}
		block := step
		if r.rand {
			block = int64(order.Block(uint64(step)))
		}
		step++
		off := block * r.bs
		if r.view != nil {
			p, err := r.view.View(off, int(r.bs))
			if err != nil {
				return err
			}
			if err := impl.CatchFault(func() { sum += bench.Consume(p) }); err != nil {
				return err
			}
		} else {
			if _, err := r.s.ReadAt(buf, off); err != nil {
				return err
			}
			sum += bench.Consume(buf)
		}
		r.counts[i].ops.Add(1)
	}
	r.sums[i] = sum
	return nil
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
		sum += r.sums[i]
	}
	return sum, nil
}

// snapshot is the set of counters a row is the difference of.
type snapshot struct {
	at           time.Time
	ops          int64
	major, minor int64
	user, sys    int64
	device, tlb  int64
}

func take(r *readers, spec childSpec) snapshot {
	s := snapshot{at: time.Now(), ops: r.ops(), device: -1, tlb: -1}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.major, s.minor = ru.Majflt, ru.Minflt
		s.user, s.sys = ru.Utime.Nano(), ru.Stime.Nano()
	}
	if spec.HaveDevice {
		s.device = spec.Device.bytesRead()
	}
	if n, err := bench.TLBShootdowns(); err == nil {
		s.tlb = int64(n)
	}
	return s
}

// sample prints one row per interval, spec.Rows of them. Rates divide by
// the time that really passed, so a late tick does not inflate a row.
func (r *readers) sample(spec childSpec, enc *json.Encoder) error {
	t := time.NewTicker(spec.Interval)
	defer t.Stop()
	devName := spec.Device.Name()
	prev := take(r, spec)
	for i := 1; i <= spec.Rows; i++ {
		<-t.C
		cur := take(r, spec)
		usage, err := readInt(spec.UsageFile)
		if err != nil {
			return err
		}
		ops := cur.ops - prev.ops
		row := Row{Config: spec.Setup.Name, Pattern: spec.Pattern, Device: devName, Second: i, Elapsed: cur.at.Sub(prev.at).Seconds(),
			Ops: ops, Bytes: ops * spec.BS, MajorFaults: cur.major - prev.major, MinorFaults: cur.minor - prev.minor,
			UserCPU: cur.user - prev.user, SysCPU: cur.sys - prev.sys,
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
