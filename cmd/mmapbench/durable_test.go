//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	mdreport "github.com/mmapbench/mmapbench/report"
)

// TestDurableRoundTrip runs ipc -mode durable and reads its stdout with the
// report's parser: what the command writes is what the report reads,
// benchmark results only, with the words on stderr.
func TestDurableRoundTrip(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCapture("ipc", "-mode", "durable", "-dir", dir)
	if code != exitOK {
		t.Fatalf("ipc -mode durable = %d\n%s%s", code, stdout, stderr)
	}
	checkBenchmarkLines(t, stdout, "BenchmarkDurable/backend=mmap/")
	if !strings.Contains(stderr, "visibility:") || !strings.Contains(stderr, "durability") {
		t.Errorf("stderr has no summary of both halves:\n%s", stderr)
	}
	path := filepath.Join(t.TempDir(), "durable.txt")
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := mdreport.ParseDurable(path)
	if err != nil {
		t.Fatalf("ParseDurable(ipc -mode durable's stdout): %v\n%s", err, stdout)
	}
	if len(d.Runs) != 2 || d.Runs[0].Sync != "fdatasync" || d.Runs[1].Sync != "msync" {
		t.Fatalf("runs %+v; want fdatasync, then msync", d.Runs)
	}
	for _, r := range d.Runs {
		if !r.VisibleOK() {
			t.Errorf("%s run: monitor missed the store %v, fresh reader %v; want both to read it", r.Sync, r.MonitorMissed, r.FreshMissed)
		}
		if r.Unmeasured != "" {
			t.Logf("%s run: durability not measured here: %s", r.Sync, r.Unmeasured)
			continue
		}
		if s := r.Checks["after-sync"]; s.Dirty != 0 {
			t.Errorf("%s run: %d dirty pages after the sync, want 0", r.Sync, s.Dirty)
		}
	}
}
