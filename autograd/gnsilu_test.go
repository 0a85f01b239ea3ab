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

// TestNormRowPaths checks that every code path of the GroupNorm row
// kernels (AVX-512 intrinsics, GCC-vectorised loops) gives the same bits:
// forward values, mean and 1/std; input gradient and the per-channel
// partial sums; for row segments with and without a tail beyond the 32
// summation lanes.
func TestNormRowPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, inner := range []int{8, 13, 64, 1000} {
		const ch = 3
		M := ch * inner
		x, g := tensor.Randn(rng, 2, M), tensor.Randn(rng, 1, M)
		for i := range x.Data {
			x.Data[i] += 0.7 // a mean far from 0
		}
		gamma, beta := tensor.Randn(rng, 1, ch), tensor.Randn(rng, 1, ch)
		var y [2][]float32
		var st [2][2]float32
		for p := 0; p < 2; p++ {
			normPath = p
			y[p] = make([]float32, M)
			if !normRowKernel(y[p], x.Data, inner, gamma.Data, beta.Data, 0, 1e-5, &st[p][0], &st[p][1]) {
				normPath = 0
				t.Skip("no C kernels in this build")
			}
		}
		normPath = 0
		if st[0] != st[1] {
			t.Fatalf("inner %d: mean, rstd %v on path 0, %v on path 1", inner, st[0], st[1])
		}
		for i := range y[0] {
			if math.Float32bits(y[0][i]) != math.Float32bits(y[1][i]) {
				t.Fatalf("inner %d: y[%d] = %g on path 0, %g on path 1", inner, i, y[0][i], y[1][i])
			}
		}
		var dx [2][]float32
		var part [2][]float64
		for p := 0; p < 2; p++ {
			normPath = p
			dx[p] = make([]float32, M)
			part[p] = make([]float64, 2*ch)
			if !normRowBackKernel(dx[p], g.Data, x.Data, inner, gamma.Data, 0, 0.3, 1.7, part[p]) {
				normPath = 0
				t.Skip("no C kernels in this build")
			}
		}
		normPath = 0
		for i := range dx[0] {
			if math.Float32bits(dx[0][i]) != math.Float32bits(dx[1][i]) {
				t.Fatalf("inner %d: dx[%d] = %g on path 0, %g on path 1", inner, i, dx[0][i], dx[1][i])
			}
		}
		for i := range part[0] {
			if part[0][i] != part[1][i] {
				t.Fatalf("inner %d: partial sum %d = %g on path 0, %g on path 1", inner, i, part[0][i], part[1][i])
			}
		}
	}
}
