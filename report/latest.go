package report

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Files are the inputs of a report, found beside each other.
type Files struct {
	Bench   string // results of the file benchmarks: <date>-<host>.txt
	IPC     string // <date>-<host>-ipc.txt
	Durable string // <date>-<host>-durable.txt: output of mmapbench ipc -mode durable
	Count   string // <date>-<host>-count.txt: output of mmapbench ipc -mode count
	// Optional: each is left out of the report when its file is missing.
	IPCWriteback  string // <date>-<host>-ipc-writeback.txt: mmapbench ipc -writeback (make bench); claim 5's writeback half
	Sched         string // <date>-<host>-sched.txt: BenchmarkBystander at -cpu 1,2 (make bench)
	OOM           string // <date>-<host>-oom.txt: summary of mmapbench oom (make oom)
	OOMSeries     string // <date>-<host>-oom.csv: its time series
	OOMZram       string // <date>-<host>-oom-zram.txt: mmapbench oom on a RAM-backed block device (make oom-zram)
	OOMZramSeries string // <date>-<host>-oom-zram.csv: its time series
	// Map is <date>-<host>-map.txt, the decision map's grid (make
	// bench-map). Siblings leaves it empty; mmapbench report sets it
	// when the file is there (MapSibling).
	Map string
}

// MapSibling is the decision map's results file beside bench.
func MapSibling(bench string) string { return strings.TrimSuffix(bench, ".txt") + "-map.txt" }

// Siblings returns the files that belong with the results file bench.
func Siblings(bench string) Files {
	stem := strings.TrimSuffix(bench, ".txt")
	return Files{Bench: bench, IPC: stem + "-ipc.txt", Durable: stem + "-durable.txt", Count: stem + "-count.txt",
		IPCWriteback: stem + "-ipc-writeback.txt", Sched: stem + "-sched.txt", OOM: stem + "-oom.txt", OOMSeries: stem + "-oom.csv",
		OOMZram: stem + "-oom-zram.txt", OOMZramSeries: stem + "-oom-zram.csv"}
}

var dated = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}-(.+)\.txt$`)

// Latest returns the newest results file of make bench for host in dir:
// <date>-<host>.txt with the latest date (the -ipc, -full, -durable and
// -count files and the noise runs are not candidates), the newest
// modification time on a tie.
func Latest(dir, host string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	type cand struct {
		name  string
		mtime int64
	}
	var cs []cand
	for _, e := range entries {
		m := dated.FindStringSubmatch(e.Name())
		if m == nil || m[1] != host || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		cs = append(cs, cand{e.Name(), info.ModTime().UnixNano()})
	}
	if len(cs) == 0 {
		return "", fmt.Errorf("no results of make bench for host %q in %s (want %s/<YYYY-MM-DD>-%s.txt): run make bench, or name the file", host, dir, dir, host)
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if c := strings.Compare(a.name[:10], b.name[:10]); c != 0 {
			return c
		}
		return cmp.Compare(a.mtime, b.mtime)
	})
	return filepath.Join(dir, cs[len(cs)-1].name), nil
}
