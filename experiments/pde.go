package experiments

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"genfwi/metrics"
	"genfwi/models/vqae"
	"genfwi/wavediff"
)

// PDEOptions are the options of PDEDeviation.
type PDEOptions struct {
	Sampling
	// Points is the number of noise levels recorded per process (>= 2).
	Points int
	// X0 decodes the x0-prediction ẑ0(z_t) along the reverse process
	// instead of z_t.
	X0 bool
	// Out is the output directory.
	Out string
	// OnPoint, if set, is called after each recorded level.
	OnPoint func(p wavediff.CurvePoint)
}

// PDEResult is the headline of PDEDeviation, also written to
// Out/pde_deviation.json.
type PDEResult struct {
	Forward []wavediff.CurvePoint `json:"forward"`
	Reverse []wavediff.CurvePoint `json:"reverse"`
	Floors  wavediff.Floors       `json:"floors"`
	// Reconstruction compares the autoencoder's reconstructions of the
	// real pairs with the pairs themselves (not with the re-simulation,
	// as Floors.Autoencoder does), in the OpenFWI layout.
	Reconstruction      Reconstruction `json:"reconstruction"`
	ReverseTOver0       float64        `json:"reverse_T_over_0"`
	ReverseTOver0RelL2  float64        `json:"reverse_T_over_0_rel_l2"`
	ReverseMonotoneFrac float64        `json:"reverse_monotone_frac"`
	ForwardMonotoneFrac float64        `json:"forward_monotone_frac"`
	ForwardTOver0       float64        `json:"forward_T_over_0"`
	ReverseFinalMSENorm float64        `json:"reverse_final_mse_norm"`
	ReverseFinalRelL2   float64        `json:"reverse_final_rel_l2"`
	NGenerated          int            `json:"n_generated"`
	NReal               int            `json:"n_real"`
	Sampler             string         `json:"sampler"`
	X0                  bool           `json:"x0"`
	ClipX0              float64        `json:"clip_x0"`
	Seconds             float64        `json:"seconds"`
	CSV                 string         `json:"csv"`
	PNG                 string         `json:"png"`
}

// MonotoneFraction is the fraction of consecutive points whose mean
// deviation does not fall (increasing) or does not rise (!increasing).
func MonotoneFraction(ps []wavediff.CurvePoint, increasing bool) float64 {
	if len(ps) < 2 {
		return 1
	}
	ok := 0
	for i := 1; i < len(ps); i++ {
		d := ps[i].Stats.MeanMSENorm - ps[i-1].Stats.MeanMSENorm
		if (increasing && d >= 0) || (!increasing && d <= 0) {
			ok++
		}
	}
	return float64(ok) / float64(len(ps)-1)
}

// Reconstruction is how well an autoencoder reproduces real pairs: the
// seismic (normalised MSE/MAE, relative L2 in physical units) and the
// velocity (OpenFWI's normalised MAE/RMSE and SSIM, and in m/s), each
// against the true pair in the OpenFWI layout.
type Reconstruction struct {
	Seismic    wavediff.SeismicScores `json:"seismic"`
	Velocity   metrics.Scores         `json:"velocity"`
	VelocityMS metrics.Scores         `json:"velocity_ms"`
}

// reconstruct encodes and decodes the real pairs of s with its (joint)
// autoencoder.
func reconstruct(ctx context.Context, s *Setup) (*Reconstruction, error) {
	return Reconstruct(ctx, s.AE, s.Codec, s.Vels, s.Seis)
}

// Reconstruct encodes and decodes real pairs in the OpenFWI layout (vels
// n×4900 m/s, seis n×350000) with an autoencoder that has a seismic encoder
// (a joint one also reads the velocities; a one-in-two-out one inverts
// them) and scores both outputs against the pairs.
func Reconstruct(ctx context.Context, ae *vqae.Model, codec wavediff.Codec, vels, seis []float32) (*Reconstruction, error) {
	var vin []float32
	if ae.Cfg.Mode.HasVelocityEncoder() { // "" (joint) included
		vin = vels
	}
	r, err := wavediff.Invert(ctx, ae, codec, seis, vin, wavediff.InvertOptions{})
	if err != nil {
		return nil, err
	}
	rec := &Reconstruction{}
	if r.Seis != nil {
		rec.Seismic = wavediff.CompareSeismic(codec, seis, r.Seis)
	}
	rec.Velocity, rec.VelocityMS = wavediff.VelocityScores(vels, r.Vel)
	return rec, nil
}

// AutoencoderResult is autoencoder.json of AutoencoderEval.
type AutoencoderResult struct {
	Model    string `json:"model"`
	Geometry string `json:"geometry"`
	Mode     string `json:"mode"`
	N        int    `json:"n"`
	// Reconstruction scores the outputs against the real pairs; GridFloor
	// is what the round trip through the model's grid alone costs the
	// seismic (no network).
	Reconstruction Reconstruction         `json:"reconstruction"`
	GridFloor      wavediff.SeismicScores `json:"grid_floor"`
	Seconds        float64                `json:"seconds"`
}

