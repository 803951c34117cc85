package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/mmapbench/mmapbench/plot"
	mdreport "github.com/mmapbench/mmapbench/report"
	"github.com/mmapbench/mmapbench/schema"
)

// runPlot renders the report's figures from results files.
func runPlot(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("plot", "[-o DIR] [-format svg,png] FILE...", stderr)
	out := fs.String("o", "results/plots", "write the figures into `directory` (created if missing)")
	formats := fs.String("format", "svg,png", "comma-separated image `formats`: svg, png, pdf")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() == 0 {
		fprintf(stderr, "mmapbench plot: no result files: want the file benchmarks' results and the IPC results, e.g. results/<date>-<host>.txt results/<date>-<host>-ipc.txt\n")
		return exitUsage
	}
	var fmts []string
	for _, f := range strings.Split(*formats, ",") {
		switch f = strings.TrimSpace(f); f {
		case "svg", "png", "pdf":
			fmts = append(fmts, f)
		default:
			fprintf(stderr, "mmapbench plot: -format %q: want svg, png or pdf\n", f)
			return exitUsage
		}
	}
	// A decision map's results (make bench-map's <stem>-map.txt) load
	// apart: some of its rows share a name with rows of the main run, and
	// another run's samples must not pool with them.
	var mainFiles, mapFiles []string
	for _, a := range fs.Args() {
		switch {
		case strings.HasSuffix(a, "-map.txt"):
			mapFiles = append(mapFiles, a)
		case isLuceneFile(a):
			// The Lucene comparison is tables only (mmapbench report reads
			// the file beside the results); pooled here, its rows would
			// join the main run's figures.
			fprintf(stderr, "mmapbench plot: %s: the Lucene comparison has no figure; mmapbench report reads it\n", a)
		default:
			mainFiles = append(mainFiles, a)
		}
	}
	rs, code := loadResults("plot", mainFiles, stderr)
	if code >= 0 {
		return code
	}
	var mapRS *schema.Results
	if len(mapFiles) > 0 {
		if mapRS, code = loadResults("plot", mapFiles, stderr); code >= 0 {
			return code
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fprintf(stderr, "mmapbench plot: %v\n", err)
		return exitFail
	}
	rendered, err := plot.Render(rs, *out, fmts)
	if err != nil {
		fprintf(stderr, "mmapbench plot: %v\n", err)
		return exitFail
	}
	// The decision map's cells are the report's rule (report.Heatmaps), so
	// its figures are drawn from what the report computes.
	maps, err := plot.RenderMaps(mdreport.Heatmaps(mapRS), *out, fmts)
	if err != nil {
		fprintf(stderr, "mmapbench plot: %v\n", err)
		return exitFail
	}
	rendered = append(rendered, maps...)
	n := 0
	for _, r := range rendered {
		if r.Err != nil {
			fprintf(stderr, "mmapbench plot: skipped %s: %v\n", r.Figure.Name, r.Err)
			continue
		}
		n++
		fprintf(stdout, "%s\n", strings.Join(r.Files, "\n"))
	}
	if n == 0 {
		fprintf(stderr, "mmapbench plot: nothing to plot: %s hold no BenchmarkRead, OpenRead, Fault or IPC results, and no decision map (a -map.txt file with partial-cache rows)\n", strings.Join(fs.Args(), ", "))
		return exitUsage
	}
	return exitOK
}

// isLuceneFile reports whether path is one of make bench-lucene's
// results files (<stem>-lucene-<device>.txt).
func isLuceneFile(path string) bool {
	for _, dev := range mdreport.LuceneDevices {
		if strings.HasSuffix(path, "-lucene-"+dev+".txt") {
			return true
		}
	}
	return false
}

// loadResults reads results files for command name (schema.Load: a file
// that cannot be read or a malformed line is an error naming the file and
// the line); on failure it reports it and returns the exit code, else -1.
func loadResults(name string, paths []string, stderr io.Writer) (*schema.Results, int) {
	rs, err := schema.Load(paths...)
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe):
		fprintf(stderr, "mmapbench %s: cannot read results file %s: %v\n", name, pe.Path, pe.Err)
		return nil, exitUsage
	case err != nil:
		fprintf(stderr, "mmapbench %s: %v\n", name, err)
		return nil, exitUsage
	}
	return rs, -1
}
