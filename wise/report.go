package wise

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"genfwi/internal/rundir"
	"genfwi/npy"
)

// PosteriorReport lists what WritePosterior wrote and the headline
// numbers (also DIR/metrics.json).
type PosteriorReport struct {
	Samples int `json:"samples"`
	Nz      int `json:"nz"`
	Nx      int `json:"nx"`
	// Scores of the conditional mean; nil when the truth is unknown.
	Scores *Scores `json:"scores,omitempty"`
	// MeanStd is the mean pointwise standard deviation (m/s).
	MeanStd float64 `json:"mean_std_ms"`
	// CMRange is the [min, max] of the conditional mean (m/s).
	CMRange [2]float64 `json:"cm_range_ms"`
	// Files are the paths written.
	Files []string `json:"files"`
	// Extra holds what the caller adds (data, model, seed, timings).
	Extra map[string]any `json:"extra,omitempty"`
}

// WritePosterior writes into dir: samples.npy (N, 1, Nz, Nx), cm.npy and
// std.npy (1, 1, Nz, Nx), truth.npy and error.npy (the true model the
// observation was simulated from, after any resize or perturbation, and
// |CM − truth|; when truth is given), all float32 m/s; the figures posterior_maps.png, posterior_traces.png and
// posterior_histograms.png (see the *Figure functions); and metrics.json
// (the report, with extra under "extra"). h is the grid spacing in m.
func WritePosterior(dir string, p *Posterior, truth []float32, h float64, fo FigureOptions, extra map[string]any) (*PosteriorReport, error) {
	pix := p.Nz * p.Nx
	if truth != nil && len(truth) != pix {
		return nil, fmt.Errorf("wise: truth has %d values, the posterior %d×%d", len(truth), p.Nz, p.Nx)
	}
	if err := fo.resolve(p.Nz, p.Nx); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := &PosteriorReport{Samples: p.N, Nz: p.Nz, Nx: p.Nx, Extra: extra}
	lo, hi := minMax(p.CM)
	r.CMRange = [2]float64{lo, hi}
	for _, v := range p.Std {
		r.MeanStd += float64(v)
	}
	r.MeanStd /= float64(pix)
	write := func(name string, shape []int, v []float32) error {
		path := filepath.Join(dir, name)
		if err := npy.WriteFileFloat32(path, npy.Float32, shape, v); err != nil {
			return err
		}
		r.Files = append(r.Files, path)
		return nil
	}
	one := []int{1, 1, p.Nz, p.Nx}
	if err := write("samples.npy", []int{p.N, 1, p.Nz, p.Nx}, p.Samples); err != nil {
		return nil, err
	}
	if err := write("cm.npy", one, p.CM); err != nil {
		return nil, err
	}
	if err := write("std.npy", one, p.Std); err != nil {
		return nil, err
	}
	if truth != nil {
		// The truth as the run saw it: after the resize to the model grid
		// and the out-of-distribution perturbation it differs from the
		// input file, and signed comparisons need it.
		if err := write("truth.npy", one, truth); err != nil {
			return nil, err
		}
		if err := write("error.npy", one, p.AbsError(truth)); err != nil {
			return nil, err
		}
		s := p.Score(truth)
		r.Scores = &s
	}
	title := fo.Title
	figs := []struct {
		name string
		fn   func(path string) error
	}{
		{"posterior_maps.png", func(path string) error { return PosteriorMapsFigure(path, p, truth, h, title) }},
		{"posterior_traces.png", func(path string) error { return PosteriorTracesFigure(path, p, truth, h, fo) }},
		{"posterior_histograms.png", func(path string) error { return PosteriorHistogramsFigure(path, p, truth, h, fo) }},
	}
	for _, f := range figs {
		path := filepath.Join(dir, f.name)
		if err := f.fn(path); err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		r.Files = append(r.Files, path)
	}
	r.Files = append(r.Files, filepath.Join(dir, "metrics.json"))
	if math.IsNaN(r.MeanStd) {
		return nil, fmt.Errorf("wise: posterior samples contain NaN")
	}
	return r, rundir.WriteJSON(filepath.Join(dir, "metrics.json"), r)
}

// PosteriorFiles are the names WritePosterior may write (for output
// checks before a run).
var PosteriorFiles = []string{"samples.npy", "cm.npy", "std.npy", "truth.npy", "error.npy", "metrics.json",
	"posterior_maps.png", "posterior_traces.png", "posterior_histograms.png"}
