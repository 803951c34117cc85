// Package bench is the measurement harness: what the go test benchmarks
// of this directory run, and what other programs (the oom child, a driver)
// can run themselves.
//
// A case of the file benchmarks is a [schema.Case]: backend, access, pattern,
// block size, cache state, file size, advice, threads. A [Harness] holds one
// run's directory and its shared filled files; [Harness.Open] opens a case's
// store and sets its cache state (warm, verified with mincore; cold cases are
// evicted by [Harness.MakeCold]). A [Worker] is the one read and write loop
// body of the project: the block order ([Order], a keyed permutation), the
// copy or the in-place view, Consume over every byte read.
// [Harness.Run], [Harness.RunParallel] and [Harness.RunReaders] time workers
// over a small interface [B] that *testing.B satisfies, with the OS counters
// ([Counters]: getrusage and /proc/self/io) over the timed stretches only.
//
// Beside the loop: benchfmt configuration lines that describe the machine
// ([WriteConfig]), the units this package reports, the bench directory's
// choice and checks (tmpfs, privacy), and the bystander probe.
//
// The Benchmark functions in this directory's test files are thin shims
// over these; the test files also hold the tests that check the labels are
// true (cold is cold, warm does not fault, advice is in effect).
package bench
