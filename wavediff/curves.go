package wavediff

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"genfwi/figures"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/tensor"
)

// CurvePoint is the PDE deviation of a set of decoded latents at one noise
// level. Level counts diffusion timesteps in the paper's sense: 0 is a clean
// latent (the autoencoder reconstruction in the forward process, the final
// sample in the reverse one) and T the fully noised latent z_T: a latent at
// the sampler's timestep t (0-based, as LDM) has Level t+1.
type CurvePoint struct {
	Process string         `json:"process"` // "forward" or "reverse"
	Level   int            `json:"level"`
	Noise   float64        `json:"noise_pct"` // 100·√(1−ᾱ) of the level (0 for a clean latent)
	Stats   DeviationStats `json:"deviation"`
}

// CurveOptions configure PDEDeviationCurves.
type CurveOptions struct {
	// Points is the number of noise levels recorded per process (≥ 2).
	Points int
	// Method, Steps, Eta: the reverse sampler (ddpm or ddim).
	Method string
	Steps  int
	Eta    float64
	// ClipX0 clamps the sampler's x0-prediction (diffusion.SampleOptions).
	ClipX0 float64
	// X0 decodes the sampler's x0-prediction ẑ0(z_t) instead of z_t.
	X0 bool
	// Seed drives the sampler and the forward noise.
	Seed uint64
	// Workers simulate in parallel (0 = GOMAXPROCS).
	Workers int
	// OnPoint, if set, is called after each point is measured.
	OnPoint func(CurvePoint)
	// Figure, if not empty, is a PNG path: for the first pair, the decoded
	// velocity and seismic, the re-simulated seismic F(v̂) and the
	// difference at every other recorded level (paper Fig. 7).
	Figure string
}

func noisePct(s *diffusion.Schedule, level int) float64 {
	if level <= 0 {
		return 0
	}
	return 100 * s.SqrtOneMinusAlphasCumprod[level-1]
}

// levelGrid returns Points levels from T down to 0, evenly spaced.
func levelGrid(T, points int) []int {
	var ls []int
	for j := 0; j < points; j++ {
		l := int(math.Round(float64(T) * float64(points-1-j) / float64(points-1)))
		if len(ls) == 0 || ls[len(ls)-1] != l {
			ls = append(ls, l)
		}
	}
	return ls
}

