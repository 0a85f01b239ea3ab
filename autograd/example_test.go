package autograd_test

import (
	"fmt"

	"genfwi/autograd"
	"genfwi/tensor"
)

// A gradient through a convolution: d/dw Σ conv(x, w) with a 2×2 kernel of
// ones over a 3×3 image of ones (no padding) is the number of windows each
// weight sees, 2·2 = 4.
func ExampleConv2d() {
	tp := autograd.NewTape()
	x := tp.Const(tensor.FromSlice([]float32{1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 1, 3, 3))
	w := autograd.NewLeaf(tensor.FromSlice([]float32{1, 1, 1, 1}, 1, 1, 2, 2), true)
	y := autograd.Conv2d(x, w, nil, autograd.Conv2dOpts{})
	autograd.Backward(autograd.Sum(y, false))
	fmt.Println(y.Value.Data, w.Grad.Data)
	// Output: [4 4 4 4] [4 4 4 4]
}

// BackwardWith pushes a cotangent computed outside the engine (for
// example a wave-equation adjoint ∂J/∂v) through a network: afterwards the
// parameters hold cotᵀ·∂out/∂θ.
func ExampleBackwardWith() {
	tp := autograd.NewTape()
	theta := autograd.NewLeaf(tensor.FromSlice([]float32{2}, 1), true)
	x := tp.Const(tensor.FromSlice([]float32{1, 2, 3}, 3))
	v := autograd.Mul(x, theta) // v = θ·x, a "velocity model"
	dJdv := tensor.FromSlice([]float32{1, 0, -1}, 3)
	autograd.BackwardWith(v, dJdv)
	fmt.Println(theta.Grad.Data) // Σ dJdv·x = 1 - 3
	// Output: [-2]
}

// The checkerboard squeeze of a Glow flow is a Reshape and a Permute:
// output channel block k holds the polyphase component (ox, oy) =
// (0,0), (1,0), (0,1), (1,1) of the (H, W) = (x, y) grid. Its inverse is the
// inverse permutation, so both directions are differentiable.
func ExamplePermute() {
	tp := autograd.NewTape()
	// One 4×4 channel, values 0..15 in row-major (x slowest).
	data := make([]float32, 16)
	for i := range data {
		data[i] = float32(i)
	}
	x := tp.Const(tensor.FromSlice(data, 1, 1, 4, 4))
	h := autograd.Reshape(x, 1, 1, 2, 2, 2, 2) // (n, c, x/2, ox, y/2, oy)
	h = autograd.Permute(h, 0, 5, 3, 1, 2, 4)  // (n, oy, ox, c, x/2, y/2)
	sq := autograd.Reshape(h, 1, 4, 2, 2)      // block k = 2·oy + ox
	fmt.Println(sq.Value.Data[:4], sq.Value.Data[4:8])
	back := autograd.Reshape(sq, 1, 2, 2, 1, 2, 2)  // (n, oy, ox, c, x/2, y/2)
	back = autograd.Permute(back, 0, 3, 4, 2, 5, 1) // (n, c, x/2, ox, y/2, oy)
	fmt.Println(tensor.MaxAbsDiff(autograd.Reshape(back, 1, 1, 4, 4).Value, x.Value))
	// Output:
	// [0 2 8 10] [4 6 12 14]
	// 0
}

// Inference records nothing: outputs of a NoGrad tape do not require
// gradients, and Reset recycles every buffer for the next batch.
func ExampleTape_inference() {
	tp := autograd.NewTape()
	tp.NoGrad = true
	w := autograd.NewLeaf(tensor.FromSlice([]float32{3}, 1), true)
	y := autograd.Mul(tp.Const(tensor.FromSlice([]float32{2}, 1)), w)
	fmt.Println(y.Value.Data, y.RequiresGrad())
	tp.Reset()
	// Output: [6] false
}
