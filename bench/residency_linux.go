package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// Partial residency (cache=part:N): a chosen N% of a file's blocks in the
// page cache, the rest not, set by dropping and reading chosen ranges and
// checked with mincore before every measured stretch. The reads of a
// stretch bring pages in, so the loop re-establishes the state (timer
// stopped) after each one; a residency works from the difference between
// what mincore shows and what is wanted, so that re-establishing after a
// short stretch costs calls on the few ranges the stretch changed, not on
// the whole file.

// residencyTolerance is the share by which a partial state may miss: at
// least 1−residencyTolerance of the pages that should be resident are, at
// most residencyTolerance of the others are. Together these bound the
// fraction resident to the target ± residencyTolerance (issue 14's ±2
// points): with W pages wanted of P, the fraction is off by at most
// (0.02·W)/P below and (0.02·(P−W))/P above, each at most 0.02.
const residencyTolerance = 0.02

// residencyKey is the key of the permutation that picks the resident
// blocks of a uniform pattern. It is not orderSeed: with the rand
// pattern's own order the resident blocks would be the first steps of
// every pass, and a pass would read all its hits and then all its misses.
const residencyKey = 0xD1B54A32D192ED03

// residentSet returns which blocks of c's file are resident in c's cache
// state (all for warm, none for cold): ceil(p·n) of the n = Size/BS blocks
// for p = c.Cache.Resident(). Under a skewed pattern (hot, zipf) they are
// the hottest blocks, the ranks 0 … ceil(p·n)−1 of Draw mapped to blocks
// by DefaultOrder as the worker maps them: what an LRU would hold. Under a
// uniform one (seq, rand) they are a random subset: the blocks whose
// position in the permutation NewOrder(n, residencyKey) is below ceil(p·n).
// The set is computed once, here (n bools), so that asking costs an index.
func residentSet(c schema.Case) func(block uint64) bool {
	if c.BS <= 0 || c.Size < c.BS {
		return func(uint64) bool { return false }
	}
	n := uint64(c.Size / c.BS)
	// Resident is percent/100; the integer form makes the ceiling exact.
	percent := uint64(math.Round(c.Cache.Resident() * 100))
	m := (percent*n + 99) / 100
	order := NewOrder(n, residencyKey)
	if !c.Pattern.Passes() {
		order = DefaultOrder(n) // rank r is block DefaultOrder(n).Block(r)
	}
	set := make([]bool, n)
	for i := range m {
		set[order.Block(i)] = true
	}
	return func(b uint64) bool { return b < n && set[b] }
}

// A residency holds one store's file at a partial cache state. It has its
// own read-only descriptor (for posix_fadvise and for reading blocks in,
// with read-ahead off so that reading a block brings in no neighbour) and
// its own read-only shared mapping of the file, never touched, for mincore:
// mincore of a file mapping reports the page cache, whoever reads the
// file (a page whose read is still in flight counts as not resident, so
// reads in are waited for before mincore is asked again). For a mapped store (a Viewer: among the file backends exactly the
// mapped ones, TestResidencyViewersAreMapped) it also works on the
// store's own mapping: the kernel does not drop a page that a page table
// maps, so a page leaves the store's page tables before the cache, and
// resident pages are also mapped (MADV_POPULATE_READ), as warm ones are,
// so that a hit costs no fault.
type residency struct {
	label string // the store, for messages
	fd    int
	mem   []byte // own mapping, for mincore only
	view  []byte // the store's whole mapping when it is mapped, else nil
	page  int64
	want  []bool // per page of the file: should be resident
	wantN int    // pages wanted
	vec   []byte // mincore's answer, one byte per page, reused
	buf   []byte // page-aligned, for reading pages in, reused
	// mapped: the store's mapping has had every wanted run populated once
	// (later calls populate only runs that were missing pages).
	mapped bool
}

