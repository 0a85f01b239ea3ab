package vqae

import (
	"math"
	"math/rand/v2"
	"strings"
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
// would be rejected; once on the network's own grid and once with an
// InputSize adapter (conv_in of kernel (3+d_h, 3+d_w), transposed conv_out).
func TestSeismicBranchParamGradCheck(t *testing.T) {
	c := BranchConfig{InChannels: 2, Resolution: [2]int{32, 8}, Ch: 4, ChMult: []int{1, 2, 2, 2},
		Down: [][2]int{{2, 1}, {2, 1}, {2, 2}}, NumResBlocks: 1, AttnResolutions: []int{4}, ZChannels: 3,
		NormGroups: 2, OutputBias: true, PosEmbed: true}
	branchGradCheck(t, c)
	c.InputSize = [2]int{34, 11}
	branchGradCheck(t, c)
}

func branchGradCheck(t *testing.T, c BranchConfig) {
	t.Helper()
	if err := c.Validate("seismic"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	enc, dec := NewEncoder("enc", rng, c), NewDecoder("dec", rng, c)
	params := append(enc.Params(), dec.Params()...)
	for _, p := range params { // move off the initialisation (zero biases)
		for i := range p.Value().Data {
			p.Value().Data[i] += float32(0.05 * rng.NormFloat64())
		}
	}
	in := c.In()
	x := tensor.Randn(rng, 1, 2, c.InChannels, in[0], in[1])
	fc := fwdCtx{}
	ds := nn.OutputDirectional(params, func(tp *autograd.Tape) *autograd.Var {
		y := dec.forward(fc, enc.forward(fc, tp.Input(x)))
		if !tensor.SameShape(y.Shape(), x.Shape) {
			t.Fatalf("input %v, output %v", x.Shape, y.Shape())
		}
		return y
	}, 1e-2, rng)
	// An attention key bias adds q·b_k to every logit of a query's row, which
	// the softmax removes: its gradient is exactly 0, and its central
	// difference is float32 rounding noise (measured up to 3e-3 here).
	// Check that the reverse gradient is 0 and leave it out of the comparison.
	kept := ds[:0]
	for _, d := range ds {
		if strings.HasSuffix(d.Name, ".k.bias") {
			if math.Abs(d.Reverse) > 1e-6 {
				t.Errorf("%s: reverse-mode directional derivative %g, want 0", d.Name, d.Reverse)
			}
			continue
		}
		kept = append(kept, d)
	}
	ds = kept
	if bad, err := nn.CheckDirectional(ds, 2e-3, 3e-2); len(bad) > 0 || err != nil {
		t.Errorf("input %v: %d of %d parameter tensors mismatch %v; %v", in, len(bad), len(ds), bad, err)
	}
}
