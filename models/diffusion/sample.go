package diffusion

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/tensor"
)

// SampleOptions configures the reverse process.
type SampleOptions struct {
	// Method is "ddpm" (ancestral sampling over every timestep, LDM's
	// p_sample_loop with clip_denoised = false; "" means ddpm) or "ddim".
	Method string
	// Steps is the number of DDIM steps (0 means 50); DDPM ignores it.
	Steps int
	// Eta is DDIM's η (0 = deterministic).
	Eta float64
	// RNG draws the starting noise and the per-step noise. Required.
	RNG *rand.Rand
	// ClipX0, when > 0, clamps every element of the x0-prediction ẑ0 to
	// [−ClipX0, ClipX0] in the scaled latent space (unit variance) before
	// it is used: LDM's clip_denoised (which clamps to [−1, 1], the pixel
	// range) with a bound suited to latents; DDIM then re-derives ε̂ from
	// the clamped ẑ0, as diffusers does when thresholding. An imperfect
	// ε-predictor at high noise is amplified by √(1/ᾱ_t − 1) (38 at
	// t = 999) in ẑ0; the clamp keeps the chain within the data's range.
	// 0 = off (the default, what LDM does for latents).
	ClipX0 float64
}

// Step describes one reverse step, passed to a StepFunc. All tensors are in
// the latent space h (divided by the scale factor), (N, D, H, W), owned by
// the sampler and valid only during the call: Clone what you keep.
type Step struct {
	// Index counts steps from 0; Total is the number of steps of the run.
	Index, Total int
	// T is the timestep of Zt (the DDPM/DDIM time index, T−1 … 0).
	T int
	// Zt is the latent entering the step.
	Zt *tensor.Tensor
	// X0 is the prediction of the clean latent from Zt:
	// ẑ0 = √(1/ᾱ_t)·z_t − √(1/ᾱ_t−1)·ε_θ(z_t, t).
	X0 *tensor.Tensor
	// Next is the latent leaving the step (z at the next, smaller timestep;
	// after the last step, the sample).
	Next *tensor.Tensor
}

// StepFunc observes the reverse process; a non-nil error stops sampling and
// is returned by the sampler.
type StepFunc func(Step) error

// Timesteps returns the decreasing timesteps a reverse run visits when it
// starts at or below tStart (T−1 for a full run): every t for DDPM; for
// DDIM the uniform grid of LDM's make_ddim_timesteps, {0, c, 2c, …}+1 with
// c = T/steps, restricted to ≤ tStart.
func (m *Model) Timesteps(o SampleOptions, tStart int) ([]int, error) {
	T := m.Sched.T
	if tStart < 0 || tStart >= T {
		return nil, fmt.Errorf("diffusion: start timestep %d outside [0,%d)", tStart, T)
	}
	var ts []int
	switch o.Method {
	case "", "ddpm":
		for t := tStart; t >= 0; t-- {
			ts = append(ts, t)
		}
	case "ddim":
		steps := o.Steps
		if steps == 0 {
			steps = 50
		}
		if steps < 1 || steps > T {
			return nil, fmt.Errorf("diffusion: DDIM steps must be in [1,%d], got %d", T, steps)
		}
		c := T / steps
		shift := 1
		if c == 1 {
			shift = 0 // the +1 of LDM would step past T−1
		}
		for i := steps - 1; i >= 0; i-- {
			if t := i*c + shift; t <= tStart {
				ts = append(ts, t)
			}
		}
		if len(ts) == 0 {
			return nil, fmt.Errorf("diffusion: no DDIM timestep ≤ %d with %d steps", tStart, steps)
		}
	default:
		return nil, fmt.Errorf("diffusion: sampling method must be ddpm or ddim, got %q", o.Method)
	}
	return ts, nil
}

// Sample draws n latents: z_T ~ N(0, I), then the reverse process of
// o.Method, calling cb (if non-nil) after every step. It returns the
// samples in the latent space h (n, D, H, W), ready for vqae Decode. The
// context is checked once per step.
func (m *Model) Sample(ctx context.Context, n int, o SampleOptions, cb StepFunc) (*tensor.Tensor, error) {
	ts, err := m.visited(o, m.Sched.T-1, "Sample")
	if err != nil {
		return nil, err
	}
	c := m.Cfg.UNet
	z := tensor.Randn(o.RNG, 1, n, c.InChannels, c.ImageSize, c.ImageSize)
	return m.reverse(ctx, z, ts, o, cb)
}

// visited checks that o has an RNG (what names the caller in the error) and
// returns the timesteps the reverse process visits from tMax down.
func (m *Model) visited(o SampleOptions, tMax int, what string) ([]int, error) {
	if o.RNG == nil {
		return nil, fmt.Errorf("diffusion: %s needs SampleOptions.RNG", what)
	}
	return m.Timesteps(o, tMax)
}

