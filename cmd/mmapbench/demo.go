//go:build linux

package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mmapbench/mmapbench/bench"
	"github.com/mmapbench/mmapbench/ipc"
)

// The seed article's demo, ported and fixed: a monitor prints the shared
// {pid, counter} record whenever it changes; each changer sets the pid and
// increments the counter.

// demoBackends are the backends the demo can use: the record is a file.
const demoBackends = "mmap, mmapgo, pread or osfile"

func runMonitor(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("monitor", "[-file F] [-interval 1s] [-backend B] [-create]", stderr)
	file := flags.String("file", "", "record `file` to watch; by default a new one in a private directory, whose path is printed")
	interval := flags.Duration("interval", time.Second, "how often to compare the record with the last copy (`duration`)")
	backend := flags.String("backend", "mmap", "how to read the record: "+demoBackends)
	create := flags.Bool("create", false, "create -file if it does not exist")
	if code := parseFlagsOnly(flags, args, stderr); code >= 0 {
		return code
	}
	if *interval <= 0 {
		fprintf(stderr, "mmapbench monitor: -interval %v: want a positive duration\n", *interval)
		return exitUsage
	}
	if code := checkDemoBackend("monitor", *backend, stderr); code >= 0 {
		return code
	}
	path := *file
	if path == "" {
		// Not the article's fixed "shared" in the working directory, 0644:
		// a private directory (0700) and a file only its owner can open.
		// Locked while the monitor lives: a later run removes it if this
		// one is killed with SIGKILL (the deferred removal cannot run).
		parent := defaultDir()
		if err := bench.CheckDir(parent); err != nil {
			fprintf(stderr, "mmapbench monitor: $MMAPBENCH_DIR or the temp dir: %v\n", err)
			return exitUsage
		}
		pd, err := bench.MakePrivateDir(parent, "mmapbench-demo-", stderr)
		if err != nil {
			fprintf(stderr, "mmapbench monitor: %v\n", err)
			return exitUsage
		}
		defer pd.Remove()
		path = filepath.Join(pd.Path, "record")
		*create = true
	}
	if *create {
		if code := createDemoRecord("monitor", path, stderr); code >= 0 {
			return code
		}
	}
	r, code := openDemoRecord("monitor", *backend, path, stderr)
	if r == nil {
		return code
	}
	defer r.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The article's local copy was uninitialised, so its first comparison
	// printed garbage or nothing; start from the record's real content.
	pid, count, err := r.Snapshot()
	if err != nil {
		fprintf(stderr, "mmapbench monitor: %v\n", err)
		return exitFail
	}
	fprintf(stderr, "monitor: watching %s every %v (backend %s); now pid = %d, count = %d\n", path, *interval, *backend, pid, count)
	fprintf(stderr, "monitor: run changers with: mmapbench changer -file %s\n", path)
	t := time.NewTicker(*interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case <-t.C:
		}
		p, c, err := r.Snapshot()
		if err != nil {
			fprintf(stderr, "mmapbench monitor: %v\n", err)
			return exitFail
		}
		if p != pid || c != count {
			pid, count = p, c
			fprintf(stdout, "pid = %d, count = %d\n", pid, count)
		}
	}
}

func runChanger(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("changer", "-file F [-backend B] [-naive] [-create]", stderr)
	file := flags.String("file", "", "record `file` to change: the path the monitor printed")
	backend := flags.String("backend", "mmap", "how to write the record: "+demoBackends)
	naive := flags.Bool("naive", false, "increment as the article does, load then store, so that concurrent changers can lose updates")
	create := flags.Bool("create", false, "create -file if it does not exist")
	if code := parseFlagsOnly(flags, args, stderr); code >= 0 {
		return code
	}
	if *file == "" {
		fprintf(stderr, "mmapbench changer: -file is required: pass the path the monitor printed\n")
		return exitUsage
	}
	if code := checkDemoBackend("changer", *backend, stderr); code >= 0 {
		return code
	}
	if *create {
		if code := createDemoRecord("changer", *file, stderr); code >= 0 {
			return code
		}
	}
	r, code := openDemoRecord("changer", *backend, *file, stderr)
	if r == nil {
		return code
	}
	defer r.Close()
	err := r.SetPID(uint64(os.Getpid()))
	if err == nil {
		switch {
		case *naive:
			_, err = r.IncrementNaive()
		case r.Mapped():
			_, err = r.Increment()
		default:
			_, err = r.IncrementLocked()
		}
	}
	if err != nil {
		fprintf(stderr, "mmapbench changer: %v\n", err)
		return exitFail
	}
	return exitOK
}

func checkDemoBackend(cmd, name string, stderr io.Writer) int {
	b, err := ipc.LookupBackend(name)
	if err != nil || !b.File {
		fprintf(stderr, "mmapbench %s: -backend %q: want %s\n", cmd, name, demoBackends)
		return exitUsage
	}
	return -1
}

// createDemoRecord makes the record file unless it exists, and returns
// the exit code to stop with, or -1 to go on. Nothing has run yet: a file
// that cannot be made is bad input (exit 2).
func createDemoRecord(cmd, path string, stderr io.Writer) int {
	if err := ipc.CreateFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		fprintf(stderr, "mmapbench %s: -file %s: cannot create it: %v\n", cmd, path, err)
		return exitUsage
	}
	return -1
}

// openDemoRecord opens the record, or explains why not and returns the
// exit code: 2 whatever the reason, since nothing has run yet (a missing
// file, a directory, a file that is not a record, one that cannot be
// opened).
func openDemoRecord(cmd, backend, path string, stderr io.Writer) (*ipc.Region, int) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		fprintf(stderr, "mmapbench %s: -file %s is a directory: want the record file the monitor printed\n", cmd, path)
		return nil, exitUsage
	}
	r, err := ipc.OpenFile(backend, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fprintf(stderr, "mmapbench %s: -file %s does not exist: start the monitor first (it prints the path of its record), or pass -create\n", cmd, path)
		return nil, exitUsage
	case errors.Is(err, ipc.ErrNotRecord):
		fprintf(stderr, "mmapbench %s: -file %s: %v\n", cmd, path, err)
		return nil, exitUsage
	case err != nil:
		fprintf(stderr, "mmapbench %s: -file %s: %v\n", cmd, path, err)
		return nil, exitUsage
	}
	return r, exitOK
}
