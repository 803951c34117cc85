package ipc

import (
	"os"
	"testing"
)

// Run re-executes this test binary as its children (ChildEnv set): TestMain
// hands such a process to RunChildIfRequested before any test runs.
func TestMain(m *testing.M) {
	RunChildIfRequested()
	os.Exit(m.Run())
}
