package main

import (
	"bytes"
	"errors"
	"io"
	iofs "io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
	mdreport "github.com/mmapbench/mmapbench/report"
)

// runReport writes the report from the latest results (or the file named).
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", "[flags] [FILE]", stderr)
	dir := fs.String("dir", "results", "find the latest results of make bench in `directory` when no FILE is named")
	host := fs.String("host", shortHostname(), "the `host` whose results are the latest: <date>-<host>.txt")
	out := fs.String("o", "results/REPORT.md", "write the report to `file`")
	plots := fs.String("plots", "results/plots", "the `directory` of the figures (make plots), linked relative to the report")
	ipcFile := fs.String("ipc", "", "IPC results `file` (default: FILE's sibling <stem>-ipc.txt)")
	ipcWB := fs.String("ipc-writeback", "", "IPC results with writeback, mmapbench ipc -writeback (default: <stem>-ipc-writeback.txt; if missing, claim 5's writeback half is not measured)")
	durable := fs.String("durable", "", "output of mmapbench ipc -mode durable (default: <stem>-durable.txt; left out if missing)")
	count := fs.String("count", "", "output of mmapbench ipc -mode count (default: <stem>-count.txt; left out if missing)")
	verdicts := fs.String("verdicts", "", "also write each claim's verdict and the crossover as JSON to `file` (make verdicts reads them)")
	measure := fs.Bool("measure", false, "first run mmapbench ipc -mode durable and -mode count (about 2 s) and write their output to the -durable and -count files")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	var bench string
	switch fs.NArg() {
	case 0:
		latest, err := mdreport.Latest(*dir, *host)
		if err != nil {
			fprintf(stderr, "mmapbench report: %v\n", err)
			return exitUsage
		}
		bench = latest
	case 1:
		bench = fs.Arg(0)
	default:
		fprintf(stderr, "mmapbench report: want at most one results FILE, got %d: %s\n", fs.NArg(), strings.Join(fs.Args(), " "))
		return exitUsage
	}
	files := mdreport.Siblings(bench)
	for _, f := range []struct {
		flag string
		dst  *string
	}{{*ipcFile, &files.IPC}, {*ipcWB, &files.IPCWriteback}, {*durable, &files.Durable}, {*count, &files.Count}} {
		if f.flag != "" {
			*f.dst = f.flag
		}
	}
	if _, err := os.Stat(bench); err != nil {
		fprintf(stderr, "mmapbench report: cannot read results file %s: %v\n", bench, unwrapPath(err))
		return exitUsage
	}
	if *measure {
		if code := measureEvidence(files, stderr); code >= 0 {
			return code
		}
	}
	inputs := []string{files.Bench, files.IPC}
	// The writeback rows load with the IPC rows: their names carry
	// /writeback=<interval>, so they stay apart.
	if exists(files.IPCWriteback) {
		inputs = append(inputs, files.IPCWriteback)
	} else {
		fprintf(stderr, "mmapbench report: no %s: claim 5's writeback half is not measured (make bench writes it)\n", files.IPCWriteback)
		files.IPCWriteback = ""
	}
	for _, opt := range []*string{&files.Sched, &files.OOM, &files.OOMSeries, &files.OOMZram, &files.OOMZramSeries} {
		if exists(*opt) {
			inputs = append(inputs, *opt)
		} else {
			fprintf(stderr, "mmapbench report: no %s: its section is left out\n", *opt)
			*opt = ""
		}
	}
	rs, code := loadResults("report", inputs, stderr)
	if code >= 0 {
		return code
	}
	in := mdreport.Input{Files: files, Results: rs, Figures: map[string]string{}}
	// The decision map's rows are loaded apart: some share a name with
	// rows of the main run, and another run's samples must not pool.
	if m := mdreport.MapSibling(bench); exists(m) {
		mrs, code := loadResults("report", []string{m}, stderr)
		if code >= 0 {
			return code
		}
		in.Map, in.Files.Map = mrs, m
	} else {
		fprintf(stderr, "mmapbench report: no %s: the decision map is left out (make bench-map writes it)\n", m)
	}
	// The Lucene comparison's runs load apart too, one per device; a
	// missing file is named in the report.
	in.Lucene = []mdreport.LuceneRun{}
	for _, dev := range mdreport.LuceneDevices {
		run := mdreport.LuceneRun{Device: dev, File: mdreport.LuceneSibling(bench, dev)}
		if exists(run.File) {
			lrs, code := loadResults("report", []string{run.File}, stderr)
			if code >= 0 {
				return code
			}
			run.Results = lrs
		} else {
			fprintf(stderr, "mmapbench report: no %s: the Lucene comparison's %s half is not measured (make bench-lucene writes it)\n", run.File, dev)
		}
		in.Lucene = append(in.Lucene, run)
	}
	if d, err := mdreport.ParseDurable(files.Durable); err == nil {
		in.Durable = d
	} else if !errors.Is(err, iofs.ErrNotExist) {
		fprintf(stderr, "mmapbench report: %v\n", err)
		return exitUsage
	} else {
		in.Files.Durable = ""
		fprintf(stderr, "mmapbench report: no %s: claim 3 is not measured (mmapbench report -measure writes it)\n", files.Durable)
	}
	if cs, err := mdreport.ParseCounts(files.Count); err == nil {
		in.Counts = cs
	} else if !errors.Is(err, iofs.ErrNotExist) {
		fprintf(stderr, "mmapbench report: %v\n", err)
		return exitUsage
	} else {
		in.Files.Count = ""
		fprintf(stderr, "mmapbench report: no %s: the counter runs are left out (mmapbench report -measure writes it)\n", files.Count)
	}
	rel, err := filepath.Rel(filepath.Dir(*out), *plots)
	if err != nil {
		rel = *plots
	}
	var figures []string
	for _, f := range plot.Figures() {
		figures = append(figures, f.Name)
	}
	for _, name := range append(figures, mdreport.MapFigureNames(in.Map)...) {
		if exists(filepath.Join(*plots, name+".png")) && exists(filepath.Join(*plots, name+".svg")) {
			in.Figures[name] = filepath.ToSlash(filepath.Join(rel, name))
		}
	}
	var buf bytes.Buffer
	if err := mdreport.Write(&buf, in); err != nil {
		fprintf(stderr, "mmapbench report: %v\n", err)
		return exitUsage
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		fprintf(stderr, "mmapbench report: %v\n", err)
		return exitFail
	}
	if *verdicts != "" {
		v, err := mdreport.VerdictsOf(in)
		if err != nil {
			fprintf(stderr, "mmapbench report: %v\n", err)
			return exitUsage
		}
		var vb bytes.Buffer
		if err := mdreport.WriteVerdicts(&vb, v); err != nil {
			fprintf(stderr, "mmapbench report: %v\n", err)
			return exitFail
		}
		if err := writeFileAtomic(*verdicts, vb.Bytes()); err != nil {
			fprintf(stderr, "mmapbench report: %v\n", err)
			return exitFail
		}
	}
	fprintf(stdout, "%s\n", *out)
	return exitOK
}

