package wiser

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/cig"
	"genfwi/models/flow"
	"genfwi/tensor"
	"genfwi/wise"
)

// tinySetup is a 16×16 survey (4 shots, 16 receivers, 0.4 s) and an
// untrained WISE network of the same grid with initialised ActNorm layers,
// plus a layered true model, its observation and gather.
func tinySetup(t *testing.T) (*wise.Model, *cig.Survey, *cig.Obs, []float32, []float32) {
	t.Helper()
	sc := cig.SurveyConfig{Nz: 16, Nx: 16, H: 10, Shots: 4, SourceDepth: 10, Receivers: 16, ReceiverDepth: 10,
		T: 0.4, Dt: 0.001, Freq: 15, HighPass: 3, HighPassOrder: 5, Order: 4, NB: 10, Offsets: []int{-2, 0, 2}}
	sv, err := cig.NewSurvey(sc)
	if err != nil {
		t.Fatal(err)
	}
	truth := make([]float32, 16*16)
	for z := 0; z < 16; z++ {
		for x := 0; x < 16; x++ {
			truth[z*16+x] = float32(2000 + 60*z)
		}
	}
	ctx := context.Background()
	obs, err := sv.Observe(ctx, truth, 7)
	if err != nil {
		t.Fatal(err)
	}
	g := make([]float32, sv.GatherLen())
	if err := sv.Gather(ctx, obs, nil, 1, g); err != nil {
		t.Fatal(err)
	}
	var gmax float32
	for _, x := range g {
		gmax = max(gmax, float32(math.Abs(float64(x))))
	}
	for i := range g {
		g[i] /= gmax
	}
	cfg, err := wise.Preset("cpu")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Network = flow.NetworkConfig{
		Flow:    flow.Config{Name: "tiny", InChannels: 1, CondChannels: 1, Hidden: 8, Levels: 2, Steps: 2, RBFinalReLU: true},
		Summary: flow.UNetConfig{InChannels: 3, OutChannels: 1, Base: 4, Depth: 2, Dropout: 0.5},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := flow.NewNetwork(cfg.Network, rng)
	if err != nil {
		t.Fatal(err)
	}
	// ActNorm statistics from maps around the truth, in network units.
	x := tensor.New(4, 1, 16, 16)
	for i := range x.Data {
		x.Data[i] = truth[i%256]/float32(cfg.Train.VelocityScale) + float32(0.05*rng.NormFloat64())
	}
	y := tensor.New(4, 3, 16, 16)
	for i := range y.Data {
		y.Data[i] = g[i%len(g)]
	}
	if err := net.Init(x, y, rng); err != nil {
		t.Fatal(err)
	}
	m := &wise.Model{Net: net, Config: *cfg, Data: wise.DataInfo{Nz: 16, Nx: 16, H: 10, Offsets: sc.Offsets, MaxY: gmax, Source: "test"}, Path: "tiny"}
	return m, sv, obs, g, truth
}

func tinyConfig(inner int) Config {
	c, _ := Preset("cpu")
	c.Particles, c.Outer, c.Inner = 3, 4, inner
	c.Bands = []Band{{Until: 2, Hz: 10}, {Until: 4, Hz: 0}}
	c.MisfitEvery = 2
	return *c
}

// TestRunCountsAndCorrects: every outer iteration costs 2·M·shots-per-particle
// PDE solves (data passes = solves / 2·shots); the inner loop moves the
// samples G⁻¹(h_φ(Z)) toward the FWI particles; runs are deterministic.
func TestRunCountsAndCorrects(t *testing.T) {
	m, sv, obs, g, truth := tinySetup(t)
	run := func(inner int) *Result {
		res, err := Run(context.Background(), Options{Model: m, Config: tinyConfig(inner), Survey: sv, Obs: obs, Gather: g, Truth: truth})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run(6)
	if len(res.History) != 4 {
		t.Fatalf("%d iterations recorded, want 4", len(res.History))
	}
	for k, it := range res.History {
		if want := int64(2 * 3 * (k + 1)); it.Solves != want {
			t.Errorf("iteration %d: %d PDE solves, want %d", it.Outer, it.Solves, want)
		}
		if want := float64(it.Solves) / 8; it.DataPasses != want {
			t.Errorf("iteration %d: %g data passes, want %g", it.Outer, it.DataPasses, want)
		}
		if !(it.InnerLoss < it.InnerStart) {
			t.Errorf("iteration %d: inner loss %g after the Adam steps, %g before: the correction did not pull the samples toward the particles", it.Outer, it.InnerLoss, it.InnerStart)
		}
		if math.IsNaN(it.SSIM) || it.Posterior == nil || it.Posterior.N != 3 {
			t.Errorf("iteration %d: missing scores or posterior", it.Outer)
		}
	}
	if h := res.History; math.IsNaN(h[1].CMMisfit) || !math.IsNaN(h[2].CMMisfit) || math.IsNaN(h[3].CMMisfit) {
		t.Errorf("CM misfit evaluated at the wrong iterations: %v %v %v", h[1].CMMisfit, h[2].CMMisfit, h[3].CMMisfit)
	}
	if res.History[3].DiagSolves != 3*2*4 {
		t.Errorf("diagnostic solves %d, want %d", res.History[3].DiagSolves, 3*2*4)
	}
	again := run(6)
	for i, x := range res.Posterior.Samples {
		if again.Posterior.Samples[i] != x {
			t.Fatalf("sample value %d differs between identical runs: %g, %g", i, x, again.Posterior.Samples[i])
		}
	}
	// FWI only: the posterior is the particles themselves.
	fo := run(0)
	for i, x := range fo.Particles {
		if fo.Posterior.Samples[i] != x {
			t.Fatal("FWI-only posterior is not the particles")
		}
	}
	for i := range fo.Particles {
		if fo.Particles[i] != res.Particles[i] {
			t.Fatal("the particles' FWI steps depend on the latent correction; they must not (same seed, same shots)")
		}
	}
}

// TestPosteriorSamples: fresh posterior draws change what is reported (N
// samples, another conditional mean) and nothing of the algorithm: the
// particles and their misfits are bit-identical to a run without them.
func TestPosteriorSamples(t *testing.T) {
	m, sv, obs, g, truth := tinySetup(t)
	run := func(n int) *Result {
		c := tinyConfig(6)
		c.PosteriorSamples = n
		res, err := Run(context.Background(), Options{Model: m, Config: c, Survey: sv, Obs: obs, Gather: g, Truth: truth})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	base, more := run(0), run(5)
	if more.Initial.N != 5 || more.Posterior.N != 5 || more.History[1].Posterior.N != 5 || base.Posterior.N != 3 {
		t.Fatalf("posterior sizes: initial %d, final %d, iteration 2 %d (want 5), without %d (want 3)",
			more.Initial.N, more.Posterior.N, more.History[1].Posterior.N, base.Posterior.N)
	}
	for i := range base.Particles {
		if base.Particles[i] != more.Particles[i] {
			t.Fatal("the particles depend on posterior_samples; they must not")
		}
	}
	for k := range base.History {
		if a, b := base.History[k], more.History[k]; a.FWIMisfit != b.FWIMisfit || a.InnerLoss != b.InnerLoss || a.Solves != b.Solves {
			t.Errorf("iteration %d: misfit %g / %g, inner loss %g / %g, solves %d / %d with and without fresh draws",
				a.Outer, a.FWIMisfit, b.FWIMisfit, a.InnerLoss, b.InnerLoss, a.Solves, b.Solves)
		}
	}
	same := true
	for i := range base.Posterior.CM {
		same = same && base.Posterior.CM[i] == more.Posterior.CM[i]
	}
	if same {
		t.Error("the conditional mean of 5 fresh draws equals that of the 3 particle draws")
	}
	c := tinyConfig(6)
	c.PosteriorSamples = -1
	if c.Validate() == nil {
		t.Error("posterior_samples -1 accepted")
	}
}

// TestRunStopsAfterCompleteIteration: an error from OnIter (e.g. Ctrl-C)
// stops the run with the last complete iteration's result.
func TestRunStopsAfterCompleteIteration(t *testing.T) {
	m, sv, obs, g, _ := tinySetup(t)
	stop := errors.New("stop")
	res, err := Run(context.Background(), Options{Model: m, Config: tinyConfig(2), Survey: sv, Obs: obs, Gather: g,
		OnIter: func(it *Iter) error {
			if it.Outer == 2 {
				return stop
			}
			return nil
		}})
	if !errors.Is(err, stop) {
		t.Fatalf("error %v, want the callback's", err)
	}
	if len(res.History) != 2 || res.Posterior != res.History[1].Posterior {
		t.Fatalf("result after the stop has %d iterations", len(res.History))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Model: m, Config: tinyConfig(2), Survey: sv, Obs: obs, Gather: g}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, name := range []string{"paper", "paper-ood", "cpu", "cpu-ood", "cpu-ood-short"} {
		c, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if s, _ := Preset("cpu-ood-short"); s.Outer != 16 || s.Cutoff(12) != 4 || s.Cutoff(13) != 0 || s.Tau != 2.5e-5 || s.Lambda != 10 {
		t.Errorf("cpu-ood-short: %+v", s)
	}
	c, _ := Preset("paper")
	if c.Cutoff(1) != 4 || c.Cutoff(50) != 4 || c.Cutoff(51) != 6 || c.Cutoff(121) != 0 || c.Cutoff(500) != 0 {
		t.Error("paper continuation schedule wrong")
	}
	bad := *c
	bad.VMax = bad.VMin
	if bad.Validate() == nil {
		t.Error("vmax = vmin accepted")
	}
	bad = *c
	bad.Bands = []Band{{Until: 10, Hz: 4}, {Until: 5, Hz: 6}}
	if bad.Validate() == nil {
		t.Error("decreasing bands accepted")
	}
	if _, err := Preset("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
}

// TestBandShotsAndStep: a band's shots and τ replace the defaults in that
// band only, and its iterations cost 2·M·shots solves.
func TestBandShotsAndStep(t *testing.T) {
	c := tinyConfig(0)
	c.Bands = []Band{{Until: 2, Hz: 10}, {Until: 4, Hz: 0, Shots: 2, Tau: 1e-5}}
	if tau, n := c.Step(2); tau != c.Tau || n != c.ShotsPerParticle {
		t.Errorf("band 1 step (%g, %d), want the defaults (%g, %d)", tau, n, c.Tau, c.ShotsPerParticle)
	}
	if tau, n := c.Step(3); tau != 1e-5 || n != 2 {
		t.Errorf("band 2 step (%g, %d), want (1e-5, 2)", tau, n)
	}
	if tau, n := c.Step(9); tau != c.Tau || n != c.ShotsPerParticle {
		t.Errorf("past the last band (%g, %d), want the defaults", tau, n)
	}
	m, sv, obs, g, truth := tinySetup(t)
	res, err := Run(context.Background(), Options{Model: m, Config: c, Survey: sv, Obs: obs, Gather: g, Truth: truth})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{6, 12, 24, 36} // 2·3·1 per iteration, then 2·3·2
	for k, it := range res.History {
		if it.Solves != want[k] {
			t.Errorf("iteration %d: %d PDE solves, want %d", it.Outer, it.Solves, want[k])
		}
	}
	for _, b := range []Band{{Until: 4, Hz: 0, Shots: -1}, {Until: 4, Hz: 0, Tau: -1e-5}, {Until: 4, Hz: 0, Tau: math.NaN()}} {
		bad := c
		bad.Bands = []Band{b}
		if bad.Validate() == nil {
			t.Errorf("band %+v accepted", b)
		}
	}
}

func TestW1AndPerturb(t *testing.T) {
	// shifting a distribution by c moves it by W1 = c
	a := []float64{1, 2, 3, 4}
	b := []float64{3, 4, 5, 6}
	if w := W1(a, b); math.Abs(w-2) > 1e-12 {
		t.Errorf("W1 of a shift by 2: %g", w)
	}
	// point masses: W1(δ0, ½δ0+½δ1) = ½
	if w := W1([]float64{0}, []float64{0, 1}); math.Abs(w-0.5) > 1e-12 {
		t.Errorf("W1(δ0, ½δ0+½δ1) = %g, want 0.5", w)
	}
	if W1(a, a) != 0 {
		t.Error("W1(a, a) != 0")
	}
	v := []float32{1500, 2250, 3000, 3750, 4500}
	p := Perturb(v, 0.2)
	// sin(2π·(0, ¼, ½, ¾, 1)) = 0, 1, 0, −1, 0
	want := []float32{1500, 2450, 3000, 3550, 4500}
	for i := range p {
		if math.Abs(float64(p[i]-want[i])) > 1e-3 {
			t.Errorf("Perturb value %d: %g, want %g", i, p[i], want[i])
		}
	}
}

// TestCouplingPullsParticlesToSamples: the particle–sample term of
// Algorithm 1, line 25, keeps the FWI particles near their network samples
// (here, without the inner loop, the WISE samples), the more so the larger
// the weight; weight 0 is the uncoupled run.
func TestCouplingPullsParticlesToSamples(t *testing.T) {
	m, sv, obs, g, truth := tinySetup(t)
	dist := func(coupling float64) float64 {
		c := tinyConfig(0)
		c.Coupling = coupling
		res, err := Run(context.Background(), Options{Model: m, Config: c, Survey: sv, Obs: obs, Gather: g, Truth: truth})
		if err != nil {
			t.Fatal(err)
		}
		var sq float64
		for i, v := range res.Particles {
			d := float64(v - res.Initial.Samples[i])
			sq += d * d
		}
		return math.Sqrt(sq / float64(len(res.Particles)))
	}
	d0, dHalf, d1 := dist(0), dist(0.5), dist(1)
	t.Logf("RMS particle − sample after 4 steps: coupling 0: %.2f m/s, 0.5: %.2f, 1: %.2f", d0, dHalf, d1)
	if !(d0 > 0) || !(dHalf < 0.8*d0) || !(d1 < 0.8*dHalf) {
		t.Errorf("coupling does not pull the particles to the samples: %.3g, %.3g, %.3g m/s for 0, 0.5, 1", d0, dHalf, d1)
	}
	c := tinyConfig(0)
	for _, bad := range []float64{-0.1, 1.5, math.NaN()} {
		c.Coupling = bad
		if c.Validate() == nil {
			t.Errorf("coupling %g accepted", bad)
		}
	}
}
