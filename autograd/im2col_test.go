package autograd

import (
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

// TestIm2colKernels checks the im2col/col2im used by this build (C or Go)
// against the Go reference versions, bit for bit, over several geometries.
func TestIm2colKernels(t *testing.T) {
	geoms := []convGeom{
		{C: 3, H: 7, W: 6, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, DH: 1, DW: 1},
		{C: 2, H: 9, W: 8, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, DH: 1, DW: 1},
		{C: 2, H: 9, W: 5, KH: 5, KW: 3, SH: 2, SW: 1, PT: 2, PL: 0, DH: 1, DW: 2},
		{C: 1, H: 4, W: 4, KH: 2, KW: 2, SH: 1, SW: 3, PT: 0, PL: 2, DH: 2, DW: 1},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i, g := range geoms {
		g.OH = outSize(g.H, g.PT, g.PT, g.KH, g.SH, g.DH)
		g.OW = outSize(g.W, g.PL, g.PL, g.KW, g.SW, g.DW)
		img := tensor.Randn(rng, 1, g.C*g.H*g.W).Data
		n := g.C * g.KH * g.KW * g.OH * g.OW
		a, b := make([]float32, n), make([]float32, n)
		for j := range b {
			b[j] = 7 // must be overwritten everywhere
		}
		g.im2colGo(a, img)
		g.im2col(b, img)
		col := tensor.Randn(rng, 1, n).Data
		x, y := tensor.Randn(rng, 1, len(img)).Data, make([]float32, len(img))
		copy(y, x)
		g.col2imGo(x, col)
		g.col2im(y, col)
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("geometry %d: im2col differs at %d: %g vs %g", i, j, b[j], a[j])
			}
		}
		for j := range x {
			if x[j] != y[j] {
				t.Fatalf("geometry %d: col2im differs at %d: %g vs %g", i, j, y[j], x[j])
			}
		}
	}
}
