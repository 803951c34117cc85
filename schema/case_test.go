package schema

import (
	"strings"
	"testing"
)

func TestCaseName(t *testing.T) {
	c := Case{Backend: "mmap", Access: View, Pattern: Rand, BS: 4 << 10, Cache: Cold, Size: 256 << 20, Advice: AdviceRand, Threads: 1}
	const want = "backend=mmap/access=view/pattern=rand/bs=4KiB/cache=cold/size=256MiB/advice=rand/threads=1"
	if got := c.Name(); got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	c.Sync = 64
	if got := c.Name(); got != want+"/sync=64" {
		t.Errorf("with Sync: Name() = %q", got)
	}
	c.Sync, c.Shared, c.Threads = 0, true, 8
	if got := c.Name(); !strings.HasSuffix(got, "/advice=rand/readers=8") {
		t.Errorf("Shared: Name() = %q, want readers=8 last", got)
	}
}

func TestParseNameRoundTrip(t *testing.T) {
	axes := Axes{
		Backends: []string{"mmap", "pread", "null"},
		Accesses: []Access{Copy, View, Direct}, Patterns: []Pattern{Seq, Rand, Hot, Zipf(0.99)},
		Blocks: []int64{64, 4 << 10, 1 << 20}, Caches: []Cache{Warm, Cold, Partial(50), Partial(90), Pressure(1), Pressure(8)}, Sizes: []int64{16 << 20, 4 << 30},
		Advice:  []Advice{AdviceNone, AdviceSeq, AdviceRand, AdviceWillNeed, AdvicePopulate, AdviceHugePage},
		Threads: []int{1, 2, 16}, Syncs: []int{0, 1, 64},
		Prefetches: []Prefetch{NoPrefetch, Batch(16), Populate(4)},
	}
	cs := axes.Product(nil)
	if want := 3 * 3 * 4 * 3 * 6 * 2 * 6 * 3 * 3 * 3; len(cs) != want {
		t.Fatalf("Product gave %d cases, want %d", len(cs), want)
	}
	seen := map[string]bool{}
	for _, c := range cs {
		for _, shared := range []bool{false, true} {
			c.Shared = shared
			name := c.Name()
			if seen[name] {
				t.Fatalf("two cases named %s", name)
			}
			seen[name] = true
			for _, full := range []string{name, "BenchmarkRead/" + name} {
				got, err := ParseName(full)
				if err != nil || got != c {
					t.Fatalf("ParseName(%q) = %+v, %v; want %+v", full, got, err, c)
				}
			}
		}
	}
}

func TestProductKeepsAndDefaults(t *testing.T) {
	axes := Axes{Backends: []string{"mmap", "pread"}, Accesses: []Access{Copy, View}, Patterns: []Pattern{Seq},
		Blocks: []int64{4096}, Caches: []Cache{Warm}, Sizes: []int64{1 << 20}}
	cs := axes.Product(func(c Case) bool { return c.Backend == "mmap" || c.Access == Copy })
	var names []string
	for _, c := range cs {
		if c.Threads != 1 || c.Sync != 0 || c.Advice != AdviceNone {
			t.Errorf("%s: defaults not applied", c.Name())
		}
		names = append(names, c.Backend+"/"+c.Access.String())
	}
	if got, want := strings.Join(names, " "), "mmap/copy mmap/view pread/copy"; got != want {
		t.Errorf("Product = %s, want %s (last axis fastest, filtered)", got, want)
	}
	axes.Sizes = nil
	if cs := axes.Product(nil); len(cs) != 0 {
		t.Errorf("an empty axis gave %d cases, want none", len(cs))
	}
}

