//go:build linux

package bench

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/mmapbench/mmapbench/impl"
	"github.com/mmapbench/mmapbench/schema"
)

// residencyFile is the size of the file the residency tests hold at a
// partial state: issue 14's 64MiB, beyond the 32MiB LLC.
const residencyFile = 64 << 20

// partialCase is a 4KiB-block case on the residency file.
func partialCase(backend string, access schema.Access, p schema.Pattern, percent int) schema.Case {
	return schema.Case{Backend: backend, Access: access, Pattern: p, BS: 4 << 10,
		Cache: schema.Partial(percent), Size: residencyFile, Threads: 1}
}

// openStore opens the shared file of c.Size with c's backend, closed when
// the test ends.
func openStore(t *testing.T, c schema.Case) (impl.Store, string) {
	t.Helper()
	path := harness.SharedFile(t, c.Size)
	s, err := impl.Open(c.Backend, path, impl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// blocksResident reports, per block of bs bytes, whether mincore shows all
// its pages resident, through a mapping of the test's own: an account of
// the state that does not go through the residency's bookkeeping.
func blocksResident(t *testing.T, path string, size, bs int64) []bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	page := int64(os.Getpagesize())
	vec := make([]byte, size/page)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(size), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	per := bs / page
	in := make([]bool, size/bs)
	for b := range in {
		in[b] = true
		for _, v := range vec[int64(b)*per : int64(b+1)*per] {
			in[b] = in[b] && v&1 != 0
		}
	}
	return in
}

// pagesMapped reports, per page of mem (a mapping of this process),
// whether its page table maps it, from /proc/self/pagemap (bit 63:
// present).
func pagesMapped(t *testing.T, mem []byte) []bool {
	t.Helper()
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Skipf("cannot check the page tables: %v", err)
	}
	defer f.Close()
	page := uintptr(os.Getpagesize())
	n := (len(mem) + int(page) - 1) / int(page)
	raw := make([]byte, 8*n)
	if _, err := f.ReadAt(raw, int64(uintptr(unsafe.Pointer(&mem[0]))/page*8)); err != nil {
		t.Fatal(err)
	}
	mapped := make([]bool, n)
	for i := range mapped {
		mapped[i] = binary.LittleEndian.Uint64(raw[8*i:])>>63 != 0
	}
	return mapped
}

// TestResidency sets partial states of 50% and 90% on a 64MiB file for a
// mapped store read in place and a descriptor store, under a uniform and a
// skewed pattern, and checks them with mincore of its own: the fraction
// within ±2 points, the right blocks resident (and, for the mapping,
// mapped). Then it reads every block that should not be resident through
// the store, and the check must refuse the state; establish must restore
// it.
func TestResidency(t *testing.T) {
	skipUnlessEvictable(t)
	for _, st := range []struct {
		backend string
		access  schema.Access
	}{{"mmap", schema.View}, {"pread", schema.Copy}} {
		for _, p := range []schema.Pattern{schema.Rand, schema.Zipf(schema.DefaultTheta)} {
			for _, sc := range []struct {
				percent int
				bs      int64
			}{{50, 4 << 10}, {90, 4 << 10}, {50, 64 << 10}} {
				percent := sc.percent
				c := partialCase(st.backend, st.access, p, percent)
				c.BS = sc.bs
				t.Run(fmt.Sprintf("%s/%v/%v/%s", st.backend, p, c.Cache, schema.FormatSize(c.BS)), func(t *testing.T) {
					s, path := openStore(t, c)
					want := residentSet(c)
					r := newResidency(t, s, path, c.BS, want)
					r.establish(t)
					frac := r.verify(t)
					if math.Abs(frac-float64(percent)/100) > 0.02 {
						t.Errorf("verify passed with %.2f%% resident, want %d%% ± 2", 100*frac, percent)
					}
					in := blocksResident(t, path, c.Size, c.BS)
					var wrong int
					for b, got := range in {
						if got != want(uint64(b)) {
							wrong++
						}
					}
					if wrong > len(in)/50 {
						t.Errorf("%d of %d blocks are not in the state they should be", wrong, len(in))
					}
					if st.access == schema.View {
						view, err := impl.View(s, 0, int(c.Size))
						if err != nil {
							t.Fatal(err)
						}
						var unmapped int
						for pg, m := range pagesMapped(t, view) {
							if want(uint64(int64(pg)*int64(os.Getpagesize())/c.BS)) && !m {
								unmapped++
							}
						}
						if unmapped > len(view)/os.Getpagesize()/50 {
							t.Errorf("%d pages of resident blocks are not mapped in the store's page tables (warm ones are)", unmapped)
						}
					}

					if percent == 50 {
						// The complement has the same fraction resident
						// and every block wrong.
						other := newResidency(t, s, path, c.BS, func(b uint64) bool { return !want(b) })
						if msg := fatalOf(t, func(tb TB) { other.verify(tb) }); !strings.Contains(msg, "pages that should be resident are") {
							t.Errorf("the complement of the state, at the same fraction, was not refused for its blocks: %q", msg)
						}
					}

					readOthers(t, s, c, want)
					if msg := fatalOf(t, func(tb TB) { r.verify(tb) }); msg == "" {
						t.Errorf("after reading every block that should not be resident the state was accepted")
					} else if !strings.Contains(msg, "pages that should not be resident are") {
						t.Errorf("the refusal does not say which pages are wrong: %v", msg)
					}
					r.establish(t)
					r.verify(t)
				})
			}
		}
	}
}

