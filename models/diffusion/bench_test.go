package diffusion

import (
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

func benchTrainStep(b *testing.B, c *Config, batch int) {
	m, err := New(*c)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	h := tensor.Randn(rng, 1, batch, c.UNet.InChannels, c.UNet.ImageSize, c.UNet.ImageSize)
	opt := nn.NewAdamW()
	tp := autograd.NewTape()
	for b.Loop() {
		tp.Reset()
		m.Arena.ZeroGrad()
		l, _ := m.Loss(tp, h, rng)
		autograd.Backward(l)
		opt.Step(m.Arena, 1e-4)
	}
}

// BenchmarkTrainStepCPU16 times one training step of the cpu preset at
// batch 16; ...Attn124 adds attention at 16×16 (downsample factor 1) as in
// the paper preset.
func BenchmarkTrainStepCPU16(b *testing.B) {
	c, _ := Preset("cpu")
	benchTrainStep(b, c, 16)
}

func BenchmarkTrainStepCPU16Attn124(b *testing.B) {
	c, _ := Preset("cpu")
	c.UNet.AttentionResolutions = []int{1, 2, 4}
	benchTrainStep(b, c, 16)
}

// BenchmarkEpsCPU16 times one ε-prediction (a sampler step) at batch 16.
func BenchmarkEpsCPU16(b *testing.B) {
	c, _ := Preset("cpu")
	m, err := New(*c)
	if err != nil {
		b.Fatal(err)
	}
	z := tensor.Randn(rand.New(rand.NewPCG(1, 1)), 1, 16, 32, 16, 16)
	tp := autograd.NewTape()
	for b.Loop() {
		m.PredictEps(tp, z, 500)
	}
}
