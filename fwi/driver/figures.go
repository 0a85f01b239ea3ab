package driver

import (
	"fmt"
	"math"
	"path/filepath"

	"genfwi/figures"
	"genfwi/fwi"
	"genfwi/metrics"
	"genfwi/wave"
)

// sampleFigures are the figures of one sample: misfit.png, compare.png and
// snapshots.png in dir.
type sampleFigures struct {
	dir                 string
	k                   int
	truth, start, final []float32
	snaps               [][]float32
	bands               []float64
	hist                []fwi.Iteration
	bounds              fwi.Bounds
}

func (f *sampleFigures) write() error {
	if err := f.misfit(); err != nil {
		return err
	}
	return f.models()
}

// misfit plots the misfit per band relative to the band's start (bands have
// different data, so absolute values are not comparable) against the
// global iteration count.
func (f *sampleFigures) misfit() error {
	var series []figures.Series
	x := 0
	for b := range f.bands {
		s := figures.Series{Name: BandName(f.bands[b])}
		j0 := math.NaN()
		for _, h := range f.hist {
			if h.Band != b {
				continue
			}
			if h.Iter > 0 {
				x++
			} else {
				j0 = h.Misfit
			}
			if math.IsNaN(j0) {
				j0 = h.Misfit // resumed without the band start: use the first entry
			}
			s.X = append(s.X, float64(x))
			s.Y = append(s.Y, h.Misfit/j0)
		}
		if len(s.Y) > 0 {
			series = append(series, s)
		}
	}
	if len(series) == 0 {
		return nil
	}
	return figures.Lines(filepath.Join(f.dir, "misfit.png"), figures.LineSpec{
		Title:  fmt.Sprintf("sample %d: data misfit relative to each band's start", f.k),
		XLabel: "iteration", YLabel: "J / J(band start)"}, series...)
}

// models draws true / start / inverted and the model after each band.
func (f *sampleFigures) models() error {
	const nz, nx = wave.OpenFWINz, wave.OpenFWINx
	scale := figures.VelocityScale(f.bounds.Min, f.bounds.Max)
	panel := func(title string, v []float32) figures.Panel {
		return figures.Panel{Title: title, Raster: figures.VelocityRaster(v, nz, nx, wave.OpenFWIH, wave.OpenFWIH), Scale: scale}
	}
	var cmp []figures.Panel
	if f.truth != nil {
		s0, s1 := metrics.Velocity(f.truth, f.start, nz, nx), metrics.Velocity(f.truth, f.final, nz, nx)
		cmp = append(cmp, panel("true", f.truth),
			panel(fmt.Sprintf("start (RMSE %.3f, SSIM %.3f)", s0.RMSE, s0.SSIM), f.start),
			panel(fmt.Sprintf("FWI (RMSE %.3f, SSIM %.3f)", s1.RMSE, s1.SSIM), f.final))
	} else {
		cmp = append(cmp, panel("start", f.start), panel("FWI", f.final))
	}
	if err := figures.Grid(filepath.Join(f.dir, "compare.png"), fmt.Sprintf("sample %d", f.k), cmp, len(cmp)); err != nil {
		return err
	}
	if len(f.snaps) == 0 {
		return nil
	}
	ps := []figures.Panel{panel("start", f.start)}
	for b, s := range f.snaps {
		if b < len(f.bands) {
			ps = append(ps, panel("after "+BandName(f.bands[b]), s))
		}
	}
	return figures.Grid(filepath.Join(f.dir, "snapshots.png"), fmt.Sprintf("sample %d: model after each band", f.k), ps, min(len(ps), 5))
}
