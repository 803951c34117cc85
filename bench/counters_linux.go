package bench

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Counters is a snapshot of process-wide OS counters. Take one right before
// and one right after a timed loop, subtract them with Sub and report the
// difference with Report.
//
// The counters cover the whole process: every thread and goroutine,
// including the garbage collector and the Go runtime, contributes. The
// numbers are meaningful when the benchmark loop is the only work running,
// which is the case under go test -bench (benchmarks run one at a time).
// With RunParallel they sum over all the parallel goroutines, which is what
// a per-op figure needs. The runtime adds a little of its own: the
// netpoller's 8-byte eventfd write and read when a timer needs it woken
// show up as one write and one read syscall, and GC work as CPU time.
type Counters struct {
	MinorFaults  int64         // ru_minflt: faults served without I/O
	MajorFaults  int64         // ru_majflt: faults that waited for I/O
	UserCPU      time.Duration // ru_utime
	SysCPU       time.Duration // ru_stime
	VolCtxSw     int64         // ru_nvcsw: the thread blocked (I/O, lock, sleep)
	InvolCtxSw   int64         // ru_nivcsw: the thread was preempted
	RChar, WChar int64         // /proc/self/io: bytes through read-/write-family syscalls
	SyscR, SyscW int64         // /proc/self/io: read-/write-family syscall counts
	// /proc/self/io read_bytes and write_bytes: bytes this process caused
	// to be read from the block device (read-ahead and read-around
	// included, accounted when the I/O is submitted) and bytes it dirtied
	// in the page cache for writeback (accounted when a clean page becomes
	// dirty, through write(2) or a store through a mapping).
	DevRead, DevWrite int64

	// The pread of /proc/self/io that fills a snapshot is accounted by the
	// kernel after the text is generated (vfs_read calls add_rchar and
	// inc_syscr on return), so it is missing from this snapshot and
	// present in the next one. Sub removes it using these fields.
	selfRChar, selfSyscR int64
}

// procIO holds /proc/self/io, opened on first use and kept open for the
// life of the process so that later reads need no open and no allocation.
// "/proc/self" is resolved at open time to the thread-group directory,
// whose io file sums all threads of the process.
var procIO struct {
	once sync.Once
	fd   int
	err  error
}

func openProcIO() {
	procIO.fd, procIO.err = unix.Open("/proc/self/io", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if procIO.err != nil {
		procIO.err = fmt.Errorf("bench: opening /proc/self/io (kernel built without CONFIG_TASK_IO_ACCOUNTING?): %w", procIO.err)
	}
}

var (
	errProcIOTruncated = errors.New("bench: /proc/self/io: contents larger than the read buffer")
	errProcIOFormat    = errors.New("bench: /proc/self/io: missing or malformed rchar, wchar, syscr, syscw, read_bytes or write_bytes")
)

// ReadCounters fills c with the current process-wide counters. It does not
// allocate (after its first call, which opens /proc/self/io), so calling
// it around a loop leaves B/op and allocs/op untouched. It fills the
// getrusage fields even when /proc/self/io cannot be read, in which case
// the error says so and the I/O fields must be ignored.
func ReadCounters(c *Counters) error {
	*c = Counters{}
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return fmt.Errorf("bench: getrusage: %w", err)
	}
	c.MinorFaults = int64(ru.Minflt)
	c.MajorFaults = int64(ru.Majflt)
	c.UserCPU = time.Duration(ru.Utime.Nano())
	c.SysCPU = time.Duration(ru.Stime.Nano())
	c.VolCtxSw = int64(ru.Nvcsw)
	c.InvolCtxSw = int64(ru.Nivcsw)

	procIO.once.Do(openProcIO)
	if procIO.err != nil {
		return procIO.err
	}
	// A stack array rather than a package buffer, so concurrent callers do
	// not race; the contents are about 130 bytes.
	var buf [512]byte
	var n int
	var err error
	for {
		n, err = pread0(procIO.fd, buf[:])
		// Every attempt, even one failing with EINTR, increments syscr.
		c.selfSyscR++
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("bench: reading /proc/self/io: %w", err)
	}
	if n == len(buf) {
		return errProcIOTruncated
	}
	c.selfRChar = int64(n)
	if !parseProcIO(buf[:n], c) {
		return errProcIOFormat
	}
	return nil
}

