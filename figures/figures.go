package figures

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Image writes one raster with a colour bar to the PNG file path. If
// s.Min >= s.Max the colour scale spans the data range.
func Image(path, title string, r Raster, s ColorScale) error {
	return render(path, 6.4*vg.Inch, 5*vg.Inch, func(c draw.Canvas) error {
		return drawRaster(c, title, r, s)
	})
}

// VelocityRaster wraps an nz×nx velocity map v in m/s (row-major, row 0 at
// the surface) with cell sizes dz, dx in m as a Raster with axes "x (m)" and
// "depth (m)" increasing downward. It does not copy v.
func VelocityRaster(v []float32, nz, nx int, dz, dx float64) Raster {
	return Raster{Data: v, Rows: nz, Cols: nx, DX: dx, DY: dz, XLabel: "x (m)", YLabel: "depth (m)"}
}

// VelocityScale is the colour scale of velocity maps: viridis from vmin to
// vmax m/s with the label "velocity (m/s)". vmin >= vmax means the data range.
func VelocityScale(vmin, vmax float64) ColorScale {
	return ColorScale{Min: vmin, Max: vmax, Label: "velocity (m/s)", Map: Viridis()}
}

// VelocityMap writes an nz×nx velocity map v (m/s, row-major, row 0 at the
// surface, cells dz×dx m) as a heat map with x (m) across, depth (m)
// increasing downward and a colour bar in m/s spanning [vmin, vmax]
// (vmin >= vmax: the map's own range). OpenFWI maps use 1500…4500 m/s.
func VelocityMap(path, title string, v []float32, nz, nx int, dz, dx, vmin, vmax float64) error {
	return Image(path, title, VelocityRaster(v, nz, nx, dz, dx), VelocityScale(vmin, vmax))
}

// GatherRaster wraps one shot gather d in the OpenFWI layout [t][receiver]
// (nt rows of nrec values) as a Raster: receivers across at spacing drec m
// starting at x0 m, time (s) down at step dt s. It does not copy d.
func GatherRaster(d []float32, nt, nrec int, dt, x0, drec float64) Raster {
	// Centre the cells on the receiver positions and sample times.
	return Raster{Data: d, Rows: nt, Cols: nrec, X0: x0 - drec/2, DX: drec, Y0: -dt / 2, DY: dt,
		XLabel: "receiver x (m)", YLabel: "time (s)"}
}

// GatherLabel is the colour-bar label of seismic data: the recorded
// pressure, in the simulator's arbitrary units (a unit-amplitude source).
const GatherLabel = "pressure (arbitrary units)"

// GatherScale is the symmetric diverging colour scale ±clip for seismic data
// (label GatherLabel). If clip <= 0 it is chosen from the data: the 95th
// percentile of |d|, which saturates the direct wave so that reflections show.
func GatherScale(d []float32, clip float64) ColorScale {
	if clip <= 0 {
		clip = Percentile(d, 95)
		if clip == 0 {
			clip = 1
		}
	}
	return ColorScale{Min: -clip, Max: clip, Label: GatherLabel, Map: Diverging()}
}

// ShotGather writes one shot gather d ([t][receiver], nt×nrec, time step dt
// s, receiver spacing drec m from x0 m) as an image with time increasing
// downward and a symmetric colour bar ±clip (clip <= 0: 95th percentile of |d|).
func ShotGather(path, title string, d []float32, nt, nrec int, dt, x0, drec, clip float64) error {
	return Image(path, title, GatherRaster(d, nt, nrec, dt, x0, drec), GatherScale(d, clip))
}

// Percentile returns the p-th percentile (0…100, nearest rank) of |d|,
// ignoring NaNs; 0 for empty input. It allocates a copy of d.
func Percentile(d []float32, p float64) float64 {
	a := make([]float64, 0, len(d))
	for _, v := range d {
		if f := math.Abs(float64(v)); !math.IsNaN(f) {
			a = append(a, f)
		}
	}
	if len(a) == 0 {
		return 0
	}
	slices.Sort(a)
	k := int(math.Ceil(p/100*float64(len(a)))) - 1
	return a[min(max(k, 0), len(a)-1)]
}

