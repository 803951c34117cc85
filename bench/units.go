package bench

import (
	"fmt"
	"io"
	"slices"
)

// Units reported by Counters.Report.
//
// benchstat (through golang.org/x/perf/benchunit.Tidy, called by the
// benchfmt reader) rewrites a numerator token "ns" to "sec" and "MB" to
// "B", where tokens are split on '-', '*', '/' and white space. The reader
// keeps the rewritten unit only when the value changes (tidyVal != val in
// benchfmt's parseBenchmarkLine), so a zero value keeps the original
// spelling and one metric splits into two rows ("sys-ns/op" and
// "sys-sec/op"). None of these names has an "ns" or "MB" token, so they are
// never rewritten, whatever the value. CPU time uses "nsec" rather than
// "sec": go test prints values below 1 with at most 7 decimals, so
// sub-microsecond CPU times in seconds would print as 0.0000001.
const (
	UnitMinorFaults       = "minflt/op"         // minor page faults
	UnitMajorFaults       = "majflt/op"         // major page faults (I/O was needed)
	UnitUserCPU           = "user-nsec/op"      // user CPU time in nanoseconds
	UnitSysCPU            = "sys-nsec/op"       // system CPU time in nanoseconds
	UnitCtxSwitches       = "ctxsw/op"          // voluntary + involuntary context switches
	UnitReadSyscalls      = "read-syscalls/op"  // /proc/self/io syscr
	UnitWriteSyscalls     = "write-syscalls/op" // /proc/self/io syscw
	UnitReadBytes         = "rchar-B/op"        // /proc/self/io rchar
	UnitWriteBytes        = "wchar-B/op"        // /proc/self/io wchar
	UnitDeviceBytes       = "dev-B/op"          // /proc/self/io read_bytes + write_bytes
	UnitOpsPerColdStretch = "ops/cold-stretch"  // cold random cases: ops between re-evictions
	UnitNsecPerPage       = "nsec/page"         // BenchmarkFault: wall time per page of the mapping
	UnitMinfltPerPage     = "minflt/page"       // BenchmarkFault: minor faults per page (1/16: 64KiB fault-around)
	UnitWakeP50           = "wake-p50-usec"     // BenchmarkBystander: median lateness of the bystander's wake-ups
	UnitWakeP99           = "wake-p99-usec"     // BenchmarkBystander: 99th percentile lateness
	UnitWakeMax           = "wake-max-usec"     // BenchmarkBystander: largest lateness
	UnitWakeSamples       = "wake-samples"      // BenchmarkBystander: number of wake-ups measured
)

// Units reported by BenchmarkReaders, whose op is one pass over the file.
const (
	UnitBytesPerSecPerReader = "B/s/reader"          // aggregate throughput divided by the number of readers
	UnitTLBShootdownsPerPass = "tlb-shootdowns/pass" // machine-wide TLB shootdown interrupts per timed pass
)

// Units reported by BenchmarkCopyCost: the calling thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID, user and system) per KiB moved into the buffer.
const (
	UnitBufferedCPUPerKiB = "buffered-cpu-nsec/KiB" // buffered pread of a warm file: the kernel copies the page cache
	UnitDirectCPUPerKiB   = "direct-cpu-nsec/KiB"   // O_DIRECT pread of the same file: the device DMAs into the buffer
	UnitSpliceCPUPerKiB   = "splice-cpu-nsec/KiB"   // splice of the same warm file to a pipe and on to /dev/null: page references, no copy
	UnitMemmoveCPUPerKiB  = "memmove-cpu-nsec/KiB"  // Go's memmove from memory (huge pages): one CPU copy
	UnitCopiesVsDirect    = "copies-vs-direct"      // (buffered − direct) ÷ memmove
	UnitCopiesVsSplice    = "copies-vs-splice"      // (buffered − splice) ÷ memmove
)

// A UnitInfo describes one custom benchmark unit and which direction is an
// improvement, for the benchfmt "Unit <unit> better=<dir>" metadata line.
type UnitInfo struct {
	Unit   string // as passed to ReportMetric
	Better string // "lower" or "higher", as benchfmt spells it
	Desc   string // one line for humans
}

