package benchmarks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"genfwi/autograd"
	"genfwi/internal/progress"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/nn"
	"genfwi/tensor"
)

// The WaveDiffusion model cases: one training step (forward, backward,
// Adam) and one inference pass of the cpu presets at batch 16, on random
// data in [−1, 1]. See docs/wavediffusion-models.md.

func wdmodelsBenchCases() []*Case {
	var cs []*Case
	for _, p := range []string{"cpu", "cpu-one-in", "cpu-velocity", "cpu-seismic"} {
		cs = append(cs, &Case{Name: "vqae-" + p, Short: "train step and encode+decode of the vqae " + p + " preset, batch 16",
			Run: func(ctx context.Context, o *Options) (map[string]any, error) {
				return benchVQAE(ctx, o, p)
			}})
	}
	return append(cs, &Case{Name: "diffusion-cpu", Short: "train step and one ε-prediction of the cpu diffusion UNet, batch 16",
		Run: benchDiffusion})
}

const wdBatch = 16

// timeSteps runs fn warm+reps times and returns the median duration of the
// last reps in seconds.
func timeSteps(ctx context.Context, bar progress.Bar, warm, reps int, fn func()) ([]float64, error) {
	var ts []float64
	for i := 0; i < warm+reps; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 := time.Now()
		fn()
		if i >= warm {
			ts = append(ts, time.Since(t0).Seconds())
		}
		bar.Add(1)
	}
	return ts, nil
}

func benchVQAE(ctx context.Context, o *Options, preset string) (map[string]any, error) {
	defer o.useThreads()()
	reps := o.reps(5)
	const warm = 2
	cfg, err := vqae.Preset(preset)
	if err != nil {
		return nil, err
	}
	m, err := vqae.New(*cfg)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var seis, vel *tensor.Tensor
	if cfg.Seismic != nil {
		r := cfg.Seismic.Resolution
		seis = tensor.Uniform(rng, -1, 1, wdBatch, cfg.Seismic.InChannels, r[0], r[1])
	}
	if cfg.Velocity != nil {
		vel = tensor.Uniform(rng, -1, 1, wdBatch, 1, 64, 64)
	}
	cv := func(tp *autograd.Tape, x *tensor.Tensor) *autograd.Var {
		if x == nil {
			return nil
		}
		return tp.Const(x)
	}
	opt := nn.NewAdam()
	tp := autograd.NewTape()
	bar := o.Bar.Bar(2*(warm+reps), "vqae-"+preset)
	defer bar.Finish()
	var last vqae.LossParts
	train, err := timeSteps(ctx, bar, warm, reps, func() {
		tp.Reset()
		m.Arena.ZeroGrad()
		l, p := m.Loss(tp, cv(tp, seis), cv(tp, vel))
		autograd.Backward(l)
		opt.Step(m.Arena, 1e-4)
		last = p
	})
	if err != nil {
		return nil, err
	}
	rss := peakRSSMB()
	tapeMB := float64(tp.Bytes()) / 1e6
	inf := autograd.NewTape()
	inf.NoGrad = true
	encIn := func() (s, v *autograd.Var) {
		s, v = cv(inf, seis), cv(inf, vel)
		if cfg.Mode == vqae.OneInTwoOut {
			v = nil
		}
		return
	}
	fwd, err := timeSteps(ctx, bar, warm, reps, func() {
		inf.Reset()
		s, v := encIn()
		m.Decode(inf, m.Encode(inf, s, v))
	})
	if err != nil {
		return nil, err
	}
	bar.Finish()
	return map[string]any{
		"preset": preset, "batch": wdBatch,
		"train_step_ms": 1e3 * median(train), "forward_ms": 1e3 * median(fwd),
		"params": m.NumParams(), "peak_rss_mb": rss, "tape_mb": tapeMB, "last_loss": last.Total,
		"threads": tensor.Threads(), "gomaxprocs": runtime.GOMAXPROCS(0), "repeat": reps,
	}, nil
}

func benchDiffusion(ctx context.Context, o *Options) (map[string]any, error) {
	defer o.useThreads()()
	reps := o.reps(7)
	const warm = 2
	cfg, err := diffusion.Preset("cpu")
	if err != nil {
		return nil, err
	}
	m, err := diffusion.New(*cfg)
	if err != nil {
		return nil, err
	}
	u := cfg.UNet
	rng := rand.New(rand.NewPCG(1, 2))
	h := tensor.Randn(rng, 1, wdBatch, u.InChannels, u.ImageSize, u.ImageSize)
	opt := nn.NewAdamW()
	tp := autograd.NewTape()
	bar := o.Bar.Bar(2*(warm+reps), "diffusion-cpu")
	defer bar.Finish()
	var loss float64
	train, err := timeSteps(ctx, bar, warm, reps, func() {
		tp.Reset()
		m.Arena.ZeroGrad()
		l, info := m.Loss(tp, h, rng)
		autograd.Backward(l)
		opt.Step(m.Arena, 1e-4)
		loss = info.Loss
	})
	if err != nil {
		return nil, err
	}
	rss := peakRSSMB()
	inf := autograd.NewTape()
	fwd, err := timeSteps(ctx, bar, warm, reps, func() { m.PredictEps(inf, h, 500) })
	if err != nil {
		return nil, err
	}
	bar.Finish()
	sample1000 := median(append([]float64(nil), fwd...)) * 1000
	return map[string]any{
		"preset": "cpu", "batch": wdBatch,
		"train_step_ms": 1e3 * median(train), "eps_forward_ms": 1e3 * median(fwd),
		"ddpm_1000_steps_s_est": sample1000, "params": m.NumParams(), "peak_rss_mb": rss, "last_loss": loss,
		"threads": tensor.Threads(), "gomaxprocs": runtime.GOMAXPROCS(0), "repeat": reps,
		"note": fmt.Sprintf("ddpm_1000_steps_s_est = 1000 × eps_forward for batch %d", wdBatch),
	}, nil
}
