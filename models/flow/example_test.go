package flow_test

import (
	"fmt"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/models/flow"
	"genfwi/nn"
	"genfwi/tensor"
)

// One WISE training step: negative log-likelihood of velocity x given the
// summary y of its common-image gather, backward into the weights (and into
// y, for a summary network trained end to end), per-parameter clipping and
// Adam.
func Example_trainStep() {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg, _ := flow.Preset("cpu")
	g, _ := flow.New(*cfg, rng)
	opt := nn.NewAdam()
	tp := autograd.NewTape()

	x, y := tensor.Randn(rng, 1, 4, 1, 64, 64), tensor.Randn(rng, 1, 4, 1, 64, 64)
	tp.Reset()
	g.Arena.ZeroGrad()
	yv := tp.Input(y)
	z, logdet, err := g.Forward(tp.Const(x), yv) // the first call initialises ActNorm
	if err != nil {
		panic(err)
	}
	loss := flow.NLL(z, logdet)
	autograd.Backward(loss)
	nn.ClipPerParam(g.Arena, 3)
	opt.Step(g.Arena, 8e-4)
	fmt.Println(z.Shape(), logdet.Shape(), yv.Grad != nil, g.NumParams())
	// Output: [4 1 64 64] [4] true 238322
}

// WISER's inner loss on M particles: samples x = G⁻¹(h_φ(Z); y) of the
// frozen WISE network G, pulled towards the FWI-updated particles v, with
// the latent penalty (λ/2)‖h_φ(Z)‖² and −log|det ∂h_φ|. Reverse mode runs
// through G's inverse into the latent correction network h_φ only.
func Example_wiserInnerLoss() {
	rng := rand.New(rand.NewPCG(3, 4))
	cfg := flow.Config{InChannels: 1, CondChannels: 1, Hidden: 8, Levels: 2, Steps: 2, RBFinalReLU: true}
	const m, lambda = 4, 10.0
	G, _ := flow.New(cfg, rng)
	y := tensor.Randn(rng, 1, m, 1, 16, 16) // the summarised gather, repeated per particle
	if err := G.Init(tensor.Randn(rng, 1, m, 1, 16, 16), y); err != nil {
		panic(err)
	}
	flow.SetTrainable(G.Params(), false) // frozen: no weight gradients for G
	h, _ := flow.New(cfg.Unconditional(), rng)
	zFix, v := tensor.Randn(rng, 1, m, 1, 16, 16), tensor.Randn(rng, 1, m, 1, 16, 16)

	tp := autograd.NewTape()
	h.Arena.ZeroGrad()
	zt, logdet, _ := h.Forward(tp.Const(zFix), nil) // the first call initialises h's ActNorm
	x, err := G.Inverse(zt, tp.Const(y))
	if err != nil {
		panic(err)
	}
	misfit := autograd.Scale(autograd.Sum(autograd.Mul(autograd.Sub(x, tp.Const(v)), autograd.Sub(x, tp.Const(v))), false), 1.0/m)
	prior := autograd.Scale(autograd.Sum(autograd.Mul(zt, zt), false), lambda/2/m)
	loss := autograd.Add(autograd.Add(misfit, prior), autograd.Scale(autograd.Sum(logdet, false), -1.0/m))
	autograd.Backward(loss)
	fmt.Println("h_φ gradient ≠ 0:", h.Arena.GradNorm() > 0, " G gradient = 0:", G.Arena.GradNorm() == 0)
	// Output: h_φ gradient ≠ 0: true  G gradient = 0: true
}