// Series is one named curve of a line plot: Y[i] against X[i]. If X is nil
// the abscissa is 0, 1, 2, … (e.g. iterations).
type Series struct {
	Name string
	X, Y []float64
}

// LineSpec describes the axes of a line plot.
type LineSpec struct {
	Title, XLabel, YLabel string
	// LogY plots Y on a log10 scale (non-positive values are dropped), as is
	// usual for misfit curves.
	LogY bool
}

// Lines writes one or more curves (misfit against iteration, metric against
// step, …) with labelled axes and a legend to the PNG file path.
func Lines(path string, spec LineSpec, series ...Series) error {
	if len(series) == 0 {
		return fmt.Errorf("figures: %s: no series to plot", path)
	}
	p := plot.New()
	p.Title.Text = spec.Title
	p.X.Label.Text = spec.XLabel
	p.Y.Label.Text = spec.YLabel
	if spec.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for i, s := range series {
		if s.X != nil && len(s.X) != len(s.Y) {
			return fmt.Errorf("figures: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		xy := make(plotter.XYs, 0, len(s.Y))
		for j, y := range s.Y {
			x := float64(j)
			if s.X != nil {
				x = s.X[j]
			}
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(y, 0) || (spec.LogY && y <= 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: x, Y: y})
			ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
		}
		if len(xy) == 0 {
			return fmt.Errorf("figures: series %q has no plottable points", s.Name)
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("figures: series %q: %w", s.Name, err)
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		if len(xy) == 1 { // a single point would be invisible as a line
			sc, _ := plotter.NewScatter(xy)
			sc.Color = l.Color
			p.Add(sc)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
	}
	if spec.LogY && ylo == yhi {
		// One value only: gonum would widen the axis to y ± 1, below zero
		// for y < 1, which a log scale cannot draw (it panics).
		p.Y.Min, p.Y.Max = ylo/2, yhi*2
	}
	// Bottom left: decreasing curves (misfits, errors) rarely go there.
	p.Legend.Top = false
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(10)
	p.Legend.YOffs = vg.Points(10)
	p.Legend.Padding = vg.Points(3)
	return render(path, 6.4*vg.Inch, 4.2*vg.Inch, func(c draw.Canvas) error {
		p.Draw(c)
		return nil
	})
}

// Panel is one image of a Grid: a raster, its colour scale and a title.
type Panel struct {
	Title  string
	Raster Raster
	Scale  ColorScale
}

// Grid writes panels in a grid of cols columns (rows as needed), each with
// its own title and colour bar, under an optional overall title — for
// galleries and true/start/inverted comparisons. Give the panels the same
// Scale to compare them on one colour scale.
func Grid(path, title string, panels []Panel, cols int) error {
	if len(panels) == 0 {
		return fmt.Errorf("figures: %s: no panels", path)
	}
	if cols <= 0 || cols > len(panels) {
		cols = len(panels)
	}
	rows := (len(panels) + cols - 1) / cols
	const tileW, tileH = 4.6 * vg.Inch, 3.8 * vg.Inch
	head := vg.Length(0)
	if title != "" {
		head = 0.45 * vg.Inch
	}
	w, h := vg.Length(cols)*tileW, vg.Length(rows)*tileH+head
	return render(path, w, h, func(c draw.Canvas) error {
		if title != "" {
			sty := plot.New().Title.TextStyle
			sty.Font.Size = vg.Points(15)
			c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y - head/2}, title)
			c = draw.Crop(c, 0, 0, 0, -head)
		}
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 0.1 * vg.Inch, PadY: 0.1 * vg.Inch,
			PadLeft: 0.05 * vg.Inch, PadRight: 0.05 * vg.Inch, PadTop: 0.05 * vg.Inch, PadBottom: 0.05 * vg.Inch}
		for i, pn := range panels {
			if err := drawRaster(tiles.At(c, i%cols, i/cols), pn.Title, pn.Raster, pn.Scale); err != nil {
				return fmt.Errorf("panel %d (%q): %w", i, pn.Title, err)
			}
		}
		return nil
	})
}
