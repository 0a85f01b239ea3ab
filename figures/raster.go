package figures

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Raster is a 2-D field drawn as an image.
//
// Data holds Rows·Cols values, row-major, element (r, c) at r·Cols + c; row 0
// is drawn at the top. Cell (r, c) covers horizontal coordinates
// [X0 + c·DX, X0 + (c+1)·DX] and vertical coordinates [Y0 + r·DY, Y0 + (r+1)·DY],
// with the vertical coordinate increasing downward (depth in m, or time in s).
// DX and DY must be positive; zero means 1 (axis in cells).
type Raster struct {
	Data           []float32 // (Rows, Cols) row-major
	Rows, Cols     int
	X0, DX         float64 // horizontal origin and cell width, e.g. m
	Y0, DY         float64 // vertical origin and cell height, increasing downward, e.g. m or s
	XLabel, YLabel string  // axis labels with units, e.g. "x (m)", "depth (m)"
}

// ColorScale maps values to colours and labels the colour bar.
type ColorScale struct {
	// Min and Max are the values mapped to the ends of Map. If Min >= Max the
	// data range of the raster is used (with ±0.5 added if it is constant).
	Min, Max float64
	// Label is the colour-bar label with units, e.g. "velocity (m/s)".
	Label string
	// Map is the colour map; nil means Viridis for sequential data.
	Map palette.ColorMap
}

// Viridis returns a perceptually uniform sequential colour map (dark blue →
// green → yellow) interpolated in CIE L*a*b* through nine control colours of
// matplotlib's viridis. Its range is [0, 1] until SetMin/SetMax are called.
func Viridis() palette.ColorMap {
	cm, err := moreland.NewLuminance(viridisControls)
	if err != nil {
		panic("figures: viridis controls are not monotone in luminance: " + err.Error())
	}
	return cm
}

var viridisControls = []color.Color{
	color.NRGBA{0x44, 0x01, 0x54, 0xff}, color.NRGBA{0x47, 0x2d, 0x7b, 0xff},
	color.NRGBA{0x3b, 0x52, 0x8b, 0xff}, color.NRGBA{0x2c, 0x72, 0x8e, 0xff},
	color.NRGBA{0x21, 0x91, 0x8c, 0xff}, color.NRGBA{0x28, 0xae, 0x80, 0xff},
	color.NRGBA{0x5e, 0xc9, 0x62, 0xff}, color.NRGBA{0xad, 0xdc, 0x30, 0xff},
	color.NRGBA{0xfd, 0xe7, 0x25, 0xff},
}

// Diverging returns the symmetric blue–white–red colour map used for
// seismic data (Moreland's smooth cool-warm map).
func Diverging() palette.ColorMap { return moreland.SmoothBlueRed() }

func (r *Raster) check() error {
	if r.Rows <= 0 || r.Cols <= 0 {
		return fmt.Errorf("figures: raster shape %d×%d is empty", r.Rows, r.Cols)
	}
	if len(r.Data) != r.Rows*r.Cols {
		return fmt.Errorf("figures: raster has %d values, want %d×%d = %d", len(r.Data), r.Rows, r.Cols, r.Rows*r.Cols)
	}
	if r.DX < 0 || r.DY < 0 {
		return fmt.Errorf("figures: raster cell size DX=%g DY=%g must be positive", r.DX, r.DY)
	}
	return nil
}

func (r *Raster) steps() (dx, dy float64) {
	dx, dy = r.DX, r.DY
	if dx == 0 {
		dx = 1
	}
	if dy == 0 {
		dy = 1
	}
	return dx, dy
}

// resolve fills in the data range and the default colour map, returning a
// usable copy of s.
func (s ColorScale) resolve(data []float32) (ColorScale, error) {
	if s.Min >= s.Max {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range data {
			if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
				lo, hi = math.Min(lo, f), math.Max(hi, f)
			}
		}
		if lo > hi {
			return s, fmt.Errorf("figures: raster has no finite values")
		}
		if lo == hi {
			lo, hi = lo-0.5, hi+0.5
		}
		s.Min, s.Max = lo, hi
	}
	if s.Map == nil {
		s.Map = Viridis()
	}
	s.Map.SetMin(s.Min)
	s.Map.SetMax(s.Max)
	return s, nil
}

