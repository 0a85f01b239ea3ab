package wise

import (
	"context"
	"fmt"
	"genfwi/metrics"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"genfwi/figures"
	"genfwi/internal/atomicfile"
)

// HeadlineLevels are the central credible levels reported by "genfwi eval
// calibration".
var HeadlineLevels = []float64{0.5, 0.8, 0.9, 0.95}

// CurveLevels are the levels of the calibration curve (they include
// HeadlineLevels).
var CurveLevels = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99}

// Calibration accumulates the coverage of pointwise central credible
// intervals: for level p, the interval of a pixel is [q_{(1−p)/2},
// q_{(1+p)/2}] of its posterior samples (linear interpolation between
// order statistics, Quantile), and the coverage is the fraction of true
// pixels inside. A calibrated posterior covers a fraction p at level p.
type Calibration struct {
	Levels []float64
	inside []int64
	total  int64
	perMap [][]float64
}

// NewCalibration starts an empty accumulation over levels in (0, 1).
func NewCalibration(levels []float64) (*Calibration, error) {
	for _, p := range levels {
		if !(p > 0 && p < 1) {
			return nil, fmt.Errorf("wise: credible level %g not in (0, 1)", p)
		}
	}
	return &Calibration{Levels: slices.Clone(levels), inside: make([]int64, len(levels))}, nil
}

// Add records one map: its posterior samples and the truth (m/s).
func (c *Calibration) Add(p *Posterior, truth []float32) error {
	pix := p.Nz * p.Nx
	if len(truth) != pix {
		return fmt.Errorf("wise: truth has %d values, the posterior %d", len(truth), pix)
	}
	if p.N < 2 {
		return fmt.Errorf("wise: calibration needs at least 2 samples per map, got %d", p.N)
	}
	col := make([]float64, p.N)
	in := make([]int64, len(c.Levels))
	for j := 0; j < pix; j++ {
		for i := range col {
			col[i] = float64(p.Samples[i*pix+j])
		}
		slices.Sort(col)
		t := float64(truth[j])
		for k, lv := range c.Levels {
			if lo, hi := Quantile(col, (1-lv)/2), Quantile(col, (1+lv)/2); t >= lo && t <= hi {
				in[k]++
			}
		}
	}
	m := make([]float64, len(c.Levels))
	for k := range in {
		c.inside[k] += in[k]
		m[k] = float64(in[k]) / float64(pix)
	}
	c.total += int64(pix)
	c.perMap = append(c.perMap, m)
	return nil
}

// CalibrationResult is the coverage at each level over every pixel of
// every map added.
type CalibrationResult struct {
	Levels   []float64 `json:"levels"`
	Coverage []float64 `json:"coverage"`
	// MapStd is the standard deviation of the per-map coverage.
	MapStd []float64 `json:"map_std"`
	Maps   int       `json:"maps"`
	Pixels int64     `json:"pixels"`
	// Samples is the number of posterior samples per map.
	Samples int `json:"samples"`
	// CM and CMms are the scores of the conditional means over the maps
	// (OpenFWI scale and m/s; set means as metrics.Summary: RMSE is
	// √(mean MSE)), filled by Calibrate.
	CM   *metrics.Scores `json:"cm,omitempty"`
	CMms *metrics.Scores `json:"cm_ms,omitempty"`
	// MeanStd is the mean pointwise posterior standard deviation (m/s).
	MeanStd float64 `json:"mean_std_ms,omitempty"`
}

// Result returns the accumulated coverage.
func (c *Calibration) Result() *CalibrationResult {
	r := &CalibrationResult{Levels: slices.Clone(c.Levels), Maps: len(c.perMap), Pixels: c.total,
		Coverage: make([]float64, len(c.Levels)), MapStd: make([]float64, len(c.Levels))}
	for k := range c.Levels {
		if c.total > 0 {
			r.Coverage[k] = float64(c.inside[k]) / float64(c.total)
		}
		if n := len(c.perMap); n > 1 {
			mu, q := 0.0, 0.0
			for _, m := range c.perMap {
				mu += m[k] / float64(n)
			}
			for _, m := range c.perMap {
				q += (m[k] - mu) * (m[k] - mu)
			}
			r.MapStd[k] = math.Sqrt(q / float64(n-1))
		}
	}
	return r
}

