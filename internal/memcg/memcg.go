// Package memcg makes memory cgroups (v2, or v1's memory hierarchy) with a
// limit on anonymous memory and page cache, for the runs that measure
// under memory pressure: mmapbench oom's children and the benchmarks'
// cache=mem:N rows. Every cgroup is made for one run and removed after it.
package memcg

import "errors"

// ErrNoLimit is wrapped by every error that means the run cannot place its
// memory limit (no memory controller, no permission, not Linux). Such a run
// must stop or skip: measuring without the limit would report a cliff-free
// curve as a finding.
var ErrNoLimit = errors.New("cannot place a memory limit")
