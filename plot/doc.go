// Package plot renders the figures of the report from mmapbench results
// (read with package schema) as SVG and PNG with gonum.org/v1/plot: read
// throughput against block size, copy against view; the one-shot read
// crossover; IPC latency percentiles per backend; page faults per
// operation; oom's throughput over time.
//
// It lives apart from the benchmarks so that the harness does not depend on
// a plotting library.
package plot
