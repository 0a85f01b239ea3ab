package autograd

import (
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

// convGradRef returns the input and weight gradients of y = conv(x, w)
// (Conv2d, any stride) for the output gradient g, by float64 loops over
// the definition: dx[n,c,ih,iw] = Σ g[n,f,oh,ow]·w[f,c,ki,kj] and
// dw[f,c,ki,kj] = Σ g[n,f,oh,ow]·x[n,c,ih,iw] over the pixel pairs the
// convolution connects.
func convGradRef(x, w, g *tensor.Tensor, o Conv2dOpts) (dx, dw []float64) {
	o = o.norm()
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	F, KH, KW := w.Shape[0], w.Shape[2], w.Shape[3]
	OH, OW := g.Shape[2], g.Shape[3]
	dx, dw = make([]float64, len(x.Data)), make([]float64, len(w.Data))
	for n := 0; n < N; n++ {
		for f := 0; f < F; f++ {
			for c := 0; c < C; c++ {
				for ki := 0; ki < KH; ki++ {
					for kj := 0; kj < KW; kj++ {
						wi := ((f*C+c)*KH+ki)*KW + kj
						for oh := 0; oh < OH; oh++ {
							ih := oh*o.Stride[0] - o.Pad[0] + ki*o.Dilation[0]
							if ih < 0 || ih >= H {
								continue
							}
							for ow := 0; ow < OW; ow++ {
								iw := ow*o.Stride[1] - o.Pad[2] + kj*o.Dilation[1]
								if iw < 0 || iw >= W {
									continue
								}
								gv := float64(g.Data[((n*F+f)*OH+oh)*OW+ow])
								xi := ((n*C+c)*H+ih)*W + iw
								dx[xi] += gv * float64(w.Data[wi])
								dw[wi] += gv * float64(x.Data[xi])
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

// TestDirectConvMatchesReference checks the direct stride-1 kernels
// (dconv_c.go) on their own — forward values with and without bias, the
// input gradient added onto existing values, the weight gradient — against
// float64 loops, over row widths below, at and across the 16- and
// 32-column chunks, 1 to 12 output channels (partial and several blocks of
// 8), asymmetric padding wider than the kernel's reach, dilation and
// one-row or one-column kernels.
func TestDirectConvMatchesReference(t *testing.T) {
	if !directConvCPU {
		t.Skip("no direct convolution kernels in this build or on this CPU")
	}
	cases := []struct {
		name string
		x, w []int
		o    Conv2dOpts
	}{
		{"w5-f1", []int{2, 3, 4, 5}, []int{1, 3, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"w8-f4", []int{3, 32, 8, 8}, []int{4, 32, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"w16-f8", []int{2, 20, 6, 16}, []int{8, 20, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"w17-f9", []int{2, 5, 5, 17}, []int{9, 5, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"w32-f3", []int{2, 7, 4, 32}, []int{3, 7, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"w33-f12-c1", []int{2, 1, 5, 33}, []int{12, 1, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"w70-f2-c4", []int{1, 4, 3, 70}, []int{2, 4, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"asym-pad-dil", []int{2, 3, 9, 19}, []int{5, 3, 3, 2}, Conv2dOpts{Pad: [4]int{2, 1, 4, 0}, Dilation: [2]int{2, 3}}},
		{"no-pad", []int{2, 6, 7, 20}, []int{6, 6, 3, 3}, Conv2dOpts{}},
		{"7x1", []int{2, 2, 12, 9}, []int{8, 2, 7, 1}, Conv2dOpts{Pad: [4]int{3, 3, 0, 0}}},
		{"1x5-wide-pad", []int{2, 3, 2, 6}, []int{7, 3, 1, 5}, Conv2dOpts{Pad: [4]int{1, 0, 5, 6}}},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o.norm()
			N, C, H, W := tc.x[0], tc.x[1], tc.x[2], tc.x[3]
			F, KH, KW := tc.w[0], tc.w[2], tc.w[3]
			g := convGeom{C: C, H: H, W: W, KH: KH, KW: KW, SH: 1, SW: 1, PT: o.Pad[0], PL: o.Pad[2], DH: o.Dilation[0], DW: o.Dilation[1]}
			g.OH = outSize(H, o.Pad[0], o.Pad[1], KH, 1, g.DH)
			g.OW = outSize(W, o.Pad[2], o.Pad[3], KW, 1, g.DW)
			x := tensor.Randn(rng, 1, tc.x...)
			w := tensor.Randn(rng, 0.3, tc.w...)
			b := tensor.Randn(rng, 1, F)
			wt := make([]float32, len(w.Data))
			weightsForward(wt, w.Data, F, C, KH*KW)
			fg := g.forwardGeom(F)
			for _, bias := range []*tensor.Tensor{nil, b} {
				y := tensor.New(N, F, g.OH, g.OW)
				for i := range y.Data {
					y.Data[i] = 1e30 // must be overwritten
				}
				var bd []float32
				if bias != nil {
					bd = bias.Data
				}
				fg.run(N, x.Data, wt, bd, y.Data, false, false)
				checkClose(t, "forward", y.Data, convRef(false, x, w, bias, tc.o, g.OH, g.OW))
			}

			gy := tensor.Randn(rng, 1, N, F, g.OH, g.OW)
			wantX, wantW := convGradRef(x, w, gy, tc.o)
			dx := tensor.Randn(rng, 1, tc.x...)
			for i, v := range dx.Data {
				wantX[i] += float64(v)
			}
			wd := make([]float32, len(w.Data))
			weightsData(wd, w.Data, F, C, KH, KW)
			dgx := g.dataGeom(F)
			dgx.run(N, gy.Data, wd, nil, dx.Data, true, false)
			checkClose(t, "input gradient", dx.Data, wantX)

			dw := tensor.Randn(rng, 1, tc.w...)
			for i, v := range dw.Data {
				wantW[i] += float64(v)
			}
			fg.wgrad(N, x.Data, gy.Data, dw.Data)
			checkClose(t, "weight gradient", dw.Data, wantW)
		})
	}
}

// TestConvInputGradAccumulates checks that convolution input gradients add
// up when an input feeds two convolutions and a residual connection, for
// each input-gradient path (oneDNN, which overwrites a fresh gradient
// buffer instead of adding into zeros; the direct kernels; im2col): the
// gradient equals the sum of the three contributions computed on their own.
func TestConvInputGradAccumulates(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	o := Conv2dOpts{Pad: PadAll(1)}
	for _, sh := range [][2]int{{16, 32}, {16, 4}, {4, 32}} {
		C, F := sh[0], sh[1]
		x0 := tensor.Randn(rng, 1, 2, C, 10, 9)
		w1, w2 := tensor.Randn(rng, 0.2, F, C, 3, 3), tensor.Randn(rng, 0.2, F, C, 3, 3)
		g := tensor.Randn(rng, 1, 2, F, 10, 9)
		gx := tensor.Randn(rng, 1, 2, C, 10, 9)
		grad := func(parts ...int) []float32 {
			tp := NewTape()
			x := tp.Input(x0)
			h := Scale(x, 1) // a non-leaf input, as inside a network
			var terms []*Var
			for _, p := range parts {
				switch p {
				case 0:
					terms = append(terms, Mul(Conv2d(h, tp.Const(w1), nil, o), tp.Const(g)))
				case 1:
					terms = append(terms, Mul(Conv2d(h, tp.Const(w2), nil, o), tp.Const(g)))
				case 2:
					terms = append(terms, Mul(h, tp.Const(gx)))
				}
			}
			l := Sum(terms[0], false)
			for _, v := range terms[1:] {
				l = Add(l, Sum(v, false))
			}
			Backward(l)
			return x.Grad.Data
		}
		all := grad(0, 1, 2)
		a, b, c := grad(0), grad(1), grad(2)
		want := make([]float64, len(all))
		for i := range want {
			want[i] = float64(a[i]) + float64(b[i]) + float64(c[i])
		}
		checkClose(t, "accumulated input gradient", all, want)
	}
}
