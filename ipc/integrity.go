package ipc

import "time"

// The ways a counter child increments the shared counter.
const (
	CountNaive  = "naive"  // the article's counter++: load, then store; updates can be lost
	CountAtomic = "atomic" // LOCK XADD through the mapping (mapped backends)
	CountFlock  = "flock"  // flock(LOCK_EX) around load and store (any backend with a descriptor)
)

// CountModes lists the modes, in the order of help output.
var CountModes = []string{CountNaive, CountAtomic, CountFlock}

// CountConfig describes a counter-integrity run: Changers processes, started
// together, each incrementing the counter Increments times.
type CountConfig struct {
	Backend    string
	Mode       string
	Changers   int
	Increments int
	Dir        string
	Timeout    time.Duration
	Log        interface{ Write([]byte) (int, error) }
}

// A CountResult is the counter's final value against the number of
// increments made.
type CountResult struct {
	Config  CountConfig
	Final   uint64
	Want    uint64
	Elapsed time.Duration
}

// Lost returns how many increments the counter lost.
func (r CountResult) Lost() uint64 { return r.Want - r.Final }
