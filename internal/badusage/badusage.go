// Package badusage holds the one error value that marks a caller's mistake (an
// unknown name, an impossible combination, a bad number), as opposed to a
// failed measurement. Every package that can be given bad input wraps it
// (ipc.ErrUsage and oom.ErrUsage are this value), so that mmapbench tells
// both apart with one errors.Is and exits 2 for it.
package badusage

import "errors"

// Err is wrapped by every error that is the caller's fault.
var Err = errors.New("bad usage")