// TestResidencyLargeFolios: a file just written and read back is in large
// folios here, whose pages cannot be dropped one at a time; establish
// must widen its drops and read the wanted neighbours back.
func TestResidencyLargeFolios(t *testing.T) {
	skipUnlessEvictable(t)
	c := partialCase("mmap", schema.View, schema.Rand, 50)
	c.Size = 16 << 20
	path := harness.newFile(t, "folios", c.Size)
	s, err := impl.Open(c.Backend, path, impl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := newResidency(t, s, path, c.BS, residentSet(c))
	r.snapshot(t)
	r.dropOthers(t, 1)
	r.snapshot(t)
	if others, _ := r.mismatch(); !others {
		t.Skip("the page cache dropped every other page of a new file exactly (no large folios here): nothing to widen")
	}
	r.establish(t)
	r.verify(t)
}

// readOthers reads, through s as c would, every block for which want is
// false, one run of consecutive such blocks per read (the reads bring the
// same pages in as block-sized ones, in fewer calls).
func readOthers(t *testing.T, s impl.Store, c schema.Case, want func(uint64) bool) {
	t.Helper()
	n := uint64(c.Size / c.BS)
	buf := make([]byte, 1<<20)
	var sum uint64
	for b := uint64(0); b < n; {
		if want(b) {
			b++
			continue
		}
		e := b
		for e < n && !want(e) && (e-b+1)*uint64(c.BS) <= uint64(len(buf)) {
			e++
		}
		off, size := int64(b)*c.BS, int64(e-b)*c.BS
		if c.Access == schema.View {
			p, err := impl.View(s, off, int(size))
			if err != nil {
				t.Fatal(err)
			}
			sum += Consume(p)
		} else if _, err := s.ReadAt(buf[:size], off); err != nil {
			t.Fatal(err)
		}
		b = e
	}
	_ = sum
}

// TestResidentSet: ceil(p·n) blocks; under a skewed pattern exactly the
// lowest ranks; under a uniform one spread over the file and over the rand
// pattern's pass, not its first steps; warm all, cold none.
func TestResidentSet(t *testing.T) {
	patterns := []schema.Pattern{schema.Seq, schema.Rand, schema.Hot, schema.Zipf(0.99)}
	for _, n := range []int64{1, 7, 1000, 16384} {
		for _, percent := range []int{1, 33, 50, 90, 99} {
			for _, p := range patterns {
				c := schema.Case{Pattern: p, BS: 4096, Size: n * 4096, Cache: schema.Partial(percent)}
				in := residentSet(c)
				m := uint64(math.Ceil(float64(percent) * float64(n) / 100))
				var count uint64
				for b := range uint64(n) {
					if in(b) {
						count++
					}
				}
				if count != m {
					t.Errorf("%v n=%d %v: %d blocks resident, want ceil(p·n) = %d", p, n, c.Cache, count, m)
				}
				if p.Passes() {
					continue
				}
				o := DefaultOrder(uint64(n))
				for r := range uint64(n) {
					if in(o.Block(r)) != (r < m) {
						t.Errorf("%v n=%d %v: the block of rank %d is resident=%v, want the %d lowest ranks resident", p, n, c.Cache, r, in(o.Block(r)), m)
						break
					}
				}
			}
		}
	}

	const n = 16384
	half := schema.Case{Pattern: schema.Rand, BS: 4096, Size: n * 4096, Cache: schema.Partial(50)}
	in := residentSet(half)
	share := func(blocks func(i uint64) uint64, k uint64) float64 {
		var c int
		for i := range k {
			if in(blocks(i)) {
				c++
			}
		}
		return float64(c) / float64(k)
	}
	for part := range uint64(8) {
		if f := share(func(i uint64) uint64 { return part*n/8 + i }, n/8); math.Abs(f-0.5) > 0.05 {
			t.Errorf("rand part:50: eighth %d of the file is %.1f%% resident, want 50%% ± 5 (a random subset)", part, 100*f)
		}
	}
	o := DefaultOrder(n)
	if f := share(o.Block, n/2); math.Abs(f-0.5) > 0.05 {
		t.Errorf("rand part:50: the first half of the rand pass is %.1f%% resident, want 50%% ± 5 (not the pass's order)", 100*f)
	}
	seq := half
	seq.Pattern = schema.Seq
	inSeq := residentSet(seq)
	for b := range uint64(n) {
		if in(b) != inSeq(b) {
			t.Fatalf("block %d: seq and rand keep different blocks resident; both are uniform", b)
		}
	}
	for _, cs := range []struct {
		cache schema.Cache
		want  bool
	}{{schema.Warm, true}, {schema.Cold, false}} {
		in := residentSet(schema.Case{Pattern: schema.Zipf(0.99), BS: 4096, Size: 100 * 4096, Cache: cs.cache})
		for b := range uint64(100) {
			if in(b) != cs.want {
				t.Fatalf("%v: block %d resident=%v", cs.cache, b, in(b))
			}
		}
	}
}

// TestResidencyViewersAreMapped: newResidency takes a store that is a
// Viewer for a mapping (and works on its page tables); among the file
// backends that must be exactly the mapped ones.
func TestResidencyViewersAreMapped(t *testing.T) {
	for _, be := range impl.Backends() {
		if be.Has(impl.CapPersistent) && be.Has(impl.CapView) != be.Has(impl.CapMapped) {
			t.Errorf("%s: CapView=%v, CapMapped=%v: a residency would take it for a mapping or not wrongly", be.Name, be.Has(impl.CapView), be.Has(impl.CapMapped))
		}
	}
}

// fatalTB records the first Fatal or Skip of a function run with fatalOf.
type fatalTB struct {
	*testing.T
	msg string
}

func (f *fatalTB) Fatal(args ...any) { f.msg = fmt.Sprint(args...); panic(f) }
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func (f *fatalTB) Skip(args ...any) { f.msg = "skip: " + fmt.Sprint(args...); panic(f) }
func (f *fatalTB) Skipf(format string, args ...any) {
	f.msg = "skip: " + fmt.Sprintf(format, args...)
	panic(f)
}

// fatalOf runs fn and returns the message it failed with ("skip: " and
// the reason when it skipped), "" if neither.
func fatalOf(t *testing.T, fn func(tb TB)) (msg string) {
	f := &fatalTB{T: t}
	defer func() {
		if p := recover(); p != nil {
			if p != f {
				panic(p)
			}
			msg = f.msg
		}
	}()
	fn(f)
	return ""
}

// TestResidencyRefusesSharedPages: blocks smaller than a page cannot be
// resident apart from their neighbours.
func TestResidencyRefusesSharedPages(t *testing.T) {
	c := schema.Case{Backend: "pread", BS: 1024, Size: 1 << 20, Cache: schema.Partial(50), Pattern: schema.Rand}
	s, path := openStore(t, c)
	msg := fatalOf(t, func(tb TB) { newResidency(tb, s, path, c.BS, residentSet(c)) })
	if !strings.Contains(msg, "block size 1024 is not a multiple") {
		t.Errorf("newResidency with 1KiB blocks: failed with %q, want a refusal naming the block size", msg)
	}
}

// TestResidencyOnTmpfs: where pages cannot be dropped, a residency skips
// with the reason the cold cases give.
func TestResidencyOnTmpfs(t *testing.T) {
	dir := mountTmpfs(t)
	path := FillNew(t, dir+"/file", 1<<20)
	s, err := impl.Open("pread", path, impl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := schema.Case{BS: 4096, Size: 1 << 20, Cache: schema.Partial(50), Pattern: schema.Rand}
	msg := fatalOf(t, func(tb TB) { newResidency(tb, s, path, c.BS, residentSet(c)) })
	if want := "skip: " + NoEviction(dir); msg != want {
		t.Errorf("newResidency on tmpfs: %q, want %q", msg, want)
	}
}

// TestResidencyCost measures, for the lead's sizing of measured stretches,
// what establishing a partial state costs and how far random reads of the
// non-resident blocks move the fraction resident per read. It runs only
// with MMAPBENCH_RESIDENCY_COST=1 (and -v to see the figures; hold the
// measurement lock).
func TestResidencyCost(t *testing.T) {
	if os.Getenv("MMAPBENCH_RESIDENCY_COST") != "1" {
		t.Skip("a measurement: set MMAPBENCH_RESIDENCY_COST=1")
	}
	skipUnlessEvictable(t)
	for _, st := range []struct {
		backend string
		access  schema.Access
		advice  schema.Advice
	}{{"mmap", schema.View, schema.AdviceNone}, {"mmap", schema.View, schema.AdviceRand}, {"pread", schema.Copy, schema.AdviceNone}} {
		for _, percent := range []int{50, 90} {
			c := partialCase(st.backend, st.access, schema.Rand, percent)
			c.Advice = st.advice
			t.Run(c.Name(), func(t *testing.T) {
				// A new file: written and read back, in large folios,
				// the state establish finds first in a run.
				path := harness.newFile(t, "cost", c.Size)
				s, err := impl.Open(c.Backend, path, impl.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if st.advice != schema.AdviceNone {
					advise(t, s, st.advice)
				}
				want := residentSet(c)
				makeWarm(t, s)
				r := newResidency(t, s, path, c.BS, want)
				start := time.Now()
				r.establish(t)
				fromWarm := time.Since(start)
				r.verify(t)
				harness.MakeCold(t, s)
				start = time.Now()
				r.establish(t)
				fromCold := time.Since(start)
				r.verify(t)
				t.Logf("establish from a new file %v, from cold %v", fromWarm.Round(time.Millisecond), fromCold.Round(time.Millisecond))

				var others []uint64
				for b := range uint64(c.Size / c.BS) {
					if !want(b) {
						others = append(others, b)
					}
				}
				rng := NewRand(1)
				w := NewWorker(s, nil, c, OpRead, 0)
				view, _ := s.(impl.Viewer)
				for _, k := range []int{1, 4, 16, 64} {
					const rounds = 5
					var moved float64
					var again time.Duration
					for range rounds {
						r.establish(t)
						before := r.verify(t)
						for range k {
							off := int64(others[rng.Uint64N(uint64(len(others)))]) * c.BS
							if view != nil {
								p, err := view.View(off, int(c.BS))
								if err != nil {
									t.Fatal(err)
								}
								w.sum += Consume(p)
							} else if _, err := s.ReadAt(w.buf, off); err != nil {
								t.Fatal(err)
							}
						}
						moved += r.fraction(t) - before
						start := time.Now()
						r.establish(t)
						again += time.Since(start)
						r.verify(t)
					}
					t.Logf("%2d misses: %.3f points per miss, re-establish %v", k, 100*moved/rounds/float64(k), (again / rounds).Round(time.Microsecond))
				}
			})
		}
	}
}

// TestStretchSizingStaysInBudget simulates a part:90 row of 64KiB blocks
// of a 256MiB file (each op a miss with probability 0.1, a miss reading
// its block): stretches sized by coldStretch.next must read more than the
// 2-point drift in almost none of 200 rows of 30 stretches each, while
// growing to within a factor of 2 of the budget's mean length (what a
// known rate would give: 1.5% of the file ÷ 6.4KiB per op ≈ 614 ops).
// Sized from the last stretch's mean with a one-block prior, as before,
// rows read past the drift (the 983-op stretch of the map run).
func TestStretchSizingStaysInBudget(t *testing.T) {
	const size, bs, missP = 256 << 20, 64 << 10, 0.1
	c := schema.Case{Backend: "pread", Access: schema.Copy, Pattern: schema.Rand, BS: bs, Cache: schema.Partial(90), Size: size, Threads: 1}
	r := NewRand(1)
	over, stretches := 0, 0
	var lastLimits []uint64
	for row := 0; row < 200; row++ {
		st := newColdStretch(c)
		for range 30 {
			var d Counters
			for range st.limit {
				if r.Float64() < missP {
					d.DevRead += bs
				}
			}
			st.done = st.limit
			if float64(d.DevRead) > partialDrift*size {
				over++
			}
			stretches++
			st.next(d)
		}
		lastLimits = append(lastLimits, st.limit)
	}
	if over > stretches/500 {
		t.Errorf("%d of %d stretches read more than %.0f%% of the file", over, stretches, 100*partialDrift)
	}
	ideal := partialBudget * size / (missP * bs)
	slices.Sort(lastLimits)
	if med := float64(lastLimits[len(lastLimits)/2]); med < ideal/2 || med > ideal {
		t.Errorf("median stretch after 30: %.0f ops, want between %.0f and %.0f", med, ideal/2, ideal)
	}
}
