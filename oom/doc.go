// Package oom measures reads over a file several times larger than a memory
// limit: the working-set-larger-than-memory case of Crotty, Leis and Pavlo,
// "Are You Sure You Want to Use MMAP in Your Database Management System?"
// (CIDR 2022), where mmap's throughput falls once the page cache is full and
// every new page needs an old one evicted.
//
// The limit is a memory cgroup (v2 where its memory controller is
// available, v1 otherwise) that the package creates for each run and removes
// after it. Its memory includes the page cache the reads bring in. Each run
// is a re-executed child process placed in its own fresh cgroup before it
// touches the file, so page cache charged to it starts at zero; a child that
// cannot confirm it is inside the limit refuses to run.
//
// A run yields one row per interval (a time series: operations, bytes,
// faults, device reads, TLB shootdowns, the cgroup's usage) and a summary of
// two phases, before and after the cache filled, in Go benchmark format.
package oom

import "github.com/mmapbench/mmapbench/internal/memcg"

// ErrNoLimit is wrapped by every error that means the run cannot place its
// memory limit: memcg's.
var ErrNoLimit = memcg.ErrNoLimit
