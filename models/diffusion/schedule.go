package diffusion

import (
	"fmt"
	"math"

	"genfwi/tensor"
)

// ScheduleConfig describes the noise schedule.
type ScheduleConfig struct {
	// Timesteps is T (paper 1000).
	Timesteps int `json:"timesteps"`
	// LinearStart and LinearEnd are β_0 and β_{T−1} (paper 0.0015, 0.0155).
	LinearStart float64 `json:"linear_start"`
	LinearEnd   float64 `json:"linear_end"`
	// Kind is "linear" (LDM's default, linear in √β; "" means linear) or
	// "linspace" (β itself linear, DDPM's original; not the paper's).
	Kind string `json:"kind"`
}

// Validate checks the schedule parameters.
func (c *ScheduleConfig) Validate() error {
	switch {
	case c.Timesteps < 2:
		return fmt.Errorf("schedule: timesteps must be ≥ 2, got %d", c.Timesteps)
	case !(c.LinearStart > 0 && c.LinearStart <= c.LinearEnd && c.LinearEnd < 1):
		return fmt.Errorf("schedule: need 0 < linear_start ≤ linear_end < 1, got %g, %g", c.LinearStart, c.LinearEnd)
	case c.Kind != "" && c.Kind != "linear" && c.Kind != "linspace":
		return fmt.Errorf("schedule: kind must be linear or linspace, got %q", c.Kind)
	}
	return nil
}

// Schedule holds β_t and the derived buffers of LDM's DDPM
// (ldm/models/diffusion/ddpm.py register_schedule, v_posterior = 0), all in
// float64 and indexed by t = 0..T−1:
//
//	β_t = (√β_0 + t/(T−1)·(√β_{T−1} − √β_0))²   (kind "linear")
//	α_t = 1 − β_t,  ᾱ_t = Π_{s≤t} α_s,  ᾱ_{−1} = 1
//	σ̃²_t = β_t(1−ᾱ_{t−1})/(1−ᾱ_t)
//	coef1_t = β_t√ᾱ_{t−1}/(1−ᾱ_t),  coef2_t = (1−ᾱ_{t−1})√α_t/(1−ᾱ_t)
type Schedule struct {
	T                           int
	Betas                       []float64
	Alphas                      []float64
	AlphasCumprod               []float64 // ᾱ_t
	AlphasCumprodPrev           []float64 // ᾱ_{t−1}
	SqrtAlphasCumprod           []float64 // √ᾱ_t
	SqrtOneMinusAlphasCumprod   []float64 // √(1−ᾱ_t)
	SqrtRecipAlphasCumprod      []float64 // √(1/ᾱ_t)
	SqrtRecipm1AlphasCumprod    []float64 // √(1/ᾱ_t − 1)
	PosteriorVariance           []float64 // σ̃²_t
	PosteriorLogVarianceClipped []float64 // ln max(σ̃²_t, 1e−20)
	PosteriorMeanCoef1          []float64
	PosteriorMeanCoef2          []float64
}