// colorAt returns the colour of v, clamped into the scale; NaN is grey.
func (s *ColorScale) colorAt(v float64) color.Color {
	if math.IsNaN(v) {
		return color.Gray{Y: 0x80}
	}
	v = math.Min(math.Max(v, s.Min), s.Max)
	c, err := s.Map.At(v)
	if err != nil { // only at round-off outside [Min, Max]
		c, _ = s.Map.At(s.Min)
	}
	return c
}

// image renders the raster with nearest-neighbour upsampling so that each
// cell is a crisp block at least ~minPix output pixels across in total.
func (r *Raster) image(s *ColorScale) image.Image {
	const minPix = 600
	fx := max(1, (minPix+r.Cols-1)/r.Cols)
	fy := max(1, (minPix+r.Rows-1)/r.Rows)
	img := image.NewNRGBA(image.Rect(0, 0, r.Cols*fx, r.Rows*fy))
	for i := 0; i < r.Rows; i++ {
		for j := 0; j < r.Cols; j++ {
			c := color.NRGBAModel.Convert(s.colorAt(float64(r.Data[i*r.Cols+j]))).(color.NRGBA)
			for a := 0; a < fy; a++ {
				off := img.PixOffset(j*fx, i*fy+a)
				for b := 0; b < fx; b++ {
					img.Pix[off+4*b], img.Pix[off+4*b+1], img.Pix[off+4*b+2], img.Pix[off+4*b+3] = c.R, c.G, c.B, c.A
				}
			}
		}
	}
	return img
}

// downwardTicks labels an axis whose data coordinate is −y so that the
// printed values increase downward.
var downwardTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label == "" {
			continue
		}
		v := -ts[i].Value
		if math.Abs(v) < 1e-12*math.Max(math.Abs(min), math.Abs(max)) {
			v = 0
		}
		ts[i].Label = strconv.FormatFloat(v, 'g', 6, 64)
	}
	return ts
})

// rasterPlots builds the image plot and its colour-bar plot.
func rasterPlots(title string, r Raster, s ColorScale) (img, bar *plot.Plot, err error) {
	if err := r.check(); err != nil {
		return nil, nil, err
	}
	s, err = s.resolve(r.Data)
	if err != nil {
		return nil, nil, err
	}
	dx, dy := r.steps()
	xmin, xmax := r.X0, r.X0+float64(r.Cols)*dx
	// Data coordinates are −(vertical), so the top row (r = 0) is at −Y0.
	ytop, ybot := -r.Y0, -(r.Y0 + float64(r.Rows)*dy)

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = r.XLabel
	p.Y.Label.Text = r.YLabel
	p.Add(plotter.NewImage(r.image(&s), xmin, ybot, xmax, ytop))
	p.X.Min, p.X.Max = xmin, xmax
	p.Y.Min, p.Y.Max = ybot, ytop
	p.Y.Tick.Marker = downwardTicks
	p.X.Padding, p.Y.Padding = 0, 0 // image flush with the axes

	b := plot.New()
	b.HideX()
	b.Y.Label.Text = s.Label
	b.Add(&plotter.ColorBar{ColorMap: s.Map, Vertical: true})
	b.Y.Min, b.Y.Max = s.Min, s.Max
	return p, b, nil
}

// drawRaster draws an image plot with its colour bar on the right of c.
func drawRaster(c draw.Canvas, title string, r Raster, s ColorScale) error {
	p, b, err := rasterPlots(title, r, s)
	if err != nil {
		return err
	}
	// Fixed width: label, tick labels and a ~0.3 inch colour strip.
	barW := 1.05 * vg.Inch
	left := draw.Crop(c, 0, -barW, 0, 0)
	p.Draw(left)
	// Align the bar with the image's data area vertically.
	da := p.DataCanvas(left)
	right := draw.Crop(c, c.Size().X-barW+0.1*vg.Inch, 0, da.Min.Y-c.Min.Y, da.Max.Y-c.Max.Y)
	// The bar's tick labels stick out half a line above and below; give them
	// room so that the bar itself spans exactly the data area.
	pad := b.Y.Tick.Label.Font.Size / 2
	right = draw.Crop(right, 0, 0, -pad, pad)
	b.Y.Padding = 0
	b.X.Padding = 0
	b.Draw(right)
	return nil
}
