package flow

import (
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
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
	opt := nn.NewAdam()
	tp := autograd.NewTape()
	for b.Loop() {
		x, c := randn(rng, 8, 1, 64, 64), randn(rng, 8, 1, 64, 64)
		tp.Reset()
		g.Arena.ZeroGrad()
		z, ld, err := g.Forward(tp.Const(x), tp.Input(c))
		if err != nil {
			b.Fatal(err)
		}
		autograd.Backward(autograd.Scale(NLL(z, ld), 1.0/4096))
		nn.ClipGlobalNorm(g.Arena, 3)
		opt.Step(g.Arena, 8e-4)
	}
}

// BenchmarkSampleCPU draws 8 posterior samples for one condition (flow
// inverse only).
func BenchmarkSampleCPU(b *testing.B) {
	cfg, _ := Preset("cpu")
	rng := rand.New(rand.NewPCG(1, 2))
	g, _ := New(*cfg, rng)
	c := randn(rng, 8, 1, 64, 64)
	if err := g.Init(randn(rng, 8, 1, 64, 64), c); err != nil {
		b.Fatal(err)
	}
	tp := autograd.NewTape()
	tp.NoGrad = true
	for b.Loop() {
		tp.Reset()
		if _, err := g.Inverse(tp.Const(randn(rng, 8, 1, 64, 64)), tp.Const(c)); err != nil {
			b.Fatal(err)
		}
	}
}