// At returns the coverage at level p (NaN if p was not accumulated).
func (r *CalibrationResult) At(p float64) float64 {
	for k, l := range r.Levels {
		if math.Abs(l-p) < 1e-9 {
			return r.Coverage[k]
		}
	}
	return math.NaN()
}

// Write writes calibration.csv (level, coverage, map_std) and
// calibration.png (coverage against level with the diagonal) into dir.
func (r *CalibrationResult) Write(dir, title string) error {
	var sb strings.Builder
	sb.WriteString("level,coverage,map_std,maps,samples\n")
	for k, l := range r.Levels {
		fmt.Fprintf(&sb, "%g,%.6f,%.6f,%d,%d\n", l, r.Coverage[k], r.MapStd[k], r.Maps, r.Samples)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "calibration.csv"), []byte(sb.String())); err != nil {
		return err
	}
	x := append([]float64{0}, r.Levels...)
	y := append([]float64{0}, r.Coverage...)
	x, y = append(x, 1), append(y, 1)
	return figures.Lines(filepath.Join(dir, "calibration.png"),
		figures.LineSpec{Title: title, XLabel: "central credible level", YLabel: "fraction of true pixels inside"},
		figures.Series{Name: "calibrated (diagonal)", X: []float64{0, 1}, Y: []float64{0, 1}},
		figures.Series{Name: fmt.Sprintf("posterior (%d maps × %d samples)", r.Maps, r.Samples), X: x, Y: y})
}

// Calibrate measures the coverage of m's posterior on up to n pairs of data
// (evenly spaced; all if n ≤ 0 or n ≥ data.Len()) with samples posterior
// samples per map, latents of map i drawn from seed and i. onMap, if set,
// is called after each map.
func Calibrate(ctx context.Context, m *Model, data Pairs, n, samples int, seed uint64, onMap func(done, total int)) (*CalibrationResult, error) {
	inf := data.Info()
	if err := m.Data.Compatible(inf); err != nil {
		return nil, fmt.Errorf("calibration data: %w", err)
	}
	if n <= 0 || n > data.Len() {
		n = data.Len()
	}
	if n == 0 {
		return nil, fmt.Errorf("calibration data: no pairs")
	}
	c, err := NewCalibration(CurveLevels)
	if err != nil {
		return nil, err
	}
	pix := inf.Nz * inf.Nx
	vel, g := make([]float32, pix), make([]float32, len(inf.Offsets)*pix)
	data = Rescaled(data, m.Data.MaxY)
	var cm, cmms metrics.Summary
	var stdSum float64
	for k := 0; k < n; k++ {
		i := k * data.Len() / n
		if err := data.Read(i, vel, g); err != nil {
			return nil, fmt.Errorf("reading pair %d: %w", i, err)
		}
		p, err := m.Sample(ctx, g, samples, seed^(streamVal|uint64(i)))
		if err != nil {
			return nil, fmt.Errorf("pair %d: %w", i, err)
		}
		if err := c.Add(p, vel); err != nil {
			return nil, err
		}
		cm.Add(metrics.Velocity(vel, p.CM, inf.Nz, inf.Nx))
		cmms.Add(metrics.VelocityMS(vel, p.CM, inf.Nz, inf.Nx))
		for _, v := range p.Std {
			stdSum += float64(v)
		}
		if onMap != nil {
			onMap(k+1, n)
		}
	}
	r := c.Result()
	r.Samples = samples
	a, b := cm.Mean(), cmms.Mean()
	r.CM, r.CMms = &a, &b
	r.MeanStd = stdSum / float64(n*pix)
	return r, nil
}

// gatherRescale returns the factor that turns gathers normalised by
// dataMaxY into gathers normalised by modelMaxY (1 if either is unknown).
func gatherRescale(modelMaxY, dataMaxY float32) float32 {
	if modelMaxY <= 0 || dataMaxY <= 0 {
		return 1
	}
	return dataMaxY / modelMaxY
}
