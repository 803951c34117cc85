package plot

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mmapbench/mmapbench/schema"
)

// Size of every figure.
const (
	figWidth  = 9 * vg.Inch
	figHeight = 5 * vg.Inch
)

// A chart is a plot with its legend, which is drawn beside the data area,
// never over it.
type chart struct {
	p      *gplot.Plot
	ylabel string // drawn by save: gonum centres a log axis's label on the arithmetic middle and pads the plot for it
	legend gplot.Legend
	names  []string
	below  []*chart // further panels, drawn under this one at the same size
	// Over the points of every line (references aside): the range of y,
	// for a log axis, and the distinct x, for a size axis's ticks.
	lo, hi float64
	xs     []float64
}

func newChart(title, xlabel, ylabel string) *chart {
	p := gplot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Label.Text = xlabel
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(11)
	}
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	g.Vertical.Dashes = nil
	p.Add(g)
	l := gplot.NewLegend()
	l.TextStyle.Font.Size = vg.Points(11)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(28)
	l.Padding = vg.Points(5)
	return &chart{p: p, legend: l, ylabel: ylabel, lo: math.Inf(1)}
}

// line adds a line with points, in color c, dashed if dashed, named in the
// legend, and takes its points into the chart's range; a line without
// points is left out.
func (c *chart) line(name string, xys plotter.XYs, col color.Color, dashed bool, glyph int) error {
	if len(xys) == 0 {
		return nil
	}
	for _, xy := range xys {
		c.lo, c.hi = math.Min(c.lo, xy.Y), math.Max(c.hi, xy.Y)
		if !slices.Contains(c.xs, xy.X) {
			c.xs = append(c.xs, xy.X)
		}
	}
	slices.Sort(c.xs)
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	l.Color, l.Width = col, vg.Points(1.8)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	}
	s.Color = col
	s.Shape = glyphs[glyph%len(glyphs)]
	s.Radius = vg.Points(3.2)
	c.p.Add(l, s)
	c.legend.Add(name, l, s)
	c.names = append(c.names, name)
	return nil
}

// reference adds a thin grey line without points, named in the legend.
func (c *chart) reference(name string, xys plotter.XYs) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color, l.Width = color.Gray{Y: 130}, vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	c.p.Add(l)
	c.legend.Add(name, l)
	c.names = append(c.names, name)
	return nil
}

// save writes the chart, and the panels below it, to path; the extension
// (.svg, .png) is the format.
func (c *chart) save(path string) error {
	format := strings.TrimPrefix(filepath.Ext(path), ".")
	panels := append([]*chart{c}, c.below...)
	cw, err := draw.NewFormattedCanvas(figWidth, figHeight*vg.Length(len(panels)), format)
	if err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	dc := draw.New(cw)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	for i, pc := range panels {
		// Panel i of n occupies the i-th strip from the top.
		top := figHeight * vg.Length(i)
		bottom := figHeight * vg.Length(len(panels)-1-i)
		pc.draw(draw.Crop(dc, 0, 0, bottom, -top))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := cw.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	return f.Close()
}

// draw draws the chart with its legend to the right and its y label.
func (c *chart) draw(dc draw.Canvas) {
	lw := vg.Length(0)
	for _, n := range c.names {
		lw = max(lw, c.legend.TextStyle.Width(n))
	}
	lw += c.legend.ThumbnailWidth + vg.Points(24)
	sty := c.p.Y.Label.TextStyle
	sty.Rotation = math.Pi / 2
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	lh := sty.Height(c.ylabel) + vg.Points(6)
	dc.FillText(sty, vg.Point{X: dc.Min.X + lh/2, Y: (dc.Min.Y + dc.Max.Y) / 2}, c.ylabel)
	c.p.Draw(draw.Crop(dc, lh, -lw, vg.Points(4), -vg.Points(10)))
	top := c.p.Title.TextStyle.Height(c.p.Title.Text) + c.p.Title.Padding + vg.Points(10)
	c.legend.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-lw+vg.Points(8), 0, 0, -top))
}

