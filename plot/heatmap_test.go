package plot

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// testMap has the map's six regimes across, mem:8 not measured.
func testMap() Map {
	cols := []string{"warm", "part:90", "part:50", "mem:2", "mem:8", "cold"}
	rows := []string{"rand", "rand + batch16", "zipf:0.99"}
	panel := func(title string, base float64) MapPanel {
		var cells [][]MapCell
		for i := range rows {
			var r []MapCell
			for j := range cols {
				r = append(r, MapCell{Ratio: base + float64(10*i+j)/100})
			}
			cells = append(cells, r)
		}
		cells[0][1] = MapCell{Ratio: 0.98, Level: true}
		cells[2][0].LeftRegime = true
		cells[1][2] = MapCell{Ratio: math.NaN(), Missing: "no pread row"}
		for i := range rows {
			cells[i][4] = MapCell{Ratio: math.NaN(), Missing: "not measured"}
		}
		return MapPanel{Title: title, Cells: cells}
	}
	return Map{Name: "map-4KiB", Title: "mmap ÷ pread, 4KiB reads", Columns: cols, Rows: rows,
		Panels: []MapPanel{panel("1 goroutine", 0.2), panel("16 goroutines", 3)}}
}

// A label wider than its cell is drawn smaller, to fit; one that fits
// keeps the axis's size.
func TestFittedLabel(t *testing.T) {
	c := newChart("t", "x", "y")
	sty := c.p.X.Tick.Label
	sty.Font.Size = vg.Points(10)
	label := "no mmap or pread row"
	w := sty.Width(label)
	if got := fitted(sty, label, w/2); got.Font.Size >= sty.Font.Size || got.Width(label) > w/2+vg.Points(0.5) {
		t.Errorf("in half its width: size %v (was %v), width %v; want it to fit in %v", got.Font.Size, sty.Font.Size, got.Width(label), w/2)
	}
	if got := fitted(sty, label, 2*w); got.Font.Size != sty.Font.Size {
		t.Errorf("in twice its width: size %v, want %v unchanged", got.Font.Size, sty.Font.Size)
	}
}

// Every grid point is drawn with its label: count the labels in the SVG.
func TestRenderMapsOneCellPerGridPoint(t *testing.T) {
	m := testMap()
	dir := t.TempDir()
	rendered, err := RenderMaps([]Map{m}, dir, []string{"svg"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rendered) != 1 || len(rendered[0].Files) != 1 {
		t.Fatalf("rendered %+v, want one figure with one file", rendered)
	}
	data, err := os.ReadFile(rendered[0].Files[0])
	if err != nil {
		t.Fatal(err)
	}
	svg := string(data)
	count := map[string]int{}
	for _, p := range m.Panels {
		for _, r := range p.Cells {
			for _, c := range r {
				count[c.Label()]++
			}
		}
	}
	total := 0
	for label, n := range count {
		// gonum writes each text as one <text> element, its content escaped.
		got := strings.Count(svg, ">"+label+"</text>")
		if got != n {
			t.Errorf("label %q drawn %d times, want %d", label, got, n)
		}
		total += n
	}
	if want := 2 * len(m.Rows) * len(m.Columns); total != want {
		t.Errorf("%d cells in the map, want %d", total, want)
	}
}

func TestRenderMapsPNG(t *testing.T) {
	rendered, err := RenderMaps([]Map{testMap()}, t.TempDir(), []string{"png"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(rendered[0].Files[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 400 {
		t.Errorf("%v, want a full-size image of two panels", b)
	}
}

func TestRenderMapsRefusesARaggedGrid(t *testing.T) {
	m := testMap()
	m.Panels[1].Cells[2] = m.Panels[1].Cells[2][:2]
	if _, err := RenderMaps([]Map{m}, t.TempDir(), []string{"svg"}); err == nil || !strings.Contains(err.Error(), "zipf:0.99") {
		t.Errorf("RenderMaps = %v; want an error naming the short row", err)
	}
}

// The colour scale diverges: mmap faster is red, pread faster blue, a
// larger ratio a stronger colour, level grey, missing white.
func TestCellColor(t *testing.T) {
	rgb := func(c MapCell) (r, g, b int) {
		R, G, B, _ := cellColor(c).RGBA()
		return int(R >> 8), int(G >> 8), int(B >> 8)
	}
	r, _, b := rgb(MapCell{Ratio: 0.5})
	if r <= b {
		t.Errorf("mmap 2× faster: r %d ≤ b %d, want red", r, b)
	}
	r, _, b = rgb(MapCell{Ratio: 2})
	if b <= r {
		t.Errorf("pread 2× faster: b %d ≤ r %d, want blue", b, r)
	}
	_, g2, _ := rgb(MapCell{Ratio: 2})
	_, g8, _ := rgb(MapCell{Ratio: 8})
	if g8 >= g2 {
		t.Errorf("×8 green %d ≥ ×2 green %d: want a stronger colour for a larger ratio", g8, g2)
	}
	if r, g, b := rgb(MapCell{Ratio: 3, Level: true}); r != g || g != b {
		t.Errorf("level cell %d,%d,%d: want grey", r, g, b)
	}
	if r, g, b := rgb(MapCell{Missing: "no mmap row", Ratio: math.NaN()}); r+g+b != 3*255 {
		t.Errorf("missing cell %d,%d,%d: want white", r, g, b)
	}
}