// NewSchedule computes the schedule of a validated config. It allocates
// 12 slices of T.
func NewSchedule(c ScheduleConfig) (*Schedule, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	T := c.Timesteps
	s := &Schedule{T: T}
	mk := func() []float64 { return make([]float64, T) }
	s.Betas, s.Alphas, s.AlphasCumprod, s.AlphasCumprodPrev = mk(), mk(), mk(), mk()
	s.SqrtAlphasCumprod, s.SqrtOneMinusAlphasCumprod, s.SqrtRecipAlphasCumprod, s.SqrtRecipm1AlphasCumprod = mk(), mk(), mk(), mk()
	s.PosteriorVariance, s.PosteriorLogVarianceClipped, s.PosteriorMeanCoef1, s.PosteriorMeanCoef2 = mk(), mk(), mk(), mk()
	r0, r1 := math.Sqrt(c.LinearStart), math.Sqrt(c.LinearEnd)
	prod := 1.0
	for t := 0; t < T; t++ {
		f := float64(t) / float64(T-1)
		if c.Kind == "linspace" {
			s.Betas[t] = c.LinearStart + f*(c.LinearEnd-c.LinearStart)
		} else {
			r := r0 + f*(r1-r0)
			s.Betas[t] = r * r
		}
		s.Alphas[t] = 1 - s.Betas[t]
		s.AlphasCumprodPrev[t] = prod
		prod *= s.Alphas[t]
		s.AlphasCumprod[t] = prod
	}
	for t := 0; t < T; t++ {
		b, a, ab, abp := s.Betas[t], s.Alphas[t], s.AlphasCumprod[t], s.AlphasCumprodPrev[t]
		s.SqrtAlphasCumprod[t] = math.Sqrt(ab)
		s.SqrtOneMinusAlphasCumprod[t] = math.Sqrt(1 - ab)
		s.SqrtRecipAlphasCumprod[t] = math.Sqrt(1 / ab)
		s.SqrtRecipm1AlphasCumprod[t] = math.Sqrt(1/ab - 1)
		s.PosteriorVariance[t] = b * (1 - abp) / (1 - ab)
		s.PosteriorLogVarianceClipped[t] = math.Log(math.Max(s.PosteriorVariance[t], 1e-20))
		s.PosteriorMeanCoef1[t] = b * math.Sqrt(abp) / (1 - ab)
		s.PosteriorMeanCoef2[t] = (1 - abp) * math.Sqrt(a) / (1 - ab)
	}
	return s, nil
}

// QSample writes z_t = √ᾱ_t·z0 + √(1−ᾱ_t)·ε into dst for a batch: z0, eps
// and dst are (N, ...) with the same shape and t has one timestep per sample.
// dst may alias z0 or eps. It panics on shape mismatch or t out of range.
func (s *Schedule) QSample(dst, z0, eps *tensor.Tensor, t []int) {
	if !tensor.SameShape(z0.Shape, eps.Shape) || !tensor.SameShape(z0.Shape, dst.Shape) {
		panic(fmt.Sprintf("diffusion: QSample: shapes %v, %v, %v differ", dst.Shape, z0.Shape, eps.Shape))
	}
	n := z0.Shape[0]
	if len(t) != n {
		panic(fmt.Sprintf("diffusion: QSample: %d timesteps for %d samples", len(t), n))
	}
	per := len(z0.Data) / n
	for i, ti := range t {
		if ti < 0 || ti >= s.T {
			panic(fmt.Sprintf("diffusion: QSample: timestep %d outside [0,%d)", ti, s.T))
		}
		a, b := float32(s.SqrtAlphasCumprod[ti]), float32(s.SqrtOneMinusAlphasCumprod[ti])
		lo := i * per
		for j := lo; j < lo+per; j++ {
			dst.Data[j] = a*z0.Data[j] + b*eps.Data[j]
		}
	}
}

// PredictX0 writes ẑ0 = √(1/ᾱ_t)·z_t − √(1/ᾱ_t − 1)·ε̂ into dst (same
// shapes as QSample; dst may alias either input).
func (s *Schedule) PredictX0(dst, zt, eps *tensor.Tensor, t []int) {
	n := zt.Shape[0]
	if len(t) != n || !tensor.SameShape(zt.Shape, eps.Shape) || !tensor.SameShape(zt.Shape, dst.Shape) {
		panic(fmt.Sprintf("diffusion: PredictX0: shapes %v, %v, %v with %d timesteps", dst.Shape, zt.Shape, eps.Shape, len(t)))
	}
	per := len(zt.Data) / n
	for i, ti := range t {
		a, b := float32(s.SqrtRecipAlphasCumprod[ti]), float32(s.SqrtRecipm1AlphasCumprod[ti])
		lo := i * per
		for j := lo; j < lo+per; j++ {
			dst.Data[j] = a*zt.Data[j] - b*eps.Data[j]
		}
	}
}