var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{},
	draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
}

// backendColor gives each backend the same color in every figure.
func backendColor(name string) color.Color {
	if c, ok := palette[name]; ok {
		return c
	}
	return color.RGBA{R: 90, G: 90, B: 90, A: 255}
}

var palette = map[string]color.Color{
	"pread":    color.RGBA{R: 31, G: 119, B: 180, A: 255},  // blue
	"osfile":   color.RGBA{R: 23, G: 190, B: 207, A: 255},  // cyan
	"mmap":     color.RGBA{R: 214, G: 39, B: 40, A: 255},   // red
	"mmapgo":   color.RGBA{R: 255, G: 127, B: 14, A: 255},  // orange
	"null":     color.RGBA{R: 127, G: 127, B: 127, A: 255}, // grey
	"floor":    color.RGBA{R: 0, G: 0, B: 0, A: 255},       // black
	"posixshm": color.RGBA{R: 44, G: 160, B: 44, A: 255},   // green
	"memfd":    color.RGBA{R: 148, G: 103, B: 189, A: 255}, // purple
	"sysv":     color.RGBA{R: 140, G: 86, B: 75, A: 255},   // brown
}

// logAxis makes a a log axis when the values span more than a decade, and
// labels its ticks with format (which gives the unit).
func logAxis(a *gplot.Axis, lo, hi float64, format func(float64) string) {
	if lo > 0 && hi/lo > 10 {
		a.Scale = gplot.LogScale{}
		a.Tick.Marker = logTicks{format}
		a.Min, a.Max = lo/1.3, hi*1.3
		return
	}
	a.Tick.Marker = linearTicks{format}
	a.Min, a.Max = 0, hi*1.1
}

// logTicks labels powers of ten, and 2 and 5 times them when the range
// holds fewer than three powers.
type logTicks struct{ format func(float64) string }

func (t logTicks) Ticks(lo, hi float64) []gplot.Tick {
	var ticks []gplot.Tick
	decades := math.Log10(hi) - math.Log10(lo)
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		p := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * p
			if v < lo || v > hi {
				continue
			}
			label := ""
			if m == 1 || (decades < 2.5 && (m == 2 || m == 5)) {
				label = t.format(v)
			}
			ticks = append(ticks, gplot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

type linearTicks struct{ format func(float64) string }

// Ticks labels about six round values from lo to hi.
func (t linearTicks) Ticks(lo, hi float64) []gplot.Tick {
	if hi <= lo {
		return []gplot.Tick{{Value: lo, Label: t.format(lo)}}
	}
	raw := (hi - lo) / 6
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * p
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	var ticks []gplot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step/1e6; v += step {
		ticks = append(ticks, gplot.Tick{Value: v, Label: t.format(v)})
		ticks = append(ticks, gplot.Tick{Value: v + step/2}) // minor
	}
	return ticks
}

// sizeTicks labels exactly the sizes in the data, thinned so that labels
// do not overlap.
func sizeTicks(sizes []float64) gplot.ConstantTicks {
	step := 1
	if len(sizes) > 9 {
		step = (len(sizes) + 8) / 9
	}
	var ticks gplot.ConstantTicks
	for i, s := range sizes {
		label := ""
		if i%step == 0 {
			label = schema.FormatBytes(s)
		}
		ticks = append(ticks, gplot.Tick{Value: s, Label: label})
	}
	return ticks
}

// trimFloat prints v with at most 3 significant digits and no trailing zeros.
func trimFloat(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func formatCount(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return trimFloat(v)
}

func formatGiBs(v float64) string { return trimFloat(v) }

// FormatNanos is schema.FormatNanos, for report/claim_close.go until it
// moves to schema.
func FormatNanos(v float64) string { return schema.FormatNanos(v) }
