package ipc

import "time"

// A Result is one latency measurement.
type Result struct {
	Config  Config
	Batch   Batch   // one-way latency, batch-timed: the headline (ns/op)
	Summary Summary // one-way latency per round trip: round trips halved, raw (each carries one clock read)

	Messages  int     // one-way messages exchanged, warm-up included: two per round trip
	CPUPerMsg float64 // CPU nanoseconds (user+system, both sides) per message
	MinFlt    int64   // minor faults of both sides during the exchange
	MajFlt    int64   // major faults of both sides during the exchange
	CtxSw     int64   // context switches of both sides during the exchange
	Syncs     int     // fdatasync calls made by the writeback third party
	ClockNsec float64 // the cost of one clock read on the measuring side, in ns (ClockCost)
	Elapsed   time.Duration
	CPUs      []int // the CPUs the two sides were pinned to
}
