// Package bench holds the measurement helpers shared by the go test
// benchmarks and the mmapbench driver: OS counters around a timed loop,
// benchfmt configuration lines describing the machine, units and their
// directions, and size parsing/formatting.
package bench
