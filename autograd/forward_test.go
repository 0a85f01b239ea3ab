package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

// naiveConv2d is the definition of Conv2d as plain loops (the reference the
// im2col + GEMM path must match).
func naiveConv2d(x, w, b *tensor.Tensor, o Conv2dOpts) *tensor.Tensor {
	o = o.norm()
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	F, KH, KW := w.Shape[0], w.Shape[2], w.Shape[3]
	OH := outSize(H, o.Pad[0], o.Pad[1], KH, o.Stride[0], o.Dilation[0])
	OW := outSize(W, o.Pad[2], o.Pad[3], KW, o.Stride[1], o.Dilation[1])
	y := tensor.New(N, F, OH, OW)
	for n := 0; n < N; n++ {
		for f := 0; f < F; f++ {
			for oh := 0; oh < OH; oh++ {
				for ow := 0; ow < OW; ow++ {
					s := 0.0
					if b != nil {
						s = float64(b.Data[f])
					}
					for c := 0; c < C; c++ {
						for i := 0; i < KH; i++ {
							for j := 0; j < KW; j++ {
								ih := oh*o.Stride[0] - o.Pad[0] + i*o.Dilation[0]
								iw := ow*o.Stride[1] - o.Pad[2] + j*o.Dilation[1]
								if ih < 0 || ih >= H || iw < 0 || iw >= W {
									continue
								}
								s += float64(w.Data[((f*C+c)*KH+i)*KW+j]) * float64(x.Data[((n*C+c)*H+ih)*W+iw])
							}
						}
					}
					y.Data[((n*F+f)*OH+oh)*OW+ow] = float32(s)
				}
			}
		}
	}
	return y
}

// naiveConvT2d is the transposed convolution by its scatter definition:
// every input pixel adds w[c,f]·x into the output window it maps to.
func naiveConvT2d(x, w, b *tensor.Tensor, o Conv2dOpts) *tensor.Tensor {
	o = o.norm()
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	F, KH, KW := w.Shape[1], w.Shape[2], w.Shape[3]
	OH := (H-1)*o.Stride[0] - o.Pad[0] - o.Pad[1] + o.Dilation[0]*(KH-1) + 1 + o.OutputPad[0]
	OW := (W-1)*o.Stride[1] - o.Pad[2] - o.Pad[3] + o.Dilation[1]*(KW-1) + 1 + o.OutputPad[1]
	y := tensor.New(N, F, OH, OW)
	for n := 0; n < N; n++ {
		for f := 0; f < F; f++ {
			for p := 0; p < OH*OW; p++ {
				if b != nil {
					y.Data[(n*F+f)*OH*OW+p] = b.Data[f]
				}
			}
		}
		for c := 0; c < C; c++ {
			for ih := 0; ih < H; ih++ {
				for iw := 0; iw < W; iw++ {
					v := x.Data[((n*C+c)*H+ih)*W+iw]
					for f := 0; f < F; f++ {
						for i := 0; i < KH; i++ {
							for j := 0; j < KW; j++ {
								oh := ih*o.Stride[0] - o.Pad[0] + i*o.Dilation[0]
								ow := iw*o.Stride[1] - o.Pad[2] + j*o.Dilation[1]
								if oh < 0 || oh >= OH || ow < 0 || ow >= OW {
									continue
								}
								y.Data[((n*F+f)*OH+oh)*OW+ow] += v * w.Data[((c*F+f)*KH+i)*KW+j]
							}
						}
					}
				}
			}
		}
	}
	return y
}

