package plot

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A Map is the decision map of one block size: a grid of cells, regimes
// across and access pattern × prefetch down, one panel per goroutine
// count. Its cells are decided by the report (report.Heatmaps: the fastest
// mmap setup against the fastest pread setup, benchmath's test, the tie
// band), which imports this package; plot only draws them, so the rule
// lives in one place.
type Map struct {
	Name    string   // file name without extension: "map-4KiB"
	Title   string   // the figure's title
	Caption string   // what it shows, for the report
	Columns []string // the regimes, left to right
	Rows    []string // pattern × prefetch, top to bottom
	Panels  []MapPanel
}

// A MapPanel is the grid at one goroutine count.
type MapPanel struct {
	Title string
	Cells [][]MapCell // [row][column], len(Rows) × len(Columns)
}

// A MapCell is one grid point: a ratio (the fastest mmap setup's time ÷
// the fastest pread setup's), level, or missing with the reason.
type MapCell struct {
	Ratio   float64 // mmap ÷ pread, centre (median) times; a level cell has it too
	Level   bool    // the test does not separate the two setups
	Missing string  // "no mmap row", "no pread row", "not measured": no ratio
	// LeftRegime marks a cell where a side's row left its regime during a
	// measured stretch (report: max-intake-frac); its label gets a ‡.
	LeftRegime bool
}

// Label is the word the cell shows: "×0.42", "level", or why it is
// missing; "‡" after it when a side's row left its regime.
func (c MapCell) Label() string {
	switch {
	case c.Missing != "":
		return c.Missing
	case c.Level && c.LeftRegime:
		return "level ‡"
	case c.Level:
		return "level"
	case c.LeftRegime:
		return fmt.Sprintf("×%.2f ‡", c.Ratio)
	}
	return fmt.Sprintf("×%.2f", c.Ratio)
}

// mapSaturation is the ratio at which a cell's colour is at full strength:
// a fixed scale, so that the same colour means the same ratio in every
// panel and figure.
const mapSaturation = 16.0

var (
	mmapFaster  = color.RGBA{R: 214, G: 39, B: 40, A: 255}  // mmap's red (palette)
	preadFaster = color.RGBA{R: 31, G: 119, B: 180, A: 255} // pread's blue (palette)
	levelColor  = color.Gray{Y: 215}
	missingFill = color.White
)

// cellColor is the cell's fill: white blended toward mmap's colour for a
// ratio below 1 and toward pread's above, by |log ratio| on a log scale
// up to mapSaturation; level cells are grey and missing ones white.
func cellColor(c MapCell) color.Color {
	switch {
	case c.Missing != "" || math.IsNaN(c.Ratio) || c.Ratio <= 0:
		return missingFill
	case c.Level:
		return levelColor
	}
	t := math.Min(math.Abs(math.Log(c.Ratio))/math.Log(mapSaturation), 1)
	// Even a barely significant ratio is visibly tinted, unlike a level cell.
	t = 0.15 + 0.85*t
	to := preadFaster
	if c.Ratio < 1 {
		to = mmapFaster
	}
	mix := func(a uint8) uint8 { return uint8(math.Round(255 + t*(float64(a)-255))) }
	return color.RGBA{R: mix(to.R), G: mix(to.G), B: mix(to.B), A: 255}
}

// heatGrid is the gonum plotter of one panel's cells: cell (row i, column
// j) is the unit square centred on (j, len(rows)−1−i), so that the first
// row is at the top.
type heatGrid struct {
	cells [][]MapCell
	style draw.TextStyle
}

func (g heatGrid) Plot(c draw.Canvas, p *gplot.Plot) {
	tx, ty := p.Transforms(&c)
	n := len(g.cells)
	for i, row := range g.cells {
		for j, cell := range row {
			x, y := float64(j), float64(n-1-i)
			x0, x1 := tx(x-0.5), tx(x+0.5)
			y0, y1 := ty(y-0.5), ty(y+0.5)
			inset := vg.Points(1) // a white gap between cells
			rect := vg.Rectangle{Min: vg.Point{X: x0 + inset, Y: y0 + inset}, Max: vg.Point{X: x1 - inset, Y: y1 - inset}}
			c.SetColor(cellColor(cell))
			c.Fill(rect.Path())
			if cell.Missing != "" {
				// A missing cell is outlined dashed: it is not a white ratio.
				c.StrokeLines(draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}},
					[]vg.Point{rect.Min, {X: rect.Max.X, Y: rect.Min.Y}, rect.Max, {X: rect.Min.X, Y: rect.Max.Y}, rect.Min})
			}
			c.FillText(fitted(g.style, cell.Label(), x1-x0-4*inset), vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, cell.Label())
		}
	}
}

