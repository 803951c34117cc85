package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/internal/badusage"
	"github.com/mmapbench/mmapbench/internal/privdir"
)

// A command is one subcommand of mmapbench.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order help shows them.
var commands = []command{
	{"backends", "list the storage backends and what each supports", runBackends},
	{"ipc", "measure how fast a store in shared memory reaches another process", runIPC},
	{"monitor", "the article's monitor: print the shared {pid, counter} record when it changes", runMonitor},
	{"changer", "the article's changer: set the record's pid and increment its counter", runChanger},
	{"oom", "read a file larger than a memory cgroup's limit: the eviction cliff, per second", runOOM},
	{"cv", "check the noise of benchmark results: coefficient of variation per benchmark", runCV},
	{"regress", "the regression gate: compare two results files, or two commits run interleaved", runRegress},
	{"plot", "render the report's figures (SVG, PNG) from results files", runPlot},
	{"report", "write results/REPORT.md: machine, tables, figures, the article's claims with verdicts", runReport},
	{"verdicts", "set the verdicts of several runs side by side (make verdicts): do they agree?", runVerdicts},
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

func printUsage(w io.Writer) {
	fprintf(w, "mmapbench measures what mmap buys over read/write system calls.\n\n")
	fprintf(w, "Usage:\n\n\tmmapbench <command> [flags]\n\nCommands:\n\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "\t%s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fprintf(w, "\nRun 'mmapbench <command> -h' for a command's flags.\n")
	fprintf(w, "The file I/O benchmarks run with 'make bench' or 'go test -bench . ./bench'.\n")
}

// newFlagSet returns a flag set that reports errors instead of exiting, and
// whose -h output goes to stderr with the command's summary.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mmapbench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fprintf(stderr, "Usage: mmapbench %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and returns the exit code to stop with, or -1 to go on.
func parseFlags(fs *flag.FlagSet, args []string) int {
	switch err := fs.Parse(args); {
	case err == flag.ErrHelp:
		return exitOK
	case err != nil:
		return exitUsage // the flag package has printed the error and usage
	}
	return -1
}

// parseFlagsOnly is parseFlags for a command that takes flags and no
// arguments: a stray argument is a usage error, not silently ignored.
func parseFlagsOnly(fs *flag.FlagSet, args []string, stderr io.Writer) int {
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fprintf(stderr, "%s: unexpected argument %q: the command takes only flags\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

func runBackends(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("backends", "", stderr)
	if code := parseFlagsOnly(fs, args, stderr); code >= 0 {
		return code
	}
	// The optional interfaces are a property of the stores, not the table:
	// open a one-page store of each backend to ask.
	pd, err := privdir.Make(os.TempDir(), "mmapbench-backends-", stderr)
	if err != nil {
		fprintf(stderr, "mmapbench backends: the temp dir: %v\n", err)
		return exitUsage
	}
	defer pd.Remove()
	dir := pd.Path
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tOPTIONS\tINTERFACES\tDESCRIPTION")
	for _, b := range impl.Backends() {
		s, err := b.Open(filepath.Join(dir, b.Name), impl.Options{Create: true, Size: int64(os.Getpagesize())})
		if err != nil {
			fprintf(stderr, "mmapbench backends: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Name, capsString(b), interfacesString(s), b.Doc)
		s.Close()
	}
	if err := tw.Flush(); err != nil {
		fprintf(stderr, "mmapbench backends: %v\n", err)
		return exitFail
	}
	return exitOK
}

func capsString(b impl.Backend) string {
	var caps []string
	for _, c := range []struct {
		cap  impl.Caps
		name string
	}{{impl.CapPersistent, "file"}, {impl.CapMapped, "mapped"}, {impl.CapPopulate, "populate"}, {impl.CapDirect, "direct"}, {impl.CapView, "view"}} {
		if b.Has(c.cap) {
			caps = append(caps, c.name)
		}
	}
	if len(caps) == 0 {
		return "-"
	}
	return strings.Join(caps, ",")
}

func interfacesString(s impl.Store) string {
	var names []string
	if _, ok := s.(impl.Viewer); ok {
		names = append(names, "view")
	}
	if _, ok := s.(impl.Advisor); ok {
		names = append(names, "advise")
	}
	if _, ok := s.(impl.Evicter); ok {
		names = append(names, "evict")
	}
	return strings.Join(names, ",")
}

// fprintf writes to a terminal or buffer; there is nothing useful to do if
// writing the program's own messages fails.
func fprintf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format, args...)
}

// exitFor is the exit status for a measurement's error: bad input
// (badusage.Err, which ipc.ErrUsage and oom.ErrUsage are) and a system
// that cannot measure (errors.ErrUnsupported, off Linux) are decided before
// any work, so exitUsage; anything else is a failed measurement.
func exitFor(err error) int {
	if errors.Is(err, badusage.Err) || errors.Is(err, errors.ErrUnsupported) {
		return exitUsage
	}
	return exitFail
}