func TestConvForwardMatchesNaive(t *testing.T) {
	cases := []struct {
		name   string
		x, w   []int
		o      Conv2dOpts
		transp bool
	}{
		{"3x3-pad1", []int{3, 4, 9, 8}, []int{5, 4, 3, 3}, Conv2dOpts{Pad: PadAll(1)}, false},
		{"stride2", []int{2, 3, 9, 10}, []int{4, 3, 3, 3}, Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1)}, false},
		{"stride21", []int{2, 3, 12, 7}, []int{4, 3, 5, 3}, Conv2dOpts{Stride: [2]int{2, 1}, Pad: [4]int{2, 2, 1, 1}}, false},
		{"asym-pad", []int{1, 2, 8, 8}, []int{3, 2, 3, 3}, Conv2dOpts{Stride: [2]int{2, 2}, Pad: [4]int{0, 1, 0, 1}}, false},
		{"dilated", []int{1, 2, 10, 9}, []int{3, 2, 3, 3}, Conv2dOpts{Pad: PadAll(2), Dilation: [2]int{2, 2}}, false},
		{"1x1", []int{2, 5, 4, 4}, []int{3, 5, 1, 1}, Conv2dOpts{}, false},
		{"T-2x2-s2", []int{2, 4, 5, 5}, []int{4, 3, 2, 2}, Conv2dOpts{Stride: [2]int{2, 2}}, true},
		{"T-3x3-s2-p1-op1", []int{2, 3, 4, 5}, []int{3, 2, 3, 3}, Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1), OutputPad: [2]int{1, 1}}, true},
		{"T-aniso", []int{1, 2, 5, 3}, []int{2, 3, 4, 3}, Conv2dOpts{Stride: [2]int{2, 1}, Pad: [4]int{1, 1, 1, 1}, Dilation: [2]int{1, 2}}, true},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 11))
			x, w := tensor.Randn(rng, 1, c.x...), tensor.Randn(rng, 1, c.w...)
			nb := c.w[0]
			if c.transp {
				nb = c.w[1]
			}
			b := tensor.Randn(rng, 1, nb)
			tp := NewTape()
			var got *Var
			var want *tensor.Tensor
			if c.transp {
				got = ConvTranspose2d(tp.Const(x), tp.Const(w), tp.Const(b), c.o)
				want = naiveConvT2d(x, w, b, c.o)
			} else {
				got = Conv2d(tp.Const(x), tp.Const(w), tp.Const(b), c.o)
				want = naiveConv2d(x, w, b, c.o)
			}
			if !tensor.SameShape(got.Value.Shape, want.Shape) {
				t.Fatalf("shape %v, want %v", got.Value.Shape, want.Shape)
			}
			if d := tensor.MaxAbsDiff(got.Value, want); d > 1e-4 {
				t.Fatalf("max |diff| %g against the naive loops", d)
			}
		})
	}
}

// TestKnownValues pins ops whose conventions matter against values computed
// by hand with PyTorch's documented rules.
func TestKnownValues(t *testing.T) {
	tp := NewTape()
	check := func(name string, got *Var, want []float32) {
		t.Helper()
		if len(got.Value.Data) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(got.Value.Data), len(want))
		}
		for i := range want {
			if math.Abs(float64(got.Value.Data[i]-want[i])) > 1e-6 {
				t.Fatalf("%s: got %v, want %v", name, got.Value.Data, want)
			}
		}
	}
	row := tp.Const(tensor.FromSlice([]float32{1, 2}, 1, 1, 1, 2))
	// F.interpolate([1,2], size=4, mode="bilinear", align_corners=False) = [1, 1.25, 1.75, 2].
	check("bilinear", ResizeBilinear(row, 1, 4), []float32{1, 1.25, 1.75, 2})
	check("nearest", ResizeNearest(row, 1, 4), []float32{1, 1, 2, 2})
	x3 := tp.Const(tensor.FromSlice([]float32{1, 2, 3}, 1, 1, 1, 3))
	// Downsampling 3 → 2: src = (d+0.5)·1.5-0.5 = 0.25, 1.75.
	check("bilinear-down", ResizeBilinear(x3, 1, 2), []float32{1.25, 2.75})
	check("nearest-down", ResizeNearest(x3, 1, 2), []float32{1, 2})
	sq := tp.Const(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, 2, 4))
	check("avgpool", AvgPool2d(sq, [2]int{2, 2}, [2]int{}), []float32{3.5, 5.5})
	check("softmax", Softmax(tp.Const(tensor.FromSlice([]float32{0, float32(math.Log(3))}, 2))), []float32{0.25, 0.75})
	// GroupNorm of [1,3] in one group: mean 2, var 1 → [-1, 1]/√(1+eps).
	gn := GroupNorm(tp.Const(tensor.FromSlice([]float32{1, 3}, 1, 2, 1, 1)), 1, nil, nil, 0)
	check("groupnorm", gn, []float32{-1, 1})
	check("softplus", Softplus(tp.Const(tensor.FromSlice([]float32{0, 30}, 2))), []float32{float32(math.Log(2)), 30})
	check("sum-axes", Sum(tp.Const(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)), false, 0), []float32{5, 7, 9})
	check("max-axes", Max(tp.Const(tensor.FromSlice([]float32{1, 9, 3, 4, 5, 6}, 2, 3)), false, 1), []float32{9, 6})
	check("permute", Permute(tp.Const(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)), 1, 0), []float32{1, 4, 2, 5, 3, 6})
	check("pad", Pad(tp.Const(tensor.FromSlice([]float32{1, 2}, 1, 2)), 0, [2]int{1, 0}, [2]int{0, 1}), []float32{0, 0, 0, 1, 2, 0})
}

