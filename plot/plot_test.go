package plot

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmapbench/mmapbench/schema"
)

// The report's fixture: trimmed real results.
var fixture = []string{"../report/testdata/2026-12-01-vm.txt", "../report/testdata/2026-12-01-vm-ipc.txt", "../report/testdata/2026-12-01-vm-oom.csv"}

func TestRenderFixture(t *testing.T) {
	rs, err := schema.Load(fixture...)
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
	rs, err := schema.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := Render(rs, t.TempDir(), []string{"png"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rendered {
		if !errors.Is(r.Err, schema.ErrNoData) || len(r.Files) != 0 {
			t.Errorf("%s: err %v, files %q; want ErrNoData and no file", r.Figure.Name, r.Err, r.Files)
		}
	}
}

// A figure whose rows have a key the figure does not give is an error
// naming it, not a figure with lines missing.
func TestRenderRefusesRowsWithUnknownKeys(t *testing.T) {
	rs, err := schema.Read(strings.NewReader("BenchmarkOpenRead/backend=pread/size=4KiB/regime=x-2 100 1000 ns/op\n"), "r.txt")
	if err != nil {
		t.Fatal(err)
	}
	var le *schema.LookupError
	if _, err := Render(rs, t.TempDir(), []string{"svg"}); !errors.As(err, &le) || !strings.Contains(err.Error(), "regime") {
		t.Errorf("Render = %v; want a LookupError naming the key regime", err)
	}
}