// fitted is sty with its font shrunk, if need be, so that label fits in
// width: with six regimes across (warm, part:90, part:50, mem:2, mem:8,
// cold) a cell is narrower than "no pread row" at the axis's size.
func fitted(sty draw.TextStyle, label string, width vg.Length) draw.TextStyle {
	if w := sty.Width(label); w > width && width > 0 {
		sty.Font.Size = sty.Font.Size * width / w
	}
	return sty
}

func (g heatGrid) DataRange() (xmin, xmax, ymin, ymax float64) {
	cols := 0
	if len(g.cells) > 0 {
		cols = len(g.cells[0])
	}
	return -0.5, float64(cols) - 0.5, -0.5, float64(len(g.cells)) - 0.5
}

// swatch is a legend entry's thumbnail: a square of the cell's colour.
type swatch struct{ cell MapCell }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.SetColor(cellColor(s.cell))
	c.Fill(c.Rectangle.Path())
}

// mapChart builds the figure's chart: one panel per goroutine count.
func mapChart(m Map) (*chart, error) {
	if len(m.Panels) == 0 || len(m.Rows) == 0 || len(m.Columns) == 0 {
		return nil, fmt.Errorf("plot %s: an empty map (%d panels, %d rows, %d columns)", m.Name, len(m.Panels), len(m.Rows), len(m.Columns))
	}
	var top *chart
	for _, pn := range m.Panels {
		if len(pn.Cells) != len(m.Rows) {
			return nil, fmt.Errorf("plot %s, %s: %d rows of cells for %d row names", m.Name, pn.Title, len(pn.Cells), len(m.Rows))
		}
		for i, r := range pn.Cells {
			if len(r) != len(m.Columns) {
				return nil, fmt.Errorf("plot %s, %s, row %s: %d cells for %d columns", m.Name, pn.Title, m.Rows[i], len(r), len(m.Columns))
			}
		}
		c := newChart(m.Title+", "+pn.Title, "regime (fraction of the file resident, or file ÷ memory limit)", "pattern × prefetch")
		sty := c.p.X.Tick.Label
		sty.Font.Size = vg.Points(10)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		c.p.Add(heatGrid{cells: pn.Cells, style: sty})
		var xt, yt gplot.ConstantTicks
		for j, col := range m.Columns {
			xt = append(xt, gplot.Tick{Value: float64(j), Label: col})
		}
		for i, row := range m.Rows {
			yt = append(yt, gplot.Tick{Value: float64(len(m.Rows) - 1 - i), Label: row})
		}
		c.p.X.Tick.Marker, c.p.Y.Tick.Marker = xt, yt
		c.p.X.Min, c.p.X.Max = -0.5, float64(len(m.Columns))-0.5
		c.p.Y.Min, c.p.Y.Max = -0.5, float64(len(m.Rows))-0.5
		for _, e := range []struct {
			name string
			cell MapCell
		}{
			{"mmap 4× faster", MapCell{Ratio: 0.25}},
			{"mmap 1.2× faster", MapCell{Ratio: 1 / 1.2}},
			{"level (test)", MapCell{Level: true, Ratio: 1}},
			{"pread 1.2× faster", MapCell{Ratio: 1.2}},
			{"pread 4× faster", MapCell{Ratio: 4}},
			{"no row (dashed)", MapCell{Missing: "-"}},
		} {
			c.legend.Add(e.name, swatch{e.cell})
			c.names = append(c.names, e.name)
		}
		if top == nil {
			top = c
		} else {
			top.below = append(top.below, c)
		}
	}
	return top, nil
}

// RenderMaps draws each map into dir, once per format, as Render draws
// the other figures; a map whose grid does not match its row and column
// names is an error.
func RenderMaps(maps []Map, dir string, formats []string) ([]Rendered, error) {
	var out []Rendered
	for _, m := range maps {
		c, err := mapChart(m)
		if err != nil {
			return out, err
		}
		r := Rendered{Figure: Figure{Name: m.Name, Title: m.Title, Caption: m.Caption}}
		for _, format := range formats {
			path := filepath.Join(dir, m.Name+"."+strings.TrimPrefix(format, "."))
			if err := c.save(path); err != nil {
				return out, err
			}
			r.Files = append(r.Files, path)
		}
		out = append(out, r)
	}
	return out, nil
}
