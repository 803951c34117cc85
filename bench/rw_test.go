//go:build linux

package bench

import (
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// BenchmarkRead reads every backend's view of the same file. access=copy
// reads with ReadAt into a reused buffer; access=view reads the mapping in
// place. Both consume every byte with Consume, so the difference between
// them is the copy and nothing else.
func BenchmarkRead(b *testing.B) {
	runCases(b, currentProfile(b).readCases(), OpRead)
}

// BenchmarkWrite writes blocks of the pattern the file already holds:
// WriteAt from a buffer (copy) or a copy into the mapping (view).
func BenchmarkWrite(b *testing.B) {
	runCases(b, currentProfile(b).writeCases(false), OpWrite)
}

// BenchmarkWriteSync is BenchmarkWrite with a Sync (msync or fdatasync)
// after every sync=N writes: the cost of durability, not of visibility.
func BenchmarkWriteSync(b *testing.B) {
	runCases(b, currentProfile(b).writeCases(true), OpWrite)
}

// runCase runs one case of the matrix: the harness's loop, with the
// gate's test-only knob (opHook, nil when unset) after every op.
func runCase(b *testing.B, c schema.Case, o Op) {
	if c.Threads > 1 {
		harness.RunParallel(b, b.N, c, o)
		return
	}
	harness.Run(b, c, o, Options{AfterOp: opHook(b, c)})
}
