package benchmarks

import (
	"context"
	"math/rand/v2"
	"runtime"

	"genfwi/autograd"
	"genfwi/models/flow"
	"genfwi/nn"
	"genfwi/tensor"
)

// The WISE network case of docs/benchmarks.md ("wise-cpu"): the cpu preset
// (summary UNet on 21 offsets + conditional Glow, 1 781 939 parameters),
// one training step at batch 8 on fresh N(0,1) velocity and gathers
// (summary in training mode without dropout, loss = batch mean of
// (½‖z‖² − logdet)/4096, backward, global-norm clipping 3, Adam 8e-4) and
// one 8-sample posterior draw (one gather, summary in eval mode, inverse
// flow).

func wiseBenchCases() []*Case {
	return []*Case{{Name: "wise-cpu", Short: "WISE cpu preset: train step (batch 8) and 8-sample posterior draw", Run: benchWise}}
}

func benchWise(ctx context.Context, o *Options) (map[string]any, error) {
	defer o.useThreads()()
	reps := o.reps(7)
	const warm, batch = 2, 8
	cfg, err := flow.NetworkPreset("cpu")
	if err != nil {
		return nil, err
	}
	cfg.Summary.Dropout = 0
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := flow.NewNetwork(*cfg, rng)
	if err != nil {
		return nil, err
	}
	const nz, nx = 64, 64
	nh := cfg.Summary.InChannels
	opt := nn.NewAdam()
	tp := autograd.NewTape()
	bar := o.Bar.Bar(2*(warm+reps), "wise-cpu")
	defer bar.Finish()
	var loss float64
	var stepErr error
	train, err := timeSteps(ctx, bar, warm, reps, func() {
		x, y := tensor.Randn(rng, 1, batch, 1, nz, nx), tensor.Randn(rng, 1, batch, nh, nz, nx)
		net.Summary.Training = true
		tp.Reset()
		net.Arena.ZeroGrad()
		z, ld, err := net.Forward(tp.Const(x), tp.Const(y), rng)
		if err != nil {
			stepErr = err
			return
		}
		l := autograd.Scale(flow.NLL(z, ld), 1.0/(nz*nx))
		autograd.Backward(l)
		nn.ClipGlobalNorm(net.Arena, 3)
		opt.Step(net.Arena, 8e-4)
		loss = float64(l.Value.Data[0])
	})
	if err != nil {
		return nil, err
	}
	if stepErr != nil {
		return nil, stepErr
	}
	tapeMB := float64(tp.Bytes()) / 1e6
	net.Summary.Training = false
	y := tensor.Randn(rng, 1, 1, nh, nz, nx)
	sample, err := timeSteps(ctx, bar, warm, reps, func() {
		if _, err := net.Sample(tensor.Randn(rng, 1, batch, 1, nz, nx), y, nil); err != nil {
			stepErr = err
		}
	})
	if err != nil {
		return nil, err
	}
	if stepErr != nil {
		return nil, stepErr
	}
	bar.Finish()
	return map[string]any{
		"preset": "cpu", "batch": batch, "samples": batch,
		"train_step_ms": 1e3 * median(train), "sample_ms": 1e3 * median(sample),
		"params": net.NumParams(), "params_flow": net.Flow.NumParams(), "params_summary": net.Summary.NumParams(),
		"peak_rss_mb": peakRSSMB(), "tape_mb": tapeMB, "last_loss": loss,
		"threads": tensor.Threads(), "gomaxprocs": runtime.GOMAXPROCS(0), "repeat": reps,
	}, nil
}
