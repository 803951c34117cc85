// Package plot reads mmapbench results files (Go benchmark format) and
// renders the figures of the report as SVG and PNG with gonum.org/v1/plot:
// read throughput against block size, copy against view; the one-shot read
// crossover; IPC latency percentiles per backend; page faults per operation.
//
// It lives apart from the benchmarks so that the harness does not depend on
// a plotting library.
package plot
