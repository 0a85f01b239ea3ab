package vqae

import (
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// BenchmarkTrainStepCPU times one training step (forward, backward, Adam) of
// the cpu preset at batch 16 on random data.
func BenchmarkTrainStepCPU(b *testing.B) {
	c, _ := Preset("cpu")
	m, err := New(*c)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	seis := tensor.Uniform(rng, -1, 1, 16, 5, 256, 64)
	vel := tensor.Uniform(rng, -1, 1, 16, 1, 64, 64)
	opt := nn.NewAdam()
	tp := autograd.NewTape()
	for b.Loop() {
		tp.Reset()
		m.Arena.ZeroGrad()
		l, _ := m.Loss(tp, tp.Const(seis), tp.Const(vel))
		autograd.Backward(l)
		opt.Step(m.Arena, 1e-4)
	}
}
