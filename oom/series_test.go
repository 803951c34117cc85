//go:build linux

package oom

import (
	"bytes"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/mmapbench/mmapbench/schema"
)

func rowsWithUsage(usage ...int64) []Row {
	rows := make([]Row, len(usage))
	for i, u := range usage {
		rows[i] = Row{Second: i + 1, Elapsed: 1, Ops: int64(100 * (i + 1)), Usage: u}
	}
	return rows
}

func TestPhases(t *testing.T) {
	const limit = 100
	for _, tc := range []struct {
		name  string
		usage []int64
		want  [][2]int // [From, To) per phase
	}{
		{"fills in row 3", []int64{30, 60, 85, 95, 99, 98}, [][2]int{{0, 3}, {4, 6}}},
		{"fills in the first row", []int64{95, 99, 98}, [][2]int{{0, 1}, {1, 3}}},
		{"never fills (O_DIRECT)", []int64{1, 1, 1, 1}, [][2]int{{0, 1}, {1, 4}}},
		{"too short for a steady phase", []int64{30, 95}, [][2]int{{0, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := Phases(rowsWithUsage(tc.usage...), limit)
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d phases %+v, want %v", len(ps), ps, tc.want)
			}
			for i, p := range ps {
				if [2]int{p.From, p.To} != tc.want[i] {
					t.Errorf("phase %s covers rows [%d,%d), want %v", p.Name, p.From, p.To, tc.want[i])
				}
				var ops int64
				for j := p.From; j < p.To; j++ {
					ops += int64(100 * (j + 1))
				}
				if p.Ops != ops || p.Seconds != float64(p.To-p.From) {
					t.Errorf("phase %s: %d ops in %.0f s, want %d in %d", p.Name, p.Ops, p.Seconds, ops, p.To-p.From)
				}
			}
		})
	}
}

// TestSummaryLinesParse reads the summary lines back with benchfmt: the
// name's key=value parts and every unit must survive.
func TestSummaryLinesParse(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteUnitLines(&buf); err != nil {
		t.Fatal(err)
	}
	name := BenchmarkName("mmap-rand", "rand", 4096, 1, 256<<20, 2<<30, "vda", "steady")
	p := Phase{Name: "steady", Seconds: 2, Ops: 20000, Bytes: 20000 * 4096, Major: 19000, SysCPU: 1e9, DeviceRead: 20000 * 4096, TLB: -1}
	if err := WriteBenchmark(&buf, name, p); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(&buf, "summary")
	var res *benchfmt.Result
	for r.Scan() {
		if x, ok := r.Result().(*benchfmt.Result); ok {
			res = x.Clone()
		}
	}
	if err := r.Err(); err != nil || res == nil {
		t.Fatalf("benchfmt: %v, result %v", err, res)
	}
	if got := string(res.Name.Base()); got != "OOM" {
		t.Errorf("base name %q, want OOM", got)
	}
	_, parts := res.Name.Parts()
	if want := "/config=mmap-rand"; len(parts) == 0 || string(parts[0]) != want {
		t.Errorf("first part %q, want %q", parts, want)
	}
	if res.Iters != 20000 {
		t.Errorf("iterations %d, want 20000", res.Iters)
	}
	for unit, want := range map[string]float64{"sec/op": 100e-6, "B/s": 40.96e6, "majflt/op": 0.95, "sys-nsec/op": 50000, string(schema.OOMDeviceRead): 4096} {
		if v, ok := res.Value(unit); !ok || v < want*0.999 || v > want*1.001 {
			t.Errorf("%s = %v (present %v), want %v", unit, v, ok, want)
		}
	}
	if _, ok := res.Value(string(schema.OOMTLB)); ok {
		t.Errorf("an unknown TLB count must not be reported")
	}
}

func TestParseDiskstats(t *testing.T) {
	const text = ` 254       0 vda 1022443 27398 741058770 2271770 2032182 82589 945461288
 254       1 vda1 10 0 80 0 0 0 0
   7       0 loop0 5 0 10 0 0 0 0
`
	if got := parseDiskstats([]byte(text), device{254, 1}); got != 80*512 {
		t.Errorf("vda1 bytes read = %d, want %d", got, 80*512)
	}
	if got := parseDiskstats([]byte(text), device{8, 0}); got != -1 {
		t.Errorf("missing device: %d, want -1", got)
	}
}
