package flow

import (
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// BenchmarkTrainStepCPU is the flow half of the wise-cpu train step: batch 8
// of fresh N(0,1) velocity and condition (1×64×64), NLL, backward, global
// clipping 3 and Adam.
func BenchmarkTrainStepCPU(b *testing.B) {
	cfg, _ := Preset("cpu")
	rng := rand.New(rand.NewPCG(1, 2))
	g, err := New(*cfg, rng)
	if err != nil {
		b.Fatal(err)
	}
	benchTrainSteps(b, g.Arena, func(tp *autograd.Tape) (*autograd.Var, *autograd.Var, error) {
		x, c := tensor.Randn(rng, 1, 8, 1, 64, 64), tensor.Randn(rng, 1, 8, 1, 64, 64)
		return g.Forward(tp.Const(x), tp.Input(c))
	})
}

// benchTrainSteps times wise-cpu optimiser steps on the parameters in a:
// fwd runs the network on a fresh batch, then NLL/4096 (per pixel of a
// 64×64 map), backward, global clipping 3 and Adam 8e-4.
func benchTrainSteps(b *testing.B, a *nn.Arena, fwd func(tp *autograd.Tape) (z, logdet *autograd.Var, err error)) {
	opt := nn.NewAdam()
	tp := autograd.NewTape()
	for b.Loop() {
		tp.Reset()
		a.ZeroGrad()
		z, ld, err := fwd(tp)
		if err != nil {
			b.Fatal(err)
		}
		autograd.Backward(autograd.Scale(NLL(z, ld), 1.0/4096))
		nn.ClipGlobalNorm(a, 3)
		opt.Step(a, 8e-4)
	}
}

// BenchmarkSampleCPU draws 8 posterior samples for one condition (flow
// inverse only).
func BenchmarkSampleCPU(b *testing.B) {
	cfg, _ := Preset("cpu")
	rng := rand.New(rand.NewPCG(1, 2))
	g, _ := New(*cfg, rng)
	c := tensor.Randn(rng, 1, 8, 1, 64, 64)
	if err := g.Init(tensor.Randn(rng, 1, 8, 1, 64, 64), c); err != nil {
		b.Fatal(err)
	}
	tp := autograd.NewTape()
	tp.NoGrad = true
	for b.Loop() {
		tp.Reset()
		if _, err := g.Inverse(tp.Const(tensor.Randn(rng, 1, 8, 1, 64, 64)), tp.Const(c)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetworkTrainStepCPU is the whole wise-cpu train step: summary
// UNet (21 offsets, training mode, no dropout) and flow, batch 8, NLL/4096,
// global clipping 3, Adam 8e-4.
func BenchmarkNetworkTrainStepCPU(b *testing.B) {
	cfg, _ := NetworkPreset("cpu")
	cfg.Summary.Dropout = 0
	rng := rand.New(rand.NewPCG(1, 2))
	n, err := NewNetwork(*cfg, rng)
	if err != nil {
		b.Fatal(err)
	}
	n.Summary.Training = true
	benchTrainSteps(b, n.Arena, func(tp *autograd.Tape) (*autograd.Var, *autograd.Var, error) {
		x, y := tensor.Randn(rng, 1, 8, 1, 64, 64), tensor.Randn(rng, 1, 8, 21, 64, 64)
		return n.Forward(tp.Const(x), tp.Const(y), rng)
	})
}

// BenchmarkNetworkSampleCPU draws 8 posterior samples for one gather
// (summary in eval mode, inverse flow).
func BenchmarkNetworkSampleCPU(b *testing.B) {
	cfg, _ := NetworkPreset("cpu")
	rng := rand.New(rand.NewPCG(1, 2))
	n, _ := NewNetwork(*cfg, rng)
	y := tensor.Randn(rng, 1, 1, 21, 64, 64)
	if err := n.Init(tensor.Randn(rng, 1, 8, 1, 64, 64), tensor.Randn(rng, 1, 8, 21, 64, 64), nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := n.Sample(tensor.Randn(rng, 1, 8, 1, 64, 64), y, nil); err != nil {
			b.Fatal(err)
		}
	}
}
