package nn

import (
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

// TestLayerGradients checks each layer's input gradient by finite
// differences (the parameter gradients come from the same autograd ops,
// checked in package autograd).
func TestLayerGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	mha := NewMultiHeadAttention("mha", rng, 8, 2)
	lin := NewLinear("lin", rng, 6, 4, true)
	ct := NewConvTranspose2d("ct", rng, 3, 2, 4, 4, autograd.Conv2dOpts{Stride: [2]int{2, 2}, Pad: autograd.PadAll(1)}, true)
	ln := NewLayerNorm("ln", 6, 1e-5)
	cases := []struct {
		name  string
		shape []int
		f     func(x *autograd.Var) *autograd.Var
	}{
		{"MultiHeadAttention", []int{2, 3, 8}, func(x *autograd.Var) *autograd.Var { return mha.Forward(x, x) }},
		{"Linear", []int{5, 6}, lin.Forward},
		{"ConvTranspose2d", []int{1, 3, 3, 3}, ct.Forward},
		{"LayerNorm", []int{4, 6}, ln.Forward},
	}
	for _, c := range cases {
		in := tensor.Randn(rng, 1, c.shape...)
		err := autograd.GradCheck(func(tp *autograd.Tape, v []*autograd.Var) *autograd.Var { return c.f(v[0]) },
			[]*tensor.Tensor{in}, autograd.GradCheckOpts{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if got := NewArena(mha.Params()).NumParams(); got != 4*(8*8+8) {
		t.Errorf("attention has %d parameters, want %d", got, 4*(8*8+8))
	}
}
