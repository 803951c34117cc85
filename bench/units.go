package bench

import (
	"io"

	"github.com/mmapbench/mmapbench/schema"
)

// The units bench's benchmarks report, as ReportMetric takes them (a
// string). Each is schema's unit of the same name: the registry there
// (schema/units.go) holds its direction and meaning, once for the project.
const (
	UnitMinorFaults          = string(schema.MinorFaults)
	UnitMajorFaults          = string(schema.MajorFaults)
	UnitUserCPU              = string(schema.UserCPU)
	UnitSysCPU               = string(schema.SysCPU)
	UnitCtxSwitches          = string(schema.CtxSwitches)
	UnitReadSyscalls         = string(schema.ReadSyscalls)
	UnitWriteSyscalls        = string(schema.WriteSyscalls)
	UnitReadBytes            = string(schema.ReadBytes)
	UnitWriteBytes           = string(schema.WriteBytes)
	UnitDeviceBytes          = string(schema.DeviceBytes)
	UnitOpsPerColdStretch    = string(schema.OpsPerColdStretch)
	UnitOpsPerPartialStretch = string(schema.OpsPerPartialStretch)
	UnitResidentFrac         = string(schema.ResidentFrac)
	UnitNsecPerPage          = string(schema.NsecPerPage)
	UnitMinfltPerPage        = string(schema.MinfltPerPage)
	UnitWakeP50              = string(schema.WakeP50)
	UnitWakeP99              = string(schema.WakeP99)
	UnitWakeMax              = string(schema.WakeMax)
	UnitWakeSamples          = string(schema.WakeSamples)

	UnitBytesPerSecPerReader = string(schema.BytesPerSecPerReader)
	UnitTLBShootdownsPerPass = string(schema.TLBShootdownsPerPass)

	UnitBufferedCPUPerKiB = string(schema.BufferedCPUPerKiB)
	UnitDirectCPUPerKiB   = string(schema.DirectCPUPerKiB)
	UnitSpliceCPUPerKiB   = string(schema.SpliceCPUPerKiB)
	UnitMemmoveCPUPerKiB  = string(schema.MemmoveCPUPerKiB)
	UnitCopiesVsDirect    = string(schema.CopiesVsDirect)
	UnitCopiesVsSplice    = string(schema.CopiesVsSplice)
)

// units are the custom units bench's benchmarks report, in the order of
// their Unit lines; TestReportUnitsInTable checks that the counters' are
// all here.
var units = []schema.Unit{
	schema.MinorFaults, schema.MajorFaults, schema.UserCPU, schema.SysCPU, schema.CtxSwitches,
	schema.ReadSyscalls, schema.WriteSyscalls, schema.ReadBytes, schema.WriteBytes, schema.DeviceBytes,
	schema.OpsPerColdStretch, schema.OpsPerPartialStretch, schema.ResidentFrac, schema.StretchIntake, schema.OSThreads, schema.NsecPerPage, schema.MinfltPerPage,
	schema.BytesPerSecPerReader, schema.TLBShootdownsPerPass,
	schema.BufferedCPUPerKiB, schema.DirectCPUPerKiB, schema.SpliceCPUPerKiB, schema.MemmoveCPUPerKiB,
	schema.CopiesVsDirect, schema.CopiesVsSplice,
	schema.WakeP50, schema.WakeP99, schema.WakeMax, schema.WakeSamples,
	schema.IPCP50, schema.IPCP99, schema.IPCP999, schema.IPCMax, // per-op latency of the cold, partial and prefetch rows
}

// Units returns the registry's entries of bench's units, in order. The
// slice is a copy, so callers may modify it.
func Units() []schema.UnitInfo {
	out := make([]schema.UnitInfo, len(units))
	for i, u := range units {
		out[i], _ = schema.Info(u) // TestUnitsRegistered: every one is there
	}
	return out
}

// WriteUnitLines writes one benchfmt unit metadata line per unit of bench,
// for example "Unit minflt/op better=lower". Write them once, before the
// results (TestMain does, before m.Run); they apply to the whole file.
func WriteUnitLines(w io.Writer) error { return schema.WriteUnitLines(w, units...) }
