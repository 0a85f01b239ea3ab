package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

// convRef is a direct float64 loop over the definition of Conv2d
// (transposed = false) or ConvTranspose2d (true), independent of both
// backends: y = conv(x, w) + b. A transposed convolution scatters each input
// pixel through the kernel, which is the adjoint of the convolution.
func convRef(transposed bool, x, w, b *tensor.Tensor, o Conv2dOpts, oh, ow int) []float64 {
	o = o.norm()
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	kh, kw := w.Shape[2], w.Shape[3]
	f := w.Shape[0]
	if transposed {
		f = w.Shape[1]
	}
	y := make([]float64, n*f*oh*ow)
	for in := 0; in < n; in++ {
		for fo := 0; fo < f; fo++ {
			for i := 0; i < oh*ow; i++ {
				if b != nil {
					y[(in*f+fo)*oh*ow+i] = float64(b.Data[fo])
				}
			}
		}
		for ci := 0; ci < c; ci++ {
			for fo := 0; fo < f; fo++ {
				for ki := 0; ki < kh; ki++ {
					for kj := 0; kj < kw; kj++ {
						if !transposed {
							wv := float64(w.Data[((fo*c+ci)*kh+ki)*kw+kj])
							for r := 0; r < oh; r++ {
								ih := r*o.Stride[0] - o.Pad[0] + ki*o.Dilation[0]
								for s := 0; s < ow; s++ {
									iw := s*o.Stride[1] - o.Pad[2] + kj*o.Dilation[1]
									if ih >= 0 && ih < h && iw >= 0 && iw < wd {
										y[((in*f+fo)*oh+r)*ow+s] += wv * float64(x.Data[((in*c+ci)*h+ih)*wd+iw])
									}
								}
							}
							continue
						}
						wv := float64(w.Data[((ci*f+fo)*kh+ki)*kw+kj])
						for r := 0; r < h; r++ {
							yr := r*o.Stride[0] - o.Pad[0] + ki*o.Dilation[0]
							for s := 0; s < wd; s++ {
								ys := s*o.Stride[1] - o.Pad[2] + kj*o.Dilation[1]
								if yr >= 0 && yr < oh && ys >= 0 && ys < ow {
									y[((in*f+fo)*oh+yr)*ow+ys] += wv * float64(x.Data[((in*c+ci)*h+r)*wd+s])
								}
							}
						}
					}
				}
			}
		}
	}
	return y
}

