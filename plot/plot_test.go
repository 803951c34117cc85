package plot

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The report's fixture: trimmed real results.
var fixture = []string{"../report/testdata/2026-12-01-vm.txt", "../report/testdata/2026-12-01-vm-ipc.txt", "../report/testdata/2026-12-01-vm-oom.csv"}

func TestRenderFixture(t *testing.T) {
	rs, err := Load(fixture...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	dir := t.TempDir()
	rendered, err := Render(rs, dir, []string{"svg"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	// PNG rasterizing is slow under the race detector: two figures, one of
	// each kind of axis, stand for the rest.
	for _, f := range Figures() {
		if f.Name != "read-warm" && f.Name != "ipc-spin" {
			continue
		}
		c, err := f.build(rs)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		path := filepath.Join(dir, f.Name+".png")
		if err := c.save(path); err != nil {
			t.Fatalf("save %s: %v", path, err)
		}
		rendered = append(rendered, Rendered{Figure: f, Files: []string{path}})
	}
	if len(rendered) != len(Figures())+2 {
		t.Fatalf("Render returned %d figures, want %d", len(rendered)-2, len(Figures()))
	}
	for _, r := range rendered {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Figure.Name, r.Err)
			continue
		}
		for _, path := range r.Files {
			data, err := os.ReadFile(path)
			if err != nil || len(data) == 0 {
				t.Errorf("%s: %v, %d bytes", path, err, len(data))
				continue
			}
			switch filepath.Ext(path) {
			case ".svg":
				if !bytes.Contains(data, []byte("<svg")) {
					t.Errorf("%s has no <svg element", path)
				}
			case ".png":
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Errorf("%s: png.Decode: %v", path, err)
				} else if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
					t.Errorf("%s: %v, want a full-size image", path, b)
				}
			}
		}
	}
}

func TestRenderWithoutData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.txt")
	os.WriteFile(path, []byte("BenchmarkOther/x=1-2 10 5 ns/op\n"), 0o644)
	rs, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := Render(rs, t.TempDir(), []string{"png"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rendered {
		if !errors.Is(r.Err, ErrNoData) || len(r.Files) != 0 {
			t.Errorf("%s: err %v, files %q; want ErrNoData and no file", r.Figure.Name, r.Err, r.Files)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.txt")
	if _, err := Load(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) = %v; want ErrNotExist naming the file", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("BenchmarkX 10 abc ns/op\n"), 0o644)
	rs, err := Load(bad)
	if err != nil || len(rs.Warnings) != 1 || !strings.Contains(rs.Warnings[0], "bad.txt:1") {
		t.Errorf("Load(bad) = %v, warnings %q; want the line skipped with a warning naming file and line", err, rs.Warnings)
	}
}

func TestMedianAndKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.txt")
	os.WriteFile(path, []byte(strings.Join([]string{
		"BenchmarkRead/backend=mmap/bs=4KiB-2 10 30 ns/op 100 MB/s",
		"BenchmarkRead/backend=mmap/bs=4KiB-2 10 10 ns/op 300 MB/s",
		"BenchmarkRead/backend=mmap/bs=4KiB-2 10 20 ns/op 200 MB/s",
		"BenchmarkRead/backend=mmap/bs=64B-2 10 1 ns/op",
	}, "\n")+"\n"), 0o644)
	rs, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := rs.Row("Read", map[string]string{"backend": "mmap", "bs": "4KiB"})
	if r == nil {
		t.Fatal("Row(Read, mmap, 4KiB) = nil")
	}
	if v, ok := r.Median("ns/op"); !ok || v != 20 {
		t.Errorf("Median(ns/op) = %v, %v; want 20 (units as written in the file)", v, ok)
	}
	if v, ok := r.Median("MB/s"); !ok || v != 200 {
		t.Errorf("Median(MB/s) = %v, %v; want 200", v, ok)
	}
	if got := Values(rs.Rows("Read", nil), "bs"); strings.Join(got, ",") != "64B,4KiB" {
		t.Errorf("Values(bs) = %q; want sizes in numeric order", got)
	}
}
