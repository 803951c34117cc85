// Package schema defines what an mmapbench result is: the typed keys of a
// file benchmark's case, the units every benchmark reports, and reading and
// writing results in the Go benchmark format (golang.org/x/perf/benchfmt).
// It builds on every GOOS and imports none of the project's packages, so
// that results made on Linux can be read, reported and plotted anywhere.
//
// # Cases
//
// [Case] is one row of the file benchmarks (Read, Write, WriteSync,
// Readers); [Case.Name] is its sub-benchmark name and [ParseName] reads it
// back. [Axes.Product] expands a profile's axes into cases. [ParseSize] and
// [FormatSize] spell sizes as names do ("4KiB").
//
// # Units
//
// Every custom unit the project writes is a [Unit] constant here, with its
// direction and meaning in one registry ([Units], [Info]). bench, ipc and
// oom report these constants and write their Unit lines with [WriteUnits]
// or [WriteUnitLines], so benchstat and the gate know which way is better.
// A unit not in the registry cannot be written: add it to units.go first.
//
// # Reading
//
// [Load] reads results files (and the *.csv time series of mmapbench oom)
// with one error policy: a file that cannot be opened is an *fs.PathError
// naming it, and a malformed line is an error naming the file and the
// line. [Read] does the same for one stream. A row of a case benchmark
// must parse as a Case, or Load fails on that line.
//
// The loaded [Results] has:
//   - [Results.Case](bench, c): the row named exactly bench/c.Name(), for
//     the case benchmarks;
//   - [Results.Lookup](bench, keys): the row of any other benchmark whose
//     name has exactly these keys. A lookup that misses because the rows
//     carry a key the caller did not give, or that matches several rows
//     (several GOMAXPROCS), is a *[LookupError]; a case that was not run
//     is (nil, nil);
//   - [Results.Select](bench, where): every row whose keys have the given
//     values, a filter; [Values] lists a key's values among rows;
//   - per [Row]: [Row.Samples] and [Row.Median] by unit constant, in the
//     unit the file wrote (ns/op, MB/s: not benchstat's sec/op, B/s),
//     [Row.Key], [Row.Case], Iters;
//   - the files' configuration lines ([Results.ConfigValue]), their Unit
//     lines (Units, a benchfmt.UnitMetadataMap) and oom's time series
//     (Series, [Interval]).
//
// For example, the IPC results of mmapbench ipc -mode durable or count are
// read as
//
//	rs, err := schema.Load(path)
//	row, err := rs.Lookup("IPC", schema.Keys{"backend": "mmap", "wait": "spin"})
//	v, ok := row.Median(schema.IPCP50)
//
// # Writing
//
// [Writer] writes results through benchfmt.Writer: configuration lines
// before the first result ([Writer.SetConfig]), Unit lines where
// [Writer.WriteUnits] is called, then result lines ([Writer.Write]).
// [SeriesWriter] and [ReadSeries] are oom's CSV time series.
package schema
