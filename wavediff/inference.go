package wavediff

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/metrics"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/openfwi"
	"genfwi/tensor"
)

// InvertOptions configure Invert.
type InvertOptions struct {
	// Noise is the standard deviation of Gaussian noise added to the
	// normalised seismic (and velocity, if given) at full resolution before
	// encoding (0 = clean input). The paper's Table 8 uses 0.05.
	Noise float64
	// Seed drives the noise and the diffusion.
	Seed uint64
	// Diffusion, if set, refines the latent SDEdit-style (Meng et al. 2022):
	// q_sample to TStar, reverse to 0 with Method/Steps, then decode.
	Diffusion *diffusion.Model
	TStar     int
	Method    string
	Steps     int
	// Draws > 1 runs the refinement Draws times from the same encoded
	// latent with independent diffusion noise and returns the mean of the
	// decoded outputs (a Monte Carlo estimate of the posterior mean, which
	// one draw only samples; 0 or 1 = one draw).
	Draws int
}

// InvertResult holds the outputs of Invert in the OpenFWI layout.
type InvertResult struct {
	// Vel is n×4900 m/s, Seis n×350000 raw amplitudes (the reconstructed,
	// denoised seismic; nil if the autoencoder has no seismic decoder).
	Vel, Seis []float32
	// NoisyNorm is the normalised full-resolution seismic that was encoded
	// (with noise), n×350000.
	NoisyNorm []float32
}

// Invert runs seismic → (velocity, seismic) through an autoencoder with a
// seismic encoder (one-in-two-out; a joint autoencoder also needs vels):
// normalise, add noise, resize to model resolution, encode to h, optionally
// refine h by partial diffusion, decode, and convert back. seis is n×350000
// raw amplitudes; vels (n×4900 m/s) may be nil unless the autoencoder
// encodes velocity. It checks ctx once per batch of 16.
func Invert(ctx context.Context, ae *vqae.Model, codec Codec, seis, vels []float32, o InvertOptions) (*InvertResult, error) {
	mode := ae.Cfg.Mode
	if mode == "" {
		mode = vqae.Joint
	}
	if !mode.HasSeismicEncoder() {
		return nil, fmt.Errorf("wavediff: the %s autoencoder has no seismic encoder; inversion needs one-in-two-out (or joint with velocities)", mode)
	}
	if mode.HasVelocityEncoder() && vels == nil {
		return nil, fmt.Errorf("wavediff: the %s autoencoder also encodes velocity; give velocities or use a one-in-two-out model", mode)
	}
	n := len(seis) / FullSeis
	if n*FullSeis != len(seis) || n == 0 {
		return nil, fmt.Errorf("wavediff: %d seismic values are not whole 5×1000×70 samples", len(seis))
	}
	if vels != nil && len(vels) != n*FullVel {
		return nil, fmt.Errorf("wavediff: %d velocity values for %d seismic samples", len(vels), n)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6e6f6973))
	res := &InvertResult{Vel: make([]float32, n*FullVel), NoisyNorm: make([]float32, n*FullSeis)}
	if mode.HasSeismicDecoder() {
		res.Seis = make([]float32, n*FullSeis)
	}
	codec.Norm.Data(res.NoisyNorm, seis)
	if o.Noise > 0 {
		for i := range res.NoisyNorm {
			res.NoisyNorm[i] += float32(o.Noise * rng.NormFloat64())
		}
	}
	g := codec.G()
	vl, sl := g.VelLen(), g.SeisLen()
	ls := ae.LatentShape()
	per := ls[0] * ls[1] * ls[2]
	h := tensor.New(n, ls[0], ls[1], ls[2])
	const bs = 16
	tp := autograd.NewTape()
	tp.NoGrad = true
	vfull := make([]float32, FullVel)
	for lo := 0; lo < n; lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(n, lo+bs)
		st := tensor.New(hi-lo, Shots, g.SeisT, g.SeisR)
		for i := lo; i < hi; i++ {
			codec.SeismicNormToModel(st.Data[(i-lo)*sl:(i-lo+1)*sl], res.NoisyNorm[i*FullSeis:(i+1)*FullSeis])
		}
		var vIn *autograd.Var
		tp.Reset()
		if mode.HasVelocityEncoder() {
			vt := tensor.New(hi-lo, 1, g.VelH, g.VelW)
			for i := lo; i < hi; i++ {
				codec.Norm.Label(vfull, vels[i*FullVel:(i+1)*FullVel])
				if o.Noise > 0 {
					for k := range vfull {
						vfull[k] += float32(o.Noise * rng.NormFloat64())
					}
				}
				codec.VelocityNormToModel(vt.Data[(i-lo)*vl:(i-lo+1)*vl], vfull)
			}
			vIn = tp.Const(vt)
		}
		hb := ae.Encode(tp, tp.Const(st), vIn)
		copy(h.Data[lo*per:hi*per], hb.Value.Data)
	}
	var vel, sm []float32
	if o.Diffusion == nil {
		var err error
		if vel, sm, err = Decode(ctx, ae, h); err != nil {
			return nil, err
		}
	} else {
		drng := rand.New(rand.NewPCG(o.Seed, 0x73646564))
		draws := max(o.Draws, 1)
		for k := 0; k < draws; k++ {
			hk, err := o.Diffusion.Denoise(ctx, h, o.TStar, diffusion.SampleOptions{Method: o.Method, Steps: o.Steps, RNG: drng}, nil)
			if err != nil {
				return nil, err
			}
			vk, sk, err := Decode(ctx, ae, hk)
			if err != nil {
				return nil, err
			}
			if k == 0 {
				vel, sm = vk, sk
				continue
			}
			accumulate(vel, vk)
			accumulate(sm, sk)
		}
		if draws > 1 {
			scaleAll(vel, 1/float32(draws))
			scaleAll(sm, 1/float32(draws))
		}
	}
	if vel == nil {
		return nil, fmt.Errorf("wavediff: the %s autoencoder has no velocity decoder", mode)
	}
	ToOpenFWI(codec, vel, sm, res.Vel, res.Seis)
	return res, nil
}

