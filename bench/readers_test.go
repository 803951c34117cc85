//go:build linux

package bench

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// BenchmarkReaders runs K reader goroutines on ONE store: one mapping (mmap,
// reading it in place) or one descriptor (pread, copying into a buffer per
// reader), shared by all of them, as a server's worker goroutines would share
// a file. One op is one pass: the K readers together read every 4KiB block of
// the file exactly once, each reader its own share (a contiguous run of the
// fixed pseudo-random permutation of the blocks that BenchmarkRead's
// pattern=rand uses; the readers are BenchmarkRead's workers), consuming
// every byte with Consume. So MB/s is the readers' aggregate throughput,
// B/s/reader the same divided by K (each reader's share over the pass's wall
// time), and the counters are per pass.
//
// cache=warm: every page resident (mincore) and, for the mapping, its page
// tables filled, so a pass takes no fault. cache=cold: the file is evicted
// and checked with mincore (Harness.MakeCold) before every pass, with the timer
// stopped; within a pass no block is read twice, so every block comes from
// the disk unless read-ahead or read-around brought it in earlier in the
// same pass. advice=rand (madvise or fadvise) turns both off, so that each
// cold 4KiB read is one 4KiB read from the disk for both backends, and they
// differ only in how they wait: a goroutine in a page fault keeps its P (at
// most GOMAXPROCS faults in flight), one in pread hands it on.
//
// Sizes differ by cache state. A cold pass costs a disk round trip per
// block, so the quick profile's cold file is small (2MiB, 512 blocks); a
// warm pass of so small a file lasts about 0.1ms, where waking the readers
// on an idle vCPU would weigh, so the warm file is the matrix's 16MiB. The
// full profile adds a warm 1GiB and a cold 64MiB file, advice=none
// (read-ahead, and read-around for the mapping) and 16 readers. -sizes
// replaces both lists (powers of two).
//
// tlb-shootdowns/pass is the machine-wide TLB shootdown count over the timed
// passes (/proc/interrupts, read with the timer stopped, so the eviction's
// own flushes are left out); other processes on the machine add to it.
func BenchmarkReaders(b *testing.B) {
	cases, err := currentProfile(b).readersCases()
	if err != nil {
		b.Fatal(err)
	}
	for i, c := range cases {
		if *progress {
			fmt.Fprintf(os.Stderr, "bench: %s [%d/%d] %s\n", b.Name(), i+1, len(cases), c.Name())
		}
		b.Run(c.Name(), func(b *testing.B) { harness.RunReaders(b, c) })
	}
}

// TestReadersCaseNames: in both profiles, every case of BenchmarkReaders
// parses with benchfmt into the keys in order, names are unique, and warm
// cases come before cold ones (a cold case evicts the shared file).
func TestReadersCaseNames(t *testing.T) {
	keys := []string{"backend", "access", "pattern", "bs", "cache", "size", "advice", "readers"}
	for _, prof := range []string{"quick", "full"} {
		old := *profileFlag
		*profileFlag = prof
		cases, err := currentProfile(t).readersCases()
		*profileFlag = old
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		cold := false
		for _, c := range cases {
			full := "BenchmarkReaders/" + c.Name() + "-2"
			if seen[full] {
				t.Errorf("profile %s: duplicate case %s", prof, full)
			}
			seen[full] = true
			if cold && c.Cache == schema.Warm {
				t.Errorf("profile %s: warm case %s after a cold one", prof, full)
			}
			cold = cold || c.Cache == schema.Cold
			_, parts := benchfmt.Name(full).Parts()
			if len(parts) != len(keys)+1 {
				t.Fatalf("Parts(%q) = %q, want %d keys and -2", full, parts, len(keys))
			}
			for i, k := range keys {
				if !strings.HasPrefix(string(parts[i]), "/"+k+"=") {
					t.Errorf("Parts(%q)[%d] = %q, want /%s=...", full, i, parts[i], k)
				}
			}
		}
		if len(cases) == 0 || !cold {
			t.Errorf("profile %s: %d cases, cold ones: %v", prof, len(cases), cold)
		}
	}
}

