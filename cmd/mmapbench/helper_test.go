package main

import (
	"os"
	"os/exec"
	"testing"
)

// mainEnv makes the test binary behave as mmapbench itself, so that tests
// can run subcommands as real processes (the os/exec helper-process
// pattern): TestMain runs the command line and exits instead of the tests.
const mainEnv = "MMAPBENCH_TEST_MAIN"

// noChildEnv, set, makes TestMain skip runChildIfRequested, as a program
// that imports ipc and oom without calling it would:
// TestImportHasNoSideEffect checks that such a process stays itself.
const noChildEnv = "MMAPBENCH_TEST_NO_CHILD"

func TestMain(m *testing.M) {
	// First, as in main: the ipc and oom measurements that tests run
	// re-execute this binary as their children.
	if os.Getenv(noChildEnv) == "" {
		runChildIfRequested()
	}
	if os.Getenv(mainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// mmapbenchCmd returns a command that runs "mmapbench args..." in a
// separate process: this test binary, dispatched by TestMain.
func mmapbenchCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "GORACE=atexit_sleep_ms=0")
	return cmd
}
