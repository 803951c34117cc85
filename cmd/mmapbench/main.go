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
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes, as Go tools and benchstat use them.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed
	exitUsage = 2 // bad flags or arguments
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
		printUsage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(rest, stdout, stderr)
		}
	}
	fprintf(stderr, "mmapbench: unknown command %q: want one of %s\nRun 'mmapbench help' for usage.\n", name, commandNames())
	return exitUsage
}
