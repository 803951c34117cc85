package testproc

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// ExitCode is the exit status a shell would report for err, the result of
// waiting for a command: 0 for nil, the code for an exit, 128 + the signal
// for a death by signal. Any other error (the command did not start)
// fails the test.
func ExitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	t.Fatalf("running %v", err)
	return -1
}

// RunStderr runs cmd to its end and returns its exit status (ExitCode)
// and what it wrote to stderr.
func RunStderr(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	return ExitCode(t, cmd.Run()), stderr.String()
}
