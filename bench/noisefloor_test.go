package bench

import "testing"

var noiseSink uint64

// BenchmarkNoiseFloor is the noise check's control, as fio's null engine is
// an I/O control: a chain of dependent multiply-adds in registers, with no
// memory traffic, no system call and nothing of the harness. Its spread
// over -count is the machine's own (the host scheduling the vCPU, clock
// changes), and no benchmark of the suite can be steadier than that.
// make noise runs it; mmapbench cv prints its coefficient of variation
// under the table.
func BenchmarkNoiseFloor(b *testing.B) {
	x := uint64(1)
	for b.Loop() {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407 // an LCG step: each depends on the last
		}
	}
	noiseSink = x
}