// newResidency prepares to hold s, the store of the file at path, with the
// blocks of bs bytes for which resident returns true in the page cache and
// the others not. Its descriptor and mapping are closed by tb.Cleanup; where
// the file's pages cannot be evicted (tmpfs, ramfs) it skips. bs
// must be a multiple of the page size: blocks that shared a page could
// not be resident and non-resident apart.
func newResidency(tb TB, s impl.Store, path string, bs int64, resident func(block uint64) bool) *residency {
	tb.Helper()
	page := int64(os.Getpagesize())
	if bs <= 0 || bs%page != 0 {
		tb.Fatalf("partial residency of %v: block size %d is not a multiple of the %d-byte page, so blocks would share pages", s, bs, page)
	}
	// On tmpfs or ramfs nothing can be dropped: skip with the reason cold
	// cases give, rather than fail every verify.
	if why := NoEviction(filepath.Dir(path)); why != "" {
		tb.Skip(why)
	}
	size := s.Size()
	r := &residency{label: fmt.Sprint(s), page: page}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		tb.Fatalf("partial residency of %v: open %s: %v", s, path, err)
	}
	r.fd = fd
	tb.Cleanup(func() { unix.Close(fd) })
	// Read-ahead off for this descriptor only (FMODE_RANDOM is per open
	// file; the store's own descriptor keeps its read-ahead): reading a
	// wanted block in must not bring its unwanted neighbours.
	if err := unix.Fadvise(fd, 0, 0, unix.FADV_RANDOM); err != nil {
		tb.Fatalf("partial residency of %v: posix_fadvise(POSIX_FADV_RANDOM): %v", s, err)
	}
	mem, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		tb.Fatalf("partial residency of %v: mmap of %d bytes for mincore: %v", s, size, err)
	}
	r.mem = mem
	tb.Cleanup(func() { unix.Munmap(mem) })
	if v, ok := s.(impl.Viewer); ok {
		if r.view, err = v.View(0, int(size)); err != nil {
			tb.Fatalf("partial residency of %v: %v", s, err)
		}
	}
	pages := int((size + page - 1) / page)
	r.want = make([]bool, pages)
	r.vec = make([]byte, pages)
	perBlock := int(bs / page)
	for b := range uint64(size / bs) {
		if resident(b) {
			first := int(b) * perBlock
			for p := first; p < first+perBlock; p++ {
				r.want[p] = true
			}
			r.wantN += perBlock
		}
	}
	// The tail after the last whole block is never read: not wanted.
	r.buf = impl.AlignedBuffer(int(min(1<<20, size)))
	return r
}

// target is the share of the file's pages that should be resident.
func (r *residency) target() float64 { return float64(r.wantN) / float64(len(r.want)) }

// establish makes exactly the wanted blocks resident (and, for a mapped
// store, mapped) and the others not. A pass reads in what mincore shows
// missing, then drops what should not be there, so that pages the reads
// brought in anyway go too; passes repeat until one finds nothing to do.
//
// A page can only leave the cache with its folio, and the page cache
// holds large folios (on this VM's ext4, dropping every other 4KiB page of
// a 64MiB file just written and read back dropped none; of one read
// sequentially, 1536 of 8192), so a page still resident after it was
// dropped is
// dropped again with the naturally aligned window around it, 16 pages,
// then dropFolioMax, taking wanted neighbours with it; the next pass reads
// those back through the residency's descriptor, whose reads (read-ahead
// off) make single-page folios, which later passes drop exactly. A page
// under I/O cannot be dropped at all: after the widest window, passes
// wait briefly first, as MakeCold does. verify says whether it succeeded.
func (r *residency) establish(tb TB) {
	tb.Helper()
	const passes = 8
	window := 1
	r.snapshot(tb)
	for pass := 1; ; pass++ {
		read := r.bringIn(tb)
		if read {
			r.snapshot(tb) // what the reads brought, to drop below
		}
		dropped := r.dropOthers(tb, window)
		if !read && !dropped || pass == passes {
			return
		}
		if dropped {
			r.snapshot(tb)
		}
		others, missing := r.mismatch()
		if !others && !missing {
			return
		}
		if others {
			if window == dropFolioMax {
				time.Sleep(time.Duration(pass) * 10 * time.Millisecond)
			}
			window = min(window*16, dropFolioMax)
		}
	}
}

