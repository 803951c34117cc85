package schema

import (
	"fmt"
	"io"
	"slices"

	"golang.org/x/perf/benchfmt"
)

// A Unit is a benchmark unit as a results file spells it: "ns/op",
// "minflt/op". Lookups take a Unit so that a misspelt unit is a compile
// error where a constant is used.
//
// benchstat (through golang.org/x/perf/benchunit.Tidy, called by the
// benchfmt reader) rewrites a numerator token "ns" to "sec" and "MB" to
// "B", where tokens are split on '-', '*', '/' and white space. The reader
// keeps the rewritten unit only when the value changes, so a zero value
// keeps the original spelling and one metric splits into two rows
// ("sys-ns/op" and "sys-sec/op"). No custom unit here has an "ns" or "MB"
// token, so none is ever rewritten (TestUnitsNotTidied). CPU time uses
// "nsec" rather than "sec": go test prints values below 1 with at most 7
// decimals, so sub-microsecond times in seconds would print as 0.0000001.
type Unit string

// The units go test writes itself. benchfmt knows their directions, so
// they get no Unit line; Results keeps them as the file spells them (not
// benchstat's sec/op and B/s).
const (
	NsPerOp     Unit = "ns/op"
	MBPerSec    Unit = "MB/s"
	BytesPerOp  Unit = "B/op"
	AllocsPerOp Unit = "allocs/op"
)

// Units of bench's OS counters (bench.Counters.Report), per operation.
const (
	MinorFaults   Unit = "minflt/op"         // minor page faults
	MajorFaults   Unit = "majflt/op"         // major page faults (I/O was needed)
	UserCPU       Unit = "user-nsec/op"      // user CPU time in nanoseconds
	SysCPU        Unit = "sys-nsec/op"       // system CPU time in nanoseconds
	CtxSwitches   Unit = "ctxsw/op"          // voluntary + involuntary context switches
	ReadSyscalls  Unit = "read-syscalls/op"  // /proc/self/io syscr
	WriteSyscalls Unit = "write-syscalls/op" // /proc/self/io syscw
	ReadBytes     Unit = "rchar-B/op"        // /proc/self/io rchar
	WriteBytes    Unit = "wchar-B/op"        // /proc/self/io wchar
	DeviceBytes   Unit = "dev-B/op"          // /proc/self/io read_bytes + write_bytes
)

// Units of single bench benchmarks.
const (
	OpsPerColdStretch    Unit = "ops/cold-stretch"      // cold random cases: ops between re-evictions
	OpsPerPartialStretch Unit = "ops/partial-stretch"   // partial cases: ops between re-establishments
	ResidentFrac         Unit = "resident-frac"         // partial cases: the share of the file resident before each stretch
	StretchIntake        Unit = "max-intake-frac"       // cold and partial rows: the largest share of the file one stretch brought in
	OSThreads            Unit = "os-threads"            // the process's OS threads at the end of a concurrent cold or partial row
	NsecPerPage          Unit = "nsec/page"             // BenchmarkFault: wall time per page of the mapping
	MinfltPerPage        Unit = "minflt/page"           // BenchmarkFault: minor faults per page
	BytesPerSecPerReader Unit = "B/s/reader"            // BenchmarkReaders: aggregate throughput ÷ readers
	TLBShootdownsPerPass Unit = "tlb-shootdowns/pass"   // BenchmarkReaders: machine-wide shootdowns per timed pass
	BufferedCPUPerKiB    Unit = "buffered-cpu-nsec/KiB" // BenchmarkCopyCost
	DirectCPUPerKiB      Unit = "direct-cpu-nsec/KiB"   // BenchmarkCopyCost
	SpliceCPUPerKiB      Unit = "splice-cpu-nsec/KiB"   // BenchmarkCopyCost
	MemmoveCPUPerKiB     Unit = "memmove-cpu-nsec/KiB"  // BenchmarkCopyCost
	CopiesVsDirect       Unit = "copies-vs-direct"      // BenchmarkCopyCost: (buffered − direct) ÷ memmove
	CopiesVsSplice       Unit = "copies-vs-splice"      // BenchmarkCopyCost: (buffered − splice) ÷ memmove
	WakeP50              Unit = "wake-p50-usec"         // BenchmarkBystander
	WakeP99              Unit = "wake-p99-usec"         // BenchmarkBystander
	WakeMax              Unit = "wake-max-usec"         // BenchmarkBystander
	WakeSamples          Unit = "wake-samples"          // BenchmarkBystander
)

