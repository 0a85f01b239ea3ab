package diffusion

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

func paperSchedule(t *testing.T) *Schedule {
	t.Helper()
	s, err := NewSchedule(ScheduleConfig{Timesteps: 1000, LinearStart: 0.0015, LinearEnd: 0.0155})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestScheduleCheckValues compares β_t and ᾱ_t with reference values. The
// "exact" column was computed independently from the paper's
// hyper-parameters (T = 1000, √β-linear 0.0015 → 0.0155) with Python's
// decimal module at 50 digits; the "doc" column holds the same values rounded
// to 3–4 significant digits, compared at that precision.
func TestScheduleCheckValues(t *testing.T) {
	s := paperSchedule(t)
	tests := []struct {
		name     string
		got      float64
		exact    float64
		doc, tol float64
	}{
		{"beta_0", s.Betas[0], 1.500000000000000e-03, 0.0015, 1e-9},
		{"beta_499", s.Betas[499], 6.653907526012240e-03, 0.006654, 5e-7},
		{"beta_999", s.Betas[999], 1.550000000000000e-02, 0.0155, 1e-9},
		{"abar_99", s.AlphasCumprod[99], 8.306775959507257e-01, 0.8307, 5e-5},
		{"abar_499", s.AlphasCumprod[499], 1.510774233475672e-01, 0.1511, 5e-5},
		{"abar_749", s.AlphasCumprod[749], 1.758143425811899e-02, 0.01758, 5e-6},
		{"abar_999", s.AlphasCumprod[999], 6.686651737398016e-04, 6.687e-4, 5e-8},
		{"sqrt_abar_999", s.SqrtAlphasCumprod[999], 0.025858560937140364, 0.0259, 5e-5},
	}
	for _, tc := range tests {
		if r := math.Abs(tc.got-tc.exact) / tc.exact; r > 1e-6 {
			t.Errorf("%s = %.15g, want %.15g (relative error %.2g > 1e-6)", tc.name, tc.got, tc.exact, r)
		}
		if d := math.Abs(tc.got - tc.doc); d > tc.tol {
			t.Errorf("%s = %.15g, rounded check value %g (|diff| %.2g > %g)", tc.name, tc.got, tc.doc, d, tc.tol)
		}
	}
	// the naive linspace-in-β schedule is the classic mistake: ᾱ_T ≈ 1.95e-4.
	lin, err := NewSchedule(ScheduleConfig{Timesteps: 1000, LinearStart: 0.0015, LinearEnd: 0.0155, Kind: "linspace"})
	if err != nil {
		t.Fatal(err)
	}
	if a := lin.AlphasCumprod[999]; math.Abs(a-1.95e-4) > 0.01e-4 {
		t.Errorf("linspace ᾱ_999 = %g, want 1.95e-4", a)
	}
}

// TestScheduleBuffers checks the derived buffers against their definitions
// and the posterior identities: coef1 + coef2·√α_t… recover the DDPM
// posterior mean, σ̃²_0 = 0 (log clipped), and the posterior mean of a
// noiseless q_sample at t is consistent.
func TestScheduleBuffers(t *testing.T) {
	s := paperSchedule(t)
	for _, i := range []int{0, 1, 10, 500, 998, 999} {
		ab, abp, b := s.AlphasCumprod[i], s.AlphasCumprodPrev[i], s.Betas[i]
		if i == 0 && abp != 1 {
			t.Fatalf("ᾱ_{-1} = %g, want 1", abp)
		}
		if i > 0 && abp != s.AlphasCumprod[i-1] {
			t.Fatalf("AlphasCumprodPrev[%d] != AlphasCumprod[%d]", i, i-1)
		}
		checks := map[string][2]float64{
			"sqrt_abar":       {s.SqrtAlphasCumprod[i], math.Sqrt(ab)},
			"sqrt_1m_abar":    {s.SqrtOneMinusAlphasCumprod[i], math.Sqrt(1 - ab)},
			"sqrt_recip":      {s.SqrtRecipAlphasCumprod[i], 1 / math.Sqrt(ab)},
			"sqrt_recipm1":    {s.SqrtRecipm1AlphasCumprod[i], math.Sqrt(1/ab - 1)},
			"posterior_var":   {s.PosteriorVariance[i], b * (1 - abp) / (1 - ab)},
			"posterior_coef1": {s.PosteriorMeanCoef1[i], b * math.Sqrt(abp) / (1 - ab)},
			"posterior_coef2": {s.PosteriorMeanCoef2[i], (1 - abp) * math.Sqrt(1-b) / (1 - ab)},
		}
		for k, v := range checks {
			if math.Abs(v[0]-v[1]) > 1e-12*math.Max(1, math.Abs(v[1])) {
				t.Errorf("t=%d %s = %.15g, want %.15g", i, k, v[0], v[1])
			}
		}
	}
	if s.PosteriorLogVarianceClipped[0] != math.Log(1e-20) {
		t.Errorf("log posterior variance at t=0 = %g, want ln 1e-20", s.PosteriorLogVarianceClipped[0])
	}
	// posterior mean coefficients: with z_t = √ᾱ_t x0 exactly (no noise), the
	// posterior mean must equal √ᾱ_{t−1} x0.
	for _, i := range []int{1, 100, 900} {
		mu := s.PosteriorMeanCoef1[i] + s.PosteriorMeanCoef2[i]*math.Sqrt(s.AlphasCumprod[i])
		if want := math.Sqrt(s.AlphasCumprodPrev[i]); math.Abs(mu-want) > 1e-12 {
			t.Errorf("t=%d posterior mean of a noiseless z_t: %g, want %g", i, mu, want)
		}
	}
}

// TestQSampleAndPredictX0 checks that PredictX0 inverts QSample when given
// the true noise, per sample with different timesteps.
func TestQSampleAndPredictX0(t *testing.T) {
	s := paperSchedule(t)
	rng := rand.New(rand.NewPCG(1, 2))
	x0 := tensor.Randn(rng, 1, 3, 2, 4, 4)
	eps := tensor.Randn(rng, 1, 3, 2, 4, 4)
	ts := []int{0, 400, 999}
	zt := tensor.New(3, 2, 4, 4)
	s.QSample(zt, x0, eps, ts)
	// sample 2 at t=999 is mostly noise: check the mixing weights directly
	j := 2*32 + 5
	want := float32(s.SqrtAlphasCumprod[999])*x0.Data[j] + float32(s.SqrtOneMinusAlphasCumprod[999])*eps.Data[j]
	if zt.Data[j] != want {
		t.Fatalf("QSample element %d = %g, want %g", j, zt.Data[j], want)
	}
	rec := tensor.New(3, 2, 4, 4)
	s.PredictX0(rec, zt, eps, ts)
	if d := tensor.MaxAbsDiff(rec, x0); d > 2e-3 {
		t.Fatalf("PredictX0(QSample(x0, ε), ε) differs from x0 by %g", d)
	}
}

func TestScheduleValidate(t *testing.T) {
	for _, c := range []ScheduleConfig{
		{Timesteps: 1, LinearStart: 0.1, LinearEnd: 0.2},
		{Timesteps: 10, LinearStart: 0, LinearEnd: 0.2},
		{Timesteps: 10, LinearStart: 0.3, LinearEnd: 0.2},
		{Timesteps: 10, LinearStart: 0.1, LinearEnd: 1},
		{Timesteps: 10, LinearStart: 0.1, LinearEnd: 0.2, Kind: "cosine"},
	} {
		if _, err := NewSchedule(c); err == nil {
			t.Errorf("NewSchedule(%+v) accepted a bad config", c)
		}
	}
}
