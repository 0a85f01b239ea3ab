package benchmarks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"genfwi/autograd"
	"genfwi/models/invnet"
	"genfwi/nn"
	"genfwi/tensor"
)

// The InversionNet benchmark cases: nn-inversionnet (docs/benchmarks.md:
// the paper network, batch 16) and invnet-cpu (the cpu preset at its
// training batch size).

// invnetBenchCases are the bench cases of bench_invnet.go.
func invnetBenchCases() []*Case {
	return []*Case{
		&Case{Name: "nn-inversionnet", Short: "train step (L1, AdamW) and eval forward of OpenFWI's 24 409 123-parameter InversionNet, batch 16×5×1000×70",
			Run: func(ctx context.Context, o *Options) (map[string]any, error) {
				return benchInvNet(ctx, o, "nn-inversionnet", invnet.PaperNet(), 16, 24409123)
			}},
		&Case{Name: "invnet-cpu", Short: "train step and eval forward of the cpu-preset InversionNet (6 105 875 parameters, input 5×250×70), batch 32",
			Run: func(ctx context.Context, o *Options) (map[string]any, error) {
				return benchInvNet(ctx, o, "invnet-cpu", invnet.CPUNet(), 32, 6105875)
			}},
	}
}

// benchInvNet measures an InversionNet as docs/benchmarks.md defines
// nn-inversionnet: fresh N(0,1) input and target each step, L1 loss, AdamW
// (lr 1e-4, weight decay 1e-4), BatchNorm in training mode; the forward
// pass in eval mode without gradients.
func benchInvNet(ctx context.Context, o *Options, name string, cfg invnet.NetConfig, batch, wantParams int) (map[string]any, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := invnet.New(cfg, rng)
	if err != nil {
		return nil, err
	}
	if net.NumParams() != wantParams {
		return nil, fmt.Errorf("%s: model has %d parameters, the benchmark defines %d", name, net.NumParams(), wantParams)
	}
	opt := nn.NewAdamW()
	opt.WeightDecay = 1e-4
	res, err := runNetBench(ctx, o, netBench{
		Name: name, Arena: net.Arena, Opt: opt, LR: 1e-4, Reps: 5, RNG: rng,
		X: tensor.New(batch, invnet.Shots, cfg.InputT(), invnet.Receivers), Y: tensor.New(batch, 1, invnet.NZ, invnet.NX),
		Forward: func(x *autograd.Var) *autograd.Var {
			v, err := net.Forward(x)
			if err != nil {
				panic(err) // the shapes are fixed above
			}
			return v
		},
		Loss:        autograd.L1,
		SetTraining: net.SetTraining,
	})
	if err != nil {
		return nil, err
	}
	res["batch"] = batch
	res["input"] = []int{batch, invnet.Shots, cfg.InputT(), invnet.Receivers}
	return res, nil
}

// netBench is one network's train-step and forward benchmark: fresh
// N(0,1) X and Y before every step (not timed), Loss(Forward(X), Y),
// backward, one optimiser step.
type netBench struct {
	Name        string
	Arena       *nn.Arena
	Opt         nn.Optimizer
	LR          float64
	X, Y        *tensor.Tensor
	Forward     func(x *autograd.Var) *autograd.Var
	Loss        func(pred, target *autograd.Var) *autograd.Var
	SetTraining func(bool) // nil: the network has no train/eval modes
	Reps        int        // default timed repetitions (--repeat overrides)
	RNG         *rand.Rand
}

// runNetBench times ≥ 2 warm-up and then Reps train steps and forward
// passes (eval mode, no gradient) and reports medians and the peak RSS of
// the training phase.
func runNetBench(ctx context.Context, o *Options, b netBench) (map[string]any, error) {
	defer o.useThreads()()
	const warm = 2
	reps := o.reps(b.Reps)
	fresh := func() {
		for i := range b.X.Data {
			b.X.Data[i] = float32(b.RNG.NormFloat64())
		}
		for i := range b.Y.Data {
			b.Y.Data[i] = float32(b.RNG.NormFloat64())
		}
	}
	setTraining := func(on bool) {
		if b.SetTraining != nil {
			b.SetTraining(on)
		}
	}
	bar := o.Bar.Bar(2*(warm+reps), b.Name)
	defer bar.Finish()
	tp := autograd.NewTape()
	defer tp.Free()
	setTraining(true)
	var train []float64
	var loss float32
	for i := 0; i < warm+reps; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fresh() // drawing the data is not part of the step
		t0 := time.Now()
		tp.Reset()
		b.Arena.ZeroGrad()
		l := b.Loss(b.Forward(tp.Const(b.X)), tp.Const(b.Y))
		autograd.Backward(l)
		b.Opt.Step(b.Arena, b.LR)
		if i >= warm {
			train = append(train, time.Since(t0).Seconds())
		}
		loss = l.Item()
		bar.Add(1)
	}
	trainRSS := peakRSSMB()
	tapeMB := float64(tp.Bytes()) / 1e6
	tp.Free()
	inf := autograd.NewTape()
	defer inf.Free()
	inf.NoGrad = true
	setTraining(false)
	defer setTraining(true)
	var fwd []float64
	for i := 0; i < warm+reps; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fresh()
		t0 := time.Now()
		inf.Reset()
		b.Forward(inf.Const(b.X))
		if i >= warm {
			fwd = append(fwd, time.Since(t0).Seconds())
		}
		bar.Add(1)
	}
	bar.Finish()
	trainMed := median(train) // sorts train
	return map[string]any{
		"train_step_ms":     1e3 * trainMed,
		"train_step_min_ms": 1e3 * train[0],
		"forward_ms":        1e3 * median(fwd),
		"params":            b.Arena.NumParams(),
		"peak_rss_mb":       trainRSS,
		"tape_mb":           tapeMB,
		"last_loss":         loss,
		"threads":           tensor.Threads(),
		"blas":              tensor.BLAS,
		"gomaxprocs":        runtime.GOMAXPROCS(0),
		"repeat":            reps,
	}, nil
}