// AutoencoderEval scores an autoencoder's reconstruction of real pairs
// (OpenFWI layout) and the floor of its grid, and writes
// out/autoencoder.json.
func AutoencoderEval(ctx context.Context, ae *vqae.Model, codec wavediff.Codec, model string, vels, seis []float32, out string) (*AutoencoderResult, error) {
	t0 := time.Now()
	rec, err := Reconstruct(ctx, ae, codec, vels, seis)
	if err != nil {
		return nil, err
	}
	n := len(vels) / wavediff.FullVel
	rt, small := make([]float32, len(seis)), make([]float32, codec.SeisLen())
	for i := 0; i < n; i++ {
		codec.SeismicToModel(small, seis[i*wavediff.FullSeis:(i+1)*wavediff.FullSeis])
		codec.SeismicFromModel(rt[i*wavediff.FullSeis:(i+1)*wavediff.FullSeis], small)
	}
	mode := ae.Cfg.Mode
	if mode == "" {
		mode = vqae.Joint
	}
	res := &AutoencoderResult{Model: model, Geometry: codec.G().Name, Mode: string(mode), N: n, Reconstruction: *rec,
		GridFloor: wavediff.CompareSeismic(codec, seis, rt), Seconds: time.Since(t0).Seconds()}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	return res, wavediff.WriteJSON(filepath.Join(out, "autoencoder.json"), res)
}

// PDEDeviation re-simulates each decoded velocity with the OpenFWI-exact
// forward model and measures the deviation from the decoded seismic at
// o.Points noise levels along forward noising of the real pairs and reverse
// sampling of o.N new pairs, with the floors (real pairs, resize only,
// autoencoder). It writes pde_deviation.{csv,png,json},
// pde_deviation_rel_l2.png, process_{forward,reverse}.png and
// final_samples.png to o.Out.
func PDEDeviation(ctx context.Context, s *Setup, o PDEOptions) (*PDEResult, error) {
	var fl wavediff.Floors
	var err error
	if fl.Real, fl.Resize, err = wavediff.RealFloors(ctx, s.Codec, s.Vels, s.Seis, o.Workers); err != nil {
		return nil, err
	}
	co := wavediff.CurveOptions{Points: o.Points, Method: o.Sampler, Steps: o.Steps, X0: o.X0, ClipX0: o.ClipX0,
		Seed: o.Seed, Workers: o.Workers, OnPoint: o.OnPoint}
	co.Figure = filepath.Join(o.Out, "process_forward.png")
	fwd, err := wavediff.ForwardCurve(ctx, s.Diffusion, s.AE, s.Codec, s.Real, co)
	if err != nil {
		return nil, err
	}
	fl.Autoencoder = fwd[0].Stats
	rec, err := reconstruct(ctx, s)
	if err != nil {
		return nil, err
	}
	co.Figure = filepath.Join(o.Out, "process_reverse.png")
	rev, gv, gs, err := wavediff.ReverseCurve(ctx, s.Diffusion, s.AE, s.Codec, o.N, co)
	if err != nil {
		return nil, err
	}
	if err := wavediff.WriteCurves(o.Out, fwd, rev, fl); err != nil {
		return nil, err
	}
	k, real := min(4, o.N), s.Real
	rv, rs := real.ModelArrays()
	if err := wavediff.GalleryFigure(filepath.Join(o.Out, "final_samples.png"), "final samples of the reverse curve (left) and real pairs (right)",
		s.Codec, gv[:k*s.Codec.VelLen()], gs[:k*s.Codec.SeisLen()], rv[:min(k, real.N)*s.Codec.VelLen()], rs[:min(k, real.N)*s.Codec.SeisLen()]); err != nil {
		return nil, err
	}
	first, last := rev[0].Stats.MeanMSENorm, rev[len(rev)-1].Stats.MeanMSENorm
	res := &PDEResult{Forward: fwd, Reverse: rev, Floors: fl, Reconstruction: *rec,
		ReverseTOver0:       first / last,
		ReverseTOver0RelL2:  rev[0].Stats.MeanRelL2 / rev[len(rev)-1].Stats.MeanRelL2,
		ReverseMonotoneFrac: MonotoneFraction(rev, false),
		ForwardMonotoneFrac: MonotoneFraction(fwd, true),
		ForwardTOver0:       fwd[len(fwd)-1].Stats.MeanMSENorm / fwd[0].Stats.MeanMSENorm,
		ReverseFinalMSENorm: last,
		ReverseFinalRelL2:   rev[len(rev)-1].Stats.MeanRelL2,
		NGenerated:          o.N, NReal: real.N, Sampler: o.Sampler, X0: o.X0, ClipX0: o.ClipX0,
		Seconds: time.Since(s.Began).Seconds(),
		CSV:     filepath.Join(o.Out, "pde_deviation.csv"), PNG: filepath.Join(o.Out, "pde_deviation.png")}
	if err := wavediff.WriteJSON(filepath.Join(o.Out, "pde_deviation.json"), res); err != nil {
		return nil, err
	}
	return res, nil
}