// TestBatchNormRunningStats checks PyTorch's update: running ← 0.9·running +
// 0.1·batch, with the unbiased batch variance; eval mode then uses them.
func TestBatchNormRunningStats(t *testing.T) {
	tp := NewTape()
	// Channel 0 holds 1, 3 (mean 2, unbiased var 2); channel 1 holds 0, 0.
	x := tp.Const(tensor.FromSlice([]float32{1, 0, 3, 0}, 2, 2, 1, 1))
	st := &BNStats{Mean: []float32{0, 0}, Var: []float32{1, 1}}
	y := BatchNorm2d(x, nil, nil, st, true, 0)
	if math.Abs(float64(st.Mean[0])-0.2) > 1e-6 || math.Abs(float64(st.Var[0])-(0.9+0.2)) > 1e-6 || st.Var[1] != 0.9 {
		t.Fatalf("running stats %v %v", st.Mean, st.Var)
	}
	// Training output uses the biased batch variance 1: (1-2)/1 = -1.
	if math.Abs(float64(y.Value.Data[0])+1) > 1e-6 {
		t.Fatalf("training output %v", y.Value.Data)
	}
	e := BatchNorm2d(x, nil, nil, st, false, 0)
	want := (1 - 0.2) / math.Sqrt(1.1)
	if math.Abs(float64(e.Value.Data[0])-want) > 1e-6 {
		t.Fatalf("eval output %g, want %g", e.Value.Data[0], want)
	}
}

// TestGroupNormMatchesNaive compares GroupNorm (C row kernel for spatial
// sizes ≥ 8, Go otherwise) with a float64 evaluation of the definition.
func TestGroupNormMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, hw := range [][2]int{{5, 7}, {2, 2}} {
		N, C, G, H, W := 3, 6, 3, hw[0], hw[1]
		x := tensor.Randn(rng, 2, N, C, H, W)
		for i := range x.Data {
			x.Data[i] += 5 // a large mean tests the two-pass variance
		}
		gamma, beta := tensor.Randn(rng, 1, C), tensor.Randn(rng, 1, C)
		tp := NewTape()
		y := GroupNorm(tp.Const(x), G, tp.Const(gamma), tp.Const(beta), 1e-5)
		M := C / G * H * W
		for n := 0; n < N; n++ {
			for g := 0; g < G; g++ {
				row := x.Data[(n*G+g)*M : (n*G+g+1)*M]
				var mu, v float64
				for _, e := range row {
					mu += float64(e)
				}
				mu /= float64(M)
				for _, e := range row {
					v += (float64(e) - mu) * (float64(e) - mu)
				}
				v /= float64(M)
				for j, e := range row {
					c := g*(C/G) + j/(H*W)
					want := (float64(e)-mu)/math.Sqrt(v+1e-5)*float64(gamma.Data[c]) + float64(beta.Data[c])
					if got := float64(y.Value.Data[(n*G+g)*M+j]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
						t.Fatalf("hw=%v: GroupNorm[%d] = %g, want %g", hw, (n*G+g)*M+j, got, want)
					}
				}
			}
		}
	}
}