// TestReadersShareEveryBlock: in one pass of a readerPool, the readers'
// shares are disjoint, as even as they can be, and cover every block of
// the store, so that every byte is consumed exactly once per pass. The
// stores hold a different pattern in every block, so a pass that read one
// block twice and skipped another would have the wrong checksum.
func TestReadersShareEveryBlock(t *testing.T) {
	const bs = 4 << 10
	for _, size := range []int64{bs, 8 * bs, 1 << 20} {
		blocks := uint64(size / bs)
		path := harness.newFile(t, "readers", size)
		for _, ba := range []struct {
			backend string
			access  schema.Access
		}{{"mmap", schema.View}, {"pread", schema.Copy}, {"null", schema.View}, {"null", schema.Copy}} {
			be := mustBackend(t, ba.backend)
			var s impl.Store
			var err error
			if be.Has(impl.CapPersistent) {
				s, err = be.Open(path, impl.Options{})
			} else {
				s, err = be.Open("", impl.Options{Size: size})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			want := writeDistinctBlocks(t, s, bs)
			var view impl.Viewer
			if ba.access == schema.View {
				view = s.(impl.Viewer)
			}
			for _, k := range []int{1, 2, 3, 4, 8, 16} {
				c := schema.Case{Backend: be.Name, Access: ba.access, Pattern: schema.Rand, BS: bs, Cache: schema.Warm, Size: size, Threads: k, Shared: true}
				name := c.Name()
				pool := newReaderPool(s, view, c)
				seen := make([]int, blocks)
				var total uint64
				for r, w := range pool.workers {
					share := pool.shares[r]
					if lo, hi := blocks/uint64(k), (blocks+uint64(k)-1)/uint64(k); share < lo || share > hi {
						t.Errorf("%s: reader %d has %d blocks, want %d to %d", name, r, share, lo, hi)
					}
					total += share
					replay := *w
					for replay.i = 0; replay.i < share; replay.i++ {
						seen[replay.block()]++
					}
				}
				if total != blocks {
					t.Errorf("%s: shares add up to %d blocks, want %d", name, total, blocks)
				}
				for blk, n := range seen {
					if n != 1 {
						t.Errorf("%s: block %d is in %d shares, want 1", name, blk, n)
					}
				}
				for pass := 1; pass <= 2; pass++ {
					if err := pool.pass(); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if got := pool.sum(); got != uint64(pass)*want {
						t.Errorf("%s: checksum after %d passes = %#x, want %d × %#x", name, pass, got, pass, want)
					}
				}
				pool.close()
			}
		}
	}
}

// writeDistinctBlocks writes the fill pattern over s with each block's index
// in its first eight bytes, and returns the sum of Consume over the blocks.
func writeDistinctBlocks(t *testing.T, s impl.Store, bs int) uint64 {
	t.Helper()
	blk := make([]byte, bs)
	var sum uint64
	for i := int64(0); i*int64(bs) < s.Size(); i++ {
		fillPattern(blk)
		binary.LittleEndian.PutUint64(blk, uint64(i)+1)
		if _, err := s.WriteAt(blk, i*int64(bs)); err != nil {
			t.Fatal(err)
		}
		sum += Consume(blk)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestReadersPasses runs BenchmarkReaders's cases for real, small, and
// checks what their lines claim. cold: every timed pass reads the whole
// file from the disk (the process's storage read_bytes grow by the file's
// size for each extra pass; the mapping takes a major fault per block),
// which only holds if the eviction between passes worked and the readers
// did not overlap. warm: no pass reads the disk or faults. Both: the
// checksum of the timed passes is the file's checksum times the passes,
// and pread's rchar is exactly the file per pass.
func TestReadersPasses(t *testing.T) {
	const size, bs = 1 << 20, 4 << 10
	const blocks = size / bs
	data, err := os.ReadFile(harness.SharedFile(t, size))
	if err != nil {
		t.Fatal(err)
	}
	var fileSum uint64
	for off := 0; off < size; off += bs {
		fileSum += Consume(data[off : off+bs])
	}
	for _, cache := range []schema.Cache{schema.Warm, schema.Cold} {
		for _, ba := range []struct {
			backend string
			access  schema.Access
		}{{"mmap", schema.View}, {"pread", schema.Copy}} {
			c := schema.Case{Backend: ba.backend, Access: ba.access, Pattern: schema.Rand, BS: bs, Cache: cache, Size: size, Advice: schema.AdviceRand, Threads: 4, Shared: true}
			t.Run(c.Name(), func(t *testing.T) {
				if cache == schema.Cold {
					skipUnlessEvictable(t)
				}
				var diskBytes [2]int64
				var res [2]testing.BenchmarkResult
				for i, n := range []int{1, 3} {
					before := storageReadBytes(t)
					sink := readersSink
					res[i] = readersOnce(t, c, n)
					diskBytes[i] = storageReadBytes(t) - before
					if got := readersSink - sink; got != uint64(n)*fileSum {
						t.Errorf("%d passes: checksum %#x, want %d × %#x: not every byte was consumed once per pass", n, got, n, fileSum)
					}
				}
				perPass := float64(diskBytes[1]-diskBytes[0]) / 2
				r := res[1]
				if cache == schema.Cold {
					if perPass < 0.9*size {
						t.Errorf("read %.0f bytes from storage per extra pass, want the file's %d: passes after the first were not cold", perPass, size)
					}
					if ba.backend == "mmap" && r.Extra[UnitMajorFaults] < 0.9*blocks {
						t.Errorf("%s = %v, want about %d (one per block)", UnitMajorFaults, r.Extra[UnitMajorFaults], blocks)
					}
				} else {
					if perPass > 0.01*size || r.Extra[UnitMajorFaults] != 0 {
						t.Errorf("warm: read %.0f bytes from storage per extra pass and %s = %v, want none", perPass, UnitMajorFaults, r.Extra[UnitMajorFaults])
					}
					if ba.backend == "mmap" && r.Extra[UnitMinorFaults] > 0.05*blocks {
						t.Errorf("warm: %s = %v, want about 0 (page tables filled)", UnitMinorFaults, r.Extra[UnitMinorFaults])
					}
				}
				if ba.backend == "pread" {
					if got := r.Extra[UnitReadBytes]; math.Abs(got-size) > 0.001*size {
						t.Errorf("%s = %v, want %d", UnitReadBytes, got, size)
					}
				}
				if got, want := r.Extra[UnitBytesPerSecPerReader], float64(r.Bytes)*float64(r.N)/r.T.Seconds()/4; math.Abs(got-want) > 1e-6*want {
					t.Errorf("%s = %v, want MB/s over the 4 readers, %v", UnitBytesPerSecPerReader, got, want)
				}
			})
		}
	}
}

// readersOnce runs RunReaders for c with n timed passes.
func readersOnce(t *testing.T, c schema.Case, n int) testing.BenchmarkResult {
	t.Helper()
	r := benchN(t, n, func(b *testing.B) { harness.RunReaders(b, c) })
	if r.N != n {
		t.Fatalf("benchmark %s was skipped or ran %d passes, not %d", c.Name(), r.N, n)
	}
	return r
}

// storageReadBytes is the process's read_bytes from /proc/self/io: bytes it
// caused to be read from storage, page faults included.
func storageReadBytes(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "read_bytes:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("/proc/self/io has no read_bytes:\n%s", data)
	return 0
}
