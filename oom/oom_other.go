//go:build !linux

package oom

import "github.com/mmapbench/mmapbench/internal/badusage"

// The measurement needs Linux's memory cgroups and page cache: Measure and
// its types are in the _linux.go files. Elsewhere the package keeps what
// reads its results (series.go) and what every binary calls.

// RunChildIfRequested does nothing: no parent here starts a reading child.
func RunChildIfRequested() {}

// ErrUsage is badusage.Err, as on Linux.
var ErrUsage = badusage.Err
