package wise

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"genfwi/figures"
	"genfwi/internal/atomicfile"
)

// FigureOptions place the traces and histograms of the posterior figures.
type FigureOptions struct {
	// Title heads the figures (e.g. the data's name).
	Title string
	// TraceZ and TraceX are the row of the horizontal trace and the column
	// of the vertical trace (−1: the middle).
	TraceZ, TraceX int
	// HistZ are the two rows whose values are histogrammed (nil: a quarter
	// and three quarters of the depth).
	HistZ []int
	// Band is the central probability of the shaded band of the traces
	// (0.9: the 5–95 % band).
	Band float64
}

func (o *FigureOptions) resolve(nz, nx int) error {
	if o.TraceZ < 0 {
		o.TraceZ = nz / 2
	}
	if o.TraceX < 0 {
		o.TraceX = nx / 2
	}
	if o.HistZ == nil {
		o.HistZ = []int{nz / 4, 3 * nz / 4}
	}
	if o.Band <= 0 || o.Band >= 1 {
		o.Band = 0.9
	}
	if o.TraceZ >= nz || o.TraceX >= nx {
		return fmt.Errorf("trace position (z %d, x %d) outside the %d×%d grid", o.TraceZ, o.TraceX, nz, nx)
	}
	for _, z := range o.HistZ {
		if z < 0 || z >= nz {
			return fmt.Errorf("histogram depth row %d outside the %d rows", z, nz)
		}
	}
	return nil
}

// Colours of the posterior figures (WISER Fig. 1: truth blue, WISE
// samples yellow).
var (
	colTruth   = color.NRGBA{R: 31, G: 119, B: 180, A: 255}
	colCM      = color.NRGBA{R: 214, G: 39, B: 40, A: 255}
	colBand    = color.NRGBA{R: 240, G: 190, B: 40, A: 110}
	colSamples = color.NRGBA{R: 240, G: 190, B: 40, A: 170}
	colTruthH  = color.NRGBA{R: 31, G: 119, B: 180, A: 130}
)

// PosteriorMapsFigure writes a grid of maps on common colour scales with
// colour bars in m/s: truth (if known) and conditional mean on one velocity
// scale; pointwise standard deviation and |CM − truth| on one deviation
// scale.
func PosteriorMapsFigure(path string, p *Posterior, truth []float32, h float64, title string) error {
	lo, hi := minMax(p.CM)
	if truth != nil {
		tl, th := minMax(truth)
		lo, hi = min(lo, tl), max(hi, th)
	}
	vs := figures.VelocityScale(lo, hi)
	var errv []float32
	_, dmax := minMax(p.Std)
	if truth != nil {
		errv = p.AbsError(truth)
		_, em := minMax(errv)
		dmax = max(dmax, em)
	}
	if dmax <= 0 {
		dmax = 1
	}
	ds := figures.ColorScale{Min: 0, Max: dmax, Label: "m/s"}
	r := func(v []float32) figures.Raster { return figures.VelocityRaster(v, p.Nz, p.Nx, h, h) }
	var panels []figures.Panel
	if truth != nil {
		panels = append(panels, figures.Panel{Title: "truth", Raster: r(truth), Scale: vs})
	}
	panels = append(panels, figures.Panel{Title: fmt.Sprintf("conditional mean (%d samples)", p.N), Raster: r(p.CM), Scale: vs},
		figures.Panel{Title: "pointwise std", Raster: r(p.Std), Scale: ds})
	if truth != nil {
		panels = append(panels, figures.Panel{Title: "|CM − truth|", Raster: r(errv), Scale: ds})
	}
	return figures.Grid(path, title, panels, 2)
}

