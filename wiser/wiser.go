package wiser

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"genfwi/autograd"
	"genfwi/cig"
	"genfwi/fwi"
	"genfwi/metrics"
	"genfwi/models/flow"
	"genfwi/nn"
	"genfwi/tensor"
	"genfwi/wave"
	"genfwi/wise"
)

// Options is one WISER run: a trained WISE model, one observation and its
// gather, the hyper-parameters.
type Options struct {
	// Model is the frozen WISE network G with its training description.
	Model *wise.Model
	// Config holds the hyper-parameters.
	Config Config
	// Survey is the acquisition of the observation (the model's survey);
	// Obs the observation (data of every shot and the source positions);
	// Gather its normalised common-image gather (len Offsets·Nz·Nx).
	Survey *cig.Survey
	Obs    *cig.Obs
	Gather []float32
	// Truth, if set (m/s, Nz·Nx), scores the conditional mean after every
	// outer iteration.
	Truth []float32
	// Workers is the number of particles whose gradients run at once
	// (0 = GOMAXPROCS).
	Workers int
	// OnIter, if set, is called after every outer iteration with the
	// state reached (its Posterior is the current one); an error it
	// returns stops the run and is returned.
	OnIter func(it *Iter) error
}

// Iter describes the state after one outer iteration.
type Iter struct {
	Outer  int     `json:"outer"`
	Cutoff float64 `json:"cutoff_hz"`
	// FWIMisfit is the sum over particles of their (band-filtered,
	// single-shot) misfits before the step.
	FWIMisfit float64 `json:"fwi_misfit"`
	// InnerLoss is the mean squared particle misfit Σ_i‖G⁻¹(h_φ(Z_i)) −
	// v_i‖²/M (km/s)² after the inner loop (before it when Inner = 0).
	InnerLoss float64 `json:"inner_loss"`
	// InnerStart is the same quantity at the first inner step, before any
	// update of φ in this outer iteration (NaN when Inner = 0).
	InnerStart float64 `json:"inner_start"`
	// LatentNorm is ‖h_φ(Z)‖/√n, 1 for standard normal latents.
	LatentNorm float64 `json:"latent_rms"`
	// Solves and DataPasses count the algorithm's PDE solves (forward and
	// adjoint of one shot each) and their equivalent in passes over the
	// whole data set (2·shots solves).
	Solves     int64   `json:"pde_solves"`
	DataPasses float64 `json:"data_passes"`
	// CMMisfit is ½‖F(CM) − d‖² over all shots, full band (CM clamped to
	// the bounds), when evaluated
	// this iteration (Config.MisfitEvery), else NaN; DiagSolves counts
	// the solves spent on it so far.
	CMMisfit   float64 `json:"cm_misfit"`
	DiagSolves int64   `json:"diagnostic_solves"`
	// Scores of the conditional mean against the truth (OpenFWI scale),
	// and its MAE/RMSE in m/s; NaN without a truth.
	SSIM    float64 `json:"ssim"`
	RMSE    float64 `json:"rmse"`
	MAE     float64 `json:"mae"`
	RMSEms  float64 `json:"rmse_ms"`
	MAEms   float64 `json:"mae_ms"`
	Seconds float64 `json:"seconds"`
	// Posterior holds the current samples G⁻¹(h_φ(Z_i); y) (of the fresh
	// draws of Config.PosteriorSamples when set; the particles when
	// Inner = 0), m/s.
	Posterior *wise.Posterior `json:"-"`
}

// Result is a finished (or interrupted) run.
type Result struct {
	// Posterior is the last complete iteration's posterior; Initial the
	// WISE posterior of the same latent draws before any refinement (the
	// M draws Z, or Config.PosteriorSamples fresh ones).
	Posterior, Initial *wise.Posterior
	// Particles are the FWI particles (m/s), M maps.
	Particles []float32
	History   []Iter
}