// TestConvBackendMatchesReference checks the compiled convolution backend
// (ConvBackend: oneDNN's JIT kernels or im2col + GEMM) against the direct
// loops on the layer shapes genfwi's networks use — channel counts that
// select oneDNN's blocked AVX-512 kernels, InversionNet's (7,1)/(3,1)
// kernels with (2,1) strides, the UNet's 4×4 stride-2 downsampling and
// 2×2 / 4×4 transposed upsampling — forward values and, through the
// linear functional L = Σ y⊙g, the gradients with respect to x, w and b
// (∂L/∂x is the adjoint applied to g, checked by ⟨conv(x), g⟩ = ⟨x, ∂L/∂x⟩
// for the bias-free part, and by finite sums for w and b).
func TestConvBackendMatchesReference(t *testing.T) {
	t.Logf("convolution backend: %s", ConvBackend)
	cases := []struct {
		name       string
		transposed bool
		x, w       []int
		o          Conv2dOpts
	}{
		{"3x3-p1-32ch", false, []int{2, 16, 12, 10}, []int{32, 16, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"3x3-s2-64ch", false, []int{2, 32, 9, 8}, []int{64, 32, 3, 3}, Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1)}},
		{"7x1-s21-invnet", false, []int{2, 5, 40, 7}, []int{32, 5, 7, 1}, Conv2dOpts{Stride: [2]int{2, 1}, Pad: [4]int{3, 3, 0, 0}}},
		{"3x1-s21-invnet", false, []int{2, 32, 20, 7}, []int{64, 32, 3, 1}, Conv2dOpts{Stride: [2]int{2, 1}, Pad: [4]int{1, 1, 0, 0}}},
		{"4x4-s2-unet-down", false, []int{2, 32, 8, 8}, []int{32, 32, 4, 4}, Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1)}},
		// oneDNN's pass plans (newDNNLConv): all three passes; output
		// channels < 4 (all three); forward and input gradient only
		// (channels not multiples of 16); forward only (< 8 inputs).
		{"3x3-all-passes", false, []int{2, 16, 24, 24}, []int{32, 16, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"3x3-out1", false, []int{2, 32, 24, 24}, []int{1, 32, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"3x3-flow-20ch", false, []int{2, 20, 8, 8}, []int{32, 20, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"3x3-6ch", false, []int{2, 6, 8, 8}, []int{32, 6, 3, 3}, Conv2dOpts{Pad: PadAll(1)}},
		{"1x1-flow", false, []int{3, 8, 6, 6}, []int{8, 8, 1, 1}, Conv2dOpts{}},
		{"dilated-asym", false, []int{1, 3, 9, 8}, []int{4, 3, 3, 2}, Conv2dOpts{Pad: [4]int{2, 1, 1, 0}, Dilation: [2]int{2, 3}}},
		{"convT-2x2-s2", true, []int{2, 64, 4, 4}, []int{64, 32, 2, 2}, Conv2dOpts{Stride: [2]int{2, 2}}},
		{"convT-4x4-s2-p1", true, []int{2, 32, 5, 5}, []int{32, 16, 4, 4}, Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1)}},
		{"convT-5x5-s1", true, []int{2, 32, 1, 1}, []int{32, 32, 5, 5}, Conv2dOpts{}},
		{"convT-outpad", true, []int{1, 4, 3, 4}, []int{4, 3, 3, 3}, Conv2dOpts{Stride: [2]int{2, 1}, Pad: [4]int{1, 0, 1, 1}, OutputPad: [2]int{1, 0}}},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tp := NewTape()
			x := tp.Input(tensor.Randn(rng, 1, tc.x...))
			w := tp.Input(tensor.Randn(rng, 0.2, tc.w...))
			nf := tc.w[0]
			if tc.transposed {
				nf = tc.w[1]
			}
			b := tp.Input(tensor.Randn(rng, 1, nf))
			var y *Var
			if tc.transposed {
				y = ConvTranspose2d(x, w, b, tc.o)
			} else {
				y = Conv2d(x, w, b, tc.o)
			}
			ys := y.Shape()
			want := convRef(tc.transposed, x.Value, w.Value, b.Value, tc.o, ys[2], ys[3])
			checkClose(t, "forward", y.Value.Data, want)

			// Gradients of L = Σ y⊙g: ∂L/∂x_j = Σ_i g_i ∂y_i/∂x_j, computed
			// from the reference by linearity (one basis input at a time
			// would be slow); instead compare directional derivatives
			// along random directions, exact for a linear map.
			g := tensor.Randn(rng, 1, ys...)
			BackwardWith(y, g)
			for _, p := range []struct {
				name string
				v    *Var
			}{{"x", x}, {"w", w}, {"b", b}} {
				dir := tensor.Randn(rng, 1, p.v.Value.Shape...)
				xs, ws := x.Value, w.Value
				switch p.name {
				case "x":
					xs = dir
				case "w":
					ws = dir
				}
				var yd []float64
				if p.name == "b" {
					yd = convRef(tc.transposed, xs, tensor.New(ws.Shape...), dir, tc.o, ys[2], ys[3])
				} else {
					yd = convRef(tc.transposed, xs, ws, nil, tc.o, ys[2], ys[3])
				}
				var want, got, scale float64
				for i, v := range yd {
					want += v * float64(g.Data[i])
					scale += math.Abs(v * float64(g.Data[i]))
				}
				for i, v := range p.v.Grad.Data {
					got += float64(v) * float64(dir.Data[i])
				}
				if math.Abs(got-want) > 1e-5*scale+1e-6 {
					t.Errorf("⟨∂L/∂%s, d⟩ = %.7g, reference %.7g (scale %.3g)", p.name, got, want, scale)
				}
			}
		})
	}
}

// checkClose compares a float32 result with a float64 reference to float32
// accuracy relative to the reference's largest magnitude.
func checkClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, reference %d", what, len(got), len(want))
	}
	var peak, worst float64
	for _, v := range want {
		peak = math.Max(peak, math.Abs(v))
	}
	at := 0
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > worst {
			worst, at = d, i
		}
	}
	if worst > 2e-5*peak {
		t.Errorf("%s: worst error %.3g at %d (%.7g vs %.7g), peak %.3g", what, worst, at, got[at], want[at], peak)
	}
}
