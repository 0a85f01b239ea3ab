package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

// TestConv2dReLUMatchesPair checks Conv2dReLU against ReLU(Conv2d(…)) on
// each forward path — the direct kernels (≤ 8 outputs), oneDNN (16 → 32
// channels, post-op), im2col + GEMM (1×1, and strided with 3 inputs) —
// values equal up to the sign of zeros, gradients of Σ r·out with respect
// to x, w and b bit for bit.
func TestConv2dReLUMatchesPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct {
		x, w []int
		o    Conv2dOpts
	}{
		{[]int{2, 16, 9, 11}, []int{4, 16, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{[]int{2, 16, 9, 11}, []int{32, 16, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{[]int{2, 16, 5, 6}, []int{16, 16, 1, 1}, Conv2dOpts{}},
		{[]int{2, 3, 9, 8}, []int{16, 3, 3, 3}, Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1)}},
	} {
		x0 := tensor.Randn(rng, 1, tc.x...)
		w0 := tensor.Randn(rng, 0.3, tc.w...)
		b0 := tensor.Randn(rng, 0.5, tc.w[0])
		var r *tensor.Tensor
		run := func(fused bool) (y []float32, grads [][]float32) {
			tp := NewTape()
			xi := tp.Input(x0)
			x := Scale(xi, 1) // a non-leaf input, as inside a network
			w, b := NewLeaf(w0.Clone(), true), NewLeaf(b0.Clone(), true)
			var out *Var
			if fused {
				out = Conv2dReLU(x, w, b, tc.o)
			} else {
				out = ReLU(Conv2d(x, w, b, tc.o))
			}
			if r == nil {
				r = tensor.Randn(rng, 1, out.Value.Shape...)
			}
			BackwardWith(out, r)
			return out.Value.Data, [][]float32{xi.Grad.Data, w.Grad.Data, b.Grad.Data}
		}
		y1, g1 := run(true)
		y2, g2 := run(false)
		pos := 0
		for i := range y2 {
			if y1[i] != y2[i] {
				t.Fatalf("%v→%v: value %d = %g, pair %g", tc.x, tc.w, i, y1[i], y2[i])
			}
			if y2[i] > 0 {
				pos++
			}
		}
		if pos == 0 || pos == len(y2) {
			t.Fatalf("%v→%v: %d of %d outputs positive: ReLU not exercised", tc.x, tc.w, pos, len(y2))
		}
		for k := range g2 {
			for i := range g2[k] {
				if math.Float32bits(g1[k][i]) != math.Float32bits(g2[k][i]) {
					t.Fatalf("%v→%v: gradient %d[%d] = %g, pair %g", tc.x, tc.w, k, i, g1[k][i], g2[k][i])
				}
			}
		}
	}
}

// TestAddReLUMatchesPair checks AddReLU against ReLU(Add(…)) bit for bit:
// values and gradients, with an operand whose gradient already holds
// another contribution, and the broadcasting fallback.
func TestAddReLUMatchesPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, bs := range [][]int{{2, 3, 4, 5}, {1, 3, 1, 1}} {
		a0 := tensor.Randn(rng, 1, 2, 3, 4, 5)
		b0 := tensor.Randn(rng, 1, bs...)
		r := tensor.Randn(rng, 1, 2, 3, 4, 5)
		r2 := tensor.Randn(rng, 1, 2, 3, 4, 5)
		run := func(fused bool) [][]float32 {
			tp := NewTape()
			ai := tp.Input(a0)
			a := Scale(ai, 1)
			b := tp.Input(b0)
			var out *Var
			if fused {
				out = AddReLU(a, b)
			} else {
				out = ReLU(Add(a, b))
			}
			// a also feeds another term, so its gradient accumulates.
			l := Add(Sum(Mul(out, tp.Const(r)), false), Sum(Mul(a, tp.Const(r2)), false))
			Backward(l)
			return [][]float32{out.Value.Data, ai.Grad.Data, b.Grad.Data}
		}
		got, want := run(true), run(false)
		for k := range want {
			for i := range want[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
					t.Fatalf("b %v: array %d[%d] = %g, pair %g", bs, k, i, got[k][i], want[k][i])
				}
			}
		}
	}
}