// dropFolioMax is the widest window, in pages, that establish drops around
// a page that stays resident: 2MiB, the largest page-cache folio on x86-64
// and arm64 with 4KiB pages (the kernel's MAX_PAGECACHE_ORDER is at most
// the PMD order). Folios are naturally aligned, so the aligned window
// holds the whole folio.
const dropFolioMax = 512

// mismatch reports whether the snapshot shows pages resident that should
// not be, and wanted pages missing.
func (r *residency) mismatch() (others, missing bool) {
	for p, v := range r.vec {
		in := v&1 != 0
		others = others || in && !r.want[p]
		missing = missing || !in && r.want[p]
	}
	return others, missing
}

// verify checks with mincore that the state is the wanted one, within
// residencyTolerance per set of pages (which bounds the fraction resident
// to the target ± residencyTolerance), and fails the case otherwise. It
// returns the fraction of the file's pages resident. It does not correct
// anything (establish does): a state that drifted is refused, not mended.
func (r *residency) verify(tb TB) (frac float64) {
	tb.Helper()
	r.snapshot(tb)
	frac, err := r.judge()
	if err != nil {
		tb.Fatal(err)
	}
	return frac
}

// fraction returns the share of the file's pages resident now, without
// judging it: what a stretch's reads have moved it to, for the loop to
// size the next stretch by and to report.
func (r *residency) fraction(tb TB) float64 {
	tb.Helper()
	r.snapshot(tb)
	var in int
	for _, v := range r.vec {
		in += int(v & 1)
	}
	return float64(in) / float64(len(r.vec))
}

// snapshot fills vec from mincore over the residency's own mapping.
// x/sys/unix has no wrapper for mincore(2).
func (r *residency) snapshot(tb TB) {
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&r.mem[0])), uintptr(len(r.mem)), uintptr(unsafe.Pointer(&r.vec[0])))
	if errno != 0 {
		tb.Fatalf("partial residency of %s: mincore: %v", r.label, errno)
	}
}

// judge compares the last snapshot with the wanted state: the fraction of
// the file's pages resident, and an error saying how the state misses
// when it does.
func (r *residency) judge() (frac float64, err error) {
	var wantIn, otherIn int
	for p, v := range r.vec {
		if v&1 != 0 {
			if r.want[p] {
				wantIn++
			} else {
				otherIn++
			}
		}
	}
	frac = float64(wantIn+otherIn) / float64(len(r.want))
	other := len(r.want) - r.wantN
	switch {
	case float64(wantIn) < (1-residencyTolerance)*float64(r.wantN):
		err = fmt.Errorf("partial residency of %s: %.1f%% of the file resident, want %.1f%%: only %d of the %d pages that should be resident are (want at least %.0f%%)",
			r.label, 100*frac, 100*r.target(), wantIn, r.wantN, 100*(1-residencyTolerance))
	case float64(otherIn) > residencyTolerance*float64(other):
		err = fmt.Errorf("partial residency of %s: %.1f%% of the file resident, want %.1f%%: %d of the %d pages that should not be resident are (want at most %.0f%%)",
			r.label, 100*frac, 100*r.target(), otherIn, other, 100*residencyTolerance)
	}
	return frac, err
}

// runs calls f for each maximal run [from, to) of pages whose want is w.
func (r *residency) runs(w bool, f func(from, to int)) {
	for p := 0; p < len(r.want); {
		if r.want[p] != w {
			p++
			continue
		}
		q := p
		for q < len(r.want) && r.want[q] == w {
			q++
		}
		f(p, q)
		p = q
	}
}

// span returns the first and one past the last page of [from, to) whose
// residency in the snapshot is in, or from, from when there is none.
func (r *residency) span(from, to int, in bool) (int, int) {
	first, last := -1, -1
	for p := from; p < to; p++ {
		if (r.vec[p]&1 != 0) == in {
			if first < 0 {
				first = p
			}
			last = p
		}
	}
	if first < 0 {
		return from, from
	}
	return first, last + 1
}

