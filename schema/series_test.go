package schema

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestCSVRoundTrip(t *testing.T) {
	rows := []Interval{
		{Config: "mmap", Pattern: "rand", Device: "vda", Second: 1, Elapsed: 1, Ops: 9000, Bytes: 9000 * 4096, MajorFaults: 8000, MinorFaults: 12,
			UserCPU: 100e6, SysCPU: 300e6, DeviceRead: 36e6, TLB: 40, Usage: 200 << 20},
		{Config: "pread-direct", Pattern: "seq", Device: "zram1", Second: 2, Elapsed: 1, Ops: 600, Bytes: 600 << 20, DeviceRead: -1, TLB: -1, Usage: 1 << 20},
	}
	var buf bytes.Buffer
	w := NewSeriesWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(buf.String(), strings.Join(csvHeader, ",")+"\n") {
		t.Fatalf("CSV does not start with the header:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), ",,,1.0\n") {
		t.Errorf("unknown device and TLB counts should be empty cells:\n%s", buf.String())
	}
	got, err := ReadSeries(&buf, "series.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("ReadSeries = %+v\nwant %+v", got, rows)
	}
}

func TestReadSeriesNamesMissingColumn(t *testing.T) {
	_, err := ReadSeries(strings.NewReader("config,pattern,second\nmmap,rand,1\n"), "s.csv")
	if err == nil || !strings.Contains(err.Error(), `"interval_s"`) || !strings.HasPrefix(err.Error(), "s.csv:1:") {
		t.Fatalf("ReadSeries without interval_s: err = %v", err)
	}
}

// Series written before the device column was added still read, with the
// device left empty.
func TestReadSeriesWithoutDevice(t *testing.T) {
	const old = "config,pattern,second,interval_s,ops_per_s,mb_per_s,major_faults_per_s,minor_faults_per_s,user_cpu_pct,sys_cpu_pct,device_read_mb_per_s,tlb_shootdowns_per_s,cgroup_usage_mib\n" +
		"mmap,rand,1,1.000,9000.0,36.864000,8000.0,12.0,10.0,30.0,36.000000,,200.0\n"
	got, err := ReadSeries(strings.NewReader(old), "old.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Interval{{Config: "mmap", Pattern: "rand", Second: 1, Elapsed: 1, Ops: 9000, Bytes: 9000 * 4096, MajorFaults: 8000, MinorFaults: 12,
		UserCPU: 100e6, SysCPU: 300e6, DeviceRead: 36e6, TLB: -1, Usage: 200 << 20}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadSeries = %+v\nwant %+v", got, want)
	}
}

// A bad number names the file and its line.
func TestReadSeriesNamesLine(t *testing.T) {
	var buf bytes.Buffer
	w := NewSeriesWriter(&buf)
	for i := 1; i <= 2; i++ {
		if err := w.Write(Interval{Config: "mmap", Pattern: "rand", Second: i, Elapsed: 1, Ops: 1, DeviceRead: -1, TLB: -1}); err != nil {
			t.Fatal(err)
		}
	}
	bad := strings.Replace(buf.String(), ",2,1.000,", ",2,x,", 1)
	if _, err := ReadSeries(strings.NewReader(bad), "s.csv"); err == nil || !strings.HasPrefix(err.Error(), "s.csv:3:") {
		t.Fatalf("ReadSeries with a bad interval on line 3: err = %v, want it to start s.csv:3:", err)
	}
}
