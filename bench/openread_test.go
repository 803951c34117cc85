//go:build linux

package bench

import (
	"fmt"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// BenchmarkOpenRead times the whole one-shot life of a file read: open, map,
// consume every byte, unmap, close (mmap, mmapgo, reading the mapping in
// place through impl.View) against open, read every byte into a reused
// buffer, close (pread, osfile, in chunks of up to openReadChunk). Every
// iteration is a fresh Open of the same warm file, so the mapped rows pay
// the mmap call, the page-table fill (minflt/op: one fault per fault-around
// window, 64KiB by default), munmap and its TLB flush; the descriptor rows
// pay the copy. The size where the mapped rows become faster is the size
// from which mapping a file to read it once pays off.
//
// Every store is opened read-only (O_RDONLY; PROT_READ for the mappings).
// The allocations reported are impl.Open's (its Store value and label, and
// os.File for mmapgo and osfile); the loop itself allocates nothing.
//
// The quick profile runs mmap and pread, the pair the crossover is about;
// the full profile adds mmapgo and osfile.
func BenchmarkOpenRead(b *testing.B) {
	backends, sizes := []string{"mmap", "pread"}, openReadQuickSizes
	if *profileFlag == "full" {
		backends, sizes = []string{"mmap", "mmapgo", "pread", "osfile"}, openReadSizes
	}
	for _, backend := range backends {
		for _, size := range sizes {
			b.Run(fmt.Sprintf("backend=%s/size=%s", backend, schema.FormatSize(size)), func(sub *testing.B) {
				RunOpenRead(sub, backend, harness.SharedFile(sub, size), size)
			})
		}
	}
}
