// Package regress is mmapbench's regression gate: it compares two sets of
// Go benchmark results and decides whether the new one is slower.
//
// A row (one benchmark, one unit) regresses when its center (the median)
// moved in the worse direction by more than a threshold and the
// Mann-Whitney U test's p-value is below alpha, both computed by
// golang.org/x/perf/benchmath exactly as benchstat computes them. Which
// direction is worse comes from the files' "Unit <unit> better=" lines and
// benchfmt's built-in directions (sec/op, B/op and allocs/op lower, B/s
// higher); a unit with no known direction is reported and never gated.
//
// Bad input is an error, never a pass: a missing or unparsable file, no
// benchmark in common, configuration lines that differ, too few samples to
// reach alpha. [Run] produces the two files on this machine, interleaving
// the benchmark binaries of two commits in ABBA order.
//
// The files, one job each: read.go reads a results file, compare.go groups
// and tests the rows, text.go prints them, build.go builds a commit's
// benchmark binary in a temporary git worktree, and abba.go runs two
// binaries interleaved.
package regress