// Units of IPC results (package ipc, BenchmarkIPC), besides ns/op, the
// batch-timed one-way latency. Latencies are one-way, in nanoseconds.
const (
	IPCP50       Unit = "p50-nsec"
	IPCP90       Unit = "p90-nsec"
	IPCP99       Unit = "p99-nsec"
	IPCP999      Unit = "p99.9-nsec"
	IPCMax       Unit = "max-nsec"
	IPCBatchRT   Unit = "rt/batch"
	IPCClock     Unit = "clock-nsec"
	IPCCPUPerMsg Unit = "cpu-nsec/msg"
	IPCMinFlt    Unit = "minflt/msg"
	IPCCtxSw     Unit = "ctxsw/msg"
)

// Units of mmapbench oom's summary lines (BenchmarkOOM) beyond ns/op, MB/s,
// majflt/op and sys-nsec/op.
const (
	OOMDeviceRead Unit = "dev-read-B/op"     // bytes the device delivered per operation: read amplification
	OOMTLB        Unit = "tlb-shootdowns/op" // machine-wide TLB shootdown interrupts per operation
)

// Units of mmapbench ipc -mode durable (BenchmarkDurable) and -mode count
// (BenchmarkCount) that have a direction.
const (
	DurableMissedStores Unit = "missed-stores" // 1 when the reader did not read the stored value within its watch
	DurableSyncTime     Unit = "sync-usec"     // how long the fdatasync or msync took, µs
	CountLostPerOp      Unit = "lost/op"       // counter increments lost per increment made
)

// IPCPercentiles are the per-round-trip latency units of an IPC row, in
// increasing order, with their short labels.
var IPCPercentiles = []struct {
	Unit  Unit
	Label string
}{
	{IPCP50, "p50"}, {IPCP90, "p90"}, {IPCP99, "p99"}, {IPCP999, "p99.9"}, {IPCMax, "max"},
}

// Better says which direction of a unit is an improvement, as
// benchfmt.UnitMetadataMap.GetBetter returns it.
type Better int

const (
	LowerIsBetter  Better = -1
	HigherIsBetter Better = +1
)

// String is the value of the benchfmt "better" key: "lower" or "higher".
func (b Better) String() string {
	switch b {
	case LowerIsBetter:
		return "lower"
	case HigherIsBetter:
		return "higher"
	}
	return fmt.Sprintf("Better(%d)", int(b))
}

// A UnitInfo is one unit of the registry: its direction and what it means.
type UnitInfo struct {
	Unit    Unit
	Better  Better
	Meaning string // one line for humans
}

