package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mmapbench/mmapbench/internal/privdir"
	"github.com/mmapbench/mmapbench/regress"
)

// The gate's settings for -base, calibrated on the project's 2-vCPU VM
// (docs/gate.md). The rows: warm sequential 4KiB copy reads through every
// backend, five rows of 0.005s a sample. Most of a sample's noise here is
// its process's own (an invocation runs 140ns an op or 165ns and stays
// there, whatever -benchtime: robust sd of log ns/op 0.083 at 0.02s, 0.100
// at 0.005s), so more invocations narrow the interval and longer ones do
// not: 200 pairs at 0.005s take 35s (the gate's mmap row's 99% interval
// 2.4% to 5.2% wide in three A/A runs), 80 at 0.02s 30s (4.4% to 6.6%).
// alpha 0.01: each row's interval is at 99%, which keeps the joint
// false-alarm rate of the rows low. The threshold: see
// defaultGateThreshold.
const (
	defaultGateBench     = `^BenchmarkRead$/./access=copy/pattern=seq/bs=4KiB$/cache=warm/./advice=none/threads=1$`
	defaultGateBenchtime = "0.005s"
	defaultGateCount     = 200
	defaultGateAlpha     = 0.01
)

// defaultGateEnv is -base's environment for both binaries: one file size,
// the quick profile's smallest here (half the 32MiB LLC, so warm reads hit
// the cache). The quick profile also has a file of 8× the LLC, which would
// double the rows and take a run past 2 minutes. Binaries older than the
// variable ignore it.
var defaultGateEnv = []string{"MMAPBENCH_SIZES=16MiB"}

// defaultGateThreshold is -base's threshold, chosen from make
// calibrate-gate on the project's VM (docs/gate.md: 20 A/A runs, 20 runs
// each of realised +2.9% and +4.6%, 10 of +10.2%, every run judged at
// 0%, 0.5%, 1% and 2%). At 0, 3 of 20 A/A runs failed; at 0.5%, 1% and 2%
// none did: the A/A rows' interval bounds reached at most 0.3% the worse
// way. 1% keeps 0.7 points of that margin and catches +2.9% in 14 of 20
// runs, +4.6% in 17, +10.2% in 10 of 10; 2% caught 5 and 14 of 20, 0.5%
// (a thinner margin) 16 and 19.
const defaultGateThreshold = "1%"

// defaultGateFilter is the units -base gates unless -filter says
// otherwise: time and throughput, and allocation. The OS counters of the
// same rows (faults, CPU time split, context switches) explain a change
// rather than make one, and at under a second a sample the user/system
// split of getrusage is too coarse to gate on.
const defaultGateFilter = ".unit:(sec/op OR B/s OR B/op OR allocs/op)"

const regressUsage = `-old FILE -new FILE [flags]
       mmapbench regress -base REF [-head REF] [-out DIR] [flags]

Compares two sets of benchmark results and fails on a regression.

Paired (the files of one -base run, whose "pair:" lines say which base and
head invocations ran next to each other): a row (benchmark and unit)
regresses when the whole 1-alpha confidence interval of the median ratio
new/old of its pairs lies beyond -threshold the wrong way (the sign-test
interval, from the ratios' order statistics).

Unpaired (any other two files, or -unpaired): a row regresses when its
median moved the wrong way by more than -threshold with a Mann-Whitney U
p-value below -alpha, as benchstat computes them.

Units take their direction from "Unit ... better=" lines and the standard
units (sec/op, B/op, allocs/op lower, B/s higher); a unit with no known
direction is shown and never gated.

With -old and -new it compares two results files. With -base it builds
"go test -c ./bench" of REF and of -head (default: the working tree, with
uncommitted changes) in temporary git worktrees, runs the two binaries
interleaved on this machine in ABBA order, -count pairs, and compares
those, paired.

Exit status: 0 no regression, 1 regression, 2 bad input or no verdict
(missing or unparsable file, too few samples, no benchmark in common,
configurations that differ, a build or benchmark that failed, interrupt).`

