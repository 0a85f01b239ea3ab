package vqae

import (
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// TestSeismicBranchParamGradCheck checks the gradient of every parameter of
// an encoder → decoder chain with the seismic branch's layout (two
// time-only (2,1) downsamplings, then isotropic ones, attention at the
// coarsest level, output bias and latent position embedding) against
// central differences along a random direction per tensor (no quantiser;
// J = Σ r·D(E(x)) with a fixed random cotangent r), and that a 10 % error
// would be rejected.
func TestSeismicBranchParamGradCheck(t *testing.T) {
	c := BranchConfig{InChannels: 2, Resolution: [2]int{32, 8}, Ch: 4, ChMult: []int{1, 2, 2, 2},
		Down: [][2]int{{2, 1}, {2, 1}, {2, 2}}, NumResBlocks: 1, AttnResolutions: []int{4}, ZChannels: 3,
		NormGroups: 2, OutputBias: true, PosEmbed: true}
	rng := rand.New(rand.NewPCG(5, 6))
	enc, dec := NewEncoder("enc", rng, c), NewDecoder("dec", rng, c)
	params := append(enc.Params(), dec.Params()...)
	for _, p := range params { // move off the initialisation (zero biases)
		for i := range p.Value().Data {
			p.Value().Data[i] += float32(0.05 * rng.NormFloat64())
		}
	}
	x := tensor.Randn(rng, 1, 2, c.InChannels, c.Resolution[0], c.Resolution[1])
	fc := fwdCtx{}
	ds := nn.OutputDirectional(params, func(tp *autograd.Tape) *autograd.Var {
		return dec.forward(fc, enc.forward(fc, tp.Input(x)))
	}, 1e-2, rng)
	if bad, err := nn.CheckDirectional(ds, 2e-3, 3e-2); len(bad) > 0 || err != nil {
		t.Errorf("%d of %d parameter tensors mismatch %v; %v", len(bad), len(ds), bad, err)
	}
}