// registry lists every custom unit the project writes, once. Every
// counter is a cost, so lower is better but where a unit says otherwise.
var registry = []UnitInfo{
	{MinorFaults, LowerIsBetter, "minor page faults per op (page was in memory; mapping it still costs a trap)"},
	{MajorFaults, LowerIsBetter, "major page faults per op (the fault waited for I/O)"},
	{UserCPU, LowerIsBetter, "user CPU nanoseconds per op, process-wide (getrusage)"},
	{SysCPU, LowerIsBetter, "system CPU nanoseconds per op, process-wide (getrusage)"},
	{CtxSwitches, LowerIsBetter, "voluntary plus involuntary context switches per op"},
	{ReadSyscalls, LowerIsBetter, "read-family system calls per op (/proc/self/io syscr)"},
	{WriteSyscalls, LowerIsBetter, "write-family system calls per op (/proc/self/io syscw)"},
	{ReadBytes, LowerIsBetter, "bytes returned by read-family system calls per op (/proc/self/io rchar; mmap access is not counted)"},
	{WriteBytes, LowerIsBetter, "bytes passed to write-family system calls per op (/proc/self/io wchar; stores through a mapping are not counted)"},
	{DeviceBytes, LowerIsBetter, "bytes read from the block device (read-ahead and read-around included) plus bytes dirtied for writeback, per op (/proc/self/io read_bytes + write_bytes)"},
	{OpsPerColdStretch, HigherIsBetter, "cold random cases: operations measured between two evictions of the file, each stretch bringing in at most 5% of it (fewer means each read brings in more: read-around)"},
	{OpsPerPartialStretch, HigherIsBetter, "partial cases (cache=part:N): operations measured between two re-establishments of the state, each stretch bringing in at most 1.5% of the file so that the share resident moves by less than 2 points"},
	{StretchIntake, LowerIsBetter, "cold and partial rows: the largest share of the file one measured stretch read from the device (/proc/self/io read_bytes); above 0.02 a partial row's state moved by more than 2 points within that stretch, above 0.05 a cold row's file was more than 5% resident by its end"},
	{OSThreads, LowerIsBetter, "OS threads of the process at the end of a concurrent cold or partial row (/proc/self/status): a goroutine blocked in pread holds a thread of its own, one waiting in a page fault keeps its P and its thread"},
	{ResidentFrac, HigherIsBetter, "partial cases: the share of the file's pages resident (mincore) before the measured stretches, mean; each stretch starts within 2 points of N% with the right blocks resident, or the case fails"},
	{NsecPerPage, LowerIsBetter, "nanoseconds per page to map, populate, touch and unmap a mapping (BenchmarkFault)"},
	{MinfltPerPage, LowerIsBetter, "minor faults per page touched (BenchmarkFault): fault-around shows as 1/16"},
	{BytesPerSecPerReader, HigherIsBetter, "bytes per second each reader got (BenchmarkReaders): the readers' aggregate throughput over their number"},
	{TLBShootdownsPerPass, LowerIsBetter, "TLB shootdown interrupts per pass, machine-wide from /proc/interrupts (BenchmarkReaders); other processes add to it"},
	{BufferedCPUPerKiB, LowerIsBetter, "CPU nanoseconds (thread clock, user+system) per KiB of buffered pread from a warm file (BenchmarkCopyCost)"},
	{DirectCPUPerKiB, LowerIsBetter, "CPU nanoseconds (thread clock, user+system) per KiB of O_DIRECT pread of the same file into the same buffer (BenchmarkCopyCost)"},
	{SpliceCPUPerKiB, LowerIsBetter, "CPU nanoseconds (thread clock, user+system) per KiB spliced from the same warm file into a pipe and on to /dev/null: the page-cache path with no copy (BenchmarkCopyCost)"},
	{MemmoveCPUPerKiB, LowerIsBetter, "CPU nanoseconds (thread clock) per KiB of Go's memmove into the same buffer from an anonymous buffer as large as the file: one CPU copy (BenchmarkCopyCost)"},
	{CopiesVsDirect, LowerIsBetter, "CPU copies per byte read(2) returns, inferred per sample as (buffered − O_DIRECT) ÷ memmove CPU per KiB (BenchmarkCopyCost)"},
	{CopiesVsSplice, LowerIsBetter, "CPU copies per byte read(2) returns, inferred per sample as (buffered − splice) ÷ memmove CPU per KiB (BenchmarkCopyCost)"},
	{WakeP50, LowerIsBetter, "median lateness of a sleeping bystander goroutine's wake-ups, microseconds (BenchmarkBystander)"},
	{WakeP99, LowerIsBetter, "99th percentile lateness of the bystander's wake-ups, microseconds (BenchmarkBystander)"},
	{WakeMax, LowerIsBetter, "largest lateness of the bystander's wake-ups, microseconds (BenchmarkBystander)"},
	{WakeSamples, HigherIsBetter, "bystander wake-ups measured (BenchmarkBystander): the p99 rests on this many samples"},

	{IPCP50, LowerIsBetter, "median latency, ns: IPC rows, one-way per round trip (each timed alone, halved; it includes half a clock read, clock-nsec; ns/op is the batch figure); file rows (cold, partial, prefetch), one op, from the end of the op before (one clock read an op)"},
	{IPCP90, LowerIsBetter, "90th percentile latency, ns (as p50-nsec)"},
	{IPCP99, LowerIsBetter, "99th percentile latency, ns (as p50-nsec)"},
	{IPCP999, LowerIsBetter, "99.9th percentile latency, ns (as p50-nsec)"},
	{IPCMax, LowerIsBetter, "largest latency, ns (as p50-nsec)"},
	{IPCBatchRT, HigherIsBetter, "round trips per batch (K) of ns/op, the batch one-way latency: K round trips timed with two clock reads in all, / 2K, median over batches; K keeps the clock under 1% of a batch"},
	{IPCClock, LowerIsBetter, "cost of one clock read on the measuring side, ns: back-to-back reads, the median of 101 means of 100 differences; one is inside every round trip timed alone"},
	{IPCCPUPerMsg, LowerIsBetter, "user+system CPU of both sides per one-way message, ns (spinning is not free)"},
	{IPCMinFlt, LowerIsBetter, "minor page faults of both sides per message (write-back write-protects a file page; the next store faults)"},
	{IPCCtxSw, LowerIsBetter, "context switches of both sides per message"},

	{DurableMissedStores, LowerIsBetter, "1 when the reader did not read the stored value within a second, else 0 (mmapbench ipc -mode durable)"},
	{DurableSyncTime, LowerIsBetter, "time the fdatasync or msync after the last close took, µs (mmapbench ipc -mode durable)"},
	{CountLostPerOp, LowerIsBetter, "counter increments lost per increment made (mmapbench ipc -mode count)"},

	{OOMDeviceRead, LowerIsBetter, "bytes the block device delivered per operation (mmapbench oom): read amplification, 4096 is none for 4KiB reads"},
	{OOMTLB, LowerIsBetter, "machine-wide TLB shootdown interrupts per operation (mmapbench oom)"},
}

