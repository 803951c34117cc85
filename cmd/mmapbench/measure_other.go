//go:build !linux

package main

import (
	"io"
	"runtime"
)

// The commands that measure (ipc, monitor, changer, oom) need Linux: its
// page cache, futexes, memfd, cachestat and memory cgroups. Elsewhere they
// say so and exit 2, before any work; the commands that read results made
// on Linux (plot, report, cv, regress, verdicts) work everywhere.

func linuxOnly(name string, stderr io.Writer) int {
	fprintf(stderr, "mmapbench %s: measures on Linux only, not on %s: run it there and read its results here with mmapbench report or plot\n", name, runtime.GOOS)
	return exitUsage
}

func runIPC(_ []string, _, stderr io.Writer) int     { return linuxOnly("ipc", stderr) }
func runMonitor(_ []string, _, stderr io.Writer) int { return linuxOnly("monitor", stderr) }
func runChanger(_ []string, _, stderr io.Writer) int { return linuxOnly("changer", stderr) }
func runOOM(_ []string, _, stderr io.Writer) int     { return linuxOnly("oom", stderr) }