// accumulate adds src to dst element-wise (both nil is a no-op).
func accumulate(dst, src []float32) {
	for i, x := range src {
		dst[i] += x
	}
}

// scaleAll multiplies every element of x by s.
func scaleAll(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// SeismicScores compares reconstructed seismic with the clean truth (both
// raw, n×350000): MSE and MAE in the normalised space and the relative L2
// ‖ŝ − s‖/‖s‖ in physical units, averaged over samples.
type SeismicScores struct {
	MSENorm float64 `json:"mse_norm"`
	MAENorm float64 `json:"mae_norm"`
	RelL2   float64 `json:"rel_l2"`
}

// CompareSeismic returns SeismicScores of pred against truth (raw, same
// length, whole samples).
func CompareSeismic(codec Codec, truth, pred []float32) SeismicScores {
	n := len(truth) / FullSeis
	a, b := make([]float32, FullSeis), make([]float32, FullSeis)
	var s SeismicScores
	for i := 0; i < n; i++ {
		t, p := truth[i*FullSeis:(i+1)*FullSeis], pred[i*FullSeis:(i+1)*FullSeis]
		codec.Norm.Data(a, t)
		codec.Norm.Data(b, p)
		var se, ae, num, den float64
		for k := range a {
			d := float64(a[k] - b[k])
			se += d * d
			ae += math.Abs(d)
			r := float64(t[k] - p[k])
			num += r * r
			den += float64(t[k]) * float64(t[k])
		}
		s.MSENorm += se / FullSeis
		s.MAENorm += ae / FullSeis
		if den > 0 {
			s.RelL2 += math.Sqrt(num / den)
		}
	}
	if n > 0 {
		s.MSENorm /= float64(n)
		s.MAENorm /= float64(n)
		s.RelL2 /= float64(n)
	}
	return s
}

// CompareSeismicNorm is CompareSeismic's normalised-space MSE of a
// normalised prediction (e.g. the noisy input) against raw truth.
func CompareSeismicNorm(codec Codec, truth, predNorm []float32) float64 {
	n := len(truth) / FullSeis
	a := make([]float32, FullSeis)
	var mse float64
	for i := 0; i < n; i++ {
		codec.Norm.Data(a, truth[i*FullSeis:(i+1)*FullSeis])
		var se float64
		for k := range a {
			d := float64(a[k] - predNorm[i*FullSeis+k])
			se += d * d
		}
		mse += se / FullSeis
	}
	return mse / float64(max(n, 1))
}

// VelocityScores returns the OpenFWI metrics (normalised MAE/RMSE, SSIM, as
// metrics.Velocity, aggregated as test.py) of pred against truth (n×4900 m/s)
// and the same in m/s.
func VelocityScores(truth, pred []float32) (norm, ms metrics.Scores) {
	var a, b metrics.Summary
	for i := 0; i < len(truth)/FullVel; i++ {
		t, p := truth[i*FullVel:(i+1)*FullVel], pred[i*FullVel:(i+1)*FullVel]
		a.Add(metrics.Velocity(t, p, openfwi.NZ, openfwi.NX))
		b.Add(metrics.VelocityMS(t, p, openfwi.NZ, openfwi.NX))
	}
	norm, ms = a.Mean(), b.Mean()
	norm.RMSE, ms.RMSE = a.MeanRMSE(), b.MeanRMSE()
	return norm, ms
}