// measureEvidence runs the durability and counter checks of mmapbench ipc
// in child processes (this binary) and records their standard output: the
// report stays a function of files, and the files keep the evidence beside
// the results it explains.
func measureEvidence(files mdreport.Files, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fprintf(stderr, "mmapbench report: %v\n", err)
		return exitFail
	}
	runs := []struct {
		path string
		args [][]string
	}{
		{files.Durable, [][]string{{"ipc", "-mode", "durable"}}},
		{files.Count, [][]string{
			{"ipc", "-mode", "count", "-counter", "naive", "-increments", "1000000"},
			{"ipc", "-mode", "count", "-counter", "atomic", "-increments", "1000000"},
			{"ipc", "-mode", "count", "-counter", "flock", "-increments", "100000"},
		}},
	}
	for _, r := range runs {
		var out bytes.Buffer
		for _, a := range r.args {
			fprintf(stderr, "mmapbench report: mmapbench %s\n", strings.Join(a, " "))
			cmd := exec.Command(exe, a...)
			cmd.Stdout, cmd.Stderr = &out, stderr
			if err := cmd.Run(); err != nil {
				// A failed check still prints what it saw; the report shows it.
				fprintf(stderr, "mmapbench report: mmapbench %s: %v\n", strings.Join(a, " "), err)
			}
		}
		if err := writeFileAtomic(r.path, out.Bytes()); err != nil {
			fprintf(stderr, "mmapbench report: %v\n", err)
			return exitFail
		}
	}
	return -1
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func exists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Size() > 0
}

func unwrapPath(err error) error {
	var pe *iofs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func shortHostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}
