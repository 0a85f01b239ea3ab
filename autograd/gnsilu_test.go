package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

// TestGroupNormSiLUMatchesPair checks the fused GroupNormSiLU against
// GroupNorm followed by SiLU bit for bit: the output, and the gradients of
// Σ r·out with respect to x, γ and β, with and without the affine part, on
// rows that take the C kernels (spatial size ≥ 8) and the Go loops (< 8),
// and on a no-gradient tape.
func TestGroupNormSiLUMatchesPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		shape  []int
		groups int
		affine bool
	}{
		{[]int{3, 16, 8, 9}, 8, true},
		{[]int{2, 6, 2, 3}, 3, true},
		{[]int{2, 32, 17, 5}, 4, false},
		{[]int{1, 8, 16, 16}, 2, true},
	} {
		x0 := tensor.Randn(rng, 2, tc.shape...)
		gamma0 := tensor.Randn(rng, 1, tc.shape[1])
		beta0 := tensor.Randn(rng, 1, tc.shape[1])
		r := tensor.Randn(rng, 1, tc.shape...)
		run := func(fused, noGrad bool) (y []float32, grads [][]float32) {
			tp := NewTape()
			tp.NoGrad = noGrad
			x := tp.Input(x0.Clone())
			var g, b *Var
			if tc.affine {
				g, b = NewLeaf(gamma0.Clone(), true), NewLeaf(beta0.Clone(), true)
			}
			var out *Var
			if fused {
				out = GroupNormSiLU(x, tc.groups, g, b, 1e-5)
			} else {
				out = SiLU(GroupNorm(x, tc.groups, g, b, 1e-5))
			}
			if noGrad {
				return out.Value.Data, nil
			}
			BackwardWith(out, r)
			grads = append(grads, x.Grad.Data)
			if tc.affine {
				grads = append(grads, g.Grad.Data, b.Grad.Data)
			}
			return out.Value.Data, grads
		}
		for _, noGrad := range []bool{false, true} {
			y1, g1 := run(true, noGrad)
			y2, g2 := run(false, noGrad)
			eq := func(what string, a, b []float32) {
				for i := range b {
					if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
						t.Fatalf("%v groups %d affine %v noGrad %v: %s[%d] = %g, pair %g", tc.shape, tc.groups, tc.affine, noGrad, what, i, a[i], b[i])
					}
				}
			}
			eq("value", y1, y2)
			for i := range g2 {
				eq([]string{"dx", "dgamma", "dbeta"}[i], g1[i], g2[i])
			}
		}
	}
}
