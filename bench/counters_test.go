//go:build linux

package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func readCounters(t testing.TB) Counters {
	t.Helper()
	var c Counters
	if err := ReadCounters(&c); err != nil {
		t.Fatalf("ReadCounters: %v", err)
	}
	return c
}

func TestReadCountersDoesNotAllocate(t *testing.T) {
	var c Counters
	var err error
	// AllocsPerRun makes one warm-up call first, which opens /proc/self/io.
	allocs := testing.AllocsPerRun(100, func() { err = ReadCounters(&c) })
	if err != nil {
		t.Fatalf("ReadCounters: %v", err)
	}
	if allocs != 0 {
		t.Fatalf("ReadCounters allocates %v times per call; want 0", allocs)
	}
}

func TestReadCountersSane(t *testing.T) {
	c := readCounters(t)
	if c.MinorFaults <= 0 || c.UserCPU+c.SysCPU <= 0 || c.RChar <= 0 || c.SyscR <= 0 {
		t.Fatalf("ReadCounters = %+v; want positive fault, CPU and read counts for a running test binary", c)
	}
}

// exactOnce runs try up to five times and reports whether it succeeded
// once. The counters are process-wide, and the Go runtime itself makes the
// odd syscall (the netpoller's 8-byte eventfd read and write when a timer
// needs it woken), so an exact count can be off by one now and then. A
// single exact result still shows that nothing is counted twice or lost.
func exactOnce(t *testing.T, try func() (ok bool, msg string)) {
	t.Helper()
	var msgs []string
	for range 5 {
		ok, msg := try()
		if ok {
			return
		}
		msgs = append(msgs, msg)
	}
	t.Errorf("five attempts, none exact:\n%s", strings.Join(msgs, "\n"))
}

// TestCountersBackToBack checks that Sub removes the counters' own read of
// /proc/self/io: with nothing in between, no reads are seen.
func TestCountersBackToBack(t *testing.T) {
	exactOnce(t, func() (bool, string) {
		before := readCounters(t)
		after := readCounters(t)
		d := after.Sub(before)
		return d.SyscR == 0 && d.RChar == 0 && d.SyscW == 0 && d.WChar == 0,
			fmt.Sprintf("Sub of back-to-back ReadCounters = syscr %d rchar %d syscw %d wchar %d; want all 0",
				d.SyscR, d.RChar, d.SyscW, d.WChar)
	})
}

func TestCountersSeeIO(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatalf("os.Create: %v", err)
	}
	defer f.Close()
	fd := int(f.Fd())
	buf := make([]byte, 1000)

	exactOnce(t, func() (bool, string) {
		before := readCounters(t)
		if n, err := unix.Pwrite(fd, buf, 0); err != nil || n != len(buf) {
			t.Fatalf("unix.Pwrite = %d, %v; want %d, nil", n, err, len(buf))
		}
		after := readCounters(t)
		d := after.Sub(before)
		return d.SyscW == 1 && d.WChar == 1000 && d.SyscR == 0 && d.RChar == 0,
			fmt.Sprintf("around one 1000-byte pwrite, Sub = syscw %d wchar %d syscr %d rchar %d; want 1 1000 0 0",
				d.SyscW, d.WChar, d.SyscR, d.RChar)
	})

	exactOnce(t, func() (bool, string) {
		before := readCounters(t)
		for range 3 {
			if n, err := unix.Pread(fd, buf[:300], 0); err != nil || n != 300 {
				t.Fatalf("unix.Pread = %d, %v; want 300, nil", n, err)
			}
		}
		after := readCounters(t)
		d := after.Sub(before)
		return d.SyscR == 3 && d.RChar == 900 && d.SyscW == 0 && d.WChar == 0,
			fmt.Sprintf("around three 300-byte preads, Sub = syscr %d rchar %d syscw %d wchar %d; want 3 900 0 0",
				d.SyscR, d.RChar, d.SyscW, d.WChar)
	})
}

func TestCountersSeeFaultsAndCPU(t *testing.T) {
	const pages = 64
	size := pages * os.Getpagesize()
	before := readCounters(t)
	m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("unix.Mmap: %v", err)
	}
	defer unix.Munmap(m)
	for i := 0; i < size; i += os.Getpagesize() {
		m[i] = 1
	}
	// Spin long enough to show up even with tick-based CPU accounting.
	var x uint64
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		x = x*31 + 7
	}
	after := readCounters(t)
	d := after.Sub(before)
	// THP or large folios may serve several pages per fault, so only
	// require some.
	if d.MinorFaults < 1 {
		t.Errorf("after touching %d fresh anonymous pages, MinorFaults delta = %d; want > 0", pages, d.MinorFaults)
	}
	if d.MajorFaults != 0 {
		t.Logf("MajorFaults delta = %d (anonymous memory should need no I/O)", d.MajorFaults)
	}
	if d.UserCPU+d.SysCPU <= 0 {
		t.Errorf("after a 50ms spin (x=%d), CPU delta = user %v sys %v; want > 0", x, d.UserCPU, d.SysCPU)
	}
}

