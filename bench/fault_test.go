//go:build linux

package bench

import (
	"fmt"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// BenchmarkFault measures the first touch of a fresh mapping over a file
// whose pages are all in the page cache (checked with mincore): per
// iteration, mmap the whole file (raw mmap(2), MAP_SHARED, on a descriptor
// opened once), optionally populate it, touch one byte of every page, munmap.
// nsec/page is the iteration's time divided by the number of pages and
// minflt/page the faults per page.
//
//   - access=read loads one byte per page of a PROT_READ mapping. A read fault
//     maps the neighbouring resident pages too (fault-around), so expect
//     minflt/page near 1/16 with the default 64KiB window.
//   - access=write stores one byte per page of a PROT_READ|PROT_WRITE mapping
//     of an O_RDWR descriptor. Write faults on a shared mapping get no
//     fault-around and call the filesystem's page_mkwrite, so expect 1 fault
//     per page. The pages stay dirty in the page cache; the file is private
//     to the sub-benchmark and removed at its end.
//   - populate=none takes the faults; populate=madvise calls
//     madvise(MADV_POPULATE_READ or _WRITE, by access) right after mmap, which
//     fills the page tables without faults (Linux 5.14+); populate=mappopulate
//     maps with MAP_POPULATE. For a shared writable mapping MAP_POPULATE
//     pre-faults for read only, so write pages still take a write-protect
//     fault each: compare its minflt/page with populate=madvise.
func BenchmarkFault(b *testing.B) {
	for _, access := range []string{"read", "write"} {
		for _, size := range faultSizes {
			for _, populate := range []string{"none", "madvise", "mappopulate"} {
				name := fmt.Sprintf("backend=mmap/access=%s/size=%s/populate=%s", access, schema.FormatSize(size), populate)
				b.Run(name, func(b *testing.B) {
					harness.RunFault(b, access, size, populate)
				})
			}
		}
	}
}
