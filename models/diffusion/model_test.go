package diffusion

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/nn/nntest"
	"genfwi/tensor"
)

// tinyConfig is a small but complete UNet (two levels, attention, up/down
// ResBlocks) on 4×8×8 latents.
func tinyConfig() Config {
	return Config{Name: "tiny",
		Schedule: ScheduleConfig{Timesteps: 1000, LinearStart: 0.0015, LinearEnd: 0.0155},
		UNet: UNetConfig{ImageSize: 8, InChannels: 4, OutChannels: 4, ModelChannels: 16, ChannelMult: []int{1, 2},
			NumResBlocks: 1, AttentionResolutions: []int{2}, NumHeads: 2, NormGroups: 4},
		Loss: "l1", Seed: 3}
}

func tinyModel(t *testing.T) *Model {
	t.Helper()
	m, err := New(tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTimestepEmbedding checks the layout [cos(t·f), sin(t·f)] with
// f_i = 10000^(−i/half).
func TestTimestepEmbedding(t *testing.T) {
	e := TimestepEmbedding([]int{0, 7}, 8)
	for i := 0; i < 4; i++ {
		if e.Data[i] != 1 || e.Data[4+i] != 0 {
			t.Fatalf("t=0 embedding %v, want cos=1 then sin=0", e.Data[:8])
		}
		f := math.Exp(-math.Log(10000) * float64(i) / 4)
		if c := float64(e.Data[8+i]); math.Abs(c-math.Cos(7*f)) > 1e-6 {
			t.Errorf("t=7 cos[%d] = %g, want %g", i, c, math.Cos(7*f))
		}
		if s := float64(e.Data[12+i]); math.Abs(s-math.Sin(7*f)) > 1e-6 {
			t.Errorf("t=7 sin[%d] = %g, want %g", i, s, math.Sin(7*f))
		}
	}
}

// TestUNetShapesAndZeroInit builds the cpu UNet and checks the output shape
// and that the zero-initialised output convolution makes the untrained
// output exactly 0.
func TestUNetShapesAndZeroInit(t *testing.T) {
	c, _ := Preset("cpu")
	m, err := New(*c)
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape()
	tp.NoGrad = true
	x := tensor.Randn(rand.New(rand.NewPCG(1, 1)), 1, 2, 32, 16, 16)
	y := m.UNet.Forward(tp, tp.Const(x), []int{3, 999})
	if !tensor.SameShape(y.Shape(), []int{2, 32, 16, 16}) {
		t.Fatalf("output %v", y.Shape())
	}
	for _, v := range y.Data() {
		if v != 0 {
			t.Fatalf("untrained output %g, want exactly 0 (zero-initialised out conv)", v)
		}
	}
}

// TestUNetNumParams checks the shape-only count against built UNets (the
// cpu preset, without scale-shift norm, and the tiny test config) and pins
// the presets' counts: cpu 5 047 200, paper 125 955 872 (1.26·10⁸, counted
// without building its 0.5 GB of weights).
func TestUNetNumParams(t *testing.T) {
	cpu, _ := Preset("cpu")
	noSS := *cpu
	noSS.UNet.NoScaleShiftNorm = true
	for _, c := range []Config{*cpu, noSS, tinyConfig()} {
		m, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.UNet.NumParams(), m.NumParams(); got != want {
			t.Errorf("%+v: NumParams %d, built %d", c.UNet, got, want)
		}
	}
	for name, want := range map[string]int{"cpu": 5047200, "paper": 125955872} {
		c, _ := Preset(name)
		if got := c.UNet.NumParams(); got != want {
			t.Errorf("%s: %d parameters, want %d", name, got, want)
		}
	}
}

// perturbedTinyUNet is a complete 2-channel UNet on 4×4 latents whose
// weights are all perturbed by N(0, 0.05²) draws from rng: the
// zero-initialised output convolutions would otherwise hide the gradients
// of everything before them.
func perturbedTinyUNet(t *testing.T, rng *rand.Rand) *Model {
	t.Helper()
	c := tinyConfig()
	c.UNet.ImageSize, c.UNet.InChannels, c.UNet.OutChannels = 4, 2, 2
	c.UNet.ModelChannels = 8
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Arena.Data {
		m.Arena.Data[i] += float32(0.05 * rng.NormFloat64())
	}
	return m
}

// TestUNetGradCheck checks the UNet's input gradient with central
// differences on a tiny configuration after perturbing the zero-initialised
// convolutions (otherwise the output ignores the input).
func TestUNetGradCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	m := perturbedTinyUNet(t, rng)
	x := tensor.Randn(rng, 1, 1, 2, 4, 4)
	err := autograd.GradCheck(func(tp *autograd.Tape, in []*autograd.Var) *autograd.Var {
		return m.UNet.Forward(tp, in[0], []int{250})
	}, []*tensor.Tensor{x}, autograd.GradCheckOpts{Eps: 1e-2, RTol: 5e-2, ATol: 5e-3})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUNetLossDrops trains the tiny UNet on a fixed batch (fixed t and ε)
// and requires the L1 ε-loss to fall by more than half.
func TestUNetLossDrops(t *testing.T) {
	m := tinyModel(t)
	rng := rand.New(rand.NewPCG(4, 4))
	h := tensor.Randn(rng, 1, 8, 4, 8, 8)
	ts := []int{10, 100, 200, 300, 500, 700, 850, 999}
	eps := tensor.Randn(rng, 1, 8, 4, 8, 8)
	opt := nn.NewAdamW()
	opt.WeightDecay = 0
	tp := autograd.NewTape()
	var first, last float64
	for step := 0; step < 150; step++ {
		tp.Reset()
		m.Arena.ZeroGrad()
		l, info := m.LossAt(tp, h, ts, eps)
		autograd.Backward(l)
		opt.Step(m.Arena, 2e-3)
		if step == 0 {
			first = info.Loss
		}
		last = info.Loss
	}
	t.Logf("L1 ε-loss %.4f → %.4f", first, last)
	if math.Abs(first-0.8) > 0.1 {
		t.Errorf("initial loss %g, want ≈ mean|ε| ≈ 0.80 (zero-initialised output)", first)
	}
	if last > 0.5*first {
		t.Errorf("loss fell only from %g to %g in 150 steps", first, last)
	}
}

// oracle returns an exact ε-predictor for the clean scaled latent z0:
// ε = (z_t − √ᾱ_t·z0)/√(1−ᾱ_t).
func oracle(s *Schedule, z0 *tensor.Tensor) EpsFunc {
	return func(z *tensor.Tensor, t int) *tensor.Tensor {
		e := tensor.New(z.Shape...)
		a, b := s.SqrtAlphasCumprod[t], s.SqrtOneMinusAlphasCumprod[t]
		for i := range e.Data {
			e.Data[i] = float32((float64(z.Data[i]) - a*float64(z0.Data[i])) / b)
		}
		return e
	}
}

// TestOracleSamplersRecoverX0: with an exact ε-predictor, DDIM (η = 0) and
// DDPM both end exactly at x0 (DDPM because coef1_0 = 1, coef2_0 = 0 and no
// noise at t = 0), and every step's x0-prediction is x0. The scale factor
// is 2, so the h ↔ z scaling is exercised too.
func TestOracleSamplersRecoverX0(t *testing.T) {
	m := tinyModel(t)
	m.ScaleFactor = 2
	rng := rand.New(rand.NewPCG(5, 5))
	x0 := tensor.Randn(rng, 0.5, 3, 4, 8, 8) // h space
	z0 := scaled(x0, m.ScaleFactor)
	for _, o := range []SampleOptions{{Method: "ddim", Steps: 20}, {Method: "ddim", Steps: 1000}, {Method: "ddpm"}} {
		o.RNG = rand.New(rand.NewPCG(6, 6))
		ts, err := m.Timesteps(o, m.Sched.T-1)
		if err != nil {
			t.Fatal(err)
		}
		zT := tensor.Randn(o.RNG, 1, x0.Shape...)
		calls, worst := 0, 0.0
		got, err := m.reverseWith(context.Background(), oracle(m.Sched, z0), zT, ts, o, func(s Step) error {
			if s.Index != calls || s.Total != len(ts) || s.T != ts[calls] {
				t.Fatalf("%s: step %d reports index %d/%d t=%d", o.Method, calls, s.Index, s.Total, s.T)
			}
			calls++
			worst = math.Max(worst, tensor.MaxAbsDiff(s.X0, x0))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if calls != len(ts) {
			t.Errorf("%s: %d callbacks for %d steps", o.Method, calls, len(ts))
		}
		// float32 rounding amplified by √(1/ᾱ_t) ≈ 39 at t = 999
		if worst > 1e-3 {
			t.Errorf("%s %d steps: x0-prediction off by %g", o.Method, len(ts), worst)
		}
		if d := tensor.MaxAbsDiff(got, x0); d > 1e-4 {
			t.Errorf("%s %d steps: sample differs from x0 by %g", o.Method, len(ts), d)
		}
	}
}

// TestDDIMTimesteps checks LDM's uniform grid {0, c, 2c, …}+1 and the
// SDEdit restriction to t ≤ t*.
func TestDDIMTimesteps(t *testing.T) {
	m := tinyModel(t)
	ts, err := m.Timesteps(SampleOptions{Method: "ddim", Steps: 50}, 999)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 50 || ts[0] != 981 || ts[49] != 1 || ts[1] != 961 {
		t.Errorf("DDIM 50 steps: %v", ts)
	}
	ts, _ = m.Timesteps(SampleOptions{Method: "ddim", Steps: 50}, 200)
	if ts[0] != 181 || len(ts) != 10 {
		t.Errorf("DDIM from t*=200: %v", ts)
	}
	ts, _ = m.Timesteps(SampleOptions{}, 99)
	if len(ts) != 100 || ts[0] != 99 || ts[99] != 0 {
		t.Errorf("DDPM from 99: %d steps, first %d", len(ts), ts[0])
	}
	for _, o := range []SampleOptions{{Method: "euler"}, {Method: "ddim", Steps: 1001}} {
		if _, err := m.Timesteps(o, 999); err == nil {
			t.Errorf("Timesteps accepted %+v", o)
		}
	}
	if _, err := m.Timesteps(SampleOptions{}, 1000); err == nil {
		t.Error("Timesteps accepted t* = T")
	}
}

// TestSampleAndDenoiseRun runs the real samplers with the tiny UNet: shapes,
// determinism for a fixed seed, cancellation, and that Denoise from a tiny
// t* barely moves the latent (an untrained UNet predicts ε̂ = 0, so the
// chain only rescales).
func TestSampleAndDenoiseRun(t *testing.T) {
	m := tinyModel(t)
	run := func() *tensor.Tensor {
		h, err := m.Sample(context.Background(), 2, SampleOptions{Method: "ddim", Steps: 5, RNG: rand.New(rand.NewPCG(1, 2))}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b := run(), run()
	if !tensor.SameShape(a.Shape, []int{2, 4, 8, 8}) || tensor.MaxAbsDiff(a, b) != 0 {
		t.Fatalf("Sample: shape %v, repeat differs by %g", a.Shape, tensor.MaxAbsDiff(a, b))
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := m.Sample(ctx, 1, SampleOptions{Method: "ddpm", RNG: rand.New(rand.NewPCG(1, 2))}, func(Step) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if err != context.Canceled || n != 3 {
		t.Fatalf("cancelled Sample: err %v after %d steps", err, n)
	}
	h0 := tensor.Randn(rand.New(rand.NewPCG(3, 3)), 1, 2, 4, 8, 8)
	out, err := m.Denoise(context.Background(), h0, 0, SampleOptions{RNG: rand.New(rand.NewPCG(1, 1))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// t* = 0: z_0 = √ᾱ_0 h0 + √β_0 ε, then ẑ0 = z_0/√ᾱ_0 (ε̂ = 0): |out − h0| ≲ 0.04·|ε|.
	if d := tensor.MaxAbsDiff(out, h0); d > 0.2 || d == 0 {
		t.Errorf("Denoise from t*=0 moved the latent by %g", d)
	}
	if _, err := m.Sample(context.Background(), 1, SampleOptions{}, nil); err == nil {
		t.Error("Sample without an RNG did not fail")
	}
}

// TestEMAFormula checks NewEMA against LitEma: the n-th update (n = 1, 2, …)
// uses d = min(decay, (1+n)/(10+n)).
func TestEMAFormula(t *testing.T) {
	m := tinyModel(t)
	m.Cfg.Train.EMADecay = 0.5 // reached at n = 8: (1+8)/(10+8) = 0.5
	e := m.NewEMA()
	w0 := float64(m.Arena.Data[0])
	shadow := w0
	for n := 1; n <= 12; n++ {
		m.Arena.Data[0] = float32(w0 + float64(n))
		e.Update(m.Arena)
		d := math.Min(0.5, float64(1+n)/float64(10+n))
		shadow = d*shadow + (1-d)*(w0+float64(n))
		if math.Abs(float64(e.Shadow[0])-shadow) > 1e-4*math.Max(1, math.Abs(shadow)) {
			t.Fatalf("update %d: shadow %g, LitEma gives %g", n, e.Shadow[0], shadow)
		}
		if e.N != n {
			t.Fatalf("after %d updates the EMA counts %d (LitEma's num_updates is %d)", n, e.N, n)
		}
	}
}

// TestCheckpointRoundTrip saves a perturbed model with a scale factor and
// loads it back: same config, weights, scale factor and predictions.
func TestCheckpointRoundTrip(t *testing.T) {
	m := tinyModel(t)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range m.Arena.Data {
		m.Arena.Data[i] += float32(0.01 * rng.NormFloat64())
	}
	m.ScaleFactor = 1.2345
	got, meta, _ := nntest.RoundTrip(t, "d.safetensors", m.Save, map[string]string{"step": "42"}, Load)
	if meta["step"] != "42" || got.ScaleFactor != 1.2345 || got.Cfg.Name != "tiny" {
		t.Fatalf("metadata lost: step %q scale %g name %q", meta["step"], got.ScaleFactor, got.Cfg.Name)
	}
	for i := range m.Arena.Data {
		if m.Arena.Data[i] != got.Arena.Data[i] {
			t.Fatalf("weight %d differs after round trip", i)
		}
	}
	z := tensor.Randn(rng, 1, 1, 4, 8, 8)
	a, b := m.PredictEps(autograd.NewTape(), z, 17), got.PredictEps(autograd.NewTape(), z, 17)
	if tensor.MaxAbsDiff(a, b) != 0 {
		t.Fatal("predictions differ after round trip")
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing.safetensors")); err == nil {
		t.Error("Load of a missing file did not fail")
	}
}

// unetParamDirectional runs nn.ParamDirectional on every parameter tensor
// of the perturbed tiny UNet for J = Σ r·UNet(x, t) with a fixed random
// cotangent r.
func unetParamDirectional(t *testing.T) []nn.Directional {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 21))
	m := perturbedTinyUNet(t, rng)
	x := tensor.Randn(rng, 1, 2, 2, 4, 4)
	ts := []int{37, 811}
	return nn.OutputDirectional(m.Arena.Params, func(tp *autograd.Tape) *autograd.Var {
		return m.UNet.Forward(tp, tp.Input(x), ts)
	}, 1e-2, rng)
}

// TestUNetParamGradCheck checks the gradient of every parameter tensor of a
// complete UNet (time embedding, ResBlocks with scale-shift norm, attention,
// down/up sampling, skip connections, output conv) against central
// differences along a random direction per tensor. TestUNetGradCheck covers
// the input gradient; this one would catch a parameter that receives no
// gradient or a wrong one (which per-op checks cannot see when a layer is
// wired wrongly). A gradient 10 % off must be rejected.
func TestUNetParamGradCheck(t *testing.T) {
	ds := unetParamDirectional(t)
	if len(ds) < 40 {
		t.Fatalf("only %d parameter tensors: the tiny UNet lost its blocks", len(ds))
	}
	for _, d := range ds {
		if d.Reverse == 0 {
			t.Errorf("%s: zero directional derivative (parameter unused?)", d.Name)
		}
	}
	if bad, err := nn.CheckDirectional(ds, 2e-3, 3e-2); len(bad) > 0 || err != nil {
		t.Errorf("%d of %d parameter tensors mismatch %v; %v", len(bad), len(ds), bad, err)
	}
}

// TestClipX0: with a bound above every |z0| the oracle samplers still return
// x0 (the clamp is inactive); with a biased ε-predictor (oracle ε + 0.2,
// whose ẑ0 overshoots by up to 0.2·√(1/ᾱ−1) ≈ 7.7) every x0-prediction the
// callback sees and the DDIM sample stay within the bound, while without
// the clamp they leave it.
func TestClipX0(t *testing.T) {
	m := tinyModel(t)
	rng := rand.New(rand.NewPCG(7, 7))
	x0 := tensor.Randn(rng, 0.5, 2, 4, 8, 8)
	maxAbs := func(x *tensor.Tensor) float64 {
		w := 0.0
		for _, v := range x.Data {
			w = math.Max(w, math.Abs(float64(v)))
		}
		return w
	}
	for _, method := range []string{"ddim", "ddpm"} {
		o := SampleOptions{Method: method, Steps: 20, ClipX0: 10, RNG: rand.New(rand.NewPCG(8, 8))}
		ts, _ := m.Timesteps(o, m.Sched.T-1)
		got, err := m.reverseWith(context.Background(), oracle(m.Sched, x0), tensor.Randn(o.RNG, 1, x0.Shape...), ts, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := tensor.MaxAbsDiff(got, x0); d > 1e-4 {
			t.Errorf("%s with an inactive clamp: sample differs from x0 by %g", method, d)
		}
	}
	biased := func(z *tensor.Tensor, tt int) *tensor.Tensor {
		e := oracle(m.Sched, x0)(z, tt)
		for i := range e.Data {
			e.Data[i] += 0.2
		}
		return e
	}
	const bound = 2.5
	for _, clip := range []float64{0, bound} {
		o := SampleOptions{Method: "ddim", Steps: 20, ClipX0: clip, RNG: rand.New(rand.NewPCG(9, 9))}
		ts, _ := m.Timesteps(o, m.Sched.T-1)
		worst := 0.0
		got, err := m.reverseWith(context.Background(), biased, tensor.Randn(o.RNG, 1, x0.Shape...), ts, o, func(s Step) error {
			worst = math.Max(worst, maxAbs(s.X0))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if clip > 0 && (worst > bound+1e-6 || maxAbs(got) > bound+1e-6) {
			t.Errorf("clamped at %g: x0-predictions reach %g, sample %g", bound, worst, maxAbs(got))
		}
		if clip == 0 && worst <= bound {
			t.Errorf("without the clamp the biased predictor stays within %g (max %g): the test does not exercise the clamp", bound, worst)
		}
	}
}

// TestEpsSkip checks the skip parametrisation: a fresh model (zero-initialised
// output convolution) predicts exactly √(1−ᾱ_t)·z with EpsSkip and 0
// without; its loss on Gaussian latents at t = 999 is then that of the
// Gaussian-optimal predictor (E|ᾱ ε − √(ᾱ(1−ᾱ)) z0| ≈ 0.026·0.8) instead of
// E|ε| ≈ 0.8; and with perturbed weights the prediction is the plain UNet's
// plus the skip term.
func TestEpsSkip(t *testing.T) {
	c := tinyConfig()
	c.EpsSkip = true
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	z := tensor.Randn(rng, 1, 2, 4, 8, 8)
	tp := autograd.NewTape()
	for _, ti := range []int{0, 500, 999} {
		got := m.PredictEps(tp, z, ti)
		sk := float32(m.Sched.SqrtOneMinusAlphasCumprod[ti])
		for j, v := range got.Data {
			if v != sk*z.Data[j] {
				t.Fatalf("t=%d: fresh EpsSkip prediction[%d] = %g, want √(1−ᾱ)·z = %g", ti, j, v, sk*z.Data[j])
			}
		}
	}
	plain := tinyModel(t)
	if got := plain.PredictEps(tp, z, 999); tensor.MaxAbsDiff(got, tensor.New(got.Shape...)) != 0 {
		t.Fatal("fresh plain model does not predict 0")
	}

	h := tensor.Randn(rng, 1, 8, 4, 8, 8)
	ts := []int{999, 999, 999, 999, 999, 999, 999, 999}
	eps := tensor.Randn(rng, 1, h.Shape...)
	lSkip, _ := m.LossAt(autograd.NewTape(), h, ts, eps)
	lPlain, _ := plain.LossAt(autograd.NewTape(), h, ts, eps)
	if l := float64(lSkip.Item()); l > 0.03 {
		t.Errorf("t=999 loss with EpsSkip %.4f, want the Gaussian-optimal ≈ 0.02", l)
	}
	if l := float64(lPlain.Item()); l < 0.7 || l > 0.9 {
		t.Errorf("t=999 loss without EpsSkip %.4f, want E|ε| ≈ 0.8", l)
	}

	// Perturbed weights: the skip model predicts the plain model's output
	// plus the skip term.
	prng := rand.New(rand.NewPCG(9, 9))
	for i := range plain.Arena.Data {
		plain.Arena.Data[i] += float32(0.05 * prng.NormFloat64())
	}
	copy(m.Arena.Data, plain.Arena.Data)
	a, b := plain.PredictEps(tp, z, 300), m.PredictEps(tp, z, 300)
	sk := float32(m.Sched.SqrtOneMinusAlphasCumprod[300])
	if tensor.MaxAbsDiff(a, tensor.New(a.Shape...)) == 0 {
		t.Fatal("perturbed plain model still predicts 0")
	}
	for j := range a.Data {
		if d := math.Abs(float64(b.Data[j] - a.Data[j] - sk*z.Data[j])); d > 1e-6 {
			t.Fatalf("perturbed: skip prediction − plain prediction − √(1−ᾱ)z = %g at %d", d, j)
		}
	}
}