// units must list every unit Report emits; TestReportUnitsInTable checks it.
// Every counter is a cost, so lower is better throughout.
var units = []UnitInfo{
	{UnitMinorFaults, "lower", "minor page faults per op (page was in memory; mapping it still costs a trap)"},
	{UnitMajorFaults, "lower", "major page faults per op (the fault waited for I/O)"},
	{UnitUserCPU, "lower", "user CPU nanoseconds per op, process-wide (getrusage)"},
	{UnitSysCPU, "lower", "system CPU nanoseconds per op, process-wide (getrusage)"},
	{UnitCtxSwitches, "lower", "voluntary plus involuntary context switches per op"},
	{UnitReadSyscalls, "lower", "read-family system calls per op (/proc/self/io syscr)"},
	{UnitWriteSyscalls, "lower", "write-family system calls per op (/proc/self/io syscw)"},
	{UnitReadBytes, "lower", "bytes returned by read-family system calls per op (/proc/self/io rchar; mmap access is not counted)"},
	{UnitWriteBytes, "lower", "bytes passed to write-family system calls per op (/proc/self/io wchar; stores through a mapping are not counted)"},
	{UnitDeviceBytes, "lower", "bytes read from the block device (read-ahead and read-around included) plus bytes dirtied for writeback, per op (/proc/self/io read_bytes + write_bytes)"},
	{UnitOpsPerColdStretch, "higher", "cold random cases: operations measured between two evictions of the file, each stretch bringing in at most 5% of it (fewer means each read brings in more: read-around)"},
	{UnitNsecPerPage, "lower", "nanoseconds per page to map, populate, touch and unmap a mapping (BenchmarkFault)"},
	{UnitMinfltPerPage, "lower", "minor faults per page touched (BenchmarkFault): fault-around shows as 1/16"},
	{UnitBytesPerSecPerReader, "higher", "bytes per second each reader got (BenchmarkReaders): the readers' aggregate throughput over their number"},
	{UnitTLBShootdownsPerPass, "lower", "TLB shootdown interrupts per pass, machine-wide from /proc/interrupts (BenchmarkReaders); other processes add to it"},
	{UnitBufferedCPUPerKiB, "lower", "CPU nanoseconds (thread clock, user+system) per KiB of buffered pread from a warm file (BenchmarkCopyCost)"},
	{UnitDirectCPUPerKiB, "lower", "CPU nanoseconds (thread clock, user+system) per KiB of O_DIRECT pread of the same file into the same buffer (BenchmarkCopyCost)"},
	{UnitSpliceCPUPerKiB, "lower", "CPU nanoseconds (thread clock, user+system) per KiB spliced from the same warm file into a pipe and on to /dev/null: the page-cache path with no copy (BenchmarkCopyCost)"},
	{UnitMemmoveCPUPerKiB, "lower", "CPU nanoseconds (thread clock) per KiB of Go's memmove into the same buffer from an anonymous buffer as large as the file: one CPU copy (BenchmarkCopyCost)"},
	{UnitCopiesVsDirect, "lower", "CPU copies per byte read(2) returns, inferred per sample as (buffered − O_DIRECT) ÷ memmove CPU per KiB (BenchmarkCopyCost)"},
	{UnitCopiesVsSplice, "lower", "CPU copies per byte read(2) returns, inferred per sample as (buffered − splice) ÷ memmove CPU per KiB (BenchmarkCopyCost)"},
	{UnitWakeP50, "lower", "median lateness of a sleeping bystander goroutine's wake-ups, microseconds (BenchmarkBystander)"},
	{UnitWakeP99, "lower", "99th percentile lateness of the bystander's wake-ups, microseconds (BenchmarkBystander)"},
	{UnitWakeMax, "lower", "largest lateness of the bystander's wake-ups, microseconds (BenchmarkBystander)"},
	{UnitWakeSamples, "higher", "bystander wake-ups measured (BenchmarkBystander): the p99 rests on this many samples"},
}

// Units returns the table of custom units with their directions. The
// slice is a copy, so callers may modify it.
func Units() []UnitInfo {
	return slices.Clone(units)
}

// WriteUnitLines writes one benchfmt unit metadata line per custom unit,
// for example "Unit minflt/op better=lower". benchstat has built-in
// directions only for ns/op, MB/s, B/op and allocs/op; without these lines
// a tool reading the results cannot tell a regression from an improvement.
// Write them once, before or among the results (for example from TestMain
// before m.Run); they apply to the whole file.
func WriteUnitLines(w io.Writer) error {
	for _, u := range units {
		if _, err := fmt.Fprintf(w, "Unit %s better=%s\n", u.Unit, u.Better); err != nil {
			return fmt.Errorf("bench: writing unit lines: %w", err)
		}
	}
	return nil
}
