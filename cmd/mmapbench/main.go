// Command mmapbench measures what mmap buys over read/write system calls.
//
// Usage:
//
//	mmapbench <command> [flags]
//
// Run "mmapbench help" for the commands, and "mmapbench <command> -h" for
// each command's flags. The file I/O benchmarks themselves run under
// "go test -bench" in package bench; see the README.
package main

import (
	"io"
	"os"

	"github.com/mmapbench/mmapbench/ipc"
	"github.com/mmapbench/mmapbench/oom"
)

func main() {
	runChildIfRequested()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// runChildIfRequested turns this process into a child of an ipc or oom
// measurement when the driver re-executed mmapbench as one (the package's
// environment variable is set), and exits when the child is done; otherwise
// it returns. Both packages leave that to their caller, so that importing
// them does nothing.
func runChildIfRequested() {
	ipc.RunChildIfRequested()
	oom.RunChildIfRequested()
}

// Exit codes, one contract for every command, the bench binary, the
// scripts and the make targets (README, "Two commands"):
const (
	exitOK    = 0
	exitFail  = 1 // the measurement or comparison ran and found a failure or regression
	exitUsage = 2 // the input or environment is unusable (bad flag value, missing or unwritable directory, wrong file), decided before any work
)

// run is the whole program, minus the process: tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			printUsage(stdout)
			return exitOK
		}
		// "mmapbench help ipc" is "mmapbench ipc -h", on stdout: asked for.
		for _, c := range commands {
			if c.name == rest[0] {
				return c.run([]string{"-h"}, stdout, stdout)
			}
		}
		fprintf(stderr, "mmapbench help: unknown command %q: want one of %s\n", rest[0], commandNames())
		return exitUsage
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(rest, stdout, stderr)
		}
	}
	fprintf(stderr, "mmapbench: unknown command %q: want one of %s\nRun 'mmapbench help' for usage.\n", name, commandNames())
	return exitUsage
}