// pread0 is pread(fd, p, 0) without unix.Pread's race-detector hook. Under
// -race that hook (runtime.RaceWriteRange) makes p escape, which moves the
// caller's stack buffer to the heap and breaks the no-allocation promise.
// The buffer is local to one call, so the detector loses nothing. Every
// argument after the length is zero: the offset is 0, and the 32-bit ABIs
// that split it or pad before it get zeros in those slots too.
func pread0(fd int, p []byte) (int, error) {
	r, _, errno := unix.Syscall6(unix.SYS_PREAD64, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// parseProcIO sets the rchar, wchar, syscr, syscw, read_bytes and
// write_bytes fields of c from the contents of /proc/<pid>/io ("key: value"
// lines) and reports whether all six were present and well formed. It works on bytes without strconv so
// that it does not allocate.
func parseProcIO(b []byte, c *Counters) bool {
	const all = 1<<6 - 1
	seen := 0
	for len(b) > 0 {
		line := b
		b = nil
		for i, ch := range line {
			if ch == '\n' {
				line, b = line[:i], line[i+1:]
				break
			}
		}
		colon := -1
		for i, ch := range line {
			if ch == ':' {
				colon = i
				break
			}
		}
		if colon < 0 {
			continue
		}
		var dst *int64
		var bit int
		// switch on string(bytes) compiles to a comparison without a
		// string allocation.
		switch string(line[:colon]) {
		case "rchar":
			dst, bit = &c.RChar, 1
		case "wchar":
			dst, bit = &c.WChar, 2
		case "syscr":
			dst, bit = &c.SyscR, 4
		case "syscw":
			dst, bit = &c.SyscW, 8
		case "read_bytes":
			dst, bit = &c.DevRead, 16
		case "write_bytes":
			dst, bit = &c.DevWrite, 32
		default:
			continue // cancelled_write_bytes
		}
		v, ok := parseDecimal(line[colon+1:])
		if !ok {
			return false
		}
		*dst = v
		seen |= bit
	}
	return seen == all
}

// parseDecimal parses a non-negative decimal integer surrounded by optional
// spaces or tabs, reporting false on anything else or on int64 overflow.
func parseDecimal(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	start := i
	var v int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := int64(b[i] - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if i == start {
		return 0, false
	}
	for ; i < len(b); i++ {
		if b[i] != ' ' && b[i] != '\t' {
			return 0, false
		}
	}
	return v, true
}

// Sub returns the activity between snapshot prev and the later snapshot c.
// It leaves out the read of /proc/self/io made while taking prev, which the
// kernel accounts after prev's values were captured, so two snapshots
// taken back to back differ by zero read syscalls and zero rchar.
func (c Counters) Sub(prev Counters) Counters {
	return Counters{
		MinorFaults: c.MinorFaults - prev.MinorFaults,
		MajorFaults: c.MajorFaults - prev.MajorFaults,
		UserCPU:     c.UserCPU - prev.UserCPU,
		SysCPU:      c.SysCPU - prev.SysCPU,
		VolCtxSw:    c.VolCtxSw - prev.VolCtxSw,
		InvolCtxSw:  c.InvolCtxSw - prev.InvolCtxSw,
		RChar:       c.RChar - prev.RChar - prev.selfRChar,
		WChar:       c.WChar - prev.WChar,
		SyscR:       c.SyscR - prev.SyscR - prev.selfSyscR,
		SyscW:       c.SyscW - prev.SyscW,
		DevRead:     c.DevRead - prev.DevRead,
		DevWrite:    c.DevWrite - prev.DevWrite,
	}
}

// Report reports the difference d (from Sub) as per-op metrics, dividing
// by n, the number of operations (b.N after a b.Loop loop). Call it after
// the loop: the first b.Loop call discards metrics reported before it.
// Zero values are reported too, so every run has the same set of units.
// It reports nothing when n <= 0. The units are listed by Units.
func (d Counters) Report(b interface{ ReportMetric(float64, string) }, n int) {
	if n <= 0 {
		return
	}
	per := func(v int64) float64 { return float64(v) / float64(n) }
	b.ReportMetric(per(d.MinorFaults), UnitMinorFaults)
	b.ReportMetric(per(d.MajorFaults), UnitMajorFaults)
	b.ReportMetric(per(int64(d.UserCPU)), UnitUserCPU)
	b.ReportMetric(per(int64(d.SysCPU)), UnitSysCPU)
	b.ReportMetric(per(d.VolCtxSw+d.InvolCtxSw), UnitCtxSwitches)
	b.ReportMetric(per(d.SyscR), UnitReadSyscalls)
	b.ReportMetric(per(d.SyscW), UnitWriteSyscalls)
	b.ReportMetric(per(d.RChar), UnitReadBytes)
	b.ReportMetric(per(d.WChar), UnitWriteBytes)
	b.ReportMetric(per(d.DevRead+d.DevWrite), UnitDeviceBytes)
}

// Add returns the sum of two differences from Sub, for a benchmark that
// measures in several stretches (pausing around work it must not count).
func (d Counters) Add(e Counters) Counters {
	return Counters{
		MinorFaults: d.MinorFaults + e.MinorFaults,
		MajorFaults: d.MajorFaults + e.MajorFaults,
		UserCPU:     d.UserCPU + e.UserCPU,
		SysCPU:      d.SysCPU + e.SysCPU,
		VolCtxSw:    d.VolCtxSw + e.VolCtxSw,
		InvolCtxSw:  d.InvolCtxSw + e.InvolCtxSw,
		RChar:       d.RChar + e.RChar,
		WChar:       d.WChar + e.WChar,
		SyscR:       d.SyscR + e.SyscR,
		SyscW:       d.SyscW + e.SyscW,
		DevRead:     d.DevRead + e.DevRead,
		DevWrite:    d.DevWrite + e.DevWrite,
	}
}

// osThreads is the process's OS thread count, the Threads line of
// /proc/self/status. It allocates: call it outside timed loops.
func osThreads() (int, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("bench: /proc/self/status has no Threads line")
}