// PosteriorTracesFigure writes the horizontal trace at row o.TraceZ and the
// vertical trace at column o.TraceX: the central o.Band band of the
// samples, the conditional mean and the truth (if known).
func PosteriorTracesFigure(path string, p *Posterior, truth []float32, h float64, o FigureOptions) error {
	if err := o.resolve(p.Nz, p.Nx); err != nil {
		return err
	}
	qlo, qhi := (1-o.Band)/2, (1+o.Band)/2
	band := fmt.Sprintf("%.3g–%.3g %% of samples", 100*qlo, 100*qhi)
	// Horizontal: velocity against x.
	hp := plot.New()
	hp.Title.Text = fmt.Sprintf("horizontal trace at z = %g m", float64(o.TraceZ)*h)
	hp.X.Label.Text, hp.Y.Label.Text = "x (m)", "velocity (m/s)"
	var lo, hi, cm, tr plotter.XYs
	col := make([]float64, p.N)
	for ix := 0; ix < p.Nx; ix++ {
		j := o.TraceZ*p.Nx + ix
		a, b := pointQuantiles(p, j, col, qlo, qhi)
		x := float64(ix) * h
		lo, hi = append(lo, plotter.XY{X: x, Y: a}), append(hi, plotter.XY{X: x, Y: b})
		cm = append(cm, plotter.XY{X: x, Y: float64(p.CM[j])})
		if truth != nil {
			tr = append(tr, plotter.XY{X: x, Y: float64(truth[j])})
		}
	}
	if err := addTrace(hp, lo, hi, cm, tr, band); err != nil {
		return err
	}
	// Vertical: velocity (horizontal axis) against depth (downward).
	vp := plot.New()
	vp.Title.Text = fmt.Sprintf("vertical trace at x = %g m", float64(o.TraceX)*h)
	vp.X.Label.Text, vp.Y.Label.Text = "velocity (m/s)", "depth (m)"
	vp.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	lo, hi, cm, tr = nil, nil, nil, nil
	for iz := 0; iz < p.Nz; iz++ {
		j := iz*p.Nx + o.TraceX
		a, b := pointQuantiles(p, j, col, qlo, qhi)
		z := float64(iz) * h
		lo, hi = append(lo, plotter.XY{X: a, Y: z}), append(hi, plotter.XY{X: b, Y: z})
		cm = append(cm, plotter.XY{X: float64(p.CM[j]), Y: z})
		if truth != nil {
			tr = append(tr, plotter.XY{X: float64(truth[j]), Y: z})
		}
	}
	if err := addTrace(vp, lo, hi, cm, tr, band); err != nil {
		return err
	}
	return renderPlots(path, o.Title, []*plot.Plot{hp, vp}, 6*vg.Inch, 4.4*vg.Inch)
}

// pointQuantiles returns the qlo and qhi quantiles of pixel j over the
// samples (col is scratch of length p.N).
func pointQuantiles(p *Posterior, j int, col []float64, qlo, qhi float64) (float64, float64) {
	pix := p.Nz * p.Nx
	for i := range col {
		col[i] = float64(p.Samples[i*pix+j])
	}
	slices.Sort(col)
	return Quantile(col, qlo), Quantile(col, qhi)
}

// addTrace draws a band between lo and hi, the CM line and the truth line.
func addTrace(p *plot.Plot, lo, hi, cm, tr plotter.XYs, band string) error {
	ring := append(slices.Clone(lo), reversed(hi)...)
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return err
	}
	poly.Color = colBand
	poly.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), poly)
	p.Legend.Add(band, poly)
	l, err := plotter.NewLine(cm)
	if err != nil {
		return err
	}
	l.Color, l.Width = colCM, vg.Points(1.5)
	p.Add(l)
	p.Legend.Add("conditional mean", l)
	if tr != nil {
		t, err := plotter.NewLine(tr)
		if err != nil {
			return err
		}
		t.Color, t.Width = colTruth, vg.Points(1.5)
		t.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(t)
		p.Legend.Add("truth", t)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(2)
	return nil
}

func reversed(a plotter.XYs) plotter.XYs {
	b := slices.Clone(a)
	slices.Reverse(b)
	return b
}