func TestParseProcIO(t *testing.T) {
	real := "rchar: 6976\nwchar: 12\nsyscr: 10\nsyscw: 3\nread_bytes: 0\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n"
	var c Counters
	if !parseProcIO([]byte(real), &c) {
		t.Fatalf("parseProcIO(%q) = false; want true", real)
	}
	if c.RChar != 6976 || c.WChar != 12 || c.SyscR != 10 || c.SyscW != 3 || c.DevRead != 0 || c.DevWrite != 4096 {
		t.Fatalf("parseProcIO(%q) set %+v", real, c)
	}
	for _, bad := range []string{
		"",
		"rchar: 1\nwchar: 2\nsyscr: 3\n", // syscw missing
		"rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nwrite_bytes: 0\n",    // read_bytes missing
		"rchar: x\nwchar: 2\nsyscr: 3\nsyscw: 4\n",                    // not a number
		"rchar: -1\nwchar: 2\nsyscr: 3\nsyscw: 4\n",                   // negative
		"rchar: 99999999999999999999\nwchar: 2\nsyscr: 3\nsyscw: 4\n", // overflow
		"rchar:\nwchar: 2\nsyscr: 3\nsyscw: 4\n",                      // empty
	} {
		var c Counters
		if parseProcIO([]byte(bad), &c) {
			t.Errorf("parseProcIO(%q) = true; want false", bad)
		}
	}
	// No trailing newline, tabs, and the largest value are fine.
	ok := "rchar:\t9223372036854775807\nwchar: 0\nsyscr: 1\nsyscw: 2\nread_bytes: 5\nwrite_bytes: 6"
	if !parseProcIO([]byte(ok), &c) || c.RChar != 9223372036854775807 || c.SyscW != 2 {
		t.Fatalf("parseProcIO(%q) = false or wrong values %+v", ok, c)
	}
}

type metricRecorder map[string]float64

func (m metricRecorder) ReportMetric(v float64, unit string) { m[unit] = v }

func TestReport(t *testing.T) {
	d := Counters{
		MinorFaults: 10, MajorFaults: 2, UserCPU: 4000, SysCPU: 6000,
		VolCtxSw: 3, InvolCtxSw: 1, RChar: 8192, WChar: 40, SyscR: 2, SyscW: 20,
		DevRead: 16384, DevWrite: 4096,
	}
	got := metricRecorder{}
	d.Report(got, 4)
	want := map[string]float64{
		UnitMinorFaults: 2.5, UnitMajorFaults: 0.5, UnitUserCPU: 1000, UnitSysCPU: 1500,
		UnitCtxSwitches: 1, UnitReadSyscalls: 0.5, UnitWriteSyscalls: 5,
		UnitReadBytes: 2048, UnitWriteBytes: 10, UnitDeviceBytes: 5120,
	}
	for u, w := range want {
		if got[u] != w {
			t.Errorf("Report(n=4): %s = %v; want %v", u, got[u], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Report(n=4) reported %v; want exactly %v", got, want)
	}

	none := metricRecorder{}
	d.Report(none, 0)
	if len(none) != 0 {
		t.Errorf("Report(n=0) reported %v; want nothing", none)
	}
}

// TestReportUnitsInTable keeps the unit table and Report in step: every
// reported unit needs a direction line, and every listed unit is reported,
// zero values included.
func TestReportUnitsInTable(t *testing.T) {
	got := metricRecorder{}
	Counters{}.Report(got, 1)
	var table, reported []string
	for _, u := range Units() {
		if strings.HasSuffix(string(u.Unit), "/op") { // the rest are other benchmarks' units
			table = append(table, string(u.Unit))
		}
	}
	for u := range got {
		reported = append(reported, u)
	}
	slices.Sort(table)
	slices.Sort(reported)
	if !slices.Equal(table, reported) {
		t.Fatalf("Counters{}.Report units = %v; Units() = %v; want the same", reported, table)
	}
}

// TestCountersInBenchmark runs a real b.Loop benchmark doing one 64-byte
// pwrite per op and checks the per-op counts. They are exact but for the
// runtime's occasional netpoller eventfd traffic (see exactOnce), which
// over hundreds of thousands of ops adds far less than 0.1%.
func TestCountersInBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatalf("os.Create: %v", err)
	}
	defer f.Close()
	fd := int(f.Fd())
	buf := make([]byte, 64)
	var benchErr error
	r := testing.Benchmark(func(b *testing.B) {
		var before, after Counters
		if err := ReadCounters(&before); err != nil {
			benchErr = err
			return
		}
		for b.Loop() {
			if _, err := unix.Pwrite(fd, buf, 0); err != nil {
				b.Fatal(err)
			}
		}
		if err := ReadCounters(&after); err != nil {
			benchErr = err
			return
		}
		after.Sub(before).Report(b, b.N)
	})
	if benchErr != nil {
		t.Fatalf("ReadCounters in benchmark: %v", benchErr)
	}
	if r.N < 1000 {
		t.Fatalf("testing.Benchmark ran %d iterations; want at least 1000 for the tolerances below", r.N)
	}
	near := func(unit string, want float64) {
		if got := r.Extra[unit]; math.Abs(got-want) > 1e-3*math.Max(want, 1) {
			t.Errorf("%s = %v over %d ops; want %v", unit, got, r.N, want)
		}
	}
	near(UnitWriteSyscalls, 1)
	near(UnitWriteBytes, 64)
	near(UnitReadSyscalls, 0)
	near(UnitReadBytes, 0)
	if r.Extra[UnitSysCPU] <= 0 {
		t.Errorf("%s = %v; want > 0 for a syscall per op", UnitSysCPU, r.Extra[UnitSysCPU])
	}
	for _, u := range Units() {
		if _, ok := r.Extra[string(u.Unit)]; !ok && strings.HasSuffix(string(u.Unit), "/op") {
			t.Errorf("benchmark result has no %s", u.Unit)
		}
	}
	t.Logf("%d ops: %v", r.N, r.Extra)
}
