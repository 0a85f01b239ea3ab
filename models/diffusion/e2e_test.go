package diffusion

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// TestTrainThenSampleTwoPatterns trains the tiny UNet on a data set of two
// fixed latents (random t and ε every step, as in real training) and then
// samples with DDIM: every sample must land near one of the two patterns.
// It checks that training and sampling agree on timesteps, scaling and
// parameterisation end to end.
func TestTrainThenSampleTwoPatterns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for ~10 s")
	}
	m := tinyModel(t)
	rng := rand.New(rand.NewPCG(12, 12))
	pats := []*tensor.Tensor{tensor.Randn(rng, 1, 1, 4, 8, 8), tensor.Randn(rng, 1, 1, 4, 8, 8)}
	per := 4 * 8 * 8
	batch := tensor.New(16, 4, 8, 8)
	for i := 0; i < 16; i++ {
		copy(batch.Data[i*per:(i+1)*per], pats[i%2].Data)
	}
	m.ScaleFactor = ScaleFactorFor(batch)
	opt := nn.NewAdamW()
	opt.WeightDecay = 0
	tp := autograd.NewTape()
	var last float64
	for step := 0; step < 600; step++ {
		tp.Reset()
		m.Arena.ZeroGrad()
		l, info := m.Loss(tp, batch, rng)
		autograd.Backward(l)
		nn.ClipGlobalNorm(m.Arena, 1)
		opt.Step(m.Arena, 2e-3)
		last = info.Loss
	}
	h, err := m.Sample(context.Background(), 6, SampleOptions{Method: "ddim", Steps: 50, RNG: rng}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dist := func(a []float32, b []float32) float64 {
		var s float64
		for i := range a {
			d := float64(a[i] - b[i])
			s += d * d
		}
		return math.Sqrt(s)
	}
	sep := dist(pats[0].Data, pats[1].Data)
	for i := 0; i < 6; i++ {
		x := h.Data[i*per : (i+1)*per]
		d := math.Min(dist(x, pats[0].Data), dist(x, pats[1].Data))
		t.Logf("sample %d: distance to nearest pattern %.3f (patterns %.3f apart), final loss %.3f", i, d, sep, last)
		if d > 0.25*sep {
			t.Errorf("sample %d is %.3f from the nearest pattern (patterns %.3f apart)", i, d, sep)
		}
	}
}
