package invnet

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// TestCriticParams checks the paper critic's size against PyTorch's count
// of OpenFWI's Discriminator (1 180 003, computed with torch.nn layers of
// the same definition) and its output shape.
func TestCriticParams(t *testing.T) {
	c, err := NewCritic(PaperCriticDims(), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.NumParams(); got != 1180003 {
		t.Errorf("critic has %d parameters, OpenFWI's Discriminator 1180003", got)
	}
	tp := autograd.NewTape()
	tp.NoGrad = true
	d, err := c.Forward(tp.Const(tensor.New(2, 1, 70, 70)))
	if err != nil {
		t.Fatal(err)
	}
	if s := d.Shape(); len(s) != 1 || s[0] != 2 {
		t.Errorf("scores have shape %v, want [2]", s)
	}
	if _, err := c.Forward(tp.Const(tensor.New(2, 1, 64, 64))); err == nil {
		t.Error("a 64×64 input was accepted")
	}
}

// smallCritic is a narrow critic with weights and BatchNorm affine
// parameters moved away from their initial values, so that γ and β matter.
func smallCritic(t *testing.T, rng *rand.Rand) *Critic {
	t.Helper()
	c, err := NewCritic([4]int{3, 4, 4, 5}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Arena.Params {
		for i := range p.Value().Data {
			p.Value().Data[i] += float32(0.1 * rng.NormFloat64())
		}
	}
	return c
}

// TestCriticInputGradientMatchesBackward checks the explicit, twice
// differentiable input gradient of InputGradient against the engine's own
// reverse mode through the fused layers: the same scores and the same
// ∂ΣD/∂x.
func TestCriticInputGradientMatchesBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	c := smallCritic(t, rng)
	x := tensor.Randn(rng, 1, 4, 1, 70, 70)

	tp := autograd.NewTape()
	xv := tp.Input(x)
	d, err := c.Forward(xv)
	if err != nil {
		t.Fatal(err)
	}
	autograd.Backward(autograd.Sum(d, false))
	want, wantD := xv.Grad.Clone(), d.Value.Clone()

	tp2 := autograd.NewTape()
	d2, g, err := c.InputGradient(tp2.Const(x))
	if err != nil {
		t.Fatal(err)
	}
	compare := func(what string, got, want []float32) {
		var peak, worst float64
		for i := range want {
			peak = math.Max(peak, math.Abs(float64(want[i])))
			worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
		}
		if peak == 0 || worst > 1e-4*peak {
			t.Errorf("%s: worst difference %.3g, peak %.3g", what, worst, peak)
		}
	}
	compare("scores", d2.Value.Data, wantD.Data)
	compare("∂ΣD/∂x", g.Value.Data, want.Data)
}

// TestGradientPenaltyDoubleBackward checks the gradient of WGAN-GP's
// penalty with respect to every critic parameter tensor (a gradient of a
// gradient) against central differences of the penalty. The differences
// hold the LeakyReLU slopes at their values at the base point: the penalty
// itself jumps where a pre-activation changes sign (the slope of g changes
// from 0.2 to 1), and the reverse mode differentiates the smooth piece the
// base point lies on, which is this function.
func TestGradientPenaltyDoubleBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	c := smallCritic(t, rng)
	x := tensor.Randn(rng, 1, 3, 1, 70, 70)
	tp := autograd.NewTape()
	c.Arena.ZeroGrad()
	gp, slopes, err := c.gradientPenalty(tp.Const(x), nil)
	if err != nil {
		t.Fatal(err)
	}
	autograd.Backward(gp)
	J := func() float64 {
		tp := autograd.NewTape()
		tp.NoGrad = true
		gp, _, err := c.gradientPenalty(tp.Const(x), slopes)
		if err != nil {
			t.Fatal(err)
		}
		return float64(gp.Value.Data[0])
	}
	// A step of 3e-3 along a unit direction: at 1e-2 the central
	// difference of this strongly curved function (a norm of a BatchNorm
	// gradient) is off by a few per cent, at 3e-2 by up to 35 %.
	ds := nn.ParamDirectional(c.Arena.Params, J, 3e-3, rng)
	bad, err := nn.CheckDirectional(ds, 2e-3, 3e-2)
	for _, d := range bad {
		t.Errorf("%s: reverse mode %.6g, central difference %.6g", d.Name, d.Reverse, d.Central)
	}
	if err != nil {
		t.Error(err)
	}
}
