// Package regress is mmapbench's regression gate: it compares two sets of
// Go benchmark results and decides whether the new one is slower.
//
// # Paired
//
// [Run] interleaves the benchmark binaries of two commits in ABBA order and
// writes a line "pair: <run>/<k>" ([PairKey]) before each invocation's
// output: the k-th base and the k-th head invocation ran one after the
// other. [Compare] pairs the two files by those lines when they come from
// one run, and decides each row (one benchmark, one unit) on the ratios
// new/old of its pairs: it regresses when the whole confidence interval at
// 1 - alpha of the median ratio lies beyond the threshold in the worse
// direction, and improves when the whole interval lies beyond it in the
// better one. The interval is the sign test's: the order statistics of the
// ratios that bracket the median with binomial probability 1 - alpha
// (go-moremath's stats.QuantileCI, which benchmath uses for its own
// medians). It needs no assumption about the ratios' distribution, only
// that pairs are independent; its confidence is exact (at least 1 - alpha,
// 0.992 or more for 80 pairs at alpha 0.01); a pair hit by an interrupt
// moves it by one order statistic, not by its size; and identical pairs
// give an interval of exactly 1.
//
// Why that interval and not the paired t on log ratios, with figures from
// TestIntervalChoice: 1000 simulated gates of 80 pairs at alpha 0.01 and
// threshold 2%, each one of five real A/A runs of the gated mmap 4KiB row
// on the project's VM (testdata/aa-mmap-*.txt) with each pair at random
// either way round, the head slowed by a known shift. On those pairs the
// sign interval caught a 5% shift in 44% of gates and a 10% shift in 85%,
// the paired t in 5% and 41%: the log ratios here have heavy tails (one run
// in five is several times noisier than the others, its ratios spread over
// ±0.8), which widen the t interval and barely move the order statistics.
// On normal log ratios of the same overall spread the t does better (30%
// against 13% at 10%), but that is not this machine's noise. Neither raised
// a false alarm in more than 0.3% of the A/A gates. A bootstrap of the
// median would give about the sign interval's width with a coverage that
// is only approximate at 80 pairs; it was not simulated.
//
// What pairing buys on this VM is less than hoped: in the five A/A runs a
// pair's two invocations are correlated at 0.31 (log ns/op), so the drift
// they share is a small part of their spread, which is mostly each
// process's own (of the 800 invocations, 600 took 120 to 160ns an op and
// the rest up to 480ns). With the U test's rule (any change shown, and
// the median beyond the threshold) the sign interval catches about what
// the unpaired U test catches (3%: 47% against 39%; 10%: 88% against
// 91%). The paired rule is stricter by design, the whole interval beyond
// the threshold: 10% of gates catch 3%, 44% catch 5%.
//
// # Unpaired
//
// Files without pair lines, or from different runs, or with -unpaired,
// are compared as benchstat compares them: a row regresses when its
// center (the median) moved in the worse direction by more than a
// threshold and the Mann-Whitney U test's p-value is below alpha, both
// computed by golang.org/x/perf/benchmath. The verdict line says
// "unpaired".
//
// Which direction is worse comes from the files' "Unit <unit> better="
// lines and benchfmt's built-in directions (sec/op, B/op and allocs/op
// lower, B/s higher); a unit with no known direction is reported and never
// gated.
//
// Bad input is an error, never a pass: a missing or unparsable file, no
// benchmark in common, configuration lines that differ (the pair key
// apart), too few samples or pairs to reach alpha.
//
// The files, one job each: read.go reads a results file, compare.go groups
// and tests the rows, paired.go pairs them and computes the paired
// interval, text.go prints them, build.go builds a commit's benchmark
// binary in a temporary git worktree, and abba.go runs two binaries
// interleaved.
package regress