// TestBroadcastValues checks broadcasting forward values against explicit
// index arithmetic for shapes that exercise axis collapsing.
func TestBroadcastValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	cases := [][2][]int{
		{{2, 3, 4, 5}, {1, 3, 1, 1}},
		{{2, 3, 4, 5}, {2, 3, 1, 1}},
		{{2, 1, 4}, {3, 1}},
		{{4}, {2, 3, 4}},
		{{2, 3}, {}},
		{{1, 3, 1, 5}, {2, 1, 4, 1}},
	}
	for _, c := range cases {
		a, b := tensor.Randn(rng, 1, c[0]...), tensor.Randn(rng, 1, c[1]...)
		tp := NewTape()
		got := Div(Add(tp.Const(a), tp.Const(b)), AddScalar(Abs(Mul(tp.Const(a), tp.Const(b))), 1))
		shape := broadcastShape("test", a.Shape, b.Shape)
		if !tensor.SameShape(got.Value.Shape, shape) {
			t.Fatalf("%v op %v: shape %v, want %v", c[0], c[1], got.Value.Shape, shape)
		}
		idx := make([]int, len(shape))
		at := func(x *tensor.Tensor) float32 {
			off, st := 0, tensor.Strides(x.Shape)
			for i := range x.Shape {
				if x.Shape[i] != 1 {
					off += idx[len(shape)-len(x.Shape)+i] * st[i]
				}
			}
			return x.Data[off]
		}
		for o := range got.Value.Data {
			r := o
			for d := len(shape) - 1; d >= 0; d-- {
				idx[d] = r % shape[d]
				r /= shape[d]
			}
			x, y := at(a), at(b)
			want := (x + y) / (float32(math.Abs(float64(x*y))) + 1)
			if math.Abs(float64(got.Value.Data[o]-want)) > 1e-6 {
				t.Fatalf("%v op %v: element %d = %g, want %g", c[0], c[1], o, got.Value.Data[o], want)
			}
		}
	}
}

// TestResizeNearestMatchesNaive checks ResizeNearest's forward values and
// input gradient against the index definition y[oh,ow] = x[⌊oh·H/OH⌋,
// ⌊ow·W/OW⌋] and its adjoint, for the exact-2× fast path, repeated rows
// (3× in height only) and general shapes.
func TestResizeNearestMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][4]int{{5, 6, 10, 12}, {5, 6, 15, 12}, {5, 6, 5, 12}, {5, 6, 10, 6}, {4, 5, 7, 3}, {3, 3, 9, 9}} {
		H, W, OH, OW := s[0], s[1], s[2], s[3]
		tp := NewTape()
		x := tp.Input(tensor.Randn(rng, 1, 2, 3, H, W))
		y := ResizeNearest(x, OH, OW)
		g := tensor.Randn(rng, 1, 2, 3, OH, OW)
		BackwardWith(y, g)
		dx := make([]float32, len(x.Value.Data))
		for p := 0; p < 6; p++ {
			for oh := 0; oh < OH; oh++ {
				for ow := 0; ow < OW; ow++ {
					src := p*H*W + (oh*H/OH)*W + ow*W/OW
					dst := p*OH*OW + oh*OW + ow
					if y.Value.Data[dst] != x.Value.Data[src] {
						t.Fatalf("%v: y[%d] = %g, want x[%d] = %g", s, dst, y.Value.Data[dst], src, x.Value.Data[src])
					}
					dx[src] += g.Data[dst]
				}
			}
		}
		for i, v := range dx {
			if d := math.Abs(float64(x.Grad.Data[i] - v)); d > 1e-6 {
				t.Fatalf("%v: dx[%d] = %g, want %g", s, i, x.Grad.Data[i], v)
			}
		}
	}
}