// Run executes WISER (see the package documentation). On cancellation it
// returns the result of the last complete outer iteration with ctx.Err().
func Run(ctx context.Context, o Options) (*Result, error) {
	cfg := o.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.Model == nil || o.Survey == nil || o.Obs == nil {
		return nil, errors.New("wiser: Model, Survey and Obs are required")
	}
	inf := o.Model.Data
	nz, nx, nh := inf.Nz, inf.Nx, len(inf.Offsets)
	pix := nz * nx
	sc := o.Survey.Config()
	if sc.Nz != nz || sc.Nx != nx {
		return nil, fmt.Errorf("wiser: survey grid %d×%d differs from the model's %d×%d", sc.Nz, sc.Nx, nz, nx)
	}
	if len(o.Gather) != nh*pix {
		return nil, fmt.Errorf("wiser: gather has %d values, the model takes %d offsets × %d × %d", len(o.Gather), nh, nz, nx)
	}
	if o.Truth != nil && len(o.Truth) != pix {
		return nil, fmt.Errorf("wiser: true model has %d values, want %d×%d", len(o.Truth), nz, nx)
	}
	scale := o.Model.Config.Train.VelocityScale
	if !(scale > 0) {
		return nil, fmt.Errorf("wiser: model %s has no velocity scale", o.Model.Path)
	}
	M := cfg.Particles
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x77697365720001))

	// G frozen; its condition summarised once (eval mode) and repeated.
	G := o.Model.Net
	flow.SetTrainable(G.Flow.Params(), false)
	defer flow.SetTrainable(G.Flow.Params(), true)
	wasTraining := G.Summary.Training
	G.Summary.Training = false
	defer func() { G.Summary.Training = wasTraining }()
	c1, err := G.Summary.Summarize(tensor.FromSlice(o.Gather, 1, nh, nz, nx), nil)
	if err != nil {
		return nil, err
	}
	cond := c1.Repeat(M)

	// h_φ: unconditional Glow of G's architecture; its ActNorm layers are
	// initialised from Z on the first call, so h_φ(Z) starts standardised
	// like the latents WISE was trained to invert.
	h, err := flow.New(G.Flow.Cfg.Unconditional(), rng)
	if err != nil {
		return nil, err
	}
	Z := tensor.Randn(rng, 1, M, 1, nz, nx)
	tp := autograd.NewTape()
	defer tp.Free()
	// push returns G⁻¹(h_φ(z); y) for the draws z (condition c, one copy per
	// draw) and the RMS of h_φ(z).
	push := func(z, c *tensor.Tensor) (*tensor.Tensor, float64, error) {
		tp.Reset()
		tp.NoGrad = true
		defer func() { tp.NoGrad = false }()
		zt, _, err := h.Forward(tp.Const(z), nil)
		if err != nil {
			return nil, 0, err
		}
		x, err := G.Flow.Inverse(zt, tp.Const(c))
		if err != nil {
			return nil, 0, err
		}
		return x.Value.Clone(), rms(zt.Value.Data), nil
	}
	sample := func() (*tensor.Tensor, float64, error) { return push(Z, cond) }
	// The first call initialises h_φ's ActNorm layers from Z.
	x0, lat, err := sample()
	if err != nil {
		return nil, err
	}
	toPosterior := func(x []float32) *wise.Posterior {
		n := len(x) / pix
		p := &wise.Posterior{N: n, Nz: nz, Nx: nx, Samples: make([]float32, len(x))}
		for i, v := range x {
			p.Samples[i] = v * float32(scale)
		}
		p.CM, p.Std = wise.MeanStd(p.Samples, n, pix)
		return p
	}
	// report estimates the current posterior from the fresh draws of
	// cfg.PosteriorSamples (drawn from their own stream, so the
	// algorithm's draws, shots and h_φ are those of a run without them),
	// or returns the M samples xM.
	var report func(xM []float32) (*wise.Posterior, error)
	if N := cfg.PosteriorSamples; N > 0 {
		Zp := tensor.Randn(rand.New(rand.NewPCG(cfg.Seed, 0x77697365720003)), 1, N, 1, nz, nx)
		condP := c1.Repeat(N)
		report = func([]float32) (*wise.Posterior, error) {
			x, _, err := push(Zp, condP)
			if err != nil {
				return nil, err
			}
			return toPosterior(x.Data), nil
		}
	} else {
		report = func(xM []float32) (*wise.Posterior, error) { return toPosterior(xM), nil }
	}
	// initM is WISE's posterior of the M draws: it starts the particles.
	initM := toPosterior(x0.Data)
	res := &Result{}
	if res.Initial, err = report(x0.Data); err != nil {
		return nil, err
	}
	res.Posterior = res.Initial

	// Particles in squared slowness (s²/km²), projected into the box.
	mLo, mHi := 1e6/(cfg.VMax*cfg.VMax), 1e6/(cfg.VMin*cfg.VMin)
	m := make([][]float64, M)
	v := make([][]float32, M) // m/s
	for i := range m {
		m[i] = make([]float64, pix)
		v[i] = make([]float32, pix)
		for j := 0; j < pix; j++ {
			vk := float64(initM.Samples[i*pix+j]) / 1000
			m[i][j] = math.Min(math.Max(1/(vk*vk), mLo), mHi)
			v[i][j] = float32(1000 / math.Sqrt(m[i][j]))
		}
	}
	particles := func() []float32 {
		out := make([]float32, 0, M*pix)
		for i := range v {
			out = append(out, v[i]...)
		}
		return out
	}
	res.Particles = particles()
	// cur holds the current network samples G⁻¹(h_φ(Z_i); y) (m/s), the
	// targets of the coupling term; vOld the particles before a step.
	cur := initM.Samples
	vOld := make([][]float32, M)
	if cfg.Coupling > 0 {
		for i := range vOld {
			vOld[i] = make([]float32, pix)
		}
	}

	// The FWI objective of the observation: the survey's physics with the
	// damping reference fixed (the minimum of the initial conditional mean)
	// (clamped to the bounds) so that the gradient is exact, one simulator
	// worker per particle.
	fsc := sc
	fsc.CropGradient = cfg.CropGradient
	sim, err := fixedDampSimulator(fsc, math.Min(math.Max(float64(minOf(initM.CM)), cfg.VMin), cfg.VMax), o.Obs)
	if err != nil {
		return nil, err
	}
	nt, nrec := sc.Nt(), sc.Receivers
	objs := map[float64]*fwi.Objective{}
	objective := func(fc float64) (*fwi.Objective, error) {
		if ob := objs[fc]; ob != nil {
			return ob, nil
		}
		ob, err := fwi.NewObjective(sim, o.Obs.Data, nil)
		if err != nil {
			return nil, err
		}
		if fc > 0 {
			if ob.Weight, err = fwi.LowPassWeight(nt, nrec, sc.Dt, fc, cfg.FilterOrder); err != nil {
				return nil, fmt.Errorf("wiser: band %g Hz: %w", fc, err)
			}
		}
		objs[fc] = ob
		return ob, nil
	}
	var solves, diag int64
	full, err := objective(0)
	if err != nil {
		return nil, err
	}
	// The network's samples are not bounded: the CM's data misfit is that of
	// the CM clamped to the particles' bounds.
	cmMisfit := func(cm []float32) (float64, error) {
		c := make([]float32, len(cm))
		for i, x := range cm {
			c[i] = float32(math.Min(math.Max(float64(x), cfg.VMin), cfg.VMax))
		}
		j, err := full.Eval(ctx, c, nil, make([]float32, pix))
		diag += 2 * int64(sc.Shots)
		return j, err
	}

	opt := nn.NewAdam()
	shotRNG := rand.New(rand.NewPCG(cfg.Seed, 0x77697365720002))
	grads := make([][]float32, M)
	for i := range grads {
		grads[i] = make([]float32, pix)
	}
	depth := make([]float64, nz)
	for iz := range depth {
		depth[iz] = cig.DepthWeight(iz, sc.H)
	}
	for e := 1; e <= cfg.Outer; e++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		fc := cfg.Cutoff(e)
		tau, nshots := cfg.Step(e)
		ob, err := objective(fc)
		if err != nil {
			return res, err
		}
		// (1) one FWI step per particle on squared slowness
		shots := make([][]int, M)
		for i := range shots {
			shots[i] = fwi.RandomShots(shotRNG, sc.Shots, nshots)
			if shots[i] == nil { // all shots
				shots[i] = allShots(sc.Shots)
			}
		}
		if cfg.Coupling > 0 {
			for i := range v {
				copy(vOld[i], v[i])
			}
		}
		before := ob.Solves()
		js, err := evalSlowness(ctx, ob, v, shots, grads, workers)
		if err != nil {
			return res, err
		}
		solves += ob.Solves() - before
		var fsum float64
		for i := range m {
			fsum += js[i]
			g := grads[i]
			var gmax float64
			for _, x := range g {
				gmax = math.Max(gmax, math.Abs(float64(x)))
			}
			if gmax == 0 {
				continue
			}
			for j := range m[i] {
				step := tau * float64(g[j]) / gmax * depth[j/nx]
				m[i][j] = math.Min(math.Max(m[i][j]-step, mLo), mHi)
				v[i][j] = float32(1000 / math.Sqrt(m[i][j]))
			}
		}
		if cfg.Coupling > 0 {
			// Algorithm 1, line 25: the gradient of the particle–sample
			// term, taken at the particle before this step, moves the
			// particle towards its network sample.
			for i := range m {
				for j := range m[i] {
					d := cfg.Coupling * float64(vOld[i][j]-cur[i*pix+j])
					vk := math.Min(math.Max(float64(v[i][j])-d, cfg.VMin), cfg.VMax)
					v[i][j] = float32(vk)
					m[i][j] = 1e6 / (vk * vk)
				}
			}
		}
		// (2) latent correction: Adam on φ
		target := tensor.New(M, 1, nz, nx)
		for i := range v {
			for j, x := range v[i] {
				target.Data[i*pix+j] = x / float32(scale)
			}
		}
		var inner float64
		innerStart := math.NaN()
		for t := 0; t < cfg.Inner; t++ {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			tp.Reset()
			h.Arena.ZeroGrad()
			zt, logdet, err := h.Forward(tp.Const(Z), nil)
			if err != nil {
				return res, err
			}
			x, err := G.Flow.Inverse(zt, tp.Const(cond))
			if err != nil {
				return res, err
			}
			r := autograd.Sub(x, tp.Const(target))
			sq := autograd.Sum(autograd.Mul(r, r), false)
			loss := autograd.Scale(sq, float32(cfg.MisfitWeight/(2*float64(M))))
			if cfg.Lambda > 0 {
				loss = autograd.Add(loss, autograd.Scale(autograd.Sum(autograd.Mul(zt, zt), false), float32(cfg.Lambda/2)))
			}
			loss = autograd.Add(loss, autograd.Scale(autograd.Sum(logdet, false), float32(-1/float64(M))))
			inner = float64(sq.Item()) / float64(M) * (scale / 1000) * (scale / 1000)
			if t == 0 {
				innerStart = inner
			}
			if !finite(inner) || !finite(float64(loss.Item())) {
				return res, fmt.Errorf("wiser: outer iteration %d, inner step %d: the loss is not finite (lower lr?)", e, t+1)
			}
			autograd.Backward(loss)
			nn.ClipPerParam(h.Arena, cfg.ClipNorm)
			opt.Step(h.Arena, cfg.LR)
		}
		it := Iter{Outer: e, Cutoff: fc, FWIMisfit: fsum, Solves: solves,
			DataPasses: float64(solves) / float64(2*sc.Shots), CMMisfit: math.NaN(),
			SSIM: math.NaN(), RMSE: math.NaN(), MAE: math.NaN(), RMSEms: math.NaN(), MAEms: math.NaN()}
		var post *wise.Posterior
		if cfg.Inner == 0 {
			ps := particles()
			post = &wise.Posterior{N: M, Nz: nz, Nx: nx, Samples: ps}
			post.CM, post.Std = wise.MeanStd(ps, M, pix)
			var sq float64
			for i := range v {
				for j := range v[i] {
					d := float64(v[i][j]-initM.Samples[i*pix+j]) / 1000
					sq += d * d
				}
			}
			inner = sq / float64(M)
			it.LatentNorm = lat
		} else {
			xs, l, err := sample()
			if err != nil {
				return res, err
			}
			cur = toPosterior(xs.Data).Samples
			if post, err = report(xs.Data); err != nil {
				return res, err
			}
			it.LatentNorm = l
			var sq float64
			for i, x := range xs.Data {
				d := float64(x-target.Data[i]) * scale / 1000
				sq += d * d
			}
			inner = sq / float64(M)
		}
		it.InnerLoss, it.InnerStart = inner, innerStart
		if cfg.MisfitEvery > 0 && (e == 1 || e == cfg.Outer || e%cfg.MisfitEvery == 0) {
			if it.CMMisfit, err = cmMisfit(post.CM); err != nil {
				return res, err
			}
		}
		it.DiagSolves = diag
		if o.Truth != nil {
			s := metrics.Velocity(o.Truth, post.CM, nz, nx)
			sm := metrics.VelocityMS(o.Truth, post.CM, nz, nx)
			it.SSIM, it.RMSE, it.MAE, it.RMSEms, it.MAEms = s.SSIM, s.RMSE, s.MAE, sm.RMSE, sm.MAE
		}
		it.Seconds = time.Since(start).Seconds()
		it.Posterior = post
		res.Posterior, res.Particles = post, particles()
		res.History = append(res.History, it)
		if o.OnIter != nil {
			if err := o.OnIter(&res.History[len(res.History)-1]); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// evalSlowness evaluates the particles' gradients with respect to squared
// slowness (any units: they are max-normalised) in parallel.
func evalSlowness(ctx context.Context, ob *fwi.Objective, v [][]float32, shots [][]int, grads [][]float32, workers int) ([]float64, error) {
	js, err := ob.EvalBatch(ctx, v, shots, grads, workers)
	if err != nil {
		return nil, err
	}
	for i := range v {
		wave.ToSlownessGradient(v[i], grads[i])
	}
	return js, nil
}

func allShots(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func minOf(v []float32) float32 {
	m := float32(math.Inf(1))
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func rms(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s / float64(len(v)))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fixedDampSimulator returns a one-worker simulator of obs on the survey sc
// with the damping reference velocity fixed at vDamp instead of following
// the model, so that the FWI gradients on it are exact (the callers run one
// simulator per particle or model in parallel).
func fixedDampSimulator(sc cig.SurveyConfig, vDamp float64, obs *cig.Obs) (*wave.Simulator, error) {
	sc.DampVelocity = vDamp
	sc.Workers = 1
	surv, err := cig.NewSurvey(sc)
	if err != nil {
		return nil, err
	}
	return surv.Simulator(obs)
}
