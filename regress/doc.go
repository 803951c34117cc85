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
// TestIntervalChoice: 1000 simulated gates of 200 pairs at alpha 0.01 and
// threshold 2%, each one of five real A/A runs of the gated mmap 4KiB row
// on the project's VM (testdata/aa-mmap-*.txt: -base's defaults, 200
// pairs of 0.005s samples) with each pair at random either way round, the
// head slowed by a known shift. On those pairs the sign interval caught a
// 5% shift in 69% of gates and a 10% shift in 95%, the paired t in 8% and
// 54%: the log ratios here have heavy tails (invocations at several
// times the usual time: the five runs' sd of log ratios 0.28 to 0.47,
// their robust spread, 1.48 MAD, 0.075 to 0.41), which widen the t
// interval and barely move the order statistics. On normal log ratios of
// the same overall spread the t does better (52% against 30% at 10%), but
// that is not this machine's noise. Neither raised a false alarm in more than 0.5% of
// the A/A gates. A bootstrap of the median would give about the sign
// interval's width with a coverage that is only approximate; it was not
// simulated.
//
// What pairing buys on this VM: a pair's two invocations are correlated
// at 0.46 (log ns/op, the five runs), so they share some drift, but most
// of an invocation's spread is its own process's (one runs at 140ns an op
// and stays there, the next at 165ns), which no pairing removes. The
// paired rule is also stricter than the U test's by design: the whole
// interval beyond the threshold, where the U test asks for any change
// shown and the median beyond it. The simulation has the consequence: at
// threshold 2% the sign interval catches a 3% shift in 24% of gates, the
// U test in 63%; the same interval at threshold 1% in 61%, at 0 in 67%.
// The threshold is what the rule turns on, so -base's default is chosen
// from real runs (docs/gate.md, make calibrate-gate): 1%. In 20 A/A runs
// the paired gate raised 3 false alarms at threshold 0 and none at 0.5%,
// 1% or 2% (the A/A rows' bounds reached at most 0.3% the worse way); at
// 1% it caught a realised +2.9% in 14 of 20 runs (the simulation: 61%),
// +4.6% in 17 of 20 and +10.2% in 10 of 10; at 2% +2.9% in 5 of 20 (the
// simulation: 24%) and +4.6% in 14 (69%). The unpaired U test on the same
// samples caught +2.9% in 16 of 20 and raised 1 false alarm in 20.
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