// ForwardCurve measures the PDE deviation along forward noising of real
// pairs (model resolution): h0 = E(pair), h_t = q_sample(h0, t) with one
// fixed noise draw, decoded and compared with the re-simulation of their own
// velocity. Level 0 is the autoencoder-reconstruction floor. Points are in
// increasing Level.
func ForwardCurve(ctx context.Context, dm *diffusion.Model, ae *vqae.Model, codec Codec, real *Pairs, o CurveOptions) ([]CurvePoint, error) {
	h0, err := EncodeLatents(ctx, ae, real)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x66776420))
	eps := tensor.New(h0.Shape...)
	for i := range eps.Data {
		eps.Data[i] = float32(rng.NormFloat64())
	}
	levels := levelGrid(dm.Sched.T, o.Points)
	var out []CurvePoint
	fig := processFigure{codec: codec}
	for i := len(levels) - 1; i >= 0; i-- {
		l := levels[i]
		h := h0
		if l > 0 {
			h = dm.QSample(h0, l-1, eps)
		}
		p, vel, seis, err := latentPoint(ctx, ae, codec, h, o.Workers)
		if err != nil {
			return nil, err
		}
		fig.add(l, vel, seis)
		pt := CurvePoint{Process: "forward", Level: l, Noise: noisePct(dm.Sched, l), Stats: p}
		out = append(out, pt)
		if o.OnPoint != nil {
			o.OnPoint(pt)
		}
	}
	if o.Figure != "" {
		if err := fig.write(ctx, o.Figure, "forward noising of a real pair", codec); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func latentPoint(ctx context.Context, ae *vqae.Model, codec Codec, h *tensor.Tensor, workers int) (DeviationStats, []float32, []float32, error) {
	vel, seis, err := Decode(ctx, ae, h)
	if err != nil {
		return DeviationStats{}, nil, nil, err
	}
	if vel == nil || seis == nil {
		return DeviationStats{}, nil, nil, fmt.Errorf("wavediff: PDE deviation needs an autoencoder that decodes both modalities (mode %q)", ae.Cfg.Mode)
	}
	ds, err := ModelDeviations(ctx, codec, vel, seis, workers, nil)
	if err != nil {
		return DeviationStats{}, nil, nil, err
	}
	return Summarize(ds), vel, seis, nil
}

// processFigure collects the first pair of each level for a Fig. 7-style
// figure.
type processFigure struct {
	codec      Codec
	levels     []int
	vels, seis [][]float32
}

func (f *processFigure) add(level int, vel, seis []float32) {
	f.levels = append(f.levels, level)
	f.vels = append(f.vels, append([]float32(nil), vel[:f.codec.VelLen()]...))
	f.seis = append(f.seis, append([]float32(nil), seis[:f.codec.SeisLen()]...))
}

// write draws every other level (always the first and last): rows of
// velocity v̂, generated gather ŝ, simulated gather F(v̂) and ŝ − F(v̂), all
// gathers on the clip of F(v̂).
func (f *processFigure) write(ctx context.Context, path, title string, codec Codec) error {
	var panels []figures.Panel
	for i := range f.levels {
		if i%2 == 1 && i != len(f.levels)-1 {
			continue
		}
		fv, fs := make([]float32, FullVel), make([]float32, FullSeis)
		codec.VelocityFromModel(fv, f.vels[i])
		codec.SeismicFromModel(fs, f.seis[i])
		v := append([]float32(nil), fv...)
		for k := range v {
			v[k] = min(max(v[k], float32(codec.Norm.LabelMin)), float32(codec.Norm.LabelMax))
		}
		syn := make([]float32, FullSeis)
		if err := defaultSimulate(ctx, v, syn); err != nil {
			return err
		}
		diff := make([]float32, FullSeis)
		for k := range diff {
			diff[k] = fs[k] - syn[k]
		}
		clip := figures.Percentile(syn[GalleryShot*1000*70:(GalleryShot+1)*1000*70], 99)
		t := fmt.Sprintf("t=%d", f.levels[i])
		panels = append(panels, VelocityPanel(t+" v̂", fv), GatherPanel(t+" ŝ", fs, clip), GatherPanel(t+" F(v̂)", syn, clip), GatherPanel(t+" ŝ−F(v̂)", diff, clip))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return figures.Grid(path, title+" (paper Fig. 7)", panels, 4)
}

// ReverseCurve samples n latents and measures the PDE deviation of the
// decoded pairs at Points noise levels along the reverse process, from z_T
// (Level T) to the final sample (Level 0). With o.X0 the x0-prediction of
// each recorded step is decoded instead of z_t. It also returns the final
// samples (model resolution). Points are in decreasing Level.
func ReverseCurve(ctx context.Context, dm *diffusion.Model, ae *vqae.Model, codec Codec, n int, o CurveOptions) ([]CurvePoint, []float32, []float32, error) {
	type rec struct {
		level int
		h     *tensor.Tensor
	}
	var recs []rec
	// A sampler step at timestep t holds z_t (Level t+1). DDIM visits only
	// some timesteps, so each wanted level is matched to the first visited
	// step at or below it.
	pending := levelGrid(dm.Sched.T, o.Points)
	cb := func(s diffusion.Step) error {
		l := s.T + 1
		for len(pending) > 0 && pending[0] > 0 && l <= pending[0] {
			src := s.Zt
			if o.X0 {
				src = s.X0
			}
			recs = append(recs, rec{level: l, h: cloneTensor(src)})
			pending = pending[1:]
			// Several wanted levels can map to one step; record it once.
			for len(pending) > 0 && pending[0] > 0 && l <= pending[0] {
				pending = pending[1:]
			}
		}
		return nil
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x67656e))
	h, err := dm.Sample(ctx, n, diffusion.SampleOptions{Method: o.Method, Steps: o.Steps, Eta: o.Eta, RNG: rng, ClipX0: o.ClipX0}, cb)
	if err != nil {
		return nil, nil, nil, err
	}
	recs = append(recs, rec{level: 0, h: h})
	var out []CurvePoint
	var vel, seis []float32
	fig := processFigure{codec: codec}
	for _, r := range recs {
		st, v, s, err := latentPoint(ctx, ae, codec, r.h, o.Workers)
		if err != nil {
			return nil, nil, nil, err
		}
		if r.level == 0 {
			vel, seis = v, s
		}
		fig.add(r.level, v, s)
		pt := CurvePoint{Process: "reverse", Level: r.level, Noise: noisePct(dm.Sched, r.level), Stats: st}
		out = append(out, pt)
		if o.OnPoint != nil {
			o.OnPoint(pt)
		}
	}
	if o.Figure != "" {
		if err := fig.write(ctx, o.Figure, "reverse sampling of a new pair", codec); err != nil {
			return nil, nil, nil, err
		}
	}
	return out, vel, seis, nil
}

func cloneTensor(t *tensor.Tensor) *tensor.Tensor {
	return tensor.FromSlice(append([]float32(nil), t.Data...), t.Shape...)
}

// Floors are the reference deviations of real pairs.
type Floors struct {
	// Real: the real pairs in the OpenFWI layout after normalise/de-normalise
	// (0 up to rounding, since their seismic was simulated from their maps).
	Real DeviationStats `json:"real"`
	// Resize: the real pairs taken to model resolution and back (no network):
	// what the 64×64 / 256×64 representation alone costs.
	Resize DeviationStats `json:"resize"`
	// Autoencoder: real pair → encode → decode (the clean forward point).
	Autoencoder DeviationStats `json:"autoencoder"`
}

// WriteCurves writes dir/pde_deviation.csv (one row per point, floors
// included as process "floor-…") and dir/pde_deviation.png (mean MSE in the
// normalised space against the noise level, log scale, both processes and
// the floors as horizontal lines).
func WriteCurves(dir string, fwd, rev []CurvePoint, fl Floors) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("process,level,noise_pct,n,mean_mse_norm,median_mse_norm,std_mse_norm,mean_rel_l2,median_rel_l2,mean_clipped\n")
	row := func(proc string, level int, noise float64, s DeviationStats) {
		fmt.Fprintf(&sb, "%s,%d,%.4g,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.4g\n", proc, level, noise, s.N, s.MeanMSENorm, s.MedianMSENorm, s.StdMSENorm, s.MeanRelL2, s.MedianRelL2, s.MeanClipped)
	}
	for _, p := range append(append([]CurvePoint(nil), fwd...), rev...) {
		row(p.Process, p.Level, p.Noise, p.Stats)
	}
	row("floor-real", 0, 0, fl.Real)
	row("floor-resize", 0, 0, fl.Resize)
	row("floor-autoencoder", 0, 0, fl.Autoencoder)
	if err := writeFileAtomic(filepath.Join(dir, "pde_deviation.csv"), []byte(sb.String())); err != nil {
		return err
	}
	series := func(name string, ps []CurvePoint, rel bool) figures.Series {
		s := figures.Series{Name: name}
		for _, p := range ps {
			s.X = append(s.X, float64(p.Level))
			if rel {
				s.Y = append(s.Y, p.Stats.MeanRelL2)
			} else {
				s.Y = append(s.Y, p.Stats.MeanMSENorm)
			}
		}
		return s
	}
	flat := func(name string, v float64, T int) figures.Series {
		return figures.Series{Name: name, X: []float64{0, float64(T)}, Y: []float64{v, v}}
	}
	T := 0
	for _, p := range append(append([]CurvePoint(nil), fwd...), rev...) {
		T = max(T, p.Level)
	}
	for _, p := range []struct {
		file, title, yLabel string
		relL2               bool
		ae, resize          float64
	}{
		{"pde_deviation.png", "PDE deviation: MSE(N(ŝ), N(F(v̂))) in the normalised seismic space", "mean MSE (normalised units²)",
			false, fl.Autoencoder.MeanMSENorm, fl.Resize.MeanMSENorm},
		{"pde_deviation_rel_l2.png", "PDE deviation: ‖ŝ − F(v̂)‖/‖F(v̂)‖ in physical units", "mean relative L2",
			true, fl.Autoencoder.MeanRelL2, fl.Resize.MeanRelL2},
	} {
		var ss []figures.Series
		if len(fwd) > 0 {
			ss = append(ss, series("forward noising (real pairs)", fwd, p.relL2))
		}
		if len(rev) > 0 {
			ss = append(ss, series("reverse sampling (generated)", rev, p.relL2))
		}
		ss = append(ss, flat("floor: autoencoder reconstruction", p.ae, T), flat("floor: model-resolution resize", p.resize, T))
		if err := figures.Lines(filepath.Join(dir, p.file), figures.LineSpec{Title: p.title,
			XLabel: "diffusion level t (0 = clean, T = pure noise)", YLabel: p.yLabel, LogY: true}, ss...); err != nil {
			return err
		}
	}
	return nil
}

// RealFloors computes the real and resize floors of real pairs given in the
// OpenFWI layout (vels n×4900 m/s, seis n×350000 simulated from vels).
func RealFloors(ctx context.Context, codec Codec, vels, seis []float32, workers int) (real, resize DeviationStats, err error) {
	n := len(vels) / FullVel
	sn := make([]float32, len(seis))
	codec.Norm.Data(sn, seis)
	codec.Norm.DataInverse(sn, sn)
	d, err := PDEDeviations(ctx, codec, vels, sn, nil, workers, nil)
	if err != nil {
		return
	}
	real = Summarize(d)
	vl, sl := codec.VelLen(), codec.SeisLen()
	mv, ms := make([]float32, n*vl), make([]float32, n*sl)
	for i := 0; i < n; i++ {
		codec.VelocityToModel(mv[i*vl:(i+1)*vl], vels[i*FullVel:(i+1)*FullVel])
		codec.SeismicToModel(ms[i*sl:(i+1)*sl], seis[i*FullSeis:(i+1)*FullSeis])
	}
	d, err = ModelDeviations(ctx, codec, mv, ms, workers, nil)
	if err != nil {
		return
	}
	return real, Summarize(d), nil
}