// PosteriorHistogramsFigure writes, for each row of o.HistZ, the histogram
// of the sample values along that row (all samples, all x) and of the
// truth's values there, both as densities on the same bins (WISER Fig. 1b).
func PosteriorHistogramsFigure(path string, p *Posterior, truth []float32, h float64, o FigureOptions) error {
	if err := o.resolve(p.Nz, p.Nx); err != nil {
		return err
	}
	pix := p.Nz * p.Nx
	var plots []*plot.Plot
	for _, z := range o.HistZ {
		var sv, tv []float64
		for i := 0; i < p.N; i++ {
			for x := 0; x < p.Nx; x++ {
				sv = append(sv, float64(p.Samples[i*pix+z*p.Nx+x]))
			}
		}
		if truth != nil {
			for x := 0; x < p.Nx; x++ {
				tv = append(tv, float64(truth[z*p.Nx+x]))
			}
		}
		lo, hi := slices.Min(sv), slices.Max(sv)
		if len(tv) > 0 {
			lo, hi = min(lo, slices.Min(tv)), max(hi, slices.Max(tv))
		}
		if hi <= lo {
			lo, hi = lo-1, hi+1
		}
		pl := plot.New()
		pl.Title.Text = fmt.Sprintf("values at depth %g m", float64(z)*h)
		pl.X.Label.Text, pl.Y.Label.Text = "velocity (m/s)", "density"
		pl.Add(plotter.NewGrid())
		add := func(v []float64, c color.Color, name string) error {
			xy := make(plotter.XYs, 0, len(v)+2)
			for _, x := range v {
				xy = append(xy, plotter.XY{X: x, Y: 1})
			}
			xy = append(xy, plotter.XY{X: lo, Y: 0}, plotter.XY{X: hi, Y: 0}) // shared bins
			hg, err := plotter.NewHistogram(xy, 30)
			if err != nil {
				return err
			}
			hg.Normalize(1)
			hg.FillColor = c
			hg.LineStyle.Width = vg.Points(0.5)
			pl.Add(hg)
			pl.Legend.Add(name, hg)
			return nil
		}
		if err := add(sv, colSamples, fmt.Sprintf("posterior samples (%d)", p.N)); err != nil {
			return err
		}
		if tv != nil {
			if err := add(tv, colTruthH, "truth"); err != nil {
				return err
			}
		}
		pl.Legend.Top = true
		plots = append(plots, pl)
	}
	return renderPlots(path, o.Title, plots, 5*vg.Inch, 3.8*vg.Inch)
}

// renderPlots draws plots side by side under an optional title and writes
// the PNG atomically.
func renderPlots(path, title string, ps []*plot.Plot, tileW, tileH vg.Length) error {
	head := vg.Length(0)
	if title != "" {
		head = 0.4 * vg.Inch
	}
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(len(ps))*tileW, tileH+head), vgimg.UseDPI(110))
	c := draw.New(img)
	if title != "" {
		sty := plot.New().Title.TextStyle
		sty.Font.Size = vg.Points(14)
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y - head/2}, title)
		c = draw.Crop(c, 0, 0, 0, -head)
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(ps), PadX: 0.15 * vg.Inch, PadLeft: 0.05 * vg.Inch, PadRight: 0.1 * vg.Inch,
		PadTop: 0.05 * vg.Inch, PadBottom: 0.05 * vg.Inch}
	for i, p := range ps {
		p.Draw(tiles.At(c, i, 0))
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

func minMax(v []float32) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = min(lo, float64(x)), max(hi, float64(x))
	}
	return lo, hi
}

// Quantile returns the q-quantile of sorted values with linear
// interpolation between order statistics (numpy's default, "type 7").
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	pos := q * float64(n-1)
	i := int(math.Floor(pos))
	if i >= n-1 {
		return sorted[n-1]
	}
	if i < 0 {
		return sorted[0]
	}
	f := pos - float64(i)
	return sorted[i] + f*(sorted[i+1]-sorted[i])
}
