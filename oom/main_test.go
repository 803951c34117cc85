package oom

import (
	"os"
	"testing"
)

// Measure re-executes this test binary as its reading child (childEnv set):
// TestMain hands such a process to RunChildIfRequested before any test runs.
func TestMain(m *testing.M) {
	RunChildIfRequested()
	os.Exit(m.Run())
}