// Units returns the registry: every custom unit the project writes, with
// its direction and meaning. The slice is a copy.
func Units() []UnitInfo { return slices.Clone(registry) }

// Info returns the registry's entry for u, and whether it has one.
func Info(u Unit) (UnitInfo, bool) {
	i := slices.IndexFunc(registry, func(x UnitInfo) bool { return x.Unit == u })
	if i < 0 {
		return UnitInfo{}, false
	}
	return registry[i], true
}

// WriteUnits writes one benchfmt "Unit <unit> better=<dir>" line per unit,
// through w. benchstat has built-in directions only for ns/op, MB/s, B/op
// and allocs/op; without these lines a tool reading the results (the gate)
// cannot tell a regression from an improvement. The lines apply to the
// whole file, so write them once. A unit the registry lacks is an error:
// its direction would be a guess.
func WriteUnits(w *benchfmt.Writer, units ...Unit) error {
	for _, u := range units {
		info, ok := Info(u)
		if !ok {
			return fmt.Errorf("schema: unit %q is not in the registry (schema/units.go): its direction is unknown", u)
		}
		md := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: string(u), Key: "better"}, OrigUnit: string(u), Value: info.Better.String()}
		if err := w.Write(md); err != nil {
			return fmt.Errorf("schema: writing unit lines: %w", err)
		}
	}
	return nil
}

// WriteUnitLines is WriteUnits to a plain writer, for a file whose results
// another writer prints (go test's own output, after TestMain's lines).
func WriteUnitLines(w io.Writer, units ...Unit) error {
	return WriteUnits(benchfmt.NewWriter(w), units...)
}