func TestParseNameErrors(t *testing.T) {
	const ok = "backend=mmap/access=copy/pattern=seq/bs=4KiB/cache=warm/size=16MiB/advice=none/threads=1"
	for _, tc := range []struct{ name, want string }{
		{strings.Replace(ok, "access=copy", "access=mmap", 1), `access "mmap": want one of copy, view, direct`},
		{strings.Replace(ok, "pattern=seq", "pattern=stride", 1), `pattern "stride": want one of seq, rand, hot, or zipf:θ`},
		{strings.Replace(ok, "pattern=seq", "pattern=zipf:1", 1), `pattern "zipf:1": want zipf:θ with 0 < θ ≤ 4 and θ ≠ 1`},
		{strings.Replace(ok, "pattern=seq", "pattern=zipf:-1", 1), `pattern "zipf:-1"`},
		{strings.Replace(ok, "pattern=seq", "pattern=zipf0.9", 1), `pattern "zipf0.9"`},
		{strings.Replace(ok, "pattern=seq", "pattern=zipf:", 1), `pattern "zipf:"`},
		{strings.Replace(ok, "cache=warm", "cache=hot", 1), `cache "hot": want one of warm, cold, part:N or mem:N`},
		{strings.Replace(ok, "cache=warm", "cache=mem:0", 1), `cache "mem:0": want mem:N with N the file's size ÷ the memory limit, 1 to 64`},
		{strings.Replace(ok, "cache=warm", "cache=mem:65", 1), `cache "mem:65"`},
		{strings.Replace(ok, "cache=warm", "cache=mem:02", 1), `cache "mem:02"`},
		{strings.Replace(ok, "cache=warm", "cache=part:100", 1), `cache "part:100": want part:N with N the percent resident, 1 to 99`},
		{strings.Replace(ok, "cache=warm", "cache=part:050", 1), `cache "part:050"`},
		{strings.Replace(ok, "advice=none", "advice=normal", 1), `advice "normal": want one of none`},
		{strings.Replace(ok, "bs=4KiB", "bs=4KB", 1), `size "4KB"`},
		{strings.Replace(ok, "bs=4KiB", "bs=0", 1), `want a positive size`},
		{strings.Replace(ok, "threads=1", "threads=0", 1), `threads "0": want an integer of at least 1`},
		{strings.Replace(ok, "threads=1", "threads=01", 1), `threads "01"`},
		{strings.Replace(ok, "/advice=none", "", 1), `key "threads" where advice was expected`},
		{strings.Replace(ok, "/threads=1", "", 1), `key threads|readers missing`},
		{ok + "/sync=0", `sync "0"`},
		{ok + "/prefetch=none", `prefetch=none is never named`},
		{ok + "/prefetch=batch0", `prefetch "batch0": want none, batchN or populateN`},
		{ok + "/prefetch=batch16/sync=1", `key "sync" is not a case key`},
		{ok + "/color=red", `key "color" is not a case key`},
		{ok + "/sync=1/sync=2", `key "sync" is not a case key`},
		{strings.Replace(ok, "backend=mmap", "backend=", 1), `backend: empty`},
		{strings.Replace(ok, "/cache=warm", "/cachewarm", 1), `"cachewarm" is not key=value`},
	} {
		_, err := ParseName(tc.name)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseName(%q) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	for in, want := range map[string]Pattern{"zipf": Zipf(0.99), "zipf:1.2": Zipf(1.2), "hot": Hot, "seq": Seq} {
		if got, err := ParsePattern(in); err != nil || got != want {
			t.Errorf("ParsePattern(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]Prefetch{"none": NoPrefetch, "batch16": Batch(16), "populate1": Populate(1), "batch4096": Batch(4096)} {
		if got, err := ParsePrefetch(in); err != nil || got != want || got.String() != in {
			t.Errorf("ParsePrefetch(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got := Zipf(0.5).String(); got != "zipf:0.5" {
		t.Errorf("Zipf(0.5).String() = %q", got)
	}
	if got := Access(7).String(); got != "access(7)" {
		t.Errorf("Access(7).String() = %q", got)
	}
}

// TestCacheOrder: the columns of a table and the order rows sharing a
// file run in: warm, partial by falling residency, pressure by rising
// file ÷ limit, cold.
func TestCacheOrder(t *testing.T) {
	want := []Cache{Warm, Partial(90), Partial(50), Pressure(1), Pressure(2), Pressure(8), Cold}
	for i := 1; i < len(want); i++ {
		if a, b := want[i-1].Order(), want[i].Order(); a >= b {
			t.Errorf("%v.Order() = %d, not before %v.Order() = %d", want[i-1], a, want[i], b)
		}
	}
	if n, ok := Pressure(8).IsPressure(); !ok || n != 8 {
		t.Errorf("Pressure(8).IsPressure() = %d, %v", n, ok)
	}
	if _, ok := Partial(8).IsPressure(); ok {
		t.Error("Partial(8).IsPressure() = true")
	}
	if got := Pressure(2).Resident(); got != 0.5 {
		t.Errorf("Pressure(2).Resident() = %v, want 0.5", got)
	}
}