// Denoise is SDEdit-style partial diffusion: it noises the latents h0
// (N, D, H, W) to timestep t0 (the largest visited timestep ≤ tStar) with
// q_sample, then runs the reverse process of o.Method from t0 to 0 and
// returns the result in the latent space h. cb as in Sample.
func (m *Model) Denoise(ctx context.Context, h0 *tensor.Tensor, tStar int, o SampleOptions, cb StepFunc) (*tensor.Tensor, error) {
	ts, err := m.visited(o, tStar, "Denoise")
	if err != nil {
		return nil, err
	}
	z := scaled(h0, m.ScaleFactor)
	eps := tensor.Randn(o.RNG, 1, h0.Shape...)
	t0 := make([]int, h0.Shape[0])
	for i := range t0 {
		t0[i] = ts[0]
	}
	m.Sched.QSample(z, z, eps, t0)
	return m.reverse(ctx, z, ts, o, cb)
}

// ReverseFrom runs the reverse process from the latent zt (in h space) at
// timestep tStart down to 0, without adding noise first.
func (m *Model) ReverseFrom(ctx context.Context, zt *tensor.Tensor, tStart int, o SampleOptions, cb StepFunc) (*tensor.Tensor, error) {
	ts, err := m.visited(o, tStart, "ReverseFrom")
	if err != nil {
		return nil, err
	}
	return m.reverse(ctx, scaled(zt, m.ScaleFactor), ts, o, cb)
}

// EpsFunc predicts ε from a scaled latent batch at timestep t. The model's
// own predictor is the UNet; tests substitute an oracle.
type EpsFunc func(z *tensor.Tensor, t int) *tensor.Tensor

// reverse runs the chain over ts on the scaled latent z (modified in place)
// and returns the unscaled result.
func (m *Model) reverse(ctx context.Context, z *tensor.Tensor, ts []int, o SampleOptions, cb StepFunc) (*tensor.Tensor, error) {
	tp := autograd.NewTape()
	eps := func(z *tensor.Tensor, t int) *tensor.Tensor { return m.PredictEps(tp, z, t) }
	return m.reverseWith(ctx, eps, z, ts, o, cb)
}

func (m *Model) reverseWith(ctx context.Context, epsFn EpsFunc, z *tensor.Tensor, ts []int, o SampleOptions, cb StepFunc) (*tensor.Tensor, error) {
	s := m.Sched
	n := z.Shape[0]

	x0 := tensor.New(z.Shape...)
	next := tensor.New(z.Shape...)
	var hz, hx, hn *tensor.Tensor // h-space views for the callback
	if cb != nil {
		hz, hx, hn = tensor.New(z.Shape...), tensor.New(z.Shape...), tensor.New(z.Shape...)
	}
	inv := float32(1 / m.ScaleFactor)
	ddim := o.Method == "ddim"
	for i, t := range ts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := epsFn(z, t)
		tt := make([]int, n)
		for j := range tt {
			tt[j] = t
		}
		s.PredictX0(x0, z, e, tt)
		if o.ClipX0 > 0 && clampTensor(x0, float32(o.ClipX0)) && ddim {
			// ε̂ consistent with the clamped ẑ0: z_t = √ᾱ ẑ0 + √(1−ᾱ) ε̂.
			sa, sb := float32(s.SqrtAlphasCumprod[t]), float32(s.SqrtOneMinusAlphasCumprod[t])
			for j := range e.Data {
				e.Data[j] = (z.Data[j] - sa*x0.Data[j]) / sb
			}
		}
		if ddim {
			at := s.AlphasCumprod[t]
			ap := 1.0 // final step lands on the clean latent (see doc.go)
			if i+1 < len(ts) {
				ap = s.AlphasCumprod[ts[i+1]]
			}
			sigma := o.Eta * math.Sqrt((1-ap)/(1-at)) * math.Sqrt(1-at/ap)
			dir := math.Sqrt(math.Max(1-ap-sigma*sigma, 0))
			sa := float32(math.Sqrt(ap))
			for j := range next.Data {
				v := sa*x0.Data[j] + float32(dir)*e.Data[j]
				if sigma > 0 {
					v += float32(sigma * o.RNG.NormFloat64())
				}
				next.Data[j] = v
			}
		} else {
			c1, c2 := float32(s.PosteriorMeanCoef1[t]), float32(s.PosteriorMeanCoef2[t])
			sd := math.Exp(0.5 * s.PosteriorLogVarianceClipped[t])
			for j := range next.Data {
				v := c1*x0.Data[j] + c2*z.Data[j]
				if t > 0 {
					v += float32(sd * o.RNG.NormFloat64())
				}
				next.Data[j] = v
			}
		}
		if cb != nil {
			for j := range z.Data {
				hz.Data[j], hx.Data[j], hn.Data[j] = z.Data[j]*inv, x0.Data[j]*inv, next.Data[j]*inv
			}
			if err := cb(Step{Index: i, Total: len(ts), T: t, Zt: hz, X0: hx, Next: hn}); err != nil {
				return nil, err
			}
		}
		z, next = next, z
	}
	return scaled(z, 1/m.ScaleFactor), nil
}

// clampTensor clamps every element of x to [−c, c] in place and reports
// whether any changed.
func clampTensor(x *tensor.Tensor, c float32) bool {
	changed := false
	for i, v := range x.Data {
		if v > c {
			x.Data[i], changed = c, true
		} else if v < -c {
			x.Data[i], changed = -c, true
		}
	}
	return changed
}
