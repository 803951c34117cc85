package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	fixtureBench = filepath.Join("..", "..", "report", "testdata", "2026-12-01-vm.txt")
	fixtureIPC   = filepath.Join("..", "..", "report", "testdata", "2026-12-01-vm-ipc.txt")
)

func TestPlot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots")
	code, stdout, stderr := runCapture("plot", "-o", dir, "-format", "svg", fixtureBench, fixtureIPC)
	if code != exitOK {
		t.Fatalf("plot = %d, stderr %q", code, stderr)
	}
	files := strings.Fields(stdout)
	if len(files) < 8 {
		t.Fatalf("plot wrote %q; want every figure", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(data), "<svg") {
			t.Errorf("%s: %v; want an SVG", f, err)
		}
	}
}

func TestPlotBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.txt")
	other := writeResults(t, "BenchmarkOther/x=1-2 10 5 ns/op")
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"plot"}, "no result files"},
		{[]string{"plot", "-format", "gif", fixtureBench}, `-format "gif"`},
		{[]string{"plot", "-o", t.TempDir(), missing}, "cannot read results file " + missing},
		{[]string{"plot", "-o", t.TempDir(), other}, "nothing to plot: " + other + " hold no BenchmarkRead"},
	} {
		if code, _, stderr := runCapture(tc.args...); code != exitUsage || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.wantErr)
		}
	}
}