func runRegress(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("regress", regressUsage, stderr)
	oldFile := fs.String("old", "", "results `file` to compare against")
	newFile := fs.String("new", "", "results `file` to check")
	base := fs.String("base", "", "build and run the benchmarks of this git `ref` as the old side")
	head := fs.String("head", "", "with -base, the git `ref` of the new side (default: the working tree)")
	thresholdFlag := fs.String("threshold", "", "smallest change, in the worse direction, that counts (`percentage`; default 5%; with -base "+defaultGateThreshold+")")
	alpha := fs.Float64("alpha", 0, "paired, the intervals are at 1-alpha; unpaired, a change counts only when the U test's p-value is below it (default 0.05; with -base 0.01)")
	unpaired := fs.Bool("unpaired", false, "compare as independent samples with the U test even when the files are paired")
	filter := fs.String("filter", "", "benchproc `query` selecting results and units, as benchstat's -filter (default \"*\"; with -base "+defaultGateFilter+")")
	ignore := fs.String("ignore", "", "comma-separated configuration `keys` allowed to differ")
	count := fs.Int("count", defaultGateCount, "with -base, pairs: samples per side (at least 10)")
	bench := fs.String("bench", defaultGateBench, "with -base, the benchmarks to run (`regexp`, as go test -bench)")
	benchtime := fs.String("benchtime", defaultGateBenchtime, "with -base, go test's -benchtime per sample")
	out := fs.String("out", "", "with -base, keep base.txt, head.txt, regress.txt and regress.meta in this `directory`")
	var env []string
	fs.Func("env", "with -base, `KEY=VALUE` set for both binaries, after the default "+strings.Join(defaultGateEnv, " ")+" (repeatable; a key given again overrides it)", func(s string) error {
		if !strings.Contains(s, "=") {
			return errors.New("want KEY=VALUE")
		}
		env = append(env, s)
		return nil
	})
	var headEnv []string
	fs.Func("head-env", "with -base, `KEY=VALUE` set for the head binary only, e.g. MMAPBENCH_INJECT_SLOWDOWN=mmap:10% (repeatable)", func(s string) error {
		if !strings.Contains(s, "=") {
			return errors.New("want KEY=VALUE")
		}
		headEnv = append(headEnv, s)
		return nil
	})
	if code := parseFlagsOnly(fs, args, stderr); code >= 0 {
		return code
	}
	thr := *thresholdFlag
	if thr == "" {
		thr = "5%"
		if *base != "" {
			thr = defaultGateThreshold
		}
	}
	threshold, err := parsePercent(thr)
	if err != nil {
		fprintf(stderr, "mmapbench regress: -threshold %q: %v\n", *thresholdFlag, err)
		return exitUsage
	}
	opt := regress.Options{Threshold: threshold, Alpha: *alpha, Filter: *filter, Unpaired: *unpaired}
	if opt.Alpha == 0 {
		opt.Alpha = regress.DefaultOptions.Alpha
		if *base != "" {
			opt.Alpha = defaultGateAlpha
		}
	}
	if *ignore != "" {
		opt.Ignore = strings.Split(*ignore, ",")
	}
	fileMode, runMode := *oldFile != "" || *newFile != "", *base != ""
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fileMode && runMode:
		fprintf(stderr, "mmapbench regress: -old/-new and -base are two ways to get results: use one\n")
		return exitUsage
	case fileMode && (*oldFile == "" || *newFile == ""):
		fprintf(stderr, "mmapbench regress: want both -old and -new\n")
		return exitUsage
	case fileMode:
		for _, f := range []string{"head", "count", "bench", "benchtime", "out", "env", "head-env"} {
			if set[f] {
				fprintf(stderr, "mmapbench regress: -%s applies only with -base\n", f)
				return exitUsage
			}
		}
		return compareFiles(*oldFile, *newFile, opt, stdout, stderr)
	case !runMode:
		fprintf(stderr, "mmapbench regress: want -old FILE -new FILE, or -base REF\n")
		fs.Usage()
		return exitUsage
	case *count < regress.MinRunSamples:
		fprintf(stderr, "mmapbench regress: -count %d: want at least %d samples a side\n", *count, regress.MinRunSamples)
		return exitUsage
	case !*unpaired && *count < regress.MinPairs(opt.Alpha):
		fprintf(stderr, "mmapbench regress: -count %d: at -alpha %v the paired interval needs at least %d pairs\n", *count, opt.Alpha, regress.MinPairs(opt.Alpha))
		return exitUsage
	}
	if opt.Filter == "" {
		opt.Filter = defaultGateFilter
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The defaults first: a later value of a key wins (os/exec keeps the
	// last), so -env MMAPBENCH_SIZES=1GiB overrides one and keeps the rest.
	env = append(slices.Clip(defaultGateEnv), env...)
	g := gateRun{base: *base, head: *head, count: *count, bench: *bench, benchtime: *benchtime, out: *out, env: env, headEnv: headEnv, opt: opt}
	return g.run(ctx, stdout, stderr)
}

// compareFiles is regress -old -new.
func compareFiles(oldPath, newPath string, opt regress.Options, stdout, stderr io.Writer) int {
	var sets [2]*regress.Set
	for i, path := range []string{oldPath, newPath} {
		s, err := regress.ReadFile(path)
		if err != nil {
			fprintf(stderr, "mmapbench regress: %v\n", err)
			return exitUsage
		}
		sets[i] = s
	}
	return report(sets[0], sets[1], opt, stdout, stderr)
}

// report compares and prints, and returns the exit code.
func report(old, new *regress.Set, opt regress.Options, stdout, stderr io.Writer) int {
	rep, err := regress.Compare(old, new, opt)
	if err != nil {
		fprintf(stderr, "mmapbench regress: %v\n", err)
		return exitUsage
	}
	if err := rep.WriteText(stdout); err != nil {
		fprintf(stderr, "mmapbench regress: %v\n", err)
		return exitUsage
	}
	if len(rep.Regressions()) > 0 {
		return exitFail
	}
	return exitOK
}

// gateRun is regress -base: build, run interleaved, compare.
type gateRun struct {
	base, head, bench, benchtime, out string
	count                             int
	env, headEnv                      []string
	opt                               regress.Options
}

func (g gateRun) run(ctx context.Context, stdout, stderr io.Writer) int {
	// A locked private directory: a regress killed with SIGKILL leaves its
	// worktrees and binaries behind, and the next run removes them.
	priv, err := privdir.Make(os.TempDir(), "mmapbench-regress-", stderr)
	if err != nil {
		fprintf(stderr, "mmapbench regress: %v\n", err)
		return exitUsage
	}
	defer priv.Remove()
	tmp := priv.Path
	dir := tmp
	if g.out != "" {
		if err := os.MkdirAll(g.out, 0o755); err != nil {
			fprintf(stderr, "mmapbench regress: -out: %v\n", err)
			return exitUsage
		}
		dir = g.out
	}
	start := time.Now()
	var bins [2]*regress.Binary
	for i, side := range []struct{ label, ref string }{{"base", g.base}, {"head", g.head}} {
		fprintf(stderr, "regress: building %s %s\n", side.label, refName(side.ref))
		b, err := regress.Build(ctx, ".", side.ref, "./bench", tmp, side.label)
		if err != nil {
			fprintf(stderr, "mmapbench regress: %v\n", interrupted(ctx, err))
			return exitUsage
		}
		bins[i] = b
	}
	plan := regress.Plan{
		Base: bins[0], Head: bins[1], Count: g.count, Env: g.env, HeadEnv: g.headEnv, Dir: tmp, Progress: stderr, RunID: regress.NewRunID(),
		Args: []string{"-test.bench", g.bench, "-test.benchtime", g.benchtime},
	}
	fprintf(stderr, "regress: %d samples a side, ABBA, run %s, -bench %s -benchtime %s, env %s\n", g.count, plan.RunID, g.bench, g.benchtime, strings.Join(g.env, " "))
	var outs [2]bytes.Buffer
	if err := regress.Run(ctx, plan, &outs[0], &outs[1]); err != nil {
		fprintf(stderr, "mmapbench regress: %v\n", interrupted(ctx, err))
		return exitUsage
	}
	var sets [2]*regress.Set
	for i, b := range bins {
		path := filepath.Join(dir, b.Label+".txt")
		if err := os.WriteFile(path, outs[i].Bytes(), 0o644); err != nil {
			fprintf(stderr, "mmapbench regress: %v\n", err)
			return exitUsage
		}
		if sets[i], err = regress.Read(bytes.NewReader(outs[i].Bytes()), path); err != nil {
			fprintf(stderr, "mmapbench regress: %v\n", err)
			return exitUsage
		}
	}
	var text bytes.Buffer
	code := report(sets[0], sets[1], g.opt, io.MultiWriter(stdout, &text), stderr)
	fprintf(stderr, "regress: done in %.0fs\n", time.Since(start).Seconds())
	if g.out == "" {
		return code
	}
	meta := fmt.Sprintf("base: %s\nhead: %s\nenv: %s\nhead-env: %s\ndate: %s\nhost: %s\nrun: %s\ncount: %d\nbench: %s\nbenchtime: %s\nthreshold: %v\nalpha: %v\nunpaired: %v\nfilter: %s\nexit: %d\nreproduce: %s\n",
		bins[0].Describe(), bins[1].Describe(), strings.Join(g.env, " "), strings.Join(g.headEnv, " "), start.UTC().Format(time.RFC3339), hostname(), plan.RunID,
		g.count, g.bench, g.benchtime, g.opt.Threshold, g.opt.Alpha, g.opt.Unpaired, g.opt.Filter, code, g.reproduce())
	for name, data := range map[string][]byte{"regress.txt": text.Bytes(), "regress.meta": []byte(meta)} {
		if err := os.WriteFile(filepath.Join(g.out, name), data, 0o644); err != nil {
			fprintf(stderr, "mmapbench regress: %v\n", err)
			return exitUsage
		}
	}
	return code
}

// reproduce is the -old/-new command that gives this run's verdict again
// from its files: the pair lines in base.txt and head.txt pair them, and
// -base's threshold, alpha and filter (not -old/-new's defaults) are
// spelled out.
func (g gateRun) reproduce() string {
	cmd := fmt.Sprintf("mmapbench regress -old base.txt -new head.txt -threshold %s -alpha %v -filter %s",
		formatPercent(g.opt.Threshold), g.opt.Alpha, shellQuote(g.opt.Filter))
	if g.opt.Unpaired {
		cmd += " -unpaired"
	}
	if len(g.opt.Ignore) > 0 {
		cmd += " -ignore " + shellQuote(strings.Join(g.opt.Ignore, ","))
	}
	return cmd
}

// formatPercent prints a fraction as parsePercent reads it: 0.02 is "2%".
func formatPercent(f float64) string {
	return strconv.FormatFloat(math.Round(1e9*f)/1e7, 'f', -1, 64) + "%" // 0.03 is not 3.0000000000000004%
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func refName(ref string) string {
	if ref == "" {
		return "(the working tree)"
	}
	return ref
}

// interrupted names an interrupt rather than the killed child's error.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted; temporary worktrees removed")
	}
	return err
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}