// bytes returns the byte range of pages [from, to), the last cut at the
// file's end.
func (r *residency) bytes(from, to int) (off, n int64) {
	off = int64(from) * r.page
	end := min(int64(to)*r.page, int64(len(r.mem)))
	return off, end - off
}

// bringIn reads in the wanted pages that the snapshot shows missing:
// POSIX_FADV_WILLNEED on every such span first, so that their reads are
// in flight together, then, for a mapped store, MADV_POPULATE_READ of the
// store's mapping of the run (it waits for the reads and maps the pages;
// on the first call every wanted run, so that hits never fault), or a
// pread of the span through the residency's descriptor (it waits). It
// reports whether it read anything.
func (r *residency) bringIn(tb TB) (read bool) {
	r.runs(true, func(from, to int) {
		if a, b := r.span(from, to, false); a < b {
			off, n := r.bytes(a, b)
			if err := unix.Fadvise(r.fd, off, n, unix.FADV_WILLNEED); err != nil {
				tb.Fatalf("partial residency of %s: posix_fadvise(POSIX_FADV_WILLNEED) of bytes [%d, %d): %v", r.label, off, off+n, err)
			}
			read = true
		}
	})
	r.runs(true, func(from, to int) {
		a, b := r.span(from, to, false)
		if r.view != nil {
			if a == b && r.mapped {
				return
			}
			off, n := r.bytes(from, to)
			if err := unix.Madvise(r.view[off:off+n], unix.MADV_POPULATE_READ); err != nil {
				tb.Fatalf("partial residency of %s: madvise(MADV_POPULATE_READ) of bytes [%d, %d): %v", r.label, off, off+n, err)
			}
			return
		}
		for off, n := r.bytes(a, b); n > 0; {
			k := min(n, int64(len(r.buf)))
			got, err := unix.Pread(r.fd, r.buf[:k], off)
			if err != nil || got == 0 {
				tb.Fatalf("partial residency of %s: pread of bytes [%d, %d): %d bytes, %v", r.label, off, off+k, got, err)
			}
			off, n = off+int64(got), n-int64(got)
		}
	})
	r.mapped = true
	return read
}

// dropOthers drops the unwanted pages that the snapshot shows resident:
// for a mapped store first MADV_DONTNEED of the store's mapping of the
// range (a page that a page table maps is not dropped), then
// POSIX_FADV_DONTNEED of it. With window 1 it drops each run of unwanted
// pages' resident span, nothing else; with a wider window (a power of
// two) the aligned windows of that many pages around each such page,
// merged, wanted pages in them included (see establish). It reports
// whether it dropped anything.
func (r *residency) dropOthers(tb TB, window int) (dropped bool) {
	drop := func(from, to int) {
		off, n := r.bytes(from, to)
		if r.view != nil {
			if err := unix.Madvise(r.view[off:off+n], unix.MADV_DONTNEED); err != nil {
				tb.Fatalf("partial residency of %s: madvise(MADV_DONTNEED) of bytes [%d, %d): %v", r.label, off, off+n, err)
			}
		}
		if err := unix.Fadvise(r.fd, off, n, unix.FADV_DONTNEED); err != nil {
			tb.Fatalf("partial residency of %s: posix_fadvise(POSIX_FADV_DONTNEED) of bytes [%d, %d): %v", r.label, off, off+n, err)
		}
		dropped = true
	}
	if window == 1 {
		r.runs(false, func(from, to int) {
			if a, b := r.span(from, to, true); a < b {
				drop(a, b)
			}
		})
		return dropped
	}
	// Wanted pages in the windows leave the store's page tables too:
	// the next bringIn maps every wanted run again.
	r.mapped = false
	from, to := 0, 0 // the merged range being built
	for p, v := range r.vec {
		if v&1 == 0 || r.want[p] {
			continue
		}
		a := p &^ (window - 1)
		if a > to && to > from {
			drop(from, to)
			from = a
		} else if to == from {
			from = a
		}
		to = min(a+window, len(r.want))
	}
	if to > from {
		drop(from, to)
	}
	return dropped
}
